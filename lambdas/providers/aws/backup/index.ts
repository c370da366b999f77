import type { GoLiveConfig } from '../../../core/config';
import { BackupVerificationFailed } from '../../../core/errors';
import type {
  BackupEvidence,
  BackupProvider,
  RecoveryPoint,
  RestoreHandle,
  RestoreProgress,
} from '../../../core/ports';
import { lazyProvider } from '../lazy';
// Types only: each kind module, and the SDK client it brings, loads on the kind's first call.
import type { AwsBackupRestore } from './aws-backup';
import type { DynamoDbPitrBackup } from './dynamodb-pitr';
import {
  plannedHandle,
  type AwsBackupConfig,
  type AwsBackupKind,
  type BackupKindAdapter,
  type KindConfig,
  type StartedRestore,
} from './kind';
import type { RdsSnapshotBackup } from './rds';

export type { AwsBackupConfig, AwsBackupKind, BackupKindAdapter, KindConfig } from './kind';
export { ScratchNotDeleted } from './kind';

type KindAdapters = { [K in AwsBackupKind]: BackupKindAdapter<KindConfig<K>> };

/**
 * Backups per service, by `services.<name>.backup.kind`: one adapter per kind (dynamodb-pitr.ts,
 * rds.ts, aws-backup.ts). By default each is loaded on first use, so a service restoring DynamoDB
 * tables never loads the RDS or AWS Backup clients.
 */
export class AwsBackup implements BackupProvider {
  private readonly kinds: KindAdapters;

  constructor(
    private readonly config: GoLiveConfig,
    dynamodb: DynamoDbPitrBackup = lazyProvider(() =>
      import('./dynamodb-pitr').then((m) => new m.DynamoDbPitrBackup()),
    ),
    rds: RdsSnapshotBackup = lazyProvider(() => import('./rds').then((m) => new m.RdsSnapshotBackup())),
    awsBackup: AwsBackupRestore = lazyProvider(() =>
      import('./aws-backup').then((m) => new m.AwsBackupRestore(undefined, dynamodb, rds)),
    ),
    private readonly now: () => Date = () => new Date(),
  ) {
    this.kinds = { 'dynamodb-pitr': dynamodb, 'rds-snapshot': rds, 'aws-backup': awsBackup };
  }

  /** The service's backup section and the adapter of its kind. */
  private kind(service: string): { adapter: BackupKindAdapter; backup: AwsBackupConfig } {
    const backup = this.config.services[service]?.backup;
    if (!backup || backup.kind === 'sqlite') {
      throw new BackupVerificationFailed(
        `services.${service}.backup.kind is ${backup?.kind ?? 'missing'}: on AWS use dynamodb-pitr, rds-snapshot or aws-backup`,
      );
    }
    return { adapter: this.kinds[backup.kind], backup };
  }

  async latestRecoveryPoint(service: string): Promise<RecoveryPoint> {
    const { adapter, backup } = this.kind(service);
    return adapter.latestRecoveryPoint(backup);
  }

  plannedRestore(service: string, point: RecoveryPoint, scratch: string): RestoreHandle {
    return plannedHandle(service, this.kind(service).backup, point, scratch);
  }

  async startRestore(service: string, point: RecoveryPoint, scratch: string): Promise<StartedRestore> {
    const { adapter, backup } = this.kind(service);
    return adapter.startRestore(service, backup, point, scratch);
  }

  async checkRestore(handle: RestoreHandle): Promise<RestoreProgress> {
    const { adapter, backup } = this.kind(handle.service);
    return adapter.checkRestore(handle, backup);
  }

  async validateAndCleanUp(handle: RestoreHandle): Promise<BackupEvidence> {
    const { adapter, backup } = this.kind(handle.service);
    let verdict;
    try {
      verdict = await adapter.validate(handle, backup);
    } finally {
      // Deleted whatever the verdict, and before it is reported: a scratch copy costs money.
      await adapter.cleanUp(handle, backup);
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
    const { adapter, backup } = this.kind(handle.service);
    return adapter.cleanUp(handle, backup);
  }
}
