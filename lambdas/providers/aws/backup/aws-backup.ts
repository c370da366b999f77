import {
  BackupClient,
  DescribeRestoreJobCommand,
  GetRecoveryPointRestoreMetadataCommand,
  paginateListRecoveryPointsByResource,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import { BackupVerificationFailed } from '../../../core/errors';
import type { RecoveryPoint, RestoreHandle, RestoreProgress } from '../../../core/ports';
import { backedUpResource, RESTORE_BUDGETS, type RestoreTarget } from '../../../core/workflow/budget';
import { awsCall, awsPages, CLIENT_CONFIG } from '../errors';
// Types only: each kind loads its SDK client when AwsBackup first needs it (see index.ts).
import type { DynamoDbPitrBackup } from './dynamodb-pitr';
import {
  allDeleted,
  scratchHandle,
  ScratchNotDeleted,
  type BackupKindAdapter,
  type KindConfig,
  type StartedRestore,
  type Verdict,
} from './kind';
import type { RdsSnapshotBackup } from './rds';

type VaultConfig = KindConfig<'aws-backup'>;

/** Which AWS Backup resource types golive can restore into a scratch target, validate and delete. */
function backupResourceType(resourceArn: string): { type: 'DynamoDB' | 'RDS'; target: RestoreTarget } {
  const target = backedUpResource(resourceArn);
  if (target === 'dynamodb-table') return { type: 'DynamoDB', target };
  if (target === 'rds-instance') return { type: 'RDS', target };
  throw new BackupVerificationFailed(
    `AWS Backup restore proofs support DynamoDB tables and RDS instances; ${resourceArn} is neither` +
      (target === 'aurora-cluster'
        ? ': for an Aurora cluster use backup.kind rds-snapshot with dbClusterIdentifier'
        : ''),
  );
}

/**
 * AWS Backup: the latest completed recovery point in the configured vault is restored with
 * StartRestoreJob (metadata from GetRecoveryPointRestoreMetadata, target renamed to the scratch
 * name), followed with DescribeRestoreJob, validated like its kind (DynamoDB or RDS) and deleted.
 */
export class AwsBackupRestore implements BackupKindAdapter<VaultConfig> {
  /** `dynamodb` and `rds` validate and delete what a restore job created, each like its own kind. */
  constructor(
    private readonly client: BackupClient = new BackupClient(CLIENT_CONFIG),
    private readonly dynamodb: DynamoDbPitrBackup,
    private readonly rds: RdsSnapshotBackup,
  ) {}

  async latestRecoveryPoint(config: VaultConfig): Promise<RecoveryPoint> {
    let latest: { id: string; at: Date } | undefined;
    const pages = paginateListRecoveryPointsByResource({ client: this.client }, { ResourceArn: config.resourceArn });
    for await (const page of awsPages(`backup:ListRecoveryPointsByResource ${config.resourceArn}`, pages)) {
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
    }
    if (!latest) {
      throw new BackupVerificationFailed(
        `no completed recovery point of ${config.resourceArn} in vault ${config.backupVaultName}`,
      );
    }
    return { id: latest.id, at: latest.at.toISOString() };
  }

  async startRestore(
    service: string,
    config: VaultConfig,
    point: RecoveryPoint,
    scratch: string,
  ): Promise<StartedRestore> {
    const { type, target } = backupResourceType(config.resourceArn);
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
    // Idempotent by its token: a retry (the same recovery point, into the same name) gets the job
    // an earlier attempt started, not a second one.
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
      handle: scratchHandle('aws-backup', service, point, scratch, {
        restoreJobId: job.RestoreJobId,
        resourceType: type,
      }),
      pollSeconds: RESTORE_BUDGETS[target].pollSeconds,
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

  async validate(handle: RestoreHandle, config: VaultConfig): Promise<Verdict> {
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
   * job still running is reported in ScratchNotDeleted. A handle written ahead of StartRestoreJob
   * has no job id: what exists is deleted. (A job whose answer never reached golive is found again
   * by the retried StartRestore, which gets the same job back for the same idempotency token.)
   */
  async cleanUp(handle: RestoreHandle): Promise<boolean> {
    const d = handle.detail as { restoreJobId?: string; resourceType: 'DynamoDB' | 'RDS' | null };
    // A resource type golive does not restore: StartRestore refused it before starting any job.
    // A target held by something golive did not create is not golive's to delete.
    if (!d.resourceType || handle.leaveAlone?.includes(handle.restoredTo)) return true;
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
