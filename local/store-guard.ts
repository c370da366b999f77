import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from './providers/sqlite-store';
import { StateTooNew } from './sqlite-schema';

export const STORE_FILE = 'store.sqlite';
export const EXECUTIONS_FILE = 'executions.sqlite';

/**
 * The store is gone or unreadable while executions.sqlite remembers go-lives: refused, because a
 * fresh store would put every service back on the demo defaults while the executions (and the
 * audit trail they point to) say otherwise.
 */
export class StoreMissing extends Error {
  constructor(
    readonly storeFile: string,
    readonly executionsFile: string,
    readonly executions: number,
    readonly reason: string,
  ) {
    super(
      `${storeFile} ${reason}, but ${executionsFile} holds ${executions} go-live execution(s). The store holds ` +
        'the live version of each service (and its slot), the locks, approvals and audit trail: starting without ' +
        'it would silently put the services back on their default versions. Put the store back (from a backup ' +
        'or wherever it went), or move the whole .golive directory (GOLIVE_HOME) aside to start with fresh ' +
        'local state. Nothing was changed.',
    );
    this.name = 'StoreMissing';
  }
}

/** How many executions the engine's database holds (0 when there is none or it cannot be read). */
function countExecutions(file: string): number {
  if (!existsSync(file)) return 0;
  let db: Database.Database | undefined;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    return (db.prepare('SELECT COUNT(*) AS n FROM executions').get() as { n: number }).n;
  } catch {
    return 0; // unreadable or from before any execution: the engine reports its own problems
  } finally {
    db?.close();
  }
}

/**
 * Opens `.golive/store.sqlite`. A fresh home gets a fresh store; a store missing, empty or
 * unreadable beside executions is refused with StoreMissing (a too-new one with StateTooNew).
 */
export function openLocalStore(home: string): SqliteStore {
  const storeFile = resolve(join(home, STORE_FILE));
  const executionsFile = resolve(join(home, EXECUTIONS_FILE));
  const executions = countExecutions(executionsFile);
  if (executions > 0) {
    if (!existsSync(storeFile)) throw new StoreMissing(storeFile, executionsFile, executions, 'is missing');
    if (statSync(storeFile).size === 0) throw new StoreMissing(storeFile, executionsFile, executions, 'is empty');
  }
  try {
    return new SqliteStore(storeFile);
  } catch (err) {
    if (executions === 0 || err instanceof StateTooNew) throw err;
    const reason = `cannot be opened (${(err as Error).message})`;
    throw new StoreMissing(storeFile, executionsFile, executions, reason);
  }
}
