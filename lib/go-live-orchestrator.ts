import { parseConfig } from '../lambdas/core/config';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { Annotations, Duration, Names, RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import {
  EVENT_FUNCTIONS,
  EVENT_ROUTES,
  FUNCTIONS,
  workflowSubstitutions,
  type EventFunctionKey,
  type EventRoute,
  type FunctionKey,
} from '../lambdas/catalog';
import { TASK_NAMES, TASKS } from '../lambdas/core/workflow/definition';
import type { GoLiveConfig } from '../lambdas/core/config';
import { AuditArchive, executionsArn } from './audit-archive';
import { CloudWatchSdkLayer } from './cloudwatch-sdk-layer';
import { GoLiveFunction, type GoLiveFunctionProps } from './golive-function';
import { ruleEventPattern } from './event-routes';
import { acknowledgeFunctionFindings, acknowledgeWildcards } from './nag';
import { ProviderGrants, type ProviderAccess } from './provider-grants';
import { SelfMonitoring } from './self-monitoring';
import { SlackIngress, type SlackApiThrottling } from './slack-ingress';
import {
  ALL_STORE_OPERATIONS,
  FUNCTION_STORE_OPERATIONS,
  STORE_OPERATIONS,
  storeStatements,
  type StoreOperation,
} from './store-access';

/** The workflow shared by AWS and the local engine. */
export const WORKFLOW_DEFINITION_FILE = path.join(__dirname, '..', 'state-machines', 'go-live.asl.json');

/** Environment variable carrying the store's table name (set by `bindStore`). */
export const STORE_TABLE_ENV = 'GOLIVE_TABLE';
/** Environment variable carrying the Slack secret's ARN (never the secret itself). */
export const SLACK_SECRET_ENV = 'GOLIVE_SLACK_SECRET_ARN';

/** What each function's AWS providers touch (lib/provider-grants.ts), on top of the store and the Slack secret. */
const PROVIDER_ACCESS: Partial<Record<string, ProviderAccess[]>> = {
  // ValidateAndLock reads the watched alarms: a bake shorter than their evaluation window is refused.
  lock: ['traffic-read', 'alerts-read'],
  readiness: ['readiness'],
  alerts: ['alerts-write'],
  backup: ['backup'],
  // The rollback (traffic) and the janitor delete the scratch target of a restore left behind.
  // Promote judges the canary during the sign-off wait (metrics) before it promotes.
  traffic: ['traffic-write', 'backup-cleanup', 'metrics-read'],
  // AnalyzeCanary reads both slots' metrics after each bake.
  bake: ['alerts-read', 'metrics-read'],
  // Once canary traffic has moved, the sign-off watches the alarms too (and reads them at its start).
  // ...and tells the approvers the traffic split right now.
  approval: ['alerts-read', 'traffic-read'],
  janitor: ['traffic-write', 'alerts-write', 'backup-cleanup'],
};

export type { EventFunctionKey };
export type GoLiveFunctionKey = FunctionKey | EventFunctionKey;

const ALL_FUNCTION_KEYS = [...Object.keys(FUNCTIONS), ...Object.keys(EVENT_FUNCTIONS)] as GoLiveFunctionKey[];

/**
 * The functions that call the service's own URLs (`services.<name>.endpoints`): readiness (health
 * of blue and green, runbook and DR links on the live endpoint) and smoke-test. Only these run in
 * the `vpc` when one is given; every other function talks to AWS APIs and Slack only.
 */
export const SERVICE_REACHING_FUNCTIONS: readonly GoLiveFunctionKey[] = ['readiness', 'smoke-test'];

/** Defaults sized to the Task TimeoutSeconds in the ASL; restoring a backup takes longest. */
// Smoke tests run several HTTP checks with retries and latency budgets: they get the 5 min their Task allows.
const DEFAULT_TIMEOUTS: Partial<Record<GoLiveFunctionKey, Duration>> = {
  backup: Duration.minutes(5),
  'smoke-test': Duration.minutes(5),
};
const DEFAULT_TIMEOUT = Duration.seconds(30);
const LAMBDA_MAX_TIMEOUT_SECONDS = 900;

export interface GoLiveOrchestratorProps {
  /**
   * The validated golive.config.yaml (`loadConfig`): bundled into every function, and the source
   * of every IAM resource the providers are granted (alarms, listeners, aliases, tables, databases).
   */
  readonly config: GoLiveConfig;
  /**
   * CloudWatch alarms watched during bakes: their state changes reach the alarm handler, which
   * fails the bakes watching them.
   * @default every `services.*.alerts.alarms` entry of `config`
   */
  readonly alarmNames?: readonly string[];
  /**
   * The Slack app's credentials: a secret holding JSON `{"botToken": "xoxb-…", "signingSecret": "…"}`.
   * @default - a new secret (`golive/slack-…`) with placeholder values to replace after the first deploy
   */
  readonly slackSecret?: secretsmanager.ISecret;
  /**
   * Throttling of the Slack endpoint (the only public ingress).
   * @default { rateLimit: 10, burstLimit: 20 } requests per second
   */
  readonly apiThrottling?: SlackApiThrottling;
  /**
   * Create the account's API Gateway CloudWatch Logs role (one per account and region, needed for
   * the Slack endpoint's execution logs). Set false when the account already has one that this
   * stack must not replace.
   * @default true
   */
  readonly apiGatewayCloudWatchRole?: boolean;
  /**
   * Per-function timeout overrides, keyed like lambdas/catalog.ts. A workflow function's timeout
   * may not exceed the TimeoutSeconds of any Task state invoking it.
   * @default 30 seconds; `backup` 5 minutes
   */
  readonly functionTimeouts?: Partial<Record<GoLiveFunctionKey, Duration>>;
  /**
   * Retention of the functions' and the state machine's logs.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * What happens to the store (locks, approvals, audit trail) when the stack is deleted.
   * @default RemovalPolicy.RETAIN - the audit trail outlives the stack
   */
  readonly storeRemovalPolicy?: RemovalPolicy;
  /**
   * Subscribed to `alarmTopic`, where golive's alarms on its own failures publish
   * (e.g. `new subscriptions.EmailSubscription('ops@example.com')`).
   * @default - none: subscribe to the topic after deploying
   */
  readonly alarmSubscriptions?: readonly sns.ITopicSubscription[];
  /**
   * The VPC the service's endpoints are reachable from: give it when they are internal (an
   * internal load balancer, a private API). The functions that call those URLs
   * (`SERVICE_REACHING_FUNCTIONS`: readiness and smoke-test) then run in it; no other function does.
   * They still call AWS APIs and Slack, so their subnets need a NAT gateway, or VPC endpoints for
   * every AWS API they call plus a way to Slack (README, "Deploying to AWS").
   * @default - no VPC: every function runs outside any VPC and reaches public URLs only
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The subnets of `vpc` those functions are placed in.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The security groups of those functions: allow them into the service's load balancer.
   * @default - one golive creates for both (`vpcConnections`), all outbound traffic allowed
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
}

/**
 * golive on AWS: the go-live state machine (the shared ASL file), one Lambda function per
 * workflow step and per event, the DynamoDB store, and the EventBridge rules that turn alarm
 * state changes into failed bakes and clean up after aborted or timed-out executions.
 */
export class GoLiveOrchestrator extends Construct {
  public readonly stateMachine: sfn.StateMachine;
  /** Every function, keyed like lambdas/catalog.ts (workflow and event functions). */
  public readonly functions: Readonly<Record<GoLiveFunctionKey, GoLiveFunction>>;
  /** The store: locks, callbacks, approvals, votes and the audit trail (`pk` / `sk`, TTL `expiresAt`). */
  public readonly table: dynamodb.Table;
  /** CloudWatch Alarm State Change of the watched alarms → alarm handler. */
  public readonly alarmRule: events.Rule;
  /** Executions of this state machine ending ABORTED, TIMED_OUT or FAILED → janitor. */
  public readonly executionEndedRule: events.Rule;
  /**
   * Every 15 minutes → janitor with `{"sweep": true}`: retries deleting the backup check's scratch
   * targets that go-lives left behind (AWS refused the deletion while a restore was still running)
   * until they are gone, telling the release channel when one is deleted or left for over a day.
   */
  public readonly scratchSweepRule: events.Rule;
  /**
   * Every 5 minutes → janitor with `{"reconcile": true}`: rolls back the ended executions still
   * holding their lock, whose status change event never reached the janitor (best-effort delivery).
   */
  public readonly reconcileRule: events.Rule;
  /** The Slack credentials every function reads at run time. */
  public readonly slackSecret: secretsmanager.ISecret;
  /** The Slack endpoint: API Gateway → the Bolt app (lambdas/slack). */
  public readonly slack: SlackIngress;
  /**
   * Events the alarm handler, the janitor or the audit export could not process after retries
   * (EventBridge and Lambda failures).
   */
  public readonly eventDeadLetterQueue: sqs.Queue;
  /** The CloudWatch client with alarm mute rules, for the functions that mute, watch or unmute alarms. */
  public readonly cloudWatchSdk: CloudWatchSdkLayer;
  /**
   * Where golive's alarms on its own failures publish (lib/self-monitoring.ts): failed, timed-out
   * and aborted executions, dead-lettered events, function errors and throttles, failed rollbacks.
   */
  public readonly alarmTopic: sns.Topic;
  /** Those alarms and their topic. */
  public readonly monitoring: SelfMonitoring;
  /**
   * With `vpc`: the security groups of the functions in it, to let them into the service's load
   * balancer (`alb.connections.allowFrom(golive.vpcConnections, ec2.Port.tcp(443))`).
   */
  public readonly vpcConnections?: ec2.Connections;
  /** The security group golive created for those functions (`vpc` given without `securityGroups`). */
  public readonly serviceReachSecurityGroup?: ec2.SecurityGroup;

  constructor(scope: Construct, id: string, props: GoLiveOrchestratorProps) {
    super(scope, id);
    const definition = readFileSync(WORKFLOW_DEFINITION_FILE, 'utf8');
    const { timeouts, alarmNames } = validateProps(props);
    warnUnusedFunctions(this);
    warnLocalOnlyServices(this, props.config);
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const grants = new ProviderGrants(this, props.config);
    this.slackSecret = props.slackSecret ?? createSlackSecret(this);

    this.table = new dynamodb.Table(this, 'Store', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      sortKey: { name: 'sk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: 'expiresAt',
      removalPolicy: props.storeRemovalPolicy ?? RemovalPolicy.RETAIN,
    });

    // Mute rules are newer than the SDK some Lambda runtimes ship: one layer for the functions using them.
    this.cloudWatchSdk = new CloudWatchSdkLayer(this, 'CloudWatchSdk');
    // The functions that call the service's URLs run in its VPC when one is given; the rest stay out.
    let network: Pick<GoLiveFunctionProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> | undefined;
    if (props.vpc) {
      if (!props.securityGroups) {
        this.serviceReachSecurityGroup = new ec2.SecurityGroup(this, 'ServiceReachSecurityGroup', {
          vpc: props.vpc,
          description: 'golive readiness and smoke-test functions: allow this group into the service endpoints',
          allowAllOutbound: true,
        });
      }
      const securityGroups = props.securityGroups ?? [this.serviceReachSecurityGroup!];
      network = { vpc: props.vpc, securityGroups, ...(props.vpcSubnets ? { vpcSubnets: props.vpcSubnets } : {}) };
      this.vpcConnections = new ec2.Connections({ securityGroups: [...securityGroups] });
    }
    const catalog: Record<GoLiveFunctionKey, { description: string }> = { ...FUNCTIONS, ...EVENT_FUNCTIONS };
    const functions = {} as Record<GoLiveFunctionKey, GoLiveFunction>;
    for (const key of ALL_FUNCTION_KEYS) {
      const access = PROVIDER_ACCESS[key] ?? [];
      const inVpc = network !== undefined && SERVICE_REACHING_FUNCTIONS.includes(key);
      functions[key] = new GoLiveFunction(this, pascalCase(key), {
        name: key,
        description: catalog[key].description,
        timeout: timeouts[key],
        logRetention,
        config: props.config,
        ...(access.some((a) => a.startsWith('alerts')) ? { layers: [this.cloudWatchSdk.layer] } : {}),
        ...(inVpc ? network : {}),
      });
      if (inVpc) acknowledgeVpcAccess(functions[key]);
      // Every function appends to the audit trail; each gets the store operations its code calls.
      this.bindStore(functions[key], FUNCTION_STORE_OPERATIONS[key] ?? ALL_STORE_OPERATIONS);
      // Every step reports progress to the Slack status card.
      this.bindSlackSecret(functions[key]);
      acknowledgeWildcards(functions[key], grants.grant(functions[key], ...access));
      acknowledgeFunctionFindings(functions[key]);
    }
    this.functions = functions;

    const stateMachineLogs = new logs.LogGroup(this, 'StateMachineLogs', {
      // The vended-logs prefix keeps CloudWatch Logs' resource policy from growing per log group.
      logGroupName: `/aws/vendedlogs/states/golive-${Names.uniqueResourceName(this, { maxLength: 64 })}`,
      retention: logRetention,
      // Named, so it goes with the stack: a retained one would make the next deploy after
      // `cdk destroy` fail ("already exists"). Execution data is not logged; the audit trail is the record.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, 'StateMachine', {
      // Inline (not fromFile) so the definition is in the template, visible to template tests.
      definitionBody: sfn.DefinitionBody.fromString(definition),
      definitionSubstitutions: workflowSubstitutions((key) => functions[key].functionArn),
      stateMachineType: sfn.StateMachineType.STANDARD,
      // Every event, but not its data: TaskScheduled parameters carry the sign-off's task token,
      // and whoever reads the log group must not be able to resume the sign-off with it.
      logs: { destination: stateMachineLogs, level: sfn.LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    // CDK cannot infer IAM from a definition file: each Task's function is granted explicitly,
    // unqualified ARNs only (the workflow invokes no version or alias).
    this.stateMachine.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: (Object.keys(FUNCTIONS) as FunctionKey[]).map((key) => functions[key].functionArn),
      }),
    );
    Validations.of(this.stateMachine).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Step Functions log delivery (logs:CreateLogDelivery and friends) and X-Ray tracing have no resource-level permissions; CDK grants them as AWS documents.',
    });

    this.eventDeadLetterQueue = createDeadLetterQueue(this);
    // The routes of lambdas/catalog.ts, which the local runtime's event bus follows too.
    const deployment = { alarmNames, stateMachineArn: this.stateMachine.stateMachineArn };
    const { alarmStateChange, executionEnded, scratchSweep, reconcile } = EVENT_ROUTES;
    this.alarmRule = new events.Rule(this, 'AlarmStateChange', {
      description: `golive: ${alarmStateChange.description}`,
      eventPattern: ruleEventPattern(alarmStateChange, deployment),
      targets: [new targets.LambdaFunction(functions[alarmStateChange.target], this.eventTargetOptions())],
    });
    this.executionEndedRule = new events.Rule(this, 'ExecutionEnded', {
      description: `golive: ${executionEnded.description}`,
      eventPattern: ruleEventPattern(executionEnded, deployment),
      targets: [new targets.LambdaFunction(functions[executionEnded.target], this.eventTargetOptions())],
    });
    this.scratchSweepRule = this.scheduleRule('ScratchSweep', scratchSweep);
    this.reconcileRule = this.scheduleRule('Reconcile', reconcile);
    // The reconciler reads the status of this state machine's executions, nothing else.
    const describeExecutions = new iam.PolicyStatement({
      actions: ['states:DescribeExecution'],
      resources: [executionsArn(this, this.stateMachine)],
    });
    functions[reconcile.target].addToRolePolicy(describeExecutions);
    acknowledgeWildcards(functions[reconcile.target], [describeExecutions]);
    for (const fn of [functions['alarm-handler'], functions.janitor]) {
      // EventBridge invokes asynchronously: a function error is retried twice by Lambda, then parked here.
      fn.configureAsyncInvoke({
        retryAttempts: 2,
        onFailure: new destinations.SqsDestination(this.eventDeadLetterQueue),
      });
    }
    // The alarm handler fails waiting bakes (SendTaskFailure); the janitor may close the callback
    // tasks an aborted or timed-out execution left behind.
    // SendTaskFailure only: a SendTaskSuccess on a bake's token would end the bake early as passed.
    for (const fn of [functions['alarm-handler'], functions.janitor]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['states:SendTaskFailure'],
          resources: [this.stateMachine.stateMachineArn],
        }),
      );
    }

    this.slack = new SlackIngress(this, 'Slack', {
      stateMachine: this.stateMachine,
      slackSecret: this.slackSecret,
      logRetention,
      config: props.config,
      ...(props.apiThrottling ? { throttling: props.apiThrottling } : {}),
      ...(props.apiGatewayCloudWatchRole === undefined ? {} : { cloudWatchRole: props.apiGatewayCloudWatchRole }),
    });
    this.bindStore(this.slack.function, FUNCTION_STORE_OPERATIONS.slack);
    this.bindSlackSecret(this.slack.function);

    // Audit trail: every ended execution archived write-once for auditors (AuditArchive.of(this) finds it).
    new AuditArchive(this, 'AuditArchive', {
      stateMachine: this.stateMachine,
      exportFunction: functions['audit-export'],
      table: this.table,
      deadLetterQueue: this.eventDeadLetterQueue,
    });

    // What golive creates, it watches: every function (the Slack one too) and dead-letter queue.
    this.monitoring = new SelfMonitoring(this, 'Monitoring', {
      stateMachine: this.stateMachine,
      functions: { ...functions, slack: this.slack.function },
      deadLetterQueues: { EventDeadLetterQueue: this.eventDeadLetterQueue },
      ...(props.alarmSubscriptions ? { subscriptions: props.alarmSubscriptions } : {}),
    });
    this.alarmTopic = this.monitoring.topic;
  }

  /** Gives a function the Slack secret: sets `GOLIVE_SLACK_SECRET_ARN` (the ARN only) and grants read. */
  public bindSlackSecret(fn: lambda.Function): void {
    fn.addEnvironment(SLACK_SECRET_ENV, this.slackSecret.secretArn);
    this.slackSecret.grantRead(fn);
  }

  /** A scheduled route of lambdas/catalog.ts: its target gets the route's fixed input. */
  private scheduleRule(id: string, route: Extract<EventRoute, { every: unknown }>): events.Rule {
    return new events.Rule(this, id, {
      description: `golive: ${route.description}`,
      schedule: events.Schedule.rate(Duration.minutes(route.every.minutes)),
      targets: [
        new targets.LambdaFunction(this.functions[route.target], {
          ...this.eventTargetOptions(),
          event: events.RuleTargetInput.fromObject(route.input),
        }),
      ],
    });
  }

  /** Dead-letter queue and retries for EventBridge deliveries. */
  private eventTargetOptions(): targets.LambdaFunctionProps {
    return { deadLetterQueue: this.eventDeadLetterQueue, retryAttempts: 4, maxEventAge: Duration.hours(2) };
  }

  /**
   * Gives a function the store: sets `GOLIVE_TABLE` and grants, in one call, the item actions of the
   * Store methods it calls on the partitions they touch (lib/store-access.ts). `read` is every read
   * method; `read-write` every method. Audit records stay write-once whatever is granted.
   */
  public bindStore(
    fn: lambda.Function,
    access: 'read' | 'read-write' | readonly StoreOperation[] = 'read-write',
  ): void {
    fn.addEnvironment(STORE_TABLE_ENV, this.table.tableName);
    const operations =
      access === 'read'
        ? ALL_STORE_OPERATIONS.filter((op) =>
            STORE_OPERATIONS[op].every(([action]) => action === 'GetItem' || action === 'Query'),
          )
        : access === 'read-write'
          ? ALL_STORE_OPERATIONS
          : access;
    const statements = storeStatements(this.table.tableArn, operations);
    // A reader needs no Deny: it has no write to refuse.
    const writes = operations.some((op) =>
      STORE_OPERATIONS[op].some(([action]) => action !== 'GetItem' && action !== 'Query'),
    );
    for (const statement of writes ? statements : statements.filter((s) => s.effect === iam.Effect.ALLOW)) {
      fn.addToRolePolicy(statement);
    }
  }
}

/** `smoke-test` → `SmokeTest`: readable construct ids. */
function pascalCase(key: string): string {
  return key.replace(/(^|-)([a-z])/g, (_match, _dash, letter: string) => letter.toUpperCase());
}

/** Throws, naming the prop, before any resource is created; returns the resolved timeouts. */
function validateProps(props: GoLiveOrchestratorProps): {
  timeouts: Record<GoLiveFunctionKey, Duration>;
  alarmNames: string[];
} {
  const problems: string[] = [];
  if (!props.config || typeof props.config !== 'object' || !props.config.services) {
    throw new Error('GoLiveOrchestrator: invalid props:\n  - config: pass the validated golive config (loadConfig)');
  }
  // The functions trust the config they carry (no validator in their bundles): it is validated here.
  parseConfig(props.config, 'GoLiveOrchestrator props.config');
  const alarmNames = [
    ...new Set(props.alarmNames ?? Object.values(props.config.services).flatMap((s) => s.alerts.alarms)),
  ];
  if (alarmNames.length === 0) {
    problems.push('alarmNames: list at least one alarm, otherwise no alarm can stop a bake');
  } else {
    alarmNames.forEach((name, i) => {
      if (typeof name !== 'string' || name.length === 0 || name.length > 255) {
        problems.push(`alarmNames[${i}]: ${JSON.stringify(name)} is not a CloudWatch alarm name (1-255 characters)`);
      }
    });
  }

  if (!props.vpc) {
    if (props.vpcSubnets) problems.push('vpcSubnets: given without vpc: pass the VPC these subnets belong to');
    if (props.securityGroups) problems.push('securityGroups: given without vpc: pass the VPC these groups belong to');
  } else if (props.securityGroups && props.securityGroups.length === 0) {
    problems.push('securityGroups: empty: list at least one, or leave it out and golive creates one');
  }

  const overrides = props.functionTimeouts ?? {};
  for (const key of Object.keys(overrides)) {
    if (!(ALL_FUNCTION_KEYS as string[]).includes(key)) {
      problems.push(`functionTimeouts.${key}: unknown function; known: ${ALL_FUNCTION_KEYS.join(', ')}`);
    }
  }
  const timeouts = Object.fromEntries(
    ALL_FUNCTION_KEYS.map((key) => [key, overrides[key] ?? DEFAULT_TIMEOUTS[key] ?? DEFAULT_TIMEOUT]),
  ) as Record<GoLiveFunctionKey, Duration>;

  for (const key of ALL_FUNCTION_KEYS) {
    const seconds = timeouts[key].toSeconds();
    if (seconds < 1 || seconds > LAMBDA_MAX_TIMEOUT_SECONDS) {
      problems.push(`functionTimeouts.${key}: ${seconds} s is outside Lambda's 1-${LAMBDA_MAX_TIMEOUT_SECONDS} s`);
      continue;
    }
    // A function outliving its Task would keep changing traffic or alerts while the rollback runs;
    // a callback function outliving the invocation time the budget allows it breaks the mute window.
    for (const name of TASK_NAMES) {
      const task = TASKS[name];
      if (task.fn !== key) continue;
      const limit = 'seconds' in task.timeout ? task.timeout.seconds : task.timeout.invokeSeconds;
      if (seconds > limit) {
        problems.push(
          'seconds' in task.timeout
            ? `functionTimeouts.${key}: ${seconds} s exceeds TimeoutSeconds ${limit} of Task ${name} that invokes it`
            : `functionTimeouts.${key}: ${seconds} s exceeds the ${limit} s the workflow budgets for invoking callback Task ${name}`,
        );
      }
    }
  }

  if (problems.length > 0) {
    throw new Error(`GoLiveOrchestrator: invalid props:\n  - ${problems.join('\n  - ')}`);
  }
  return { timeouts, alarmNames };
}

/** The one finding a function placed in a VPC adds, acknowledged on that function only. */
function acknowledgeVpcAccess(fn: lambda.Function): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
    reason:
      'Lambda attaches this AWS-managed policy to place the function in the service VPC: it is exactly the network-interface actions (ec2:CreateNetworkInterface, DescribeNetworkInterfaces, DescribeSubnets, DeleteNetworkInterface, Assign/UnassignPrivateIpAddresses) plus log writing; the ec2 actions support no resource scoping that a copy could add.',
  });
}

/** Services on the local router or SQLite backups cannot run on AWS: said at synth, not at the first go-live. */
function warnLocalOnlyServices(scope: Construct, config: GoLiveConfig): void {
  for (const [name, service] of Object.entries(config.services)) {
    const local = [
      ...(service.traffic.kind === 'local-router' ? ['traffic.kind local-router'] : []),
      ...(service.backup.kind === 'sqlite' ? ['backup.kind sqlite'] : []),
    ];
    if (local.length) {
      Annotations.of(scope).addWarningV2(
        'golive:localOnlyService',
        `services.${name} uses ${local.join(' and ')}: its go-lives run on the local runtime only; on AWS use alb / lambda-alias and dynamodb-pitr / rds-snapshot / aws-backup`,
      );
    }
  }
}

/** A secret to fill in after the first deploy (README, "Deploying to AWS"): placeholders, never real values in code. */
function createSlackSecret(scope: Construct): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, 'SlackSecret', {
    description: 'golive Slack app: JSON {"botToken": "xoxb-...", "signingSecret": "..."}; set with put-secret-value',
    generateSecretString: {
      secretStringTemplate: JSON.stringify({ botToken: 'REPLACE_ME' }),
      generateStringKey: 'signingSecret',
      excludePunctuation: true,
    },
  });
  Validations.of(secret).acknowledge({
    id: 'AwsSolutions-SMG4',
    reason:
      'Slack issues the bot token and signing secret; they are rotated in the Slack app settings and written here with put-secret-value, so a rotation Lambda has nothing to rotate.',
  });
  return secret;
}

function createDeadLetterQueue(scope: Construct): sqs.Queue {
  const queue = new sqs.Queue(scope, 'EventDeadLetterQueue', {
    retentionPeriod: Duration.days(14),
    encryption: sqs.QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
  Validations.of(queue).acknowledge({
    id: 'AwsSolutions-SQS3',
    reason:
      'This queue is itself the dead-letter queue of the event rules and functions; nothing consumes it automatically.',
  });
  return queue;
}

/** Warns about catalog functions the workflow never invokes (granted but unused). */
function warnUnusedFunctions(scope: Construct): void {
  for (const [key, entry] of Object.entries(FUNCTIONS)) {
    if (!TASK_NAMES.some((name) => TASKS[name].fn === key)) {
      Annotations.of(scope).addWarningV2(
        'golive:unusedFunction',
        `lambdas/catalog.ts lists ${key} but the workflow never uses \${${entry.substitution}}`,
      );
    }
  }
}
