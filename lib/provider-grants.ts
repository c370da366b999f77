import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { GoLiveConfig, ServiceConfig } from '../lambdas/core/config';

/**
 * What the AWS providers of a function may touch, derived from golive.config.yaml so every
 * statement names the configured resources (alarms, listeners, functions, tables, databases).
 * The only wildcards are the scratch targets golive creates itself (`golive-scratch-*`), its own
 * mute rules (`golive-*`), and APIs that have no resource-level permissions; each is acknowledged
 * for cdk-nag where the construct applies the checks.
 */
export type ProviderAccess =
  /** Read weights (DescribeListeners / DescribeRules, GetAlias) and find a candidate's published version. */
  | 'traffic-read'
  /** Change weights: ModifyListener / ModifyRule, UpdateAlias. Only the traffic function and the janitor's rollback. */
  | 'traffic-write'
  /** DescribeAlarms (every alarm: composite alarms need `*`) and ListAlarmMuteRules. Read-only. */
  | 'alerts-read'
  /**
   * The canary analysis (AnalyzeCanary): GetMetricData (no resource-level permissions) and, for
   * Lambda-alias services, GetAlias to learn each slot's published version. Read-only.
   */
  | 'metrics-read'
  /** Mute and unmute: Put/DeleteAlarmMuteRule (golive-* rules), Disable/EnableAlarmActions. */
  | 'alerts-write'
  /**
   * Restore proofs: recovery points (in the ARN form of each resource type), restores into
   * golive-scratch-*, validation, deletion; the source's customer-managed KMS keys (`kmsKeyArns`).
   */
  | 'backup'
  /**
   * Deleting the golive-scratch-* targets of a restore a failed or stopped go-live left behind
   * (rollback, janitor): the delete actions only, and AWS Backup's restore job status.
   */
  | 'backup-cleanup'
  /** Readiness facts (lambdas/providers/aws/readiness.ts): read-only Describe/Get on the declared resources. */
  | 'readiness';

/** Scratch targets are named `golive-scratch-<service>-<hash>` (lambdas/core/steps/backup.ts). */
export const SCRATCH_PREFIX = 'golive-scratch-';
/** Mute rules are named `golive-<service>-<execution>` (lambdas/core/steps/alerts.ts). */
export const MUTE_RULE_PREFIX = 'golive-';

type Traffic = ServiceConfig['traffic'];
type Backup = ServiceConfig['backup'];

export class ProviderGrants {
  private readonly stack: Stack;
  private readonly services: ServiceConfig[];

  constructor(
    scope: Construct,
    private readonly config: GoLiveConfig,
  ) {
    this.stack = Stack.of(scope);
    this.services = Object.values(config.services);
  }

  private arn(service: string, resource: string, resourceName?: string, colon = true): string {
    return this.stack.formatArn({
      service,
      resource,
      ...(resourceName === undefined ? {} : { resourceName }),
      arnFormat: colon ? ArnFormat.COLON_RESOURCE_NAME : ArnFormat.SLASH_RESOURCE_NAME,
    });
  }

  private alarmArnsMutedBy(mode: ServiceConfig['alerts']['muteMode']): string[] {
    const names = [...new Set(this.services.filter((s) => s.alerts.muteMode === mode).flatMap((s) => s.alerts.alarms))];
    return names.map((name) => this.arn('cloudwatch', 'alarm', name));
  }

  private traffic<K extends Traffic['kind']>(kind: K): Extract<Traffic, { kind: K }>[] {
    return this.services.map((s) => s.traffic).filter((t): t is Extract<Traffic, { kind: K }> => t.kind === kind);
  }

  private backups<K extends Backup['kind']>(kind: K): Extract<Backup, { kind: K }>[] {
    return this.services.map((s) => s.backup).filter((b): b is Extract<Backup, { kind: K }> => b.kind === kind);
  }

  /** Adds the statements of each access to the function's role; returns them (for tests and cdk-nag). */
  grant(fn: lambda.IFunction, ...accesses: ProviderAccess[]): iam.PolicyStatement[] {
    const statements = accesses.flatMap((access) => this.statements(access));
    for (const statement of statements) fn.addToRolePolicy(statement);
    return statements;
  }

  statements(access: ProviderAccess): iam.PolicyStatement[] {
    const s = (actions: string[], resources: string[], conditions?: Record<string, unknown>) =>
      resources.length ? [new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) })] : [];
    const albs = this.traffic('alb');
    const aliases = this.traffic('lambda-alias');
    const functionArns = aliases.flatMap((a) => [
      this.arn('lambda', 'function', a.functionName),
      this.arn('lambda', 'function', `${a.functionName}:${a.alias}`),
    ]);
    switch (access) {
      case 'traffic-read':
        return [
          // elasticloadbalancing:Describe* has no resource-level permissions.
          ...(albs.length
            ? s(['elasticloadbalancing:DescribeListeners', 'elasticloadbalancing:DescribeRules'], ['*'])
            : []),
          ...s(['lambda:GetAlias', 'lambda:ListVersionsByFunction'], functionArns),
        ];
      case 'traffic-write':
        return [
          ...this.statements('traffic-read'),
          ...s(['lambda:UpdateAlias'], functionArns),
          ...s(
            ['elasticloadbalancing:ModifyListener'],
            albs.filter((a) => !a.ruleArn).map((a) => a.listenerArn),
          ),
          ...s(
            ['elasticloadbalancing:ModifyRule'],
            albs.flatMap((a) => (a.ruleArn ? [a.ruleArn] : [])),
          ),
        ];
      case 'alerts-read':
        return [
          // Read-only, and AWS documents that DescribeAlarms of a composite alarm needs `*`.
          ...s(['cloudwatch:DescribeAlarms'], ['*']),
          // Mute rules of anyone count ("already muted"), so listing covers every rule.
          ...s(['cloudwatch:ListAlarmMuteRules'], [this.arn('cloudwatch', 'alarm-mute-rule', '*')]),
        ];
      case 'metrics-read':
        return [
          // GetMetricData has no resource-level permissions (Service Authorization Reference): `*`, read-only.
          ...s(['cloudwatch:GetMetricData'], ['*']),
          ...s(['lambda:GetAlias'], functionArns),
        ];
      case 'alerts-write':
        return [
          ...this.statements('alerts-read'),
          ...s(
            ['cloudwatch:PutAlarmMuteRule', 'cloudwatch:DeleteAlarmMuteRule', 'cloudwatch:TagResource'],
            [this.arn('cloudwatch', 'alarm-mute-rule', `${MUTE_RULE_PREFIX}*`)],
          ),
          // Each alarm only for the way its service mutes: a mute rule targeting it, or its actions.
          ...s(['cloudwatch:PutAlarmMuteRule'], this.alarmArnsMutedBy('mute-rule')),
          ...s(
            ['cloudwatch:DisableAlarmActions', 'cloudwatch:EnableAlarmActions'],
            this.alarmArnsMutedBy('disable-actions'),
          ),
        ];
      case 'backup':
        return this.backupStatements();
      case 'backup-cleanup':
        return this.backupCleanupStatements();
      case 'readiness':
        return this.readinessStatements();
    }
  }

  private readinessStatements(): iam.PolicyStatement[] {
    const statements: iam.PolicyStatement[] = [];
    const add = (actions: string[], resources: string[]) => {
      if (resources.length) statements.push(new iam.PolicyStatement({ actions, resources: [...new Set(resources)] }));
    };
    const entries = Object.entries(this.config.services);
    const res = entries.map(([name, svc]) => ({ name, svc, r: svc.readiness.resources }));
    // Read-only; by name prefix, and composite alarms need `*` (as AWS documents for DescribeAlarms).
    add(['cloudwatch:DescribeAlarms'], ['*']);
    add(
      ['logs:DescribeMetricFilters'],
      res.flatMap(({ r }) => r.logGroups.map((g) => this.arn('logs', 'log-group', `${g}:*`))),
    );
    const tables = res.flatMap(({ svc, r }) => [
      ...r.dynamodbTables,
      ...(svc.backup.kind === 'dynamodb-pitr' ? [svc.backup.tableName] : []),
    ]);
    add(
      ['dynamodb:DescribeTable', 'dynamodb:DescribeContinuousBackups'],
      tables.map((t) => this.arn('dynamodb', 'table', t, false)),
    );
    const dbs = res.flatMap(({ svc, r }) => [
      ...r.rdsInstances,
      ...(svc.backup.kind === 'rds-snapshot' && svc.backup.dbInstanceIdentifier
        ? [svc.backup.dbInstanceIdentifier]
        : []),
    ]);
    const clusters = res.flatMap(({ svc, r }) => [
      ...r.rdsClusters,
      ...(svc.backup.kind === 'rds-snapshot' && svc.backup.dbClusterIdentifier ? [svc.backup.dbClusterIdentifier] : []),
    ]);
    add(
      ['rds:DescribeDBInstances', 'rds:DescribeDBSnapshots'],
      dbs.length ? [...dbs.map((d) => this.arn('rds', 'db', d)), this.arn('rds', 'snapshot', '*')] : [],
    );
    add(
      ['rds:DescribeDBClusters', 'rds:DescribeDBClusterSnapshots'],
      clusters.length
        ? [...clusters.map((c) => this.arn('rds', 'cluster', c)), this.arn('rds', 'cluster-snapshot', '*')]
        : [],
    );
    if (entries.some(([, svc]) => svc.backup.kind === 'aws-backup')) {
      add(['backup:ListRecoveryPointsByResource'], ['*']);
    }
    const functions = res.flatMap(({ svc, r }) => [
      ...r.lambdaFunctions,
      ...(svc.traffic.kind === 'lambda-alias' ? [svc.traffic.functionName] : []),
    ]);
    add(
      ['lambda:GetFunctionConfiguration', 'lambda:GetFunctionConcurrency', 'lambda:ListVersionsByFunction'],
      functions.map((f) => this.arn('lambda', 'function', f)),
    );
    // ECS task definitions have no resource-level permission for DescribeTaskDefinition.
    if (res.some(({ r }) => r.ecsTaskDefinitions.length)) add(['ecs:DescribeTaskDefinition'], ['*']);
    add(
      ['ecr:DescribeImages'],
      res.flatMap(({ r }) => (r.ecrRepository ? [this.arn('ecr', 'repository', r.ecrRepository, false)] : [])),
    );
    add(
      ['secretsmanager:DescribeSecret'],
      res.flatMap(({ r }) =>
        r.secrets.map((id) => (id.startsWith('arn:') ? id : this.arn('secretsmanager', 'secret', `${id}-??????`))),
      ),
    );
    return statements;
  }

  /** What deleting an abandoned restore's scratch targets needs (providers/aws/backup.ts cleanUp), nothing more. */
  private backupCleanupStatements(): iam.PolicyStatement[] {
    const viaBackup = this.backups('aws-backup');
    const rds = this.backups('rds-snapshot');
    const tables = this.backups('dynamodb-pitr').length || viaBackup.some((b) => /:dynamodb:/.test(b.resourceArn));
    const instances = rds.length || viaBackup.some((b) => /:rds:/.test(b.resourceArn));
    const clusters = rds.some((b) => b.dbClusterIdentifier);
    const s = (actions: string[], resources: string[]) => new iam.PolicyStatement({ actions, resources });
    return [
      ...(tables ? [s(['dynamodb:DeleteTable'], [this.arn('dynamodb', 'table', `${SCRATCH_PREFIX}*`, false)])] : []),
      ...(instances ? [s(['rds:DeleteDBInstance'], [this.arn('rds', 'db', `${SCRATCH_PREFIX}*`)])] : []),
      ...(clusters ? [s(['rds:DeleteDBCluster'], [this.arn('rds', 'cluster', `${SCRATCH_PREFIX}*`)])] : []),
      // A restore job still running is reported, not deleted; the job API has no resource-level permissions.
      ...(viaBackup.length ? [s(['backup:DescribeRestoreJob'], ['*'])] : []),
    ];
  }

  private backupStatements(): iam.PolicyStatement[] {
    const statements: iam.PolicyStatement[] = [];
    const add = (actions: string[], resources: string[], conditions?: Record<string, unknown>) => {
      if (resources.length)
        statements.push(new iam.PolicyStatement({ actions, resources, ...(conditions ? { conditions } : {}) }));
    };
    const scratchTable = this.arn('dynamodb', 'table', `${SCRATCH_PREFIX}*`, false);
    const scratchDb = this.arn('rds', 'db', `${SCRATCH_PREFIX}*`);
    const scratchCluster = this.arn('rds', 'cluster', `${SCRATCH_PREFIX}*`);

    const pitr = this.backups('dynamodb-pitr').map((b) => this.arn('dynamodb', 'table', b.tableName, false));
    const viaBackup = this.backups('aws-backup');
    const backupTables = viaBackup.filter((b) => /:dynamodb:/.test(b.resourceArn)).map((b) => b.resourceArn);
    const backupDbs = viaBackup.filter((b) => /:rds:/.test(b.resourceArn));
    add(['dynamodb:DescribeContinuousBackups', 'dynamodb:RestoreTableToPointInTime'], pitr);
    add(['dynamodb:DescribeTable'], [...pitr, ...backupTables]);
    if (pitr.length || backupTables.length) {
      // A restore writes the scratch table as the caller; validation counts and samples it; then it is deleted.
      add(
        [
          'dynamodb:DescribeTable',
          'dynamodb:Scan',
          'dynamodb:DeleteTable',
          'dynamodb:PutItem',
          'dynamodb:UpdateItem',
          'dynamodb:DeleteItem',
          'dynamodb:GetItem',
          'dynamodb:Query',
          'dynamodb:BatchWriteItem',
        ],
        [scratchTable],
      );
    }

    const rds = this.backups('rds-snapshot');
    const instances = rds.flatMap((b) =>
      b.dbInstanceIdentifier && !b.dbClusterIdentifier ? [b.dbInstanceIdentifier] : [],
    );
    const clusters = rds.flatMap((b) => (b.dbClusterIdentifier ? [b.dbClusterIdentifier] : []));
    if (instances.length || clusters.length || backupDbs.length) {
      add(
        ['rds:DescribeDBSnapshots', 'rds:DescribeDBInstances'],
        [...instances.map((i) => this.arn('rds', 'db', i)), this.arn('rds', 'snapshot', '*'), scratchDb],
      );
      add(
        ['rds:RestoreDBInstanceFromDBSnapshot', 'rds:CreateDBInstance', 'rds:AddTagsToResource'],
        [
          scratchDb,
          scratchCluster,
          this.arn('rds', 'snapshot', '*'),
          this.arn('rds', 'subgrp', '*'),
          this.arn('rds', 'og', '*'),
          this.arn('rds', 'pg', '*'),
          this.arn('rds', 'secgrp', '*'),
        ],
      );
      add(['rds:DeleteDBInstance'], [scratchDb]);
    }
    if (clusters.length) {
      add(
        ['rds:DescribeDBClusterSnapshots', 'rds:DescribeDBClusters', 'rds:DescribeDBInstances'],
        [
          ...clusters.map((c) => this.arn('rds', 'cluster', c)),
          this.arn('rds', 'db', '*'),
          this.arn('rds', 'cluster-snapshot', '*'),
          scratchCluster,
        ],
      );
      // The Service Authorization Reference requires the option group too (Aurora's default one).
      add(
        ['rds:RestoreDBClusterFromSnapshot', 'rds:AddTagsToResource'],
        [
          scratchCluster,
          this.arn('rds', 'cluster-snapshot', '*'),
          this.arn('rds', 'subgrp', '*'),
          this.arn('rds', 'cluster-pg', '*'),
          this.arn('rds', 'og', '*'),
        ],
      );
      add(['rds:DeleteDBCluster'], [scratchCluster]);
    }

    if (viaBackup.length) {
      // AWS Backup's list and job APIs have no resource-level permissions.
      add(['backup:ListRecoveryPointsByResource', 'backup:DescribeRestoreJob'], ['*']);
      add(
        ['backup:DescribeRecoveryPoint', 'backup:GetRecoveryPointRestoreMetadata', 'backup:StartRestoreJob'],
        [...new Set(viaBackup.flatMap((b) => recoveryPointArns(b.resourceArn)))],
      );
      add(['iam:PassRole'], [...new Set(viaBackup.map((b) => b.iamRoleArn))], {
        StringEquals: { 'iam:PassedToService': 'backup.amazonaws.com' },
      });
    }

    // Sources encrypted with a customer-managed key: the restore (and reading the scratch copy)
    // uses the key through the AWS service, which needs a grant; never a grant for anyone else.
    const keys = [
      ...new Set(this.services.flatMap((s) => ('kmsKeyArns' in s.backup ? (s.backup.kmsKeyArns ?? []) : []))),
    ];
    add(['kms:Decrypt', 'kms:DescribeKey'], keys);
    add(['kms:CreateGrant'], keys, { Bool: { 'kms:GrantIsForAWSResource': 'true' } });
    return statements;
  }
}

/**
 * The ARNs of the recovery points AWS Backup keeps of a resource, as the Service Authorization
 * Reference and AWS Backup's documentation give them: RDS snapshots named `awsbackup:job-…`,
 * Aurora cluster snapshots likewise, DynamoDB backups under the table (or, with advanced DynamoDB
 * backup, AWS Backup's own `recovery-point:` ARNs), in the resource's account and region.
 */
export function recoveryPointArns(resourceArn: string): string[] {
  const m = /^arn:([^:]+):([^:]+):([^:]*):([^:]*):(.+)$/.exec(resourceArn);
  if (!m) throw new Error(`services.*.backup.resourceArn ${resourceArn} is not an ARN`);
  const [, partition, service, region, account, resource] = m;
  const prefix = `arn:${partition}`;
  const advanced = `${prefix}:backup:${region}:${account}:recovery-point:*`;
  if (service === 'rds' && resource.startsWith('db:'))
    return [`${prefix}:rds:${region}:${account}:snapshot:awsbackup:*`];
  if (service === 'rds' && resource.startsWith('cluster:')) {
    return [`${prefix}:rds:${region}:${account}:cluster-snapshot:awsbackup:*`];
  }
  if (service === 'dynamodb' && resource.startsWith('table/')) {
    return [`${prefix}:dynamodb:${region}:${account}:${resource.split('/').slice(0, 2).join('/')}/backup/*`, advanced];
  }
  return [advanced];
}
