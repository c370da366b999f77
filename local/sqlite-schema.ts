import { resolve } from 'node:path';
import Database from 'better-sqlite3';

/**
 * One step of a database's schema history: SQL, or a function for what SQL alone cannot say
 * (a column that only some older files lack, a data rewrite). Migration n (1-based) takes a file
 * from `PRAGMA user_version` n-1 to n; a released migration is never edited, only followed by a new one.
 */
export type Migration = string | ((db: Database.Database) => void);

/** A database written by a newer golive: refused, neither read nor written, so the newer golive still finds it intact. */
export class StateTooNew extends Error {
  constructor(
    readonly file: string,
    readonly version: number,
    readonly newest: number,
  ) {
    super(
      `${file} has schema version ${version}, but this golive understands versions up to ${newest}: ` +
        'a newer golive wrote it. Upgrade golive, or move the .golive directory (GOLIVE_HOME) aside to start ' +
        'with fresh local state. The file was left untouched.',
    );
    this.name = 'StateTooNew';
  }
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

function describeFile(db: Database.Database): string {
  return db.memory ? db.name : resolve(db.name);
}

/** Throws StateTooNew when the file is newer than `migrations` know; only reads its header. */
export function refuseNewer(db: Database.Database, migrations: readonly Migration[]): void {
  const version = schemaVersion(db);
  if (version > migrations.length) throw new StateTooNew(describeFile(db), version, migrations.length);
}

/**
 * Applies the pending migrations in order, each in its own IMMEDIATE transaction together with its
 * user_version bump: a crash leaves the file at a whole version, and a second process opening the
 * same file at the same time re-reads the version under the write lock instead of applying twice.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[]): void {
  refuseNewer(db, migrations);
  if (schemaVersion(db) === migrations.length) return; // the usual open: no write lock taken
  const step = db.transaction((): boolean => {
    refuseNewer(db, migrations);
    const version = schemaVersion(db);
    if (version === migrations.length) return false;
    const migration = migrations[version];
    if (typeof migration === 'string') db.exec(migration);
    else migration(db);
    db.pragma(`user_version = ${version + 1}`);
    return true;
  });
  let applied = true;
  while (applied) applied = step.immediate();
}

/**
 * Opens a golive-owned database shared by several connections (WAL, busy timeout) and brings its
 * schema up to date. A too-new file is refused before anything (even the journal mode) is written.
 */
export function openDatabase(file: string, migrations: readonly Migration[]): Database.Database {
  const db = new Database(file);
  try {
    db.pragma('busy_timeout = 5000');
    refuseNewer(db, migrations);
    db.pragma('journal_mode = WAL');
    migrate(db, migrations);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
