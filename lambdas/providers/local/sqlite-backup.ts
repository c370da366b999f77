import { join } from 'node:path';
import { listBackups, verifyRestore } from '../../../local/demo/database';
import { BackupVerificationFailed } from '../../core/errors';
import type { BackupEvidence, BackupProvider } from '../../core/ports';

/**
 * Backups of a local SQLite database: the latest online backup is restored into a scratch file,
 * checked (integrity_check, per-table rows and checksums) and the scratch file deleted.
 */
export class LocalSqliteBackup implements BackupProvider {
  /** Fault injection for the demo: simulate a damaged backup (validation must catch it). */
  corrupt = false;

  constructor(
    private readonly backupDir: (service: string) => string,
    private readonly scratchDir: string,
    private readonly sourceFile?: (service: string) => string | undefined,
  ) {}

  async verifyLatest(service: string): Promise<BackupEvidence> {
    const [latest] = listBackups(this.backupDir(service));
    if (!latest) {
      throw new BackupVerificationFailed(
        `no backup of ${service} exists in ${this.backupDir(service)}: take one (golive local up does at start) and start again`,
      );
    }
    const source = this.sourceFile?.(service);
    const evidence = await verifyRestore({
      backup: latest,
      scratchDir: join(this.scratchDir),
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
}
