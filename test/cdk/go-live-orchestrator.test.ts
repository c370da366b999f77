import { App, Duration, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { IConstruct } from 'constructs';
import { EVENT_FUNCTIONS, FUNCTIONS } from '../../lambdas/catalog';
import * as path from 'node:path';
import { loadConfig } from '../../lambdas/core/config-file';
import { GoLiveOrchestrator, type GoLiveOrchestratorProps } from '../../lib/go-live-orchestrator';
import { GoLiveFunction } from '../../lib/golive-function';

/** A stack whose assets are not bundled: these tests are about props, not code. */
function unbundledStack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
}

const config = loadConfig(path.join(__dirname, 'fixtures', 'golive.config.yaml'));

function build(props: Omit<GoLiveOrchestratorProps, 'config'>): { stack: Stack; create: () => GoLiveOrchestrator } {
  const stack = unbundledStack();
  return { stack, create: () => new GoLiveOrchestrator(stack, 'Orchestrator', { config, ...props }) };
}

describe('GoLiveOrchestrator props validation', () => {
  it('rejects a missing config, naming the prop', () => {
    const stack = unbundledStack();

    const create = () => new GoLiveOrchestrator(stack, 'Orchestrator', {} as GoLiveOrchestratorProps);

    expect(create).toThrow(/config: pass the validated golive config/);
  });

  it('rejects an empty alarm list before creating anything, naming the prop', () => {
    const { stack, create } = build({ alarmNames: [] });

    expect(create).toThrow(/alarmNames: list at least one alarm/);
    expect(stack.node.findAll().filter((c) => c instanceof GoLiveFunction)).toHaveLength(0);
  });

  it('rejects an alarm name CloudWatch would not accept', () => {
    const { create } = build({ alarmNames: ['ok', ''] });

    expect(create).toThrow(/alarmNames\[1\]: "" is not a CloudWatch alarm name/);
  });

  it('rejects a function timeout longer than the Task that invokes it', () => {
    const { create } = build({ alarmNames: ['a'], functionTimeouts: { lock: Duration.seconds(45) } });

    expect(create).toThrow(/functionTimeouts\.lock: 45 s exceeds TimeoutSeconds 30 of Task ValidateAndLock/);
  });

  it('rejects a timeout beyond the Lambda maximum and an unknown function, listing both', () => {
    const { create } = build({
      alarmNames: ['a'],
      functionTimeouts: { janitor: Duration.minutes(20), ...{ lokc: Duration.seconds(5) } },
    });

    expect(create).toThrow(
      /functionTimeouts\.lokc: unknown function[\s\S]*functionTimeouts\.janitor: 1200 s is outside/,
    );
  });
});

describe('GoLiveOrchestrator props', () => {
  it('applies timeout overrides, log retention and the store removal policy', () => {
    const stack = unbundledStack();

    new GoLiveOrchestrator(stack, 'Orchestrator', {
      config,
      alarmNames: ['a', 'a', 'b'],
      functionTimeouts: { backup: Duration.minutes(4), 'smoke-test': Duration.minutes(5) },
      logRetention: logs.RetentionDays.ONE_WEEK,
      storeRemovalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('backup'),
      Timeout: 240,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('smoke'),
      Timeout: 300,
    });
    // One log group per catalog function and for the Slack function, plus the state machine's and the API's access logs.
    expect(
      Object.values(template.findResources('AWS::Logs::LogGroup')).map((g) => g.Properties.RetentionInDays),
    ).toEqual(Array(Object.keys({ ...FUNCTIONS, ...EVENT_FUNCTIONS }).length + 3).fill(7));
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    // Duplicates across services are listed once in the event pattern.
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { alarmName: ['a', 'b'], state: { value: ['ALARM'] } } }),
    });
  });

  it('binds another function to the store read-only: table env var and read actions only', () => {
    const stack = unbundledStack();
    const orchestrator = new GoLiveOrchestrator(stack, 'Orchestrator', { config });
    const reader = new lambda.Function(stack, 'Reader', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });

    orchestrator.bindStore(reader, 'read');
    const template = Template.fromStack(stack);

    const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
    const readerId = logicalId(reader);
    const tableId = logicalId(orchestrator.table);
    expect(template.toJSON().Resources[readerId].Properties.Environment).toEqual({
      Variables: { GOLIVE_TABLE: { Ref: tableId } },
    });
    const actions = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalId(reader.role as IConstruct) }] },
      }),
    ).flatMap((p) => (p.Properties.PolicyDocument.Statement as { Action: string[] }[]).flatMap((s) => s.Action));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(actions.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
  });
});

describe('GoLiveOrchestrator Slack ingress and secrets', () => {
  it('uses the Slack secret it is given, names it to every function by ARN only, and throttles the API as asked', () => {
    const stack = unbundledStack();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Existing',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:team/slack-AbCdEf',
    );

    const orchestrator = new GoLiveOrchestrator(stack, 'Orchestrator', {
      config,
      slackSecret: secret,
      apiThrottling: { rateLimit: 3, burstLimit: 5 },
    });
    const template = Template.fromStack(stack);

    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    for (const fn of [...Object.values(orchestrator.functions), orchestrator.slack.function]) {
      const env = template.toJSON().Resources[stack.getLogicalId(fn.node.defaultChild as CfnElement)].Properties
        .Environment.Variables as Record<string, unknown>;
      expect(env.GOLIVE_SLACK_SECRET_ARN).toBe(secret.secretArn);
      expect(Object.keys(env).filter((k) => /TOKEN|SIGNING/i.test(k))).toEqual([]);
    }
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      MethodSettings: [Match.objectLike({ ThrottlingRateLimit: 3, ThrottlingBurstLimit: 5 })],
    });
  });

  it('creates the account’s API Gateway logging role by default, and leaves an existing one alone when asked', () => {
    const withRole = build({});
    withRole.create();
    const without = build({ apiGatewayCloudWatchRole: false });
    without.create();

    Template.fromStack(withRole.stack).resourceCountIs('AWS::ApiGateway::Account', 1);
    Template.fromStack(without.stack).resourceCountIs('AWS::ApiGateway::Account', 0);
    // The Slack endpoint still logs access and errors either way.
    Template.fromStack(without.stack).hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
  });

  it('rejects throttling that would block every request', () => {
    const { create } = build({ apiThrottling: { rateLimit: 0, burstLimit: 0 } });

    expect(create).toThrow(/throttling.rateLimit must be > 0/);
  });
});

describe('GoLiveOrchestrator scratch clean-up grants', () => {
  type Statement = { Action: string | string[]; Resource: unknown };
  let stack: Stack;
  let orchestrator: GoLiveOrchestrator;
  let template: Template;

  beforeAll(() => {
    stack = unbundledStack();
    orchestrator = new GoLiveOrchestrator(stack, 'Orchestrator', { config });
    template = Template.fromStack(stack);
  });

  const statementsOf = (fn: lambda.IFunction) =>
    Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: stack.getLogicalId((fn.role as IConstruct).node.defaultChild as CfnElement) }] },
      }),
    ).flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
  /** A resource as `arn:${Partition}:service:${Region}:${AccountId}:rest`, tokens named. */
  const flat = (resource: unknown): string =>
    typeof resource === 'string'
      ? resource
      : ((resource as { 'Fn::Join': [string, unknown[]] })['Fn::Join'][1] as unknown[])
          .map((p) => (typeof p === 'string' ? p : `\${${(p as { Ref: string }).Ref}}`))
          .join('');
  const backupStatements = (fn: lambda.IFunction) =>
    statementsOf(fn)
      .filter((s) => [s.Action].flat().some((a) => /^(rds|backup):|^dynamodb:DeleteTable$/.test(a)))
      .map((s) => ({ actions: [s.Action].flat(), resources: [s.Resource].flat().map(flat) }));

  it.each(['traffic', 'janitor'] as const)(
    'lets the %s function delete only golive-scratch-* tables, instances and clusters, and read restore jobs',
    (key) => {
      const statements = backupStatements(orchestrator.functions[key]);

      expect(statements).toEqual([
        {
          actions: ['dynamodb:DeleteTable'],
          resources: ['arn:${AWS::Partition}:dynamodb:${AWS::Region}:${AWS::AccountId}:table/golive-scratch-*'],
        },
        {
          actions: ['rds:DeleteDBInstance'],
          resources: ['arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:db:golive-scratch-*'],
        },
        {
          actions: ['rds:DeleteDBCluster'],
          resources: ['arn:${AWS::Partition}:rds:${AWS::Region}:${AWS::AccountId}:cluster:golive-scratch-*'],
        },
        // AWS Backup's job API has no resource-level permissions; reading a job's status is all it allows.
        { actions: ['backup:DescribeRestoreJob'], resources: ['*'] },
      ]);
    },
  );

  it('lets no other function but the backup function delete a restore target', () => {
    const others = (Object.keys(orchestrator.functions) as (keyof typeof orchestrator.functions)[]).filter(
      (k) => !['traffic', 'janitor', 'backup'].includes(k),
    );

    const deletes = others.flatMap((key) =>
      backupStatements(orchestrator.functions[key]).flatMap((s) => s.actions.filter((a) => /Delete/.test(a))),
    );

    expect(others.length).toBeGreaterThan(0);
    expect(deletes).toEqual([]);
  });
});
