import {
  BackupClient,
  DescribeRestoreJobCommand,
  GetRecoveryPointRestoreMetadataCommand,
  ListRecoveryPointsByResourceCommand,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import {
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  RestoreTableToPointInTimeCommand,
  ScanCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import {
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import type { GoLiveConfig, ServiceConfig } from '../../core/config';
import { BackupVerificationFailed, GoLiveError } from '../../core/errors';
import type { BackupEvidence, BackupProvider, RecoveryPoint, RestoreHandle, RestoreProgress } from '../../core/ports';
import { awsCall, CLIENT_CONFIG, ProviderResourceMissing } from './errors';

type BackupConfig = ServiceConfig['backup'];
const SCRATCH_TAGS = [
  { Key: 'golive:scratch', Value: 'true' },
  { Key: 'golive:purpose', Value: 'restore proof, deleted after validation' },
];

/** DynamoDB updates ItemCount about every six hours: counts are compared with this tolerance. */
export const ITEM_COUNT_TOLERANCE = 0.1;
/** Items whose keys are checked in the restored table. */
const SAMPLE_SIZE = 25;
/** Scan pages counted at most (1 MB each); beyond that the count is a lower bound. */
const MAX_COUNT_PAGES = 200;

/** A scratch target AWS did not delete (yet): what is left and AWS's reason, for the step to report. */
export class ScratchNotDeleted extends GoLiveError {
  constructor(message: string) {
    super('ScratchNotDeleted', message);
  }
}

/** Faults AWS answers a deletion with while the resource is busy: still being created, or still holding instances. */
const BUSY = new Set(['ResourceInUseException', 'InvalidDBInstanceStateFault', 'InvalidDBClusterStateFault']);

/**
 * One deletion of a scratch resource. Missing, or already being deleted, counts as deleted; a
 * refusal because of the resource's state is returned as the reason, so that the other deletions
 * still run; any other fault is thrown, classified like every AWS call.
 */
async function tryDelete(what: string, call: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await awsCall(what, call);
    return undefined;
  } catch (err) {
    if (err instanceof ProviderResourceMissing) return undefined;
    const { name, message } = err as Error;
    if (!BUSY.has(name)) throw err;
    if (/already.*delet/i.test(message)) return undefined; // "already being deleted", "already in deleting state"
    return `${what} refused while it is busy: ${name} (${message})`;
  }
}

/** True once every deletion went through; otherwise ScratchNotDeleted naming each refusal. */
function allDeleted(refusals: (string | undefined)[]): true {
  const reasons = refusals.filter((r): r is string => r !== undefined);
  if (reasons.length) throw new ScratchNotDeleted(reasons.join('; '));
  return true;
}

const baseHandle = (kind: string, service: string, point: RecoveryPoint, restoredTo: string, detail = {}) => ({
  kind,
  service,
  recoveryPointId: point.id,
  recoveryPointAt: point.at,
  restoredTo,
  startedAt: new Date().toISOString(),
  detail,
});

/**
 * DynamoDB point-in-time recovery: the latest restorable time is the recovery point; the table is
 * restored into a scratch table (on demand, no GSIs: faster and cheaper, and counts need no index),
 * counted and sampled against the source, then deleted.
 */
export class DynamoDbPitrBackup {
  constructor(private readonly client: DynamoDBClient = new DynamoDBClient(CLIENT_CONFIG)) {}

  async latestRecoveryPoint(tableName: string): Promise<RecoveryPoint> {
    const res = await awsCall(`dynamodb:DescribeContinuousBackups ${tableName}`, () =>
      this.client.send(new DescribeContinuousBackupsCommand({ TableName: tableName })),
    );
    const pitr = res.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
    if (pitr?.PointInTimeRecoveryStatus !== 'ENABLED' || !pitr.LatestRestorableDateTime) {
      throw new BackupVerificationFailed(
        `point-in-time recovery is ${pitr?.PointInTimeRecoveryStatus ?? 'not configured'} on ${tableName}: enable it, or configure another backup kind`,
      );
    }
    const at = pitr.LatestRestorableDateTime.toISOString();
    return { id: `${tableName}@${at}`, at };
  }

  async startRestore(service: string, tableName: string, point: RecoveryPoint, scratch: string) {
    await awsCall(`dynamodb:RestoreTableToPointInTime ${tableName} → ${scratch}`, () =>
      this.client.send(
        new RestoreTableToPointInTimeCommand({
          SourceTableName: tableName,
          TargetTableName: scratch,
          RestoreDateTime: new Date(point.at),
          BillingModeOverride: 'PAY_PER_REQUEST',
          GlobalSecondaryIndexOverride: [],
        }),
      ),
    );
    return {
      handle: baseHandle('dynamodb-pitr', service, point, scratch, { sourceTable: tableName }),
      pollSeconds: 30,
    };
  }

  async tableStatus(tableName: string): Promise<string> {
    const res = await awsCall(`dynamodb:DescribeTable ${tableName}`, () =>
      this.client.send(new DescribeTableCommand({ TableName: tableName })),
    );
    return res.Table?.TableStatus ?? 'UNKNOWN';
  }

  async checkRestore(handle: RestoreHandle): Promise<RestoreProgress> {
    const status = await this.tableStatus(handle.restoredTo);
    if (status === 'ACTIVE') return { status: 'ready', handle, detail: `DescribeTable ${handle.restoredTo}: ACTIVE` };
    if (status === 'CREATING' || status === 'UPDATING') {
      return { status: 'pending', handle, detail: `DescribeTable ${handle.restoredTo}: ${status}` };
    }
    throw new BackupVerificationFailed(`restored table ${handle.restoredTo} is ${status}, not ACTIVE`);
  }

  /** Count and sample the scratch table against the source; the scratch table is deleted whatever the verdict. */
  async validateTable(
    sourceTable: string,
    scratchTable: string,
  ): Promise<Pick<BackupEvidence, 'ok' | 'integrityCheck' | 'tables'>> {
    const source = await awsCall(`dynamodb:DescribeTable ${sourceTable}`, () =>
      this.client.send(new DescribeTableCommand({ TableName: sourceTable })),
    );
    const keys = (source.Table?.KeySchema ?? []).map((k) => k.AttributeName!);
    const expectedRows = source.Table?.ItemCount ?? 0;
    let restoredRows = 0;
    let pages = 0;
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await awsCall(`dynamodb:Scan ${scratchTable}`, () =>
        this.client.send(
          new ScanCommand({
            TableName: scratchTable,
            Select: 'COUNT',
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        ),
      );
      restoredRows += page.Count ?? 0;
      startKey = page.LastEvaluatedKey;
      pages += 1;
    } while (startKey && pages < MAX_COUNT_PAGES);
    const countTruncated = startKey !== undefined;
    const sample = await awsCall(`dynamodb:Scan ${scratchTable}`, () =>
      this.client.send(new ScanCommand({ TableName: scratchTable, Limit: SAMPLE_SIZE })),
    );
    const items = sample.Items ?? [];
    const broken = items.filter((item) => keys.some((k) => item[k] === undefined)).length;
    const slack = Math.ceil(expectedRows * ITEM_COUNT_TOLERANCE);
    // A truncated count is a lower bound: it matches once it reaches the expected count minus the tolerance.
    const match = countTruncated
      ? restoredRows >= expectedRows - slack
      : Math.abs(restoredRows - expectedRows) <= slack && (expectedRows === 0 || restoredRows > 0);
    return {
      ok: match && broken === 0,
      integrityCheck:
        broken === 0 ? 'ok' : `${broken} of ${items.length} sampled items lack key attributes ${keys.join(', ')}`,
      tables: [
        {
          name: sourceTable,
          expectedRows,
          restoredRows,
          match,
          countTruncated,
          tolerance: ITEM_COUNT_TOLERANCE,
          sampled: items.length,
        },
      ],
    };
  }

  /** A table still CREATING (restore in progress) cannot be deleted yet: ScratchNotDeleted says so. */
  async deleteTable(tableName: string): Promise<boolean> {
    return allDeleted([
      await tryDelete(`dynamodb:DeleteTable ${tableName}`, () =>
        this.client.send(new DeleteTableCommand({ TableName: tableName })),
      ),
    ]);
  }
}

/**
 * RDS snapshot restore: the latest available snapshot (instance, or Aurora cluster) is restored
 * into a private scratch instance (Aurora: the cluster, then one instance in it) in the source's
 * subnet group and security groups. Validation is the restore reaching `available` with the
 * snapshot's engine: row-level checks would need network access to the database, which the
 * function does not have. Scratch resources are deleted without a final snapshot.
 */
export class RdsSnapshotBackup {
  constructor(private readonly client: RDSClient = new RDSClient(CLIENT_CONFIG)) {}

  async latestRecoveryPoint(
    config: Extract<BackupConfig, { kind: 'rds-snapshot' }>,
  ): Promise<RecoveryPoint & { engine?: string }> {
    const candidates: { id: string; at: Date; engine?: string }[] = [];
    let marker: string | undefined;
    if (config.dbClusterIdentifier) {
      const cluster = config.dbClusterIdentifier;
      do {
        const page = await awsCall(`rds:DescribeDBClusterSnapshots ${cluster}`, () =>
          this.client.send(
            new DescribeDBClusterSnapshotsCommand({
              DBClusterIdentifier: cluster,
              ...(marker ? { Marker: marker } : {}),
            }),
          ),
        );
        for (const s of page.DBClusterSnapshots ?? []) {
          if (s.Status === 'available' && s.SnapshotCreateTime && s.DBClusterSnapshotIdentifier) {
            candidates.push({
              id: s.DBClusterSnapshotIdentifier,
              at: s.SnapshotCreateTime,
              ...(s.Engine ? { engine: s.Engine } : {}),
            });
          }
        }
        marker = page.Marker;
      } while (marker);
    } else if (config.dbInstanceIdentifier) {
      const instance = config.dbInstanceIdentifier;
      do {
        const page = await awsCall(`rds:DescribeDBSnapshots ${instance}`, () =>
          this.client.send(
            new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: instance, ...(marker ? { Marker: marker } : {}) }),
          ),
        );
        for (const s of page.DBSnapshots ?? []) {
          if (s.Status === 'available' && s.SnapshotCreateTime && s.DBSnapshotIdentifier) {
            candidates.push({
              id: s.DBSnapshotIdentifier,
              at: s.SnapshotCreateTime,
              ...(s.Engine ? { engine: s.Engine } : {}),
            });
          }
        }
        marker = page.Marker;
      } while (marker);
    } else {
      throw new BackupVerificationFailed('backup.kind rds-snapshot needs dbInstanceIdentifier or dbClusterIdentifier');
    }
    const latest = candidates.sort((a, b) => b.at.getTime() - a.at.getTime())[0];
    if (!latest) {
      throw new BackupVerificationFailed(
        `no available snapshot of ${config.dbClusterIdentifier ?? config.dbInstanceIdentifier}: take one and start again`,
      );
    }
    return { id: latest.id, at: latest.at.toISOString(), ...(latest.engine ? { engine: latest.engine } : {}) };
  }

  async startRestore(
    service: string,
    config: Extract<BackupConfig, { kind: 'rds-snapshot' }>,
    point: RecoveryPoint,
    scratch: string,
  ) {
    if (config.dbClusterIdentifier)
      return this.startClusterRestore(service, config.dbClusterIdentifier, point, scratch);
    const source = config.dbInstanceIdentifier!;
    const described = await awsCall(`rds:DescribeDBInstances ${source}`, () =>
      this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: source })),
    );
    const src = described.DBInstances?.[0];
    await awsCall(`rds:RestoreDBInstanceFromDBSnapshot ${point.id} → ${scratch}`, () =>
      this.client.send(
        new RestoreDBInstanceFromDBSnapshotCommand({
          DBInstanceIdentifier: scratch,
          DBSnapshotIdentifier: point.id,
          ...(src?.DBSubnetGroup?.DBSubnetGroupName ? { DBSubnetGroupName: src.DBSubnetGroup.DBSubnetGroupName } : {}),
          ...(src?.VpcSecurityGroups?.length
            ? { VpcSecurityGroupIds: src.VpcSecurityGroups.map((g) => g.VpcSecurityGroupId!) }
            : {}),
          PubliclyAccessible: false,
          MultiAZ: false,
          DeletionProtection: false,
          AutoMinorVersionUpgrade: false,
          Tags: SCRATCH_TAGS,
        }),
      ),
    );
    return {
      handle: baseHandle('rds-snapshot', service, point, scratch, { instance: scratch, engine: src?.Engine ?? null }),
      pollSeconds: 60,
    };
  }

  private async startClusterRestore(service: string, sourceCluster: string, point: RecoveryPoint, scratch: string) {
    const described = await awsCall(`rds:DescribeDBClusters ${sourceCluster}`, () =>
      this.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: sourceCluster })),
    );
    const src = described.DBClusters?.[0];
    if (!src?.Engine) throw new ProviderResourceMissing(`Aurora cluster ${sourceCluster} does not exist`);
    const writer = src.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
    let instanceClass = 'db.t4g.medium';
    if (writer) {
      const instances = await awsCall(`rds:DescribeDBInstances ${writer}`, () =>
        this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: writer })),
      );
      instanceClass = instances.DBInstances?.[0]?.DBInstanceClass ?? instanceClass;
    }
    await awsCall(`rds:RestoreDBClusterFromSnapshot ${point.id} → ${scratch}`, () =>
      this.client.send(
        new RestoreDBClusterFromSnapshotCommand({
          DBClusterIdentifier: scratch,
          SnapshotIdentifier: point.id,
          Engine: src.Engine,
          ...(src.EngineVersion ? { EngineVersion: src.EngineVersion } : {}),
          ...(src.DBSubnetGroup ? { DBSubnetGroupName: src.DBSubnetGroup } : {}),
          ...(src.VpcSecurityGroups?.length
            ? { VpcSecurityGroupIds: src.VpcSecurityGroups.map((g) => g.VpcSecurityGroupId!) }
            : {}),
          ...(src.ServerlessV2ScalingConfiguration
            ? { ServerlessV2ScalingConfiguration: src.ServerlessV2ScalingConfiguration }
            : {}),
          DeletionProtection: false,
          Tags: SCRATCH_TAGS,
        }),
      ),
    );
    const instance = `${scratch.slice(0, 60)}-i1`;
    return {
      handle: baseHandle('rds-snapshot', service, point, scratch, {
        cluster: scratch,
        instance,
        engine: src.Engine,
        instanceClass,
        phase: 'cluster',
      }),
      pollSeconds: 60,
    };
  }

  private async instanceStatus(id: string): Promise<{ status: string; engine?: string }> {
    const res = await awsCall(`rds:DescribeDBInstances ${id}`, () =>
      this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    );
    const i = res.DBInstances?.[0];
    return { status: i?.DBInstanceStatus ?? 'unknown', ...(i?.Engine ? { engine: i.Engine } : {}) };
  }

  async checkRestore(handle: RestoreHandle): Promise<RestoreProgress> {
    const d = handle.detail as {
      cluster?: string;
      instance: string;
      engine: string;
      instanceClass?: string;
      phase?: string;
    };
    if (d.cluster && d.phase === 'cluster') {
      const res = await awsCall(`rds:DescribeDBClusters ${d.cluster}`, () =>
        this.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: d.cluster })),
      );
      const status = res.DBClusters?.[0]?.Status ?? 'unknown';
      if (status !== 'available') return this.pendingOrFailed(handle, `cluster ${d.cluster}`, status);
      // Aurora restores a cluster without instances: one is needed before the restore can be used.
      await awsCall(`rds:CreateDBInstance ${d.instance}`, () =>
        this.client.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: d.instance,
            DBClusterIdentifier: d.cluster,
            Engine: d.engine,
            DBInstanceClass: d.instanceClass,
            PubliclyAccessible: false,
            Tags: SCRATCH_TAGS,
          }),
        ),
      );
      return {
        status: 'pending',
        handle: { ...handle, detail: { ...d, phase: 'instance' } },
        detail: `cluster ${d.cluster} available; instance ${d.instance} creating`,
      };
    }
    const { status } = await this.instanceStatus(d.instance);
    if (status === 'available') return { status: 'ready', handle, detail: `instance ${d.instance}: available` };
    return this.pendingOrFailed(handle, `instance ${d.instance}`, status);
  }

  private pendingOrFailed(handle: RestoreHandle, what: string, status: string): RestoreProgress {
    if (/failed|incompatible|storage-full|inaccessible/.test(status)) {
      throw new BackupVerificationFailed(`restored ${what} is ${status}`);
    }
    return { status: 'pending', handle, detail: `${what}: ${status}` };
  }

  async validate(handle: RestoreHandle): Promise<Pick<BackupEvidence, 'ok' | 'integrityCheck' | 'tables'>> {
    const d = handle.detail as { instance: string; engine: string | null };
    const { status, engine } = await this.instanceStatus(d.instance);
    const engineOk = !d.engine || d.engine === engine;
    return {
      ok: status === 'available' && engineOk,
      integrityCheck: `restored instance ${status}, engine ${engine ?? 'unknown'}${engineOk ? '' : ` (expected ${d.engine})`}`,
      tables: [],
    };
  }

  /**
   * Deletes the instance, then the Aurora cluster, whatever phase the restore is in (an instance not
   * created yet is missing, which is fine). A deletion RDS refuses for the resource's state does
   * not stop the other; both are named in ScratchNotDeleted.
   */
  async cleanUp(handle: RestoreHandle): Promise<boolean> {
    const d = handle.detail as { cluster?: string; instance: string };
    const refusals = [
      await tryDelete(`rds:DeleteDBInstance ${d.instance}`, () =>
        this.client.send(
          new DeleteDBInstanceCommand({
            DBInstanceIdentifier: d.instance,
            SkipFinalSnapshot: true,
            DeleteAutomatedBackups: true,
          }),
        ),
      ),
    ];
    if (d.cluster) {
      const cluster = d.cluster;
      refusals.push(
        await tryDelete(`rds:DeleteDBCluster ${cluster}`, () =>
          this.client.send(new DeleteDBClusterCommand({ DBClusterIdentifier: cluster, SkipFinalSnapshot: true })),
        ),
      );
    }
    return allDeleted(refusals);
  }
}

/** Which AWS Backup resource types golive can restore into a scratch target, validate and delete. */
function backupResourceType(resourceArn: string): 'DynamoDB' | 'RDS' {
  if (/^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\//.test(resourceArn)) return 'DynamoDB';
  if (/^arn:[^:]+:rds:[^:]*:[^:]*:db:/.test(resourceArn)) return 'RDS';
  throw new BackupVerificationFailed(
    `AWS Backup restore proofs support DynamoDB tables and RDS instances; ${resourceArn} is neither`,
  );
}

/**
 * AWS Backup: the latest completed recovery point in the configured vault is restored with
 * StartRestoreJob (metadata from GetRecoveryPointRestoreMetadata, target renamed to the scratch
 * name), followed with DescribeRestoreJob, validated like its kind (DynamoDB or RDS) and deleted.
 */
export class AwsBackupRestore {
  constructor(
    private readonly client: BackupClient = new BackupClient(CLIENT_CONFIG),
    private readonly dynamodb: DynamoDbPitrBackup = new DynamoDbPitrBackup(),
    private readonly rds: RdsSnapshotBackup = new RdsSnapshotBackup(),
  ) {}

  async latestRecoveryPoint(config: Extract<BackupConfig, { kind: 'aws-backup' }>): Promise<RecoveryPoint> {
    let latest: { id: string; at: Date } | undefined;
    let token: string | undefined;
    do {
      const page = await awsCall(`backup:ListRecoveryPointsByResource ${config.resourceArn}`, () =>
        this.client.send(
          new ListRecoveryPointsByResourceCommand({
            ResourceArn: config.resourceArn,
            ...(token ? { NextToken: token } : {}),
          }),
        ),
      );
      for (const p of page.RecoveryPoints ?? []) {
        if (
          p.Status === 'COMPLETED' &&
          p.BackupVaultName === config.backupVaultName &&
          p.CreationDate &&
          p.RecoveryPointArn
        ) {
          if (!latest || p.CreationDate > latest.at) latest = { id: p.RecoveryPointArn, at: p.CreationDate };
        }
      }
      token = page.NextToken;
    } while (token);
    if (!latest) {
      throw new BackupVerificationFailed(
        `no completed recovery point of ${config.resourceArn} in vault ${config.backupVaultName}`,
      );
    }
    return { id: latest.id, at: latest.at.toISOString() };
  }

  async startRestore(
    service: string,
    config: Extract<BackupConfig, { kind: 'aws-backup' }>,
    point: RecoveryPoint,
    scratch: string,
  ) {
    const type = backupResourceType(config.resourceArn);
    const meta = await awsCall(`backup:GetRecoveryPointRestoreMetadata ${point.id}`, () =>
      this.client.send(
        new GetRecoveryPointRestoreMetadataCommand({
          BackupVaultName: config.backupVaultName,
          RecoveryPointArn: point.id,
        }),
      ),
    );
    const metadata: Record<string, string> = { ...meta.RestoreMetadata };
    if (type === 'DynamoDB') metadata.targetTableName = scratch;
    else metadata.DBInstanceIdentifier = scratch;
    const job = await awsCall(`backup:StartRestoreJob ${point.id}`, () =>
      this.client.send(
        new StartRestoreJobCommand({
          RecoveryPointArn: point.id,
          IamRoleArn: config.iamRoleArn,
          Metadata: metadata,
          ResourceType: type,
          IdempotencyToken: scratch,
        }),
      ),
    );
    return {
      handle: baseHandle('aws-backup', service, point, scratch, { restoreJobId: job.RestoreJobId, resourceType: type }),
      pollSeconds: 60,
    };
  }

  async checkRestore(handle: RestoreHandle): Promise<RestoreProgress> {
    const d = handle.detail as { restoreJobId: string };
    const job = await awsCall(`backup:DescribeRestoreJob ${d.restoreJobId}`, () =>
      this.client.send(new DescribeRestoreJobCommand({ RestoreJobId: d.restoreJobId })),
    );
    const detail = `restore job ${d.restoreJobId}: ${job.Status}${job.PercentDone ? ` (${job.PercentDone})` : ''}`;
    if (job.Status === 'COMPLETED') {
      return {
        status: 'ready',
        handle: { ...handle, detail: { ...d, createdResourceArn: job.CreatedResourceArn ?? null } },
        detail,
      };
    }
    if (job.Status === 'ABORTED' || job.Status === 'FAILED') {
      throw new BackupVerificationFailed(`${detail}: ${job.StatusMessage ?? 'no message'}`);
    }
    return { status: 'pending', handle, detail };
  }

  async validate(handle: RestoreHandle, config: Extract<BackupConfig, { kind: 'aws-backup' }>) {
    const d = handle.detail as { resourceType: 'DynamoDB' | 'RDS' };
    if (d.resourceType === 'DynamoDB') {
      const source = config.resourceArn.split(':table/')[1]!;
      return this.dynamodb.validateTable(source, handle.restoredTo);
    }
    return this.rds.validate({ ...handle, detail: { instance: handle.restoredTo, engine: null } });
  }

  /**
   * A restore job cannot be stopped: while it runs, its target may not exist yet and would appear
   * after any deletion. So the job is looked at first; what exists is deleted either way, and a
   * job still running is reported in ScratchNotDeleted.
   */
  async cleanUp(handle: RestoreHandle): Promise<boolean> {
    const d = handle.detail as { restoreJobId?: string; resourceType: 'DynamoDB' | 'RDS' };
    let running: string | undefined;
    if (d.restoreJobId) {
      const id = d.restoreJobId;
      try {
        const job = await awsCall(`backup:DescribeRestoreJob ${id}`, () =>
          this.client.send(new DescribeRestoreJobCommand({ RestoreJobId: id })),
        );
        if (!['COMPLETED', 'ABORTED', 'FAILED'].includes(job.Status ?? '')) {
          running = `restore job ${id} is still ${job.Status ?? 'unknown'} and AWS Backup cannot stop it: ${handle.restoredTo} appears when it completes`;
        }
      } catch (err) {
        // Not knowing whether the job still runs must not keep what exists from being deleted.
        running = `restore job ${id} could not be read (${err instanceof Error ? err.message : String(err)}): ${handle.restoredTo} may appear when it completes`;
      }
    }
    let refused: string | undefined;
    try {
      if (d.resourceType === 'DynamoDB') await this.dynamodb.deleteTable(handle.restoredTo);
      else await this.rds.cleanUp({ ...handle, detail: { instance: handle.restoredTo } });
    } catch (err) {
      if (!(err instanceof ScratchNotDeleted)) throw err;
      refused = err.message;
    }
    return allDeleted([refused, running]);
  }
}

/** Backups per service, by `services.<name>.backup.kind`. */
export class AwsBackup implements BackupProvider {
  constructor(
    private readonly config: GoLiveConfig,
    private readonly dynamodb: DynamoDbPitrBackup = new DynamoDbPitrBackup(),
    private readonly rds: RdsSnapshotBackup = new RdsSnapshotBackup(),
    private readonly awsBackup: AwsBackupRestore = new AwsBackupRestore(undefined, dynamodb, rds),
    private readonly now: () => Date = () => new Date(),
  ) {}

  private backup(service: string): Exclude<BackupConfig, { kind: 'sqlite' }> {
    const b = this.config.services[service]?.backup;
    if (!b || b.kind === 'sqlite') {
      throw new BackupVerificationFailed(
        `services.${service}.backup.kind is ${b?.kind ?? 'missing'}: on AWS use dynamodb-pitr, rds-snapshot or aws-backup`,
      );
    }
    return b;
  }

  async latestRecoveryPoint(service: string): Promise<RecoveryPoint> {
    const b = this.backup(service);
    if (b.kind === 'dynamodb-pitr') return this.dynamodb.latestRecoveryPoint(b.tableName);
    if (b.kind === 'rds-snapshot') return this.rds.latestRecoveryPoint(b);
    return this.awsBackup.latestRecoveryPoint(b);
  }

  async startRestore(
    service: string,
    point: RecoveryPoint,
    scratch: string,
  ): Promise<{ handle: RestoreHandle; pollSeconds: number }> {
    const b = this.backup(service);
    if (b.kind === 'dynamodb-pitr') return this.dynamodb.startRestore(service, b.tableName, point, scratch);
    if (b.kind === 'rds-snapshot') return this.rds.startRestore(service, b, point, scratch);
    return this.awsBackup.startRestore(service, b, point, scratch);
  }

  async checkRestore(handle: RestoreHandle): Promise<RestoreProgress> {
    const b = this.backup(handle.service);
    if (b.kind === 'dynamodb-pitr') return this.dynamodb.checkRestore(handle);
    if (b.kind === 'rds-snapshot') return this.rds.checkRestore(handle);
    return this.awsBackup.checkRestore(handle);
  }

  async validateAndCleanUp(handle: RestoreHandle): Promise<BackupEvidence> {
    const b = this.backup(handle.service);
    let verdict: Pick<BackupEvidence, 'ok' | 'integrityCheck' | 'tables'>;
    try {
      if (b.kind === 'dynamodb-pitr') verdict = await this.dynamodb.validateTable(b.tableName, handle.restoredTo);
      else if (b.kind === 'rds-snapshot') verdict = await this.rds.validate(handle);
      else verdict = await this.awsBackup.validate(handle, b);
    } finally {
      // Deleted whatever the verdict, and before it is reported: a scratch copy costs money.
      await this.cleanUp(handle);
    }
    return {
      kind: handle.kind,
      recoveryPointId: handle.recoveryPointId,
      recoveryPointAt: handle.recoveryPointAt,
      restoredTo: handle.restoredTo,
      ok: verdict.ok,
      integrityCheck: verdict.integrityCheck,
      tables: verdict.tables,
      scratchDeleted: true,
      durationMs: this.now().getTime() - Date.parse(handle.startedAt),
    };
  }

  async cleanUp(handle: RestoreHandle): Promise<boolean> {
    const b = this.backup(handle.service);
    if (b.kind === 'dynamodb-pitr') return this.dynamodb.deleteTable(handle.restoredTo);
    if (b.kind === 'rds-snapshot') return this.rds.cleanUp(handle);
    return this.awsBackup.cleanUp(handle);
  }
}
