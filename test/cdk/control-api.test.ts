import * as path from 'node:path';
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { loadConfig } from '../../lambdas/core/config-file';
import { CONTROL_ROUTES } from '../../lambdas/control/api';
import { ControlApi } from '../../lib/control-api';

const config = loadConfig(path.join(__dirname, 'fixtures', 'golive.config.yaml'));

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Sid?: string;
  Condition?: Record<string, Record<string, unknown>>;
}

let stack: Stack;
let control: ControlApi;
let machine: sfn.StateMachine;
let table: dynamodb.Table;
let template: Template;
const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

beforeAll(() => {
  // Assets are not bundled (these tests are about the template); cdk-nag runs as in bin/app.ts.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  stack = new Stack(app, 'Test');
  table = new dynamodb.Table(stack, 'Store', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
    sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  machine = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Start')),
  });
  Validations.of(machine).acknowledge({
    id: 'AwsSolutions-SF1',
    reason: 'A stand-in state machine for this template test only.',
  });
  Validations.of(machine).acknowledge({
    id: 'AwsSolutions-SF2',
    reason: 'A stand-in state machine for this template test only.',
  });
  control = new ControlApi(stack, 'Control', { stateMachine: machine, table, config, cloudWatchRole: true });
  // Throws on any unacknowledged cdk-nag finding: every test below runs on a nag-clean synth.
  app.synth();
  template = Template.fromStack(stack);
});

const statements = (): Statement[] =>
  Object.values(template.findResources('AWS::IAM::Policy'))
    .filter((p) =>
      (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === logicalId(control.function.role as IConstruct)),
    )
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
const allows = () => statements().filter((s) => s.Effect === 'Allow');
const actions = () => allows().flatMap((s) => [s.Action].flat());
const resourcesOf = (action: string) =>
  allows()
    .filter((s) => [s.Action].flat().includes(action))
    .flatMap((s) => [s.Resource].flat());

describe('ControlApi', () => {
  it('requires IAM authorization (SigV4) on every method, each a Lambda proxy to the control function', () => {
    const methods = Object.values(template.findResources('AWS::ApiGateway::Method'));

    expect(methods).toHaveLength(CONTROL_ROUTES.length);
    for (const method of methods) {
      expect(method.Properties).toMatchObject({
        AuthorizationType: 'AWS_IAM',
        Integration: {
          Type: 'AWS_PROXY',
          Uri: {
            'Fn::Join': expect.arrayContaining([
              expect.arrayContaining([{ 'Fn::GetAtt': [logicalId(control.function), 'Arn'] }]),
            ]),
          },
        },
      });
    }
    expect(methods.map((m) => m.Properties.HttpMethod).sort()).toEqual(
      CONTROL_ROUTES.map((r) => r.method as string).sort(),
    );
  });

  it('serves every route of CONTROL_ROUTES, and no other: one method on one resource path each', () => {
    const resources = template.findResources('AWS::ApiGateway::Resource');
    // A resource's full path, walking ParentId up to the API's root resource.
    const pathOf = (id: string): string => {
      const { PathPart, ParentId } = resources[id].Properties as { PathPart: string; ParentId: { Ref?: string } };
      return `${ParentId.Ref ? pathOf(ParentId.Ref) : ''}/${PathPart}`;
    };
    const served = Object.values(template.findResources('AWS::ApiGateway::Method')).map(
      (m) => `${m.Properties.HttpMethod} ${pathOf((m.Properties.ResourceId as { Ref: string }).Ref)}`,
    );

    expect(served.sort()).toEqual(CONTROL_ROUTES.map((r) => `${r.method} ${r.path}`).sort());
    expect(served).toEqual(
      expect.arrayContaining([
        'POST /go-lives/{name}/pause',
        'POST /go-lives/{name}/retry',
        'POST /go-lives/{name}/break-glass',
        'GET /reviews',
        'POST /services/{name}/rollback',
      ]),
    );
  });

  it('throttles the stage, logs access as JSON without request bodies, and traces', () => {
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      StageName: 'prod',
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(control.accessLogs), 'Arn'] },
        Format: Match.stringLikeRegexp('requestId'),
      },
      MethodSettings: [
        Match.objectLike({
          ThrottlingRateLimit: 5,
          ThrottlingBurstLimit: 10,
          DataTraceEnabled: false,
          LoggingLevel: 'ERROR',
        }),
      ],
    });
  });

  it('gives the function the table and the state machine by environment, and no Slack secret', () => {
    const fn = template.toJSON().Resources[logicalId(control.function)];

    expect(fn.Properties.Environment.Variables).toMatchObject({
      GOLIVE_TABLE: { Ref: logicalId(table) },
      GOLIVE_STATE_MACHINE_ARN: { Ref: logicalId(machine) },
    });
    expect(JSON.stringify(fn.Properties.Environment.Variables)).not.toMatch(/SLACK_SECRET/);
    expect(fn.Properties.Timeout).toBeLessThan(29);
  });

  it('lets the function do only what the control API needs, on this state machine and this table', () => {
    const machineRef = { Ref: logicalId(machine) };
    const tableArn = { 'Fn::GetAtt': [logicalId(table), 'Arn'] };

    expect(resourcesOf('states:StartExecution')).toEqual([machineRef]);
    expect(resourcesOf('states:ListExecutions')).toEqual([machineRef]);
    expect(resourcesOf('states:SendTaskSuccess')).toEqual([machineRef]);
    expect(resourcesOf('states:SendTaskFailure')).toEqual([machineRef]);
    expect(JSON.stringify(resourcesOf('states:DescribeExecution'))).toContain(
      `":execution:",{"Fn::GetAtt":["${logicalId(machine)}","Name"]},":*"`,
    );
    expect(resourcesOf('states:GetExecutionHistory')).toEqual(resourcesOf('states:DescribeExecution'));
    for (const action of ['GetItem', 'Query', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem']) {
      expect(resourcesOf(`dynamodb:${action}`)).toEqual([tableArn]);
    }
    // Store items only on the partitions its Store methods touch, and audit records stay write-once.
    for (const s of allows().filter((x) => [x.Action].flat().some((a) => a.startsWith('dynamodb:')))) {
      expect(Object.keys(s.Condition?.['ForAllValues:StringLike'] ?? {})).toEqual(['dynamodb:LeadingKeys']);
    }
    expect(resourcesOf('dynamodb:UpdateItem').length).toBe(1);
    expect(statements().find((s) => s.Sid === 'AuditRecordsAreWriteOnce')).toMatchObject({
      Effect: 'Deny',
      Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
    });
    // golive retry redrives this state machine's executions, exactly where it may describe them.
    expect(resourcesOf('states:RedriveExecution')).toEqual(resourcesOf('states:DescribeExecution'));
    const granted = actions().filter((a) => !a.startsWith('xray:'));
    expect(granted.sort()).toEqual(
      [
        'states:StartExecution',
        'states:ListExecutions',
        'states:DescribeExecution',
        'states:GetExecutionHistory',
        'states:RedriveExecution',
        'states:SendTaskSuccess',
        'states:SendTaskFailure',
        'dynamodb:GetItem',
        'dynamodb:Query',
        'dynamodb:PutItem',
        'dynamodb:UpdateItem',
        'dynamodb:DeleteItem',
        'dynamodb:ConditionCheckItem',
      ].sort(),
    );
  });

  it('refuses throttling that would block every request', () => {
    const other = new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Other');
    const create = () =>
      new ControlApi(other, 'Control', {
        stateMachine: new sfn.StateMachine(other, 'M', {
          definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(other, 'P')),
        }),
        table: new dynamodb.Table(other, 'T', { partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING } }),
        config,
        throttling: { rateLimit: 0, burstLimit: 1 },
      });

    expect(create).toThrow('ControlApi: throttling.rateLimit must be > 0');
  });
});
