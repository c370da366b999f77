import { ArnFormat, type CfnElement, CfnOutput, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as destinations from 'aws-cdk-lib/aws-lambda-destinations';
import * as s3 from 'aws-cdk-lib/aws-s3';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct, type IConstruct } from 'constructs';
import { EVENT_ROUTES } from '../lambdas/catalog';
import { ruleEventPattern } from './event-routes';

/** Environment variable carrying the archive bucket's name (read by lambdas/audit-export). */
export const AUDIT_BUCKET_ENV = 'GOLIVE_AUDIT_BUCKET';
/** Where the export writes: `audit/<service>/<yyyy>/<mm>/<execution>.json`. */
export const AUDIT_PREFIX = 'audit/';
/** Context keys that configure the archive of the default stack without code (`cdk deploy -c ...`). */
export const AUDIT_CONTEXT = { mode: 'golive:auditObjectLockMode', days: 'golive:auditRetentionDays' } as const;

export type AuditLockMode = 'GOVERNANCE' | 'COMPLIANCE';

export interface AuditArchiveProps {
  /** The go-live state machine whose ended executions are archived. */
  readonly stateMachine: sfn.StateMachine;
  /** The `audit-export` function (lambdas/audit-export): it gets the bucket and the history read. */
  readonly exportFunction: lambda.Function;
  /**
   * The store holding the audit records; auditors may read it (never write).
   * @default - the auditor policy covers the archive and the execution history only
   */
  readonly table?: dynamodb.ITable;
  /**
   * Object Lock mode of every archived record. GOVERNANCE lets a principal holding
   * `s3:BypassGovernanceRetention` delete records (a trial can be torn down); COMPLIANCE lets
   * nobody, root included, delete or shorten retention until it expires.
   * @default 'GOVERNANCE' (or the `golive:auditObjectLockMode` context value)
   */
  readonly objectLockMode?: AuditLockMode;
  /**
   * How long each record is locked, in whole days.
   * @default Duration.days(365) (or the `golive:auditRetentionDays` context value)
   */
  readonly retention?: Duration;
  /**
   * Who may assume the read-only auditor role.
   * @default - principals of this account that IAM allows to assume it
   */
  readonly auditorPrincipal?: iam.IPrincipal;
  /**
   * Where EventBridge parks export events it could not deliver after its retries, and where Lambda
   * sends the export's invocations that still failed after its two retries (on-failure destination).
   * @default - no dead-letter queue (Lambda's default async retries only)
   */
  readonly deadLetterQueue?: sqs.IQueue;
  /**
   * What happens to the archive buckets when the stack is deleted.
   * @default RemovalPolicy.RETAIN - records outlive the stack; Object Lock protects them anyway
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The auditors' archive: at the end of every execution (the EventBridge status change), the
 * `audit-export` function writes the complete audit record (store + history, chain verdict) as
 * JSON to an S3 bucket with versioning and Object Lock, encrypted, SSL-only, never public.
 * Auditors get a read-only managed policy and a role carrying it, both output by the stack.
 */
export class AuditArchive extends Construct {
  public readonly bucket: s3.Bucket;
  /** Server access logs of the archive bucket (who read or tried to change what). */
  public readonly accessLogsBucket: s3.Bucket;
  /** Execution of the state machine ended (any status) → audit-export. */
  public readonly exportRule: events.Rule;
  /** Read-only: archived records and their lock settings, execution history, the store. */
  public readonly auditorPolicy: iam.ManagedPolicy;
  public readonly auditorRole: iam.Role;
  public readonly objectLockMode: AuditLockMode;
  public readonly retentionDays: number;

  /** The archive a GoLiveOrchestrator (or any scope) created, if any. */
  static of(scope: IConstruct): AuditArchive | undefined {
    return scope.node.findAll().find((c): c is AuditArchive => c instanceof AuditArchive);
  }

  constructor(scope: Construct, id: string, props: AuditArchiveProps) {
    super(scope, id);
    const { mode, days } = resolveLock(this, props);
    this.objectLockMode = mode;
    this.retentionDays = days;
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;

    this.accessLogsBucket = new s3.Bucket(this, 'AccessLogs', {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_PREFERRED,
      versioned: true,
      removalPolicy,
    });
    Validations.of(this.accessLogsBucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason: 'This is the access log bucket of the audit archive; logging it into itself would loop.',
    });

    const retention = Duration.days(days);
    this.bucket = new s3.Bucket(this, 'Bucket', {
      versioned: true,
      objectLockEnabled: true,
      objectLockDefaultRetention:
        mode === 'COMPLIANCE'
          ? s3.ObjectLockRetention.compliance(retention)
          : s3.ObjectLockRetention.governance(retention),
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      serverAccessLogsBucket: this.accessLogsBucket,
      serverAccessLogsPrefix: 'audit-archive/',
      removalPolicy,
    });

    // The writer: new objects (versions) under the prefix, nothing else — no delete, no retention change.
    const fn = props.exportFunction;
    fn.addEnvironment(AUDIT_BUCKET_ENV, this.bucket.bucketName);
    const executions = executionsArn(this, props.stateMachine);
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.bucket.arnForObjects(`${AUDIT_PREFIX}*`)],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: [executions],
      }),
    );
    const nag = nagResources(this.bucket, props.stateMachine);
    for (const resource of [nag.auditObjects, nag.executions]) {
      Validations.of(fn).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          'The export writes one new object per execution under audit/ and reads the history of this state machine’s executions, whose names are not known in advance.',
      });
    }

    const route = EVENT_ROUTES.auditExport;
    this.exportRule = new events.Rule(this, 'ExecutionEnded', {
      description: `golive: ${route.description}`,
      // Only this state machine's executions: the archive never needs the alarm names.
      eventPattern: ruleEventPattern(route, { alarmNames: [], stateMachineArn: props.stateMachine.stateMachineArn }),
      targets: [
        new targets.LambdaFunction(fn, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(6),
          ...(props.deadLetterQueue ? { deadLetterQueue: props.deadLetterQueue } : {}),
        }),
      ],
    });
    if (props.deadLetterQueue) {
      // EventBridge invokes asynchronously: an export that throws is retried twice by Lambda, then
      // parked with the event, so a record that never reached the archive is not lost silently.
      fn.configureAsyncInvoke({ retryAttempts: 2, onFailure: new destinations.SqsDestination(props.deadLetterQueue) });
    }

    this.auditorPolicy = new iam.ManagedPolicy(this, 'AuditorPolicy', {
      description: 'golive auditors: read-only access to archived go-live audit records and execution history',
      statements: [
        new iam.PolicyStatement({
          sid: 'ReadArchivedRecords',
          actions: [
            's3:GetObject',
            's3:GetObjectVersion',
            's3:GetObjectRetention',
            's3:GetObjectLegalHold',
            's3:GetObjectAttributes',
            's3:GetObjectVersionAttributes',
          ],
          resources: [this.bucket.arnForObjects('*')],
        }),
        new iam.PolicyStatement({
          sid: 'ListArchive',
          actions: [
            's3:ListBucket',
            's3:ListBucketVersions',
            's3:GetBucketVersioning',
            's3:GetBucketObjectLockConfiguration',
          ],
          resources: [this.bucket.bucketArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReadExecutionHistory',
          actions: ['states:DescribeStateMachine', 'states:ListExecutions'],
          resources: [props.stateMachine.stateMachineArn],
        }),
        new iam.PolicyStatement({
          sid: 'ReadExecutions',
          actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
          resources: [executions],
        }),
        ...(props.table
          ? [
              new iam.PolicyStatement({
                sid: 'ReadAuditStore',
                actions: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:DescribeTable'],
                resources: [props.table.tableArn],
              }),
            ]
          : []),
      ],
    });
    for (const resource of [nag.allObjects, nag.executions]) {
      Validations.of(this.auditorPolicy).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${resource}]`,
        reason:
          'Auditors read every archived record and every execution of this one state machine; all actions are read-only.',
      });
    }
    this.auditorRole = new iam.Role(this, 'AuditorRole', {
      description: 'golive auditors: read-only access to go-live audit records',
      assumedBy: props.auditorPrincipal ?? new iam.AccountRootPrincipal(),
      managedPolicies: [this.auditorPolicy],
      maxSessionDuration: Duration.hours(4),
    });

    new CfnOutput(this, 'AuditBucketName', {
      value: this.bucket.bucketName,
      description: `Archived audit records (Object Lock ${mode}, ${days} days)`,
    });
    new CfnOutput(this, 'AuditorRoleArn', {
      value: this.auditorRole.roleArn,
      description: 'Assume this role to audit go-lives (read-only)',
    });
    new CfnOutput(this, 'AuditorPolicyArn', {
      value: this.auditorPolicy.managedPolicyArn,
      description: 'Attach to your own auditors group instead of using the role',
    });
  }
}

/** Props win over context; both are checked before anything is created. */
function resolveLock(scope: Construct, props: AuditArchiveProps): { mode: AuditLockMode; days: number } {
  const modeValue = props.objectLockMode ?? scope.node.tryGetContext(AUDIT_CONTEXT.mode) ?? 'GOVERNANCE';
  const mode = String(modeValue).toUpperCase();
  const days = props.retention
    ? props.retention.toDays({ integral: false })
    : Number(scope.node.tryGetContext(AUDIT_CONTEXT.days) ?? 365);
  const problems: string[] = [];
  if (mode !== 'GOVERNANCE' && mode !== 'COMPLIANCE') {
    problems.push(`objectLockMode: "${String(modeValue)}" is not GOVERNANCE or COMPLIANCE`);
  }
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    problems.push(`retention: ${days} days is not a whole number of days between 1 and 36500`);
  }
  if (problems.length) throw new Error(`AuditArchive: invalid props:\n  - ${problems.join('\n  - ')}`);
  return { mode: mode as AuditLockMode, days };
}

/** Every execution of the state machine (execution names are chosen at start). */
export function executionsArn(scope: Construct, stateMachine: sfn.StateMachine): string {
  return Stack.of(scope).formatArn({
    service: 'states',
    resource: 'execution',
    resourceName: `${stateMachine.stateMachineName}:*`,
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
  });
}

/** The wildcard resources as cdk-nag names them in its IAM5 finding ids, to acknowledge exactly those. */
function nagResources(bucket: s3.Bucket, stateMachine: sfn.StateMachine) {
  const id = (c: IConstruct) => Stack.of(c).getLogicalId(c.node.defaultChild as CfnElement);
  return {
    auditObjects: `<${id(bucket)}.Arn>/${AUDIT_PREFIX}*`,
    allObjects: `<${id(bucket)}.Arn>/*`,
    executions: `arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:<${id(stateMachine)}.Name>:*`,
  };
}
