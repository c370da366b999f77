import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { EVENT_FUNCTIONS, FUNCTIONS, type FunctionKey } from '../../lambdas/catalog';
import { WORKFLOW_DEFINITION_FILE, type GoLiveFunctionKey } from '../../lib/go-live-orchestrator';
import { GoLiveStack } from '../../lib/golive-stack';

const REPO_ROOT = path.join(__dirname, '..', '..');
const FIXTURE_CONFIG = path.join(__dirname, 'fixtures', 'golive.config.yaml');
const FIXTURE_ALARMS = ['orders-5xx-rate', 'orders-p99-latency', 'billing-errors'];
const WORKFLOW_KEYS = Object.keys(FUNCTIONS) as FunctionKey[];
const ALL_KEYS = [...WORKFLOW_KEYS, ...Object.keys(EVENT_FUNCTIONS)] as GoLiveFunctionKey[];

/** `${Name}` placeholders, CloudFormation-substitution style. */
const placeholders = (text: string) => [...text.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]);

let stack: GoLiveStack;
let template: Template;
let assemblyDir: string;
let outdir: string;
/** The workflow file as the stack read it (other work may edit it while the tests run). */
let workflow: string;

/** Logical id of an L2 construct's CloudFormation resource. */
const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const fnId = (key: GoLiveFunctionKey) => logicalId(stack.orchestrator.functions[key]);
const fnArn = (key: GoLiveFunctionKey) => ({ 'Fn::GetAtt': [fnId(key), 'Arn'] });
const roleId = (key: GoLiveFunctionKey) => logicalId(stack.orchestrator.functions[key].role as IConstruct);
const stateMachineRef = () => ({ Ref: logicalId(stack.orchestrator.stateMachine) });

beforeAll(() => {
  // Synthesised once: bundling every function is the slow part. Same feature flags as `cdk synth`,
  // and an outdir inside the repo so a bundle's external requires resolve from node_modules.
  const { context } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: object };
  mkdirSync(path.join(REPO_ROOT, 'test-artifacts'), { recursive: true });
  outdir = mkdtempSync(path.join(REPO_ROOT, 'test-artifacts', 'cdk-'));
  const app = new App({ context, outdir });
  workflow = readFileSync(WORKFLOW_DEFINITION_FILE, 'utf8');
  stack = new GoLiveStack(app, 'GoLive', { configFile: FIXTURE_CONFIG });
  template = Template.fromStack(stack);
  assemblyDir = app.synth().directory;
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('GoLiveStack state machine', () => {
  it('inlines the shared ASL file unchanged, as a STANDARD workflow', () => {
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));

    const definition = machine.Properties.DefinitionString as unknown;

    expect(typeof definition).toBe('string');
    expect(JSON.parse(definition as string)).toEqual(JSON.parse(workflow));
    expect(machine.Properties.StateMachineType).toBe('STANDARD');
  });

  it('substitutes every ${Var} of the workflow with the ARN of the catalog function', () => {
    const used = new Set(placeholders(workflow));
    const [machine] = Object.values(template.findResources('AWS::StepFunctions::StateMachine'));
    const substitutions = machine.Properties.DefinitionSubstitutions as Record<string, unknown>;

    expect(used.size).toBeGreaterThan(0);
    for (const name of used) {
      const key = WORKFLOW_KEYS.find((k) => FUNCTIONS[k].substitution === name);
      expect({ name, key }).toEqual({ name, key: expect.any(String) });
      expect(substitutions[name]).toEqual(fnArn(key as FunctionKey));
    }
    // Nothing left for CloudFormation to fail on: every placeholder in the template has a value.
    const unresolved = placeholders(machine.Properties.DefinitionString as string).filter((n) => !(n in substitutions));
    expect(unresolved).toEqual([]);
  });

  it('logs every execution event with its data to a vended-logs group, and traces', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: true,
        Destinations: [{ CloudWatchLogsLogGroup: { LogGroupArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } } }],
      },
      TracingConfiguration: { Enabled: true },
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', {
      LogGroupName: Match.stringLikeRegexp('^/aws/vendedlogs/states/golive-'),
      RetentionInDays: 30,
    });
  });

  it('lets its role invoke exactly the workflow functions (and their versions)', () => {
    const invokeStatements = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: {
          Roles: [{ Ref: logicalId(stack.orchestrator.stateMachine.role) }],
        },
      }),
    )
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement as { Action: unknown; Resource: unknown }[])
      .filter((s) => [s.Action].flat().includes('lambda:InvokeFunction'));

    const resources = invokeStatements.flatMap((s) => [s.Resource].flat());

    const expected = WORKFLOW_KEYS.flatMap((key) => [fnArn(key), { 'Fn::Join': ['', [fnArn(key), ':*']] }]);
    expect(resources).toHaveLength(expected.length);
    expect(resources).toEqual(expect.arrayContaining(expected));
    expect(resources).not.toContain('*');
  });
});

describe('GoLiveStack functions', () => {
  it('creates one function per catalog entry, workflow and event functions alike', () => {
    template.resourceCountIs('AWS::Lambda::Function', ALL_KEYS.length);
  });

  it.each(ALL_KEYS)('pins runtime, architecture, tracing, memory, logs and environment of %s', (key) => {
    const resource = template.toJSON().Resources[fnId(key)];
    const logGroupId = logicalId(stack.orchestrator.functions[key].logGroup);

    expect(resource.Properties).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 256,
      Handler: 'index.handler',
      Timeout: key === 'backup' || key === 'smoke-test' ? 300 : 30,
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
      Environment: {
        Variables: {
          NODE_OPTIONS: '--enable-source-maps',
          POWERTOOLS_SERVICE_NAME: 'golive',
          GOLIVE_TABLE: { Ref: logicalId(stack.orchestrator.table) },
        },
      },
    });
    expect(template.toJSON().Resources[logGroupId].Properties).toEqual({ RetentionInDays: 30 });
  });

  it.each(ALL_KEYS)('bundles %s locally into minified CommonJS with a source map, names kept', (key) => {
    const code = template.toJSON().Resources[fnId(key)].Properties.Code as { S3Key: string };
    const bundleDir = path.join(assemblyDir, `asset.${code.S3Key.replace(/\.zip$/, '')}`);

    const bundle = readFileSync(path.join(bundleDir, 'index.js'), 'utf8');
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the built artefact itself
    const loaded = require(path.join(bundleDir, 'index.js')) as { handler?: unknown };

    expect(existsSync(path.join(bundleDir, 'index.js.map'))).toBe(true);
    expect(typeof loaded.handler).toBe('function');
    // Minified, yet names survive (keepNames); without it these literals are not in the bundle.
    // The alarm handler is the one bundle without the workflow errors.
    const kept = key === 'alarm-handler' ? '"onAlarmStateChange"' : '"GoLiveError"';
    expect(bundle.includes(kept) ? kept : `${kept} missing`).toBe(kept);
  });

  it('gives every function read/write access to the store table only', () => {
    const tableArn = { 'Fn::GetAtt': [logicalId(stack.orchestrator.table), 'Arn'] };
    for (const key of ALL_KEYS) {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId(key) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Action: Match.arrayWith([
                'dynamodb:GetItem',
                'dynamodb:PutItem',
                'dynamodb:Query',
                'dynamodb:UpdateItem',
              ]),
              Resource: tableArn,
            }),
          ]),
        },
      });
    }
  });
});

describe('GoLiveStack store', () => {
  it('is an on-demand pk/sk table with point-in-time recovery and TTL, retained on delete', () => {
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      },
    });
  });
});

describe('GoLiveStack event rules', () => {
  it('routes ALARM state changes of every service alarm to the alarm handler', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.cloudwatch'],
        'detail-type': ['CloudWatch Alarm State Change'],
        detail: { alarmName: FIXTURE_ALARMS, state: { value: ['ALARM'] } },
      },
      Targets: [Match.objectLike({ Arn: fnArn('alarm-handler') })],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: fnArn('alarm-handler'),
      Principal: 'events.amazonaws.com',
    });
  });

  it('routes ABORTED and TIMED_OUT executions of this state machine to the janitor', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [stateMachineRef()], status: ['ABORTED', 'TIMED_OUT'] },
      },
      Targets: [Match.objectLike({ Arn: fnArn('janitor') })],
    });
  });

  it.each(['alarm-handler', 'janitor'] as const)('lets the %s answer this state machine’s callback tasks', (key) => {
    template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [{ Ref: roleId(key) }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: Match.arrayWith(['states:SendTaskFailure', 'states:SendTaskSuccess']),
            Resource: stateMachineRef(),
          }),
        ]),
      },
    });
  });

  it('does not let workflow functions answer callback tasks', () => {
    const answering = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) =>
        (p.Properties.PolicyDocument.Statement as { Action: unknown }[]).some((s) =>
          [s.Action].flat().includes('states:SendTaskSuccess'),
        ),
      )
      .map((p) => (p.Properties.Roles as { Ref: string }[])[0].Ref);

    const expected = (['alarm-handler', 'janitor'] as const).map(roleId);
    expect(answering.sort()).toEqual(expected.sort());
  });
});

describe('GoLiveStack config', () => {
  it('fails synth with a ConfigError naming the field when the config is invalid', () => {
    const dir = mkdtempSync(path.join(outdir, 'bad-config-'));
    const file = path.join(dir, 'golive.config.yaml');
    writeFileSync(file, readFileSync(FIXTURE_CONFIG, 'utf8').replace('alarms: [billing-errors]', 'alarms: []'));

    const synth = () => new GoLiveStack(new App(), 'Bad', { configFile: file });

    expect(synth).toThrow(expect.objectContaining({ name: 'ConfigError' }));
    expect(synth).toThrow(/services\.billing\.alerts\.alarms: list at least one alarm/);
  });

  it('fails synth with a clear message when the config file is missing', () => {
    const missing = path.join(outdir, 'nope.yaml');

    expect(() => new GoLiveStack(new App(), 'Missing', { configFile: missing })).toThrow(`cannot read ${missing}`);
  });

  it('exports the state machine ARN and the store table name', () => {
    template.hasOutput('StateMachineArn', { Value: stateMachineRef() });
    template.hasOutput('StoreTableName', { Value: { Ref: Match.anyValue() } });
  });
});
