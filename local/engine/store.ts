import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { openDatabase, type Migration } from '../sqlite-schema';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export type TokenStatus = 'OPEN' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'CLOSED';

export interface StateMachineRow {
  arn: string;
  name: string;
  definition: string;
  roleArn: string;
  creationDate: number;
  updateDate: number;
}

export interface ExecutionRow {
  arn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output: string | null;
  error: string | null;
  cause: string | null;
  startDate: number;
  stopDate: number | null;
  /** Times RedriveExecution restarted it (0 before any redrive). */
  redriveCount: number;
  /** When it was last redriven (epoch ms), null before any redrive. */
  redriveDate: number | null;
  /** SHA-256 of the definition it started with (null: started before this was recorded). */
  definitionSha256: string | null;
}

export interface StoredEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  /** The event's `<xxx>EventDetails` key and value, or null for detail-less events. */
  detailsKey: string | null;
  details: unknown;
}

export interface TokenRow {
  token: string;
  executionArn: string;
  stateName: string;
  status: TokenStatus;
}

interface RawExecution {
  arn: string;
  state_machine_arn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output: string | null;
  error: string | null;
  cause: string | null;
  start_date: number;
  stop_date: number | null;
  redrive_count: number;
  redrive_date: number | null;
  definition_sha256: string | null;
}

interface RawStateMachine {
  arn: string;
  name: string;
  definition: string;
  role_arn: string;
  creation_date: number;
  update_date: number;
}

interface RawEvent {
  id: number;
  previous_event_id: number;
  timestamp: number;
  type: string;
  details_key: string | null;
  details: string | null;
}

function toExecution(r: RawExecution): ExecutionRow {
  return {
    arn: r.arn,
    stateMachineArn: r.state_machine_arn,
    name: r.name,
    status: r.status,
    input: r.input,
    output: r.output,
    error: r.error,
    cause: r.cause,
    startDate: r.start_date,
    stopDate: r.stop_date,
    redriveCount: r.redrive_count,
    redriveDate: r.redrive_date,
    definitionSha256: r.definition_sha256,
  };
}

function toStateMachine(r: RawStateMachine): StateMachineRow {
  return {
    arn: r.arn,
    name: r.name,
    definition: r.definition,
    roleArn: r.role_arn,
    creationDate: r.creation_date,
    updateDate: r.update_date,
  };
}

/**
 * Schema history of `.golive/executions.sqlite`. Migration 1 is the schema as it stood before
 * versioning; IF NOT EXISTS lets it adopt such a file (user_version 0, tables already there).
 */
export const ENGINE_MIGRATIONS: readonly Migration[] = [
  `
  CREATE TABLE IF NOT EXISTS state_machines (
    arn TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    definition TEXT NOT NULL,
    role_arn TEXT NOT NULL,
    creation_date INTEGER NOT NULL,
    update_date INTEGER NOT NULL
  );
  CREATE TABLE IF NOT EXISTS executions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    arn TEXT NOT NULL UNIQUE,
    state_machine_arn TEXT NOT NULL,
    name TEXT NOT NULL,
    status TEXT NOT NULL,
    input TEXT NOT NULL,
    output TEXT,
    error TEXT,
    cause TEXT,
    start_date INTEGER NOT NULL,
    stop_date INTEGER
  );
  CREATE INDEX IF NOT EXISTS executions_by_sm ON executions (state_machine_arn, start_date DESC, seq DESC);
  CREATE INDEX IF NOT EXISTS executions_by_status ON executions (status);
  CREATE TABLE IF NOT EXISTS history (
    execution_arn TEXT NOT NULL,
    id INTEGER NOT NULL,
    previous_event_id INTEGER NOT NULL,
    timestamp INTEGER NOT NULL,
    type TEXT NOT NULL,
    details_key TEXT,
    details TEXT,
    PRIMARY KEY (execution_arn, id)
  ) WITHOUT ROWID;
  CREATE TABLE IF NOT EXISTS task_tokens (
    token TEXT PRIMARY KEY,
    execution_arn TEXT NOT NULL,
    state_name TEXT NOT NULL,
    status TEXT NOT NULL,
    created INTEGER NOT NULL
  );
  CREATE INDEX IF NOT EXISTS task_tokens_open ON task_tokens (status);
  `,
  // RedriveExecution: how often and when an execution was redriven, and the client tokens of its last 10
  // redrives as JSON [[token, redriveDate], ...] (AWS answers a repeated token with the first answer).
  `
  ALTER TABLE executions ADD COLUMN redrive_count INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE executions ADD COLUMN redrive_date INTEGER;
  ALTER TABLE executions ADD COLUMN redrive_tokens TEXT NOT NULL DEFAULT '[]';
  `,
  // Which definition an execution started with: a redrive runs that definition or none (see redrive.ts).
  `ALTER TABLE executions ADD COLUMN definition_sha256 TEXT;`,
];

/** SQLite persistence of state machines, executions, their history and task tokens (synchronous on purpose:
 * an event is durable before the engine moves on, so a crash never loses recorded history). */
export class EngineStore {
  private readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = openDatabase(file, ENGINE_MIGRATIONS);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  get isOpen(): boolean {
    return this.db.open;
  }

  // --- state machines ---

  upsertStateMachine(row: StateMachineRow): void {
    this.db
      .prepare(
        `INSERT INTO state_machines (arn, name, definition, role_arn, creation_date, update_date)
         VALUES (@arn, @name, @definition, @roleArn, @creationDate, @updateDate)
         ON CONFLICT(arn) DO UPDATE SET definition = excluded.definition, role_arn = excluded.role_arn,
           update_date = excluded.update_date`,
      )
      .run(row);
  }

  getStateMachine(arn: string): StateMachineRow | undefined {
    const r = this.db.prepare('SELECT * FROM state_machines WHERE arn = ?').get(arn) as RawStateMachine | undefined;
    return r && toStateMachine(r);
  }

  listStateMachines(afterName: string | undefined, limit: number): StateMachineRow[] {
    const rows = this.db
      .prepare('SELECT * FROM state_machines WHERE name > ? ORDER BY name LIMIT ?')
      .all(afterName ?? '', limit) as RawStateMachine[];
    return rows.map(toStateMachine);
  }

  // --- executions ---

  insertExecution(row: Omit<ExecutionRow, 'redriveCount' | 'redriveDate'>): void {
    this.db
      .prepare(
        `INSERT INTO executions (arn, state_machine_arn, name, status, input, output, error, cause, start_date, stop_date,
           definition_sha256)
         VALUES (@arn, @stateMachineArn, @name, @status, @input, @output, @error, @cause, @startDate, @stopDate,
           @definitionSha256)`,
      )
      .run(row);
  }

  /**
   * A redrive: the ended execution is RUNNING again, its end cleared, its redrive count and date set, and
   * the request's client token remembered. Only an ended execution is reopened; returns whether it was.
   */
  reopenExecution(arn: string, redriveCount: number, redriveDate: number, clientToken: string | undefined): boolean {
    return this.transaction(() => {
      const tokens = this.redriveTokens(arn);
      if (clientToken !== undefined) tokens.push([clientToken, redriveDate]);
      const changed = this.db
        .prepare(
          `UPDATE executions SET status = 'RUNNING', output = NULL, error = NULL, cause = NULL, stop_date = NULL,
             redrive_count = @redriveCount, redrive_date = @redriveDate, redrive_tokens = @tokens
           WHERE arn = @arn AND status != 'RUNNING'`,
        )
        .run({ arn, redriveCount, redriveDate, tokens: JSON.stringify(tokens.slice(-10)) }).changes;
      return changed === 1;
    });
  }

  /** The redrive date answered to a client token of this execution, if it was used since `notBefore`. */
  redriveForToken(arn: string, clientToken: string, notBefore: number): number | undefined {
    const found = this.redriveTokens(arn).find(([token, date]) => token === clientToken && date >= notBefore);
    return found?.[1];
  }

  private redriveTokens(arn: string): Array<[token: string, redriveDate: number]> {
    const r = this.db.prepare('SELECT redrive_tokens FROM executions WHERE arn = ?').get(arn) as
      { redrive_tokens: string } | undefined;
    return r ? (JSON.parse(r.redrive_tokens) as Array<[string, number]>) : [];
  }

  finishExecution(
    arn: string,
    end: {
      status: ExecutionStatus;
      output: string | null;
      error: string | null;
      cause: string | null;
      stopDate: number;
    },
  ): void {
    this.db
      .prepare(
        `UPDATE executions SET status = @status, output = @output, error = @error, cause = @cause, stop_date = @stopDate
         WHERE arn = @arn`,
      )
      .run({ arn, ...end });
  }

  getExecution(arn: string): ExecutionRow | undefined {
    const r = this.db.prepare('SELECT * FROM executions WHERE arn = ?').get(arn) as RawExecution | undefined;
    return r && toExecution(r);
  }

  /**
   * Newest first; `beforeSeq` is the paging cursor (insertion order, stable while new executions start);
   * `redriven` keeps only executions redriven at least once (true) or never (false).
   */
  listExecutions(
    stateMachineArn: string,
    status: ExecutionStatus | undefined,
    beforeSeq: number | undefined,
    limit: number,
    redriven?: boolean,
  ): Array<ExecutionRow & { seq: number }> {
    const rows = this.db
      .prepare(
        `SELECT * FROM executions WHERE state_machine_arn = @sm AND (@status IS NULL OR status = @status)
           AND (@before IS NULL OR seq < @before)
           AND (@redriven IS NULL OR (redrive_count > 0) = @redriven)
         ORDER BY seq DESC LIMIT @limit`,
      )
      .all({
        sm: stateMachineArn,
        status: status ?? null,
        before: beforeSeq ?? null,
        limit,
        redriven: redriven === undefined ? null : redriven ? 1 : 0,
      }) as Array<RawExecution & { seq: number }>;
    return rows.map((r) => ({ ...toExecution(r), seq: r.seq }));
  }

  runningExecutions(): ExecutionRow[] {
    return (
      this.db.prepare(`SELECT * FROM executions WHERE status = 'RUNNING' ORDER BY seq`).all() as RawExecution[]
    ).map(toExecution);
  }

  // --- history ---

  appendEvent(executionArn: string, event: StoredEvent): void {
    this.db
      .prepare(
        `INSERT INTO history (execution_arn, id, previous_event_id, timestamp, type, details_key, details)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        executionArn,
        event.id,
        event.previousEventId,
        event.timestamp,
        event.type,
        event.detailsKey,
        event.details === undefined ? null : JSON.stringify(event.details),
      );
  }

  lastEventId(executionArn: string): number {
    const r = this.db.prepare('SELECT MAX(id) AS id FROM history WHERE execution_arn = ?').get(executionArn) as {
      id: number | null;
    };
    return r.id ?? 0;
  }

  /** Events after (or, reversed, before) the cursor id; ids only grow, so paging is stable while events append. */
  listEvents(executionArn: string, cursor: number | undefined, limit: number, reverse: boolean): StoredEvent[] {
    const rows = (
      reverse
        ? this.db
            .prepare(`SELECT * FROM history WHERE execution_arn = ? AND id < ? ORDER BY id DESC LIMIT ?`)
            .all(executionArn, cursor ?? Number.MAX_SAFE_INTEGER, limit)
        : this.db
            .prepare(`SELECT * FROM history WHERE execution_arn = ? AND id > ? ORDER BY id ASC LIMIT ?`)
            .all(executionArn, cursor ?? 0, limit)
    ) as RawEvent[];
    return rows.map((r) => ({
      id: r.id,
      previousEventId: r.previous_event_id,
      timestamp: r.timestamp,
      type: r.type,
      detailsKey: r.details_key,
      details: r.details === null ? undefined : (JSON.parse(r.details) as unknown),
    }));
  }

  // --- task tokens ---

  insertToken(row: TokenRow): void {
    this.db
      .prepare('INSERT INTO task_tokens (token, execution_arn, state_name, status, created) VALUES (?, ?, ?, ?, ?)')
      .run(row.token, row.executionArn, row.stateName, row.status, Date.now());
  }

  getToken(token: string): TokenRow | undefined {
    const r = this.db
      .prepare('SELECT token, execution_arn, state_name, status FROM task_tokens WHERE token = ?')
      .get(token) as { token: string; execution_arn: string; state_name: string; status: TokenStatus } | undefined;
    return r && { token: r.token, executionArn: r.execution_arn, stateName: r.state_name, status: r.status };
  }

  setTokenStatus(token: string, status: TokenStatus): void {
    this.db.prepare('UPDATE task_tokens SET status = ? WHERE token = ?').run(status, token);
  }

  /** Close every token still open (optionally of one execution): nothing can complete them any more. */
  closeOpenTokens(executionArn?: string): void {
    if (executionArn) {
      this.db
        .prepare(`UPDATE task_tokens SET status = 'CLOSED' WHERE status = 'OPEN' AND execution_arn = ?`)
        .run(executionArn);
    } else {
      this.db.prepare(`UPDATE task_tokens SET status = 'CLOSED' WHERE status = 'OPEN'`).run();
    }
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }
}
