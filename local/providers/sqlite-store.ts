import type Database from 'better-sqlite3';
import { chainRecord, GENESIS_HASH } from '../../lambdas/core/audit';
import type {
  ApprovalRecord,
  ApprovalStatus,
  AuditEntry,
  AuditRecord,
  CallbackKind,
  CallbackRecord,
  LockRecord,
  ScratchLeft,
  Slot,
  Store,
  Vote,
  LiveVersion,
  LiveVersionExtra,
} from '../../lambdas/core/ports';
import { openDatabase, type Migration } from '../sqlite-schema';

/**
 * Schema history of `.golive/store.sqlite`, shared with LocalAlerts and LocalNotifier (which use the
 * store's connection and so find their tables here). Migration 1 is the schema as it stood before
 * versioning; IF NOT EXISTS lets it adopt such a file (user_version 0, tables already there).
 */
export const STORE_MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE IF NOT EXISTS locks (service TEXT PRIMARY KEY, execution_id TEXT NOT NULL, expires_at TEXT NOT NULL, record TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS execution_values (execution_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (execution_id, key));
  CREATE TABLE IF NOT EXISTS callbacks (token TEXT PRIMARY KEY, execution_id TEXT NOT NULL, kind TEXT NOT NULL, record TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS callbacks_by_execution ON callbacks (execution_id);
  CREATE TABLE IF NOT EXISTS approvals (approval_id TEXT PRIMARY KEY, execution_id TEXT NOT NULL, status TEXT NOT NULL, closed_at TEXT, record TEXT NOT NULL);
  CREATE INDEX IF NOT EXISTS approvals_by_execution ON approvals (execution_id);
  CREATE TABLE IF NOT EXISTS votes (approval_id TEXT NOT NULL, voter TEXT NOT NULL, seq INTEGER NOT NULL, vote TEXT NOT NULL, PRIMARY KEY (approval_id, voter));
  CREATE TABLE IF NOT EXISTS audit (execution_id TEXT NOT NULL, seq INTEGER NOT NULL, record TEXT NOT NULL, PRIMARY KEY (execution_id, seq));
  CREATE TABLE IF NOT EXISTS live_versions (service TEXT PRIMARY KEY, version TEXT NOT NULL, slot TEXT NOT NULL, at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS scratch_left (execution_id TEXT PRIMARY KEY, service TEXT NOT NULL, restored_to TEXT NOT NULL, since TEXT NOT NULL, warned_at TEXT);
  CREATE TABLE IF NOT EXISTS alarm_settings (name TEXT PRIMARY KEY, actions_enabled INTEGER NOT NULL);
  CREATE TABLE IF NOT EXISTS alarm_mute_rules (name TEXT PRIMARY KEY, alarms TEXT NOT NULL, expires_at TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS alarm_actions (id INTEGER PRIMARY KEY AUTOINCREMENT, alarm TEXT NOT NULL, state TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL);
  CREATE TABLE IF NOT EXISTS notifications (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL, execution_id TEXT NOT NULL, service TEXT NOT NULL, text TEXT NOT NULL, details TEXT);
  `,
  // 2: what was live before, and which go-live made it live (golive rollback).
  `ALTER TABLE live_versions ADD COLUMN extra TEXT;`,
];

/**
 * The local store: locks, per-execution values, callback tokens, approvals and votes, audit chain.
 * One SQLite file shared by the runtime and CLI processes (WAL, busy timeout); every conditional
 * write of the DynamoDB store is a transaction here.
 */
export class SqliteStore implements Store {
  readonly db: Database.Database;

  constructor(file: string) {
    this.db = openDatabase(file, STORE_MIGRATIONS);
  }

  close(): void {
    this.db.close();
  }

  async acquireLock(
    lock: LockRecord,
    now: Date,
  ): Promise<{ acquired: true } | { acquired: false; holder: LockRecord }> {
    return this.db
      .transaction(() => {
        const row = this.db.prepare('SELECT record, expires_at FROM locks WHERE service = ?').get(lock.service) as
          { record: string; expires_at: string } | undefined;
        if (row) {
          const holder = JSON.parse(row.record) as LockRecord;
          if (holder.executionId !== lock.executionId && Date.parse(row.expires_at) > now.getTime()) {
            return { acquired: false as const, holder };
          }
        }
        this.db
          .prepare('INSERT OR REPLACE INTO locks (service, execution_id, expires_at, record) VALUES (?, ?, ?, ?)')
          .run(lock.service, lock.executionId, lock.expiresAt, JSON.stringify(lock));
        return { acquired: true as const };
      })
      .immediate();
  }

  async getLock(service: string): Promise<LockRecord | undefined> {
    const row = this.db.prepare('SELECT record FROM locks WHERE service = ?').get(service) as
      { record: string } | undefined;
    return row ? (JSON.parse(row.record) as LockRecord) : undefined;
  }

  async releaseLock(service: string, executionId: string): Promise<boolean> {
    return (
      this.db.prepare('DELETE FROM locks WHERE service = ? AND execution_id = ?').run(service, executionId).changes > 0
    );
  }

  async listLocks(): Promise<LockRecord[]> {
    const rows = this.db.prepare('SELECT record FROM locks ORDER BY service').all() as { record: string }[];
    return rows.map((row) => JSON.parse(row.record) as LockRecord);
  }

  async putExecutionValue(executionId: string, key: string, value: unknown): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO execution_values (execution_id, key, value) VALUES (?, ?, ?)')
      .run(executionId, key, JSON.stringify(value));
  }

  async claimExecutionValue(executionId: string, key: string, value: unknown): Promise<boolean> {
    const insert = 'INSERT OR IGNORE INTO execution_values (execution_id, key, value) VALUES (?, ?, ?)';
    return this.db.prepare(insert).run(executionId, key, JSON.stringify(value)).changes > 0;
  }

  async getExecutionValue<T>(executionId: string, key: string): Promise<T | undefined> {
    const row = this.db
      .prepare('SELECT value FROM execution_values WHERE execution_id = ? AND key = ?')
      .get(executionId, key) as { value: string } | undefined;
    return row ? (JSON.parse(row.value) as T) : undefined;
  }

  async putCallback(record: CallbackRecord): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO callbacks (token, execution_id, kind, record) VALUES (?, ?, ?, ?)')
      .run(record.token, record.executionId, record.kind, JSON.stringify(record));
  }

  async findCallbacks(filter: {
    executionId?: string;
    alarmName?: string;
    kind?: CallbackKind;
  }): Promise<CallbackRecord[]> {
    const rows = (
      filter.executionId
        ? this.db.prepare('SELECT record FROM callbacks WHERE execution_id = ?').all(filter.executionId)
        : this.db.prepare('SELECT record FROM callbacks').all()
    ) as { record: string }[];
    return rows
      .map((r) => JSON.parse(r.record) as CallbackRecord)
      .filter(
        (r) => (!filter.kind || r.kind === filter.kind) && (!filter.alarmName || r.alarms.includes(filter.alarmName)),
      );
  }

  async deleteCallback(token: string): Promise<void> {
    this.db.prepare('DELETE FROM callbacks WHERE token = ?').run(token);
  }

  async createApproval(record: ApprovalRecord): Promise<void> {
    this.db
      .prepare('INSERT INTO approvals (approval_id, execution_id, status, record) VALUES (?, ?, ?, ?)')
      .run(record.approvalId, record.executionId, record.status, JSON.stringify({ ...record, votes: [] }));
  }

  private readApproval(
    row: { record: string; status: string; closed_at: string | null } | undefined,
  ): ApprovalRecord | undefined {
    if (!row) return undefined;
    const record = JSON.parse(row.record) as ApprovalRecord;
    const votes = (
      this.db.prepare('SELECT vote FROM votes WHERE approval_id = ? ORDER BY seq').all(record.approvalId) as {
        vote: string;
      }[]
    ).map((v) => JSON.parse(v.vote) as Vote);
    return {
      ...record,
      status: row.status as ApprovalStatus,
      votes,
      ...(row.closed_at ? { closedAt: row.closed_at } : {}),
    };
  }

  async getApproval(approvalId: string): Promise<ApprovalRecord | undefined> {
    return this.readApproval(
      this.db.prepare('SELECT record, status, closed_at FROM approvals WHERE approval_id = ?').get(approvalId) as never,
    );
  }

  async findApprovalByExecution(executionId: string): Promise<ApprovalRecord | undefined> {
    return this.readApproval(
      this.db
        .prepare('SELECT record, status, closed_at FROM approvals WHERE execution_id = ? ORDER BY rowid DESC LIMIT 1')
        .get(executionId) as never,
    );
  }

  async addVote(approvalId: string, vote: Vote): Promise<{ added: boolean; record: ApprovalRecord }> {
    const added = this.db
      .transaction(() => {
        const status = this.db.prepare('SELECT status FROM approvals WHERE approval_id = ?').get(approvalId) as
          { status: string } | undefined;
        if (status?.status !== 'pending') return false;
        const seq = (
          this.db.prepare('SELECT COUNT(*) AS n FROM votes WHERE approval_id = ?').get(approvalId) as { n: number }
        ).n;
        return (
          this.db
            .prepare('INSERT OR IGNORE INTO votes (approval_id, voter, seq, vote) VALUES (?, ?, ?, ?)')
            .run(approvalId, vote.voter, seq + 1, JSON.stringify(vote)).changes > 0
        );
      })
      .immediate();
    const record = await this.getApproval(approvalId);
    if (!record) throw new Error(`approval ${approvalId} does not exist`);
    return { added, record };
  }

  async closeApproval(
    approvalId: string,
    status: Exclude<ApprovalStatus, 'pending'>,
    at: Date,
    from: ApprovalStatus = 'pending',
  ): Promise<boolean> {
    return (
      this.db
        .prepare('UPDATE approvals SET status = ?, closed_at = ? WHERE approval_id = ? AND status = ?')
        .run(status, at.toISOString(), approvalId, from).changes > 0
    );
  }

  async appendAudit(entry: AuditEntry): Promise<AuditRecord> {
    return this.db
      .transaction(() => {
        const last = this.db
          .prepare('SELECT record FROM audit WHERE execution_id = ? ORDER BY seq DESC LIMIT 1')
          .get(entry.executionId) as { record: string } | undefined;
        const prev = last ? (JSON.parse(last.record) as AuditRecord) : undefined;
        const record = chainRecord(entry, (prev?.seq ?? 0) + 1, prev?.hash ?? GENESIS_HASH);
        this.db
          .prepare('INSERT INTO audit (execution_id, seq, record) VALUES (?, ?, ?)')
          .run(entry.executionId, record.seq, JSON.stringify(record));
        return record;
      })
      .immediate();
  }

  async listAudit(executionId: string): Promise<AuditRecord[]> {
    return (
      this.db.prepare('SELECT record FROM audit WHERE execution_id = ? ORDER BY seq').all(executionId) as {
        record: string;
      }[]
    ).map((r) => JSON.parse(r.record) as AuditRecord);
  }

  async setLiveVersion(
    service: string,
    version: string,
    slot: Slot,
    at: Date,
    extra?: LiveVersionExtra,
  ): Promise<void> {
    this.db
      .prepare('INSERT OR REPLACE INTO live_versions (service, version, slot, at, extra) VALUES (?, ?, ?, ?, ?)')
      .run(service, version, slot, at.toISOString(), extra ? JSON.stringify(extra) : null);
  }

  async getLiveVersion(service: string): Promise<LiveVersion | undefined> {
    const row = this.db.prepare('SELECT version, slot, at, extra FROM live_versions WHERE service = ?').get(service) as
      { version: string; slot: Slot; at: string; extra: string | null } | undefined;
    if (!row) return undefined;
    const { extra, ...live } = row;
    return { ...live, ...(extra ? (JSON.parse(extra) as LiveVersionExtra) : {}) };
  }

  async markScratchLeft(
    executionId: string,
    info: { service: string; restoredTo: string; at: string; warnedAt?: string },
  ): Promise<void> {
    this.db
      .prepare(
        `INSERT INTO scratch_left (execution_id, service, restored_to, since, warned_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (execution_id) DO UPDATE SET service = excluded.service, restored_to = excluded.restored_to,
           warned_at = COALESCE(excluded.warned_at, scratch_left.warned_at)`,
      )
      .run(executionId, info.service, info.restoredTo, info.at, info.warnedAt ?? null);
  }

  async clearScratchLeft(executionId: string): Promise<void> {
    this.db.prepare('DELETE FROM scratch_left WHERE execution_id = ?').run(executionId);
  }

  async listScratchLeft(): Promise<ScratchLeft[]> {
    const rows = this.db
      .prepare(
        'SELECT execution_id, service, restored_to, since, warned_at FROM scratch_left ORDER BY since, execution_id',
      )
      .all() as {
      execution_id: string;
      service: string;
      restored_to: string;
      since: string;
      warned_at: string | null;
    }[];
    return rows.map((r) => ({
      executionId: r.execution_id,
      service: r.service,
      restoredTo: r.restored_to,
      since: r.since,
      ...(r.warned_at ? { warnedAt: r.warned_at } : {}),
    }));
  }
}
