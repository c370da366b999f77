import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Validations, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { EVENT_FUNCTIONS, FUNCTIONS, type FunctionKey } from '../../lambdas/catalog';
import { AuditArchive } from '../../lib/audit-archive';
import { WORKFLOW_DEFINITION_FILE, type GoLiveFunctionKey } from '../../lib/go-live-orchestrator';
import { GoLiveStack } from '../../lib/golive-stack';

const REPO_ROOT = path.join(__dirname, '..', '..');
const FIXTURE_CONFIG = path.join(__dirname, 'fixtures', 'golive.config.yaml');
const FIXTURE_ALARMS = ['orders-5xx-rate', 'orders-p99-latency', 'billing-errors', 'ledger-errors', 'payments-errors'];
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
  // As in bin/app.ts; the acknowledgements are also written into the template, where a test reads their reasons.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  workflow = readFileSync(WORKFLOW_DEFINITION_FILE, 'utf8');
  stack = new GoLiveStack(app, 'GoLive', { configFile: FIXTURE_CONFIG });
  // Throws on any unacknowledged cdk-nag finding, so every test below runs on a nag-clean synth.
  assemblyDir = app.synth().directory;
  template = Template.fromStack(stack);
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

  it('logs every execution event, without its data (task tokens), to a vended-logs group, and traces', () => {
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
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

    // Unqualified ARNs only: the workflow invokes no version or alias.
    const expected = WORKFLOW_KEYS.map(fnArn);
    expect(resources).toHaveLength(expected.length);
    expect(resources).toEqual(expect.arrayContaining(expected));
    expect(resources).not.toContain('*');
  });
});

describe('GoLiveStack functions', () => {
  it('creates one function per catalog entry, workflow and event functions alike, the Slack and the control function', () => {
    template.resourceCountIs('AWS::Lambda::Function', ALL_KEYS.length + 2);
  });

  it.each(ALL_KEYS)('pins runtime, architecture, tracing, memory, logs and environment of %s', (key) => {
    const resource = template.toJSON().Resources[fnId(key)];
    const logGroupId = logicalId(stack.orchestrator.functions[key].logGroup);

    expect(resource.Properties).toMatchObject({
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      TracingConfig: { Mode: 'Active' },
      MemorySize: 256,
      Handler: 'index.handler',
      Timeout: key === 'backup' || key === 'smoke-test' ? 300 : 30,
      LoggingConfig: { LogGroup: { Ref: logGroupId } },
      Environment: {
        Variables: {
          POWERTOOLS_SERVICE_NAME: 'golive',
          GOLIVE_TABLE: { Ref: logicalId(stack.orchestrator.table) },
          GOLIVE_SLACK_SECRET_ARN: { Ref: logicalId(stack.orchestrator.slackSecret as IConstruct) },
        },
      },
    });
    expect(template.toJSON().Resources[logGroupId].Properties).toEqual({ RetentionInDays: 30 });
    // Source maps ship with the code but are not switched on: they cost every cold start.
    expect(resource.Properties.Environment.Variables.NODE_OPTIONS).toBeUndefined();
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
    // The validated config travels in the bundle (esbuild define), never in the environment.
    expect(bundle.includes('billing-errors')).toBe(true);
    // No SDK client is bundled (CloudWatch's JSON protocol target would be in the bundle).
    expect(bundle.includes('GraniteServiceVersion20100801')).toBe(false);
  });

  it.each(ALL_KEYS)('gives %s the CloudWatch SDK layer exactly when it mutes, watches or unmutes alarms', (key) => {
    const layers = template.toJSON().Resources[fnId(key)].Properties.Layers as unknown[] | undefined;
    // The sign-off watches the alarms once canary traffic has moved; ValidateAndLock reads their windows.
    const usesMuteRules = ['lock', 'alerts', 'bake', 'approval', 'janitor'].includes(key);
    expect(layers ?? []).toEqual(usesMuteRules ? [{ Ref: logicalId(stack.orchestrator.cloudWatchSdk.layer) }] : []);
  });

  it('ships the project’s CloudWatch client, mute rules included, as one file where Lambda’s module path finds it', () => {
    const layer = template.toJSON().Resources[logicalId(stack.orchestrator.cloudWatchSdk.layer)] as {
      Properties: { CompatibleRuntimes: string[]; Content: { S3Key: string } };
    };
    const dir = path.join(
      assemblyDir,
      `asset.${layer.Properties.Content.S3Key.replace(/\.zip$/, '')}`,
      'nodejs/node_modules/@aws-sdk/client-cloudwatch',
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loading the built artefact itself
    const client = require(dir) as Record<string, unknown>;
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string };

    expect(layer.Properties.CompatibleRuntimes).toEqual(['nodejs24.x']);
    expect(pkg.version).toBe(stack.orchestrator.cloudWatchSdk.sdkVersion);
    expect(
      ['PutAlarmMuteRuleCommand', 'ListAlarmMuteRulesCommand', 'DeleteAlarmMuteRuleCommand', 'CloudWatchClient'].map(
        (name) => typeof client[name],
      ),
    ).toEqual(['function', 'function', 'function', 'function']);
  });

  it('gives each function the store actions its code sends, on their partitions only, and audit records write-once', () => {
    const tableArn = { 'Fn::GetAtt': [logicalId(stack.orchestrator.table), 'Arn'] };
    for (const key of [...ALL_KEYS, 'slack' as const]) {
      const onTable = statementsOf(key).filter((s) => JSON.stringify(s.Resource) === JSON.stringify(tableArn));
      const allows = onTable.filter((s) => s.Effect === 'Allow');

      expect(allows.length).toBeGreaterThan(0);
      for (const allow of allows) {
        expect(allow.Condition).toEqual({ 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': expect.any(Array) } });
        expect([allow.Action].flat().filter((a) => /Scan|Batch|PartiQL|\*/.test(a))).toEqual([]);
      }
      // A function that only reads (the audit export) has no write to refuse.
      const writes = allows.some((s) => [s.Action].flat().some((a) => !/GetItem|Query/.test(a)));
      expect(onTable.filter((s) => s.Effect === 'Deny')).toEqual(
        writes
          ? [
              expect.objectContaining({
                Action: expect.arrayContaining(['dynamodb:UpdateItem', 'dynamodb:DeleteItem']),
                Condition: { 'ForAnyValue:StringLike': { 'dynamodb:LeadingKeys': ['AUDIT#*'] } },
              }),
            ]
          : [],
      );
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

  it('routes ABORTED, TIMED_OUT and FAILED executions of this state machine to the janitor', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { stateMachineArn: [stateMachineRef()], status: ['ABORTED', 'TIMED_OUT', 'FAILED'] },
      },
      Targets: [Match.objectLike({ Arn: fnArn('janitor') })],
    });
  });

  it.each([
    ['sweeps scratch restores left behind every 15 minutes', 'scratchSweepRule', 'rate(15 minutes)', { sweep: true }],
    ['reconciles every 5 minutes', 'reconcileRule', 'rate(5 minutes)', { reconcile: true }],
  ] as const)('%s: the janitor with its input, retries and the dead-letter queue', (_what, ruleOf, rate, input) => {
    const rule = logicalId(stack.orchestrator[ruleOf]);
    const dlq = { 'Fn::GetAtt': [logicalId(stack.orchestrator.eventDeadLetterQueue), 'Arn'] };

    expect(template.toJSON().Resources[rule].Properties).toEqual({
      Description: expect.any(String),
      ScheduleExpression: rate,
      State: 'ENABLED',
      Targets: [
        {
          Id: expect.any(String),
          Arn: fnArn('janitor'),
          Input: JSON.stringify(input),
          DeadLetterConfig: { Arn: dlq },
          RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
        },
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: fnArn('janitor'),
      Principal: 'events.amazonaws.com',
      SourceArn: { 'Fn::GetAtt': [rule, 'Arn'] },
    });
  });

  it('lets the janitor describe executions of this state machine only (the reconciler reads their status)', () => {
    const resources = resourcesFor(statementsOf('janitor'), 'states:DescribeExecution');
    const executions = {
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':states:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':execution:',
          { 'Fn::GetAtt': [logicalId(stack.orchestrator.stateMachine), 'Name'] },
          ':*',
        ],
      ],
    };

    expect(resources).toEqual([executions]);
    const statement = statementsOf('janitor').find((s) => [s.Action].flat().includes('states:DescribeExecution'));
    expect(statement?.Action).toBe('states:DescribeExecution');
  });

  it.each(['alarm-handler', 'janitor'] as const)(
    'lets the %s fail (only fail) this state machine’s callback tasks',
    (key) => {
      template.hasResourceProperties('AWS::IAM::Policy', {
        Roles: [{ Ref: roleId(key) }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 'states:SendTaskFailure', Resource: stateMachineRef() }),
          ]),
        },
      });
    },
  );

  it('lets only the front ends resume a callback task: a SendTaskSuccess on a bake token would pass the bake', () => {
    const answering = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) =>
        (p.Properties.PolicyDocument.Statement as { Action: unknown }[]).some((s) =>
          [s.Action].flat().includes('states:SendTaskSuccess'),
        ),
      )
      .map((p) => (p.Properties.Roles as { Ref: string }[])[0].Ref);

    // The Slack app and the control API: votes resume the sign-off (aborts fail the waiting task).
    const expected = [
      logicalId(stack.orchestrator.slack.function.role as IConstruct),
      logicalId(stack.control.function.role as IConstruct),
    ];
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

type Statement = { Effect?: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
/** Every statement of the policies attached to a function's role. */
const statementsOf = (key: GoLiveFunctionKey | 'slack') => {
  const role = key === 'slack' ? logicalId(stack.orchestrator.slack.function.role as IConstruct) : roleId(key);
  return Object.values(template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } })).flatMap(
    (p) => p.Properties.PolicyDocument.Statement as Statement[],
  );
};
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());
const resourcesFor = (statements: Statement[], action: string) =>
  statements.filter((s) => [s.Action].flat().includes(action)).flatMap((s) => [s.Resource].flat());
const alarmArn = (name: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudwatch:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      `:alarm:${name}`,
    ],
  ],
});

describe('GoLiveStack IAM (least privilege)', () => {
  it('grants no wildcard action to any role', () => {
    const actions = Object.values(template.findResources('AWS::IAM::Policy')).flatMap((p) =>
      actionsOf(p.Properties.PolicyDocument.Statement as Statement[]),
    );

    expect(actions.length).toBeGreaterThan(0);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('lets the alerts function mute exactly the configured alarms, and only golive’s own mute rules', () => {
    const statements = statementsOf('alerts');

    // Each alarm for the way its service mutes it (ledger: disable-actions; the others: a mute rule).
    expect(resourcesFor(statements, 'cloudwatch:DisableAlarmActions')).toEqual([alarmArn('ledger-errors')]);
    const ruled = resourcesFor(statements, 'cloudwatch:PutAlarmMuteRule').filter(
      (r) => !JSON.stringify(r).includes('mute-rule'),
    );
    expect(ruled).toHaveLength(FIXTURE_ALARMS.length - 1);
    expect(ruled).toEqual(expect.arrayContaining(FIXTURE_ALARMS.filter((a) => a !== 'ledger-errors').map(alarmArn)));
    // Read-only, and composite alarms can only be described with `*`.
    expect(resourcesFor(statements, 'cloudwatch:DescribeAlarms')).toEqual(['*']);
    expect(JSON.stringify(resourcesFor(statements, 'cloudwatch:DeleteAlarmMuteRule'))).toContain(
      ':alarm-mute-rule:golive-*',
    );
    expect(actionsOf(statementsOf('bake'))).not.toContain('cloudwatch:PutAlarmMuteRule');
  });

  it('lets the traffic function change only the configured listener, rule and aliases', () => {
    const statements = statementsOf('traffic');

    expect(resourcesFor(statements, 'elasticloadbalancing:ModifyListener')).toEqual([
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/billing/abc/def',
    ]);
    expect(resourcesFor(statements, 'elasticloadbalancing:ModifyRule')).toEqual([
      'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shared/abc/def/ghi',
    ]);
    expect(JSON.stringify(resourcesFor(statements, 'lambda:UpdateAlias'))).toMatch(
      /function:orders-api:live.*function:payments-api:live/,
    );
    // Reading weights is all the lock function may do to traffic; only the traffic function and the
    // janitor's rollback change it.
    const changes = ['elasticloadbalancing:ModifyListener', 'elasticloadbalancing:ModifyRule', 'lambda:UpdateAlias'];
    for (const key of [...ALL_KEYS, 'slack' as const].filter((k) => k !== 'traffic' && k !== 'janitor')) {
      expect({ key, changes: actionsOf(statementsOf(key)).filter((a) => changes.includes(a)) }).toEqual({
        key,
        changes: [],
      });
    }
  });

  it('lets the backup function restore only from the configured sources into golive-scratch-* targets', () => {
    const statements = statementsOf('backup');

    expect(JSON.stringify(resourcesFor(statements, 'dynamodb:RestoreTableToPointInTime'))).toContain(':table/orders');
    const deletable = resourcesFor(statements, 'dynamodb:DeleteTable');
    expect(deletable).toHaveLength(1);
    expect(JSON.stringify(deletable)).toContain(':table/golive-scratch-*');
    expect(JSON.stringify(resourcesFor(statements, 'rds:DeleteDBInstance'))).toContain(':db:golive-scratch-*');
    expect(JSON.stringify(resourcesFor(statements, 'rds:DeleteDBCluster'))).toContain(':cluster:golive-scratch-*');
    expect(statements.find((s) => [s.Action].flat().includes('iam:PassRole'))).toMatchObject({
      Resource: 'arn:aws:iam::123456789012:role/backup-restore',
      Condition: { StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' } },
    });
    // Only the backup function restores anything; the rollback and the janitor delete golive-scratch-* targets only.
    for (const key of ALL_KEYS.filter((k) => k !== 'backup')) {
      const others = statementsOf(key);
      expect(actionsOf(others).filter((a) => /^(dynamodb:Restore|rds:Restore|backup:StartRestore)/.test(a))).toEqual(
        [],
      );
      const deletable = ['dynamodb:DeleteTable', 'rds:DeleteDBInstance', 'rds:DeleteDBCluster'].flatMap((a) =>
        resourcesFor(others, a),
      );
      expect(deletable.map((r) => JSON.stringify(r)).filter((r) => !/[:/]golive-scratch-\*/.test(r))).toEqual([]);
      expect(deletable.length > 0).toBe(key === 'traffic' || key === 'janitor');
    }
  });

  it('lets the backup function restore AWS Backup recovery points in the ARN form of the RDS instance they back up', () => {
    const statements = statementsOf('backup');

    for (const action of ['backup:StartRestoreJob', 'backup:GetRecoveryPointRestoreMetadata']) {
      expect(resourcesFor(statements, action)).toEqual(['arn:aws:rds:eu-west-1:123456789012:snapshot:awsbackup:*']);
    }
  });

  it('lets the backup function use the source’s customer-managed KMS key, creating grants for AWS resources only', () => {
    const statements = statementsOf('backup');
    const key = 'arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';

    expect(resourcesFor(statements, 'kms:Decrypt')).toEqual([key]);
    expect(resourcesFor(statements, 'kms:DescribeKey')).toEqual([key]);
    expect(statements.find((s) => [s.Action].flat().includes('kms:CreateGrant'))).toMatchObject({
      Resource: key,
      Condition: { Bool: { 'kms:GrantIsForAWSResource': 'true' } },
    });
    expect(actionsOf(statementsOf('traffic')).filter((a) => a.startsWith('kms:'))).toEqual([]);
  });

  it('lets the readiness function only read the declared resources', () => {
    const statements = statementsOf('readiness');
    const actions = actionsOf(statements);

    expect(resourcesFor(statements, 'cloudwatch:DescribeAlarms')).toEqual(['*']);
    expect(JSON.stringify(resourcesFor(statements, 'dynamodb:DescribeContinuousBackups'))).toContain(':table/orders');
    expect(JSON.stringify(resourcesFor(statements, 'lambda:GetFunctionConfiguration'))).toContain(
      'function:payments-api',
    );
    const writes = actions.filter(
      (a) => !/^(dynamodb|states|secretsmanager|xray)/.test(a) && !/:(Describe|Get|List)/.test(a),
    );
    expect(writes).toEqual([]);
  });

  it('gives every function read access to the Slack secret, and nothing in the environment but its ARN', () => {
    const secretRef = { Ref: logicalId(stack.orchestrator.slackSecret as IConstruct) };
    for (const key of [...ALL_KEYS, 'slack' as const]) {
      expect(resourcesFor(statementsOf(key), 'secretsmanager:GetSecretValue')).toEqual([secretRef]);
    }
  });

  it('points every function that talks to Slack at the configured Web API URL (GovSlack in the fixture)', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    const slackIds = [...ALL_KEYS.map(fnId), logicalId(stack.orchestrator.slack.function)];
    for (const id of slackIds) {
      expect(functions[id].Properties.Environment.Variables.GOLIVE_SLACK_API_URL).toBe('https://slack-gov.com/api/');
    }
  });
});

describe('GoLiveStack Slack ingress', () => {
  it('routes signed POST /slack/events to the Bolt function, throttled, access-logged as JSON and traced', () => {
    const slackFn = logicalId(stack.orchestrator.slack.function);

    template.hasResourceProperties('AWS::ApiGateway::Method', {
      HttpMethod: 'POST',
      AuthorizationType: 'NONE',
      RequestParameters: {
        'method.request.header.X-Slack-Signature': true,
        'method.request.header.X-Slack-Request-Timestamp': true,
      },
      RequestValidatorId: { Ref: Match.anyValue() },
      Integration: Match.objectLike({
        Type: 'AWS_PROXY',
        Uri: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith([{ 'Fn::GetAtt': [slackFn, 'Arn'] }])]) }),
      }),
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      TracingEnabled: true,
      AccessLogSetting: {
        DestinationArn: { 'Fn::GetAtt': [logicalId(stack.orchestrator.slack.accessLogs), 'Arn'] },
        Format: Match.stringLikeRegexp('requestId'),
      },
      MethodSettings: [
        Match.objectLike({ ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20, DataTraceEnabled: false }),
      ],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          GOLIVE_SLACK_SECRET_ARN: { Ref: logicalId(stack.orchestrator.slackSecret as IConstruct) },
          STATE_MACHINE_ARN: stateMachineRef(),
        }),
      },
      Timeout: 30,
    });
    template.hasOutput('*', {
      Value: Match.objectLike({ 'Fn::Join': Match.arrayWith([Match.arrayWith(['/slack/events'])]) }),
    });
  });

  it('lets the Slack function start, read and answer this state machine’s executions only', () => {
    const statements = statementsOf('slack');

    expect(resourcesFor(statements, 'states:StartExecution')).toEqual([stateMachineRef()]);
    expect(resourcesFor(statements, 'states:SendTaskSuccess')).toEqual([stateMachineRef()]);
    expect(JSON.stringify(resourcesFor(statements, 'states:DescribeExecution'))).toContain(
      `":execution:",{"Fn::GetAtt":["${logicalId(stack.orchestrator.stateMachine)}","Name"]},":*"`,
    );
  });
});

describe('GoLiveStack failure handling and cdk-nag', () => {
  it('parks events the alarm handler and the janitor could not process in an encrypted dead-letter queue', () => {
    const dlq = { 'Fn::GetAtt': [logicalId(stack.orchestrator.eventDeadLetterQueue), 'Arn'] };

    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
    for (const key of ['alarm-handler', 'janitor'] as const) {
      template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          Match.objectLike({
            Arn: fnArn(key),
            DeadLetterConfig: { Arn: dlq },
            RetryPolicy: { MaximumRetryAttempts: 4, MaximumEventAgeInSeconds: 7200 },
          }),
        ],
      });
      template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: fnId(key) },
        MaximumRetryAttempts: 2,
        DestinationConfig: { OnFailure: { Destination: dlq } },
      });
    }
  });

  it('parks audit exports that could not be delivered or failed after retries in the same dead-letter queue', () => {
    const dlq = { 'Fn::GetAtt': [logicalId(stack.orchestrator.eventDeadLetterQueue), 'Arn'] };
    const exportRule = AuditArchive.of(stack.orchestrator)!.exportRule;

    expect(template.toJSON().Resources[logicalId(exportRule)].Properties.Targets).toEqual([
      expect.objectContaining({
        Arn: fnArn('audit-export'),
        DeadLetterConfig: { Arn: dlq },
        RetryPolicy: { MaximumRetryAttempts: 8, MaximumEventAgeInSeconds: 21600 },
      }),
    ]);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fnId('audit-export') },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: dlq } },
    });
  });

  it('synthesises with zero unacknowledged AwsSolutions findings, every acknowledgement with a written reason', () => {
    const acknowledgements = Object.values(
      template.toJSON().Resources as Record<
        string,
        { Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } } }
      >,
    ).flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? []);

    // beforeAll's app.synth() would have thrown on any unacknowledged finding.
    expect(acknowledgements.length).toBeGreaterThan(0);
    expect(acknowledgements.filter((a) => a.reason.trim().length < 40)).toEqual([]);
  });
});
