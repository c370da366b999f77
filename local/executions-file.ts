import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { toHistoryEvent } from './engine/history';
import type { ExecutionRow, StoredEvent } from './engine/store';

/** The columns of an execution the audit reads (the engine's row, without its redrive bookkeeping). */
export type EngineExecution = Pick<
  ExecutionRow,
  'arn' | 'stateMachineArn' | 'name' | 'status' | 'input' | 'output' | 'error' | 'cause' | 'startDate' | 'stopDate'
>;

/**
 * The local engine's `executions.sqlite` opened read-only (schema: local/engine/store.ts), for the
 * audit commands with the runtime stopped. Read-only so an auditor's look never migrates, locks
 * or touches the file the engine owns.
 */
export class ExecutionsFile {
  private readonly db: Database.Database;

  private constructor(readonly file: string) {
    this.db = new Database(file, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
  }

  /** The file under `home`, or undefined when there is none. */
  static open(home: string): ExecutionsFile | undefined {
    const file = join(home, 'executions.sqlite');
    return existsSync(file) ? new ExecutionsFile(file) : undefined;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private static row(r: Record<string, unknown>): EngineExecution {
    return {
      arn: r.arn as string,
      stateMachineArn: r.state_machine_arn as string,
      name: r.name as string,
      status: r.status as EngineExecution['status'],
      input: r.input as string,
      output: r.output as string | null,
      error: r.error as string | null,
      cause: r.cause as string | null,
      startDate: r.start_date as number,
      stopDate: r.stop_date as number | null,
    };
  }

  execution(arn: string): EngineExecution | undefined {
    const r = this.db.prepare('SELECT * FROM executions WHERE arn = ?').get(arn) as Record<string, unknown> | undefined;
    return r && ExecutionsFile.row(r);
  }

  /** Every execution, newest first. */
  executions(): EngineExecution[] {
    return (this.db.prepare('SELECT * FROM executions ORDER BY seq DESC').all() as Record<string, unknown>[]).map((r) =>
      ExecutionsFile.row(r),
    );
  }

  /** The execution's history in Step Functions' HistoryEvent shape, oldest first. */
  history(arn: string): HistoryEvent[] {
    const rows = this.db.prepare('SELECT * FROM history WHERE execution_arn = ? ORDER BY id').all(arn) as Record<
      string,
      unknown
    >[];
    return rows.map((r) => {
      const stored: StoredEvent = {
        id: r.id as number,
        previousEventId: r.previous_event_id as number,
        timestamp: r.timestamp as number,
        type: r.type as string,
        detailsKey: r.details_key as string | null,
        details: r.details === null ? undefined : (JSON.parse(r.details as string) as unknown),
      };
      return toHistoryEvent(stored);
    });
  }
}
