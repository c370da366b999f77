import { listBackups, verifyRestore } from '../../../local/demo/database';
import { BackupVerificationFailed } from '../../core/errors';
import type { BackupEvidence, BackupProvider, RecoveryPoint, RestoreHandle, RestoreProgress } from '../../core/ports';

/**
 * Backups of a local SQLite database: the latest online backup is restored into a scratch file,
 * checked (integrity_check, per-table rows and checksums) and the scratch file deleted. The restore
 * is fast, so it runs in the validation phase; the workflow's polling loop sees it ready at the
 * first check, which keeps that loop exercised locally.
 */
export class LocalSqliteBackup implements BackupProvider {
  /** Fault injection for the demo: simulate a damaged backup (validation must catch it). */
  corrupt = false;

  constructor(
    private readonly backupDir: (service: string) => string,
    private readonly scratchDir: string,
    private readonly sourceFile?: (service: string) => string | undefined,
  ) {}

  async latestRecoveryPoint(service: string): Promise<RecoveryPoint> {
    const [latest] = listBackups(this.backupDir(service));
    if (!latest) {
      throw new BackupVerificationFailed(
        `no backup of ${service} exists in ${this.backupDir(service)}: take one (golive local up does at start) and start again`,
      );
    }
    return { id: latest.id, at: latest.takenAt };
  }

  async startRestore(
    service: string,
    point: RecoveryPoint,
    scratchName: string,
  ): Promise<{ handle: RestoreHandle; pollSeconds: number }> {
    return {
      handle: {
        kind: 'sqlite',
        service,
        recoveryPointId: point.id,
        recoveryPointAt: point.at,
        restoredTo: scratchName,
        startedAt: new Date().toISOString(),
        detail: {},
      },
      pollSeconds: 0,
    };
  }

  async checkRestore(handle: RestoreHandle): Promise<RestoreProgress> {
    return { status: 'ready', handle, detail: 'local backup file present' };
  }

  async validateAndCleanUp(handle: RestoreHandle): Promise<BackupEvidence> {
    const backup = listBackups(this.backupDir(handle.service)).find((b) => b.id === handle.recoveryPointId);
    if (!backup) {
      throw new BackupVerificationFailed(`backup ${handle.recoveryPointId} of ${handle.service} disappeared`);
    }
    const source = this.sourceFile?.(handle.service);
    const evidence = await verifyRestore({
      backup,
      scratchDir: this.scratchDir,
      corrupt: this.corrupt,
      ...(source ? { sourceFile: source } : {}),
    });
    return {
      kind: 'sqlite',
      recoveryPointId: evidence.backupId,
      recoveryPointAt: evidence.backupTakenAt,
      ...evidence,
      tables: evidence.tables.map((t) => ({
        ...t,
        expectedRows: t.expectedRows ?? -1,
        restoredRows: t.restoredRows ?? -1,
      })),
    };
  }

  /** Nothing exists before validation, which always deletes its scratch file. */
  async cleanUp(): Promise<boolean> {
    return true;
  }
}
