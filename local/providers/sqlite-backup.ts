import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import Database from 'better-sqlite3';
import { listBackups, verifyRestore, type BackupRecord, type RestoreEvidence } from '../demo/database';
import { BackupVerificationFailed } from '../../lambdas/core/errors';
import type {
  BackupEvidence,
  BackupProvider,
  RecoveryPoint,
  RestoreHandle,
  RestoreProgress,
} from '../../lambdas/core/ports';

/** A SQLite file and its companions; true when none of them is left. */
function removeDatabaseFiles(file: string): boolean {
  const paths = ['', '-wal', '-shm', '-journal'].map((suffix) => file + suffix);
  for (const p of paths) rmSync(p, { force: true });
  return paths.every((p) => !existsSync(p));
}

/**
 * Backups of a local SQLite database, in the same phases as on AWS: StartRestore restores the
 * latest online backup into a scratch file (`<scratchDir>/<scratch name>.sqlite`), the checks see
 * it ready, validation checks it (integrity_check, per-table rows and checksums) and deletes it.
 * A go-live that ends before validation leaves the file for the rollback or the janitor to delete.
 */
export class LocalSqliteBackup implements BackupProvider {
  /** Fault injection for the demo: simulate a damaged backup (validation must catch it). */
  corrupt = false;
  /**
   * How long a restore takes, simulated for tests and demos: the workflow waits this long before
   * its first check, which sees the restore pending until then. 0: ready at the first check.
   */
  restoreSeconds = 0;

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

  private backup(service: string, id: string): BackupRecord {
    const backup = listBackups(this.backupDir(service)).find((b) => b.id === id);
    if (!backup) throw new BackupVerificationFailed(`backup ${id} of ${service} disappeared`);
    return backup;
  }

  /** The scratch file a restore into `scratchName` writes: `<scratchDir>/<scratch name>.sqlite`. */
  plannedRestore(service: string, point: RecoveryPoint, scratchName: string): RestoreHandle {
    const startedAt = new Date();
    return {
      kind: 'sqlite',
      service,
      recoveryPointId: point.id,
      recoveryPointAt: point.at,
      restoredTo: join(this.scratchDir, `${scratchName}.sqlite`),
      startedAt: startedAt.toISOString(),
      detail: { readyAt: new Date(startedAt.getTime() + this.restoreSeconds * 1000).toISOString() },
    };
  }

  /**
   * Restores the backup into the scratch file. Idempotent: a retry restores the same backup over
   * whatever an earlier attempt left in that file (golive's own: in the scratch directory, named
   * after the execution), so there is nothing to adopt.
   */
  async startRestore(
    service: string,
    point: RecoveryPoint,
    scratchName: string,
  ): Promise<{ handle: RestoreHandle; pollSeconds: number }> {
    const backup = this.backup(service, point.id);
    mkdirSync(this.scratchDir, { recursive: true });
    const handle = this.plannedRestore(service, point, scratchName);
    const from = new Database(backup.file, { readonly: true, fileMustExist: true });
    try {
      await from.backup(handle.restoredTo);
    } catch (err) {
      // Whatever was written: StartRestore recorded the file before this call, but it is not restored.
      removeDatabaseFiles(handle.restoredTo);
      throw err;
    } finally {
      from.close();
    }
    return { handle, pollSeconds: this.restoreSeconds };
  }

  async checkRestore(handle: RestoreHandle): Promise<RestoreProgress> {
    if (!existsSync(handle.restoredTo)) {
      throw new BackupVerificationFailed(`scratch file ${handle.restoredTo} disappeared during the restore`);
    }
    const left = Date.parse(String(handle.detail.readyAt ?? handle.startedAt)) - Date.now();
    if (left > 0) {
      return { status: 'pending', handle, detail: `restore in progress (simulated: ${Math.ceil(left / 1000)} s left)` };
    }
    return { status: 'ready', handle, detail: `scratch file ${handle.restoredTo} restored` };
  }

  async validateAndCleanUp(handle: RestoreHandle): Promise<BackupEvidence> {
    let evidence: RestoreEvidence;
    let scratchDeleted: boolean;
    try {
      const backup = this.backup(handle.service, handle.recoveryPointId);
      const source = this.sourceFile?.(handle.service);
      // The restored scratch file is what is checked, against the backup's manifest (or the live source).
      evidence = await verifyRestore({
        backup: { ...backup, file: handle.restoredTo },
        scratchDir: this.scratchDir,
        corrupt: this.corrupt,
        ...(source ? { sourceFile: source } : {}),
      });
    } finally {
      scratchDeleted = await this.cleanUp(handle);
    }
    return {
      kind: 'sqlite',
      recoveryPointId: evidence.backupId,
      recoveryPointAt: evidence.backupTakenAt,
      ...evidence,
      restoredTo: handle.restoredTo,
      scratchDeleted: scratchDeleted && evidence.scratchDeleted,
      tables: evidence.tables.map((t) => ({
        ...t,
        expectedRows: t.expectedRows ?? -1,
        restoredRows: t.restoredRows ?? -1,
      })),
    };
  }

  /** Deletes the scratch file; only ever inside the scratch directory, whatever the stored handle says. */
  async cleanUp(handle: RestoreHandle): Promise<boolean> {
    const file = resolve(handle.restoredTo);
    if (!file.startsWith(resolve(this.scratchDir) + sep)) {
      throw new BackupVerificationFailed(`refusing to delete ${handle.restoredTo}: not in ${this.scratchDir}`);
    }
    return removeDatabaseFiles(file);
  }
}
