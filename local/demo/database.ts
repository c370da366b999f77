import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import Database from 'better-sqlite3';
import { openDatabase, type Migration } from '../sqlite-schema';

export interface TableFigure {
  rows: number;
  /** sha256 (hex) over the table's rows in primary-key order, one canonical JSON document per row. */
  checksum: string;
}

export interface BackupManifest {
  tables: Record<string, TableFigure>;
  /** sha256 over all table figures: a content fingerprint of the source as of the backup. */
  fingerprint: string;
}

export interface BackupRecord {
  id: string;
  file: string;
  takenAt: string;
  sizeBytes: number;
  sourceFile: string;
  manifestFile: string;
  manifest: BackupManifest;
}

export interface TableEvidence {
  name: string;
  expectedRows: number | null;
  restoredRows: number | null;
  expectedChecksum: string | null;
  restoredChecksum: string | null;
  match: boolean;
}

export interface RestoreEvidence {
  backupId: string;
  backupTakenAt: string;
  restoredTo: string;
  /** 'ok', the integrity_check messages joined with '; ', or 'not run' when the restore itself failed. */
  integrityCheck: 'ok' | string;
  tables: TableEvidence[];
  scratchDeleted: boolean;
  durationMs: number;
  ok: boolean;
  /** Human-readable reasons when ok is false (each names the table or check), empty otherwise. */
  problems: string[];
  /** Where the expected figures came from. 'source' only when the live source is unchanged since the backup. */
  comparedWith: 'source' | 'manifest';
  /** Present when a source comparison was requested. */
  sourceState?: 'unchanged' | 'changed' | 'unavailable';
  /** Present when `corrupt: true` removed a row from the scratch copy. */
  corruptionInjected?: { table: string; rowid: number };
  error?: string;
}

export interface VerifyRestoreOptions {
  backup: BackupRecord;
  scratchDir: string;
  /** Fault injection: delete one row from the scratch copy after the restore, before validation. */
  corrupt?: boolean;
  /** Compare against this live database instead of the manifest when it has not changed since the backup. */
  sourceFile?: string;
}

export interface DemoDatabaseInfo {
  file: string;
  tables: { customers: number; orders: number; order_items: number };
}

/**
 * Schema history of the demo service's own database (`.golive/services/<service>/demo.sqlite`).
 * Migration 1 is the schema as it stood before versioning; IF NOT EXISTS lets it adopt such a file.
 */
export const DEMO_MIGRATIONS: readonly Migration[] = [
  `
CREATE TABLE IF NOT EXISTS customers (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  email TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customers(id),
  status TEXT NOT NULL,
  total_cents INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS order_items (
  id INTEGER PRIMARY KEY,
  order_id INTEGER NOT NULL REFERENCES orders(id),
  sku TEXT NOT NULL,
  quantity INTEGER NOT NULL,
  unit_price_cents INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS order_items_order_id ON order_items(order_id);
`,
];

const FIRST_NAMES = ['Ada', 'Grace', 'Linus', 'Margaret', 'Ken', 'Barbara', 'Dennis', 'Frances'];
const LAST_NAMES = ['Lovelace', 'Hopper', 'Torvalds', 'Hamilton', 'Thompson', 'Liskov', 'Ritchie', 'Allen'];
const CATALOG = [
  { sku: 'TSHIRT-S', price: 1900 },
  { sku: 'TSHIRT-M', price: 1900 },
  { sku: 'MUG', price: 1250 },
  { sku: 'STICKERS', price: 400 },
  { sku: 'HOODIE', price: 4900 },
  { sku: 'CAP', price: 2200 },
  { sku: 'NOTEBOOK', price: 850 },
];
const STATUSES = ['pending', 'paid', 'shipped', 'delivered', 'cancelled'];
const CUSTOMER_COUNT = 25;
// Fixed epoch so every seeded database is byte-for-byte identical in content (stable checksums).
const SEED_EPOCH_MS = Date.UTC(2024, 0, 1);

/** Creates or upgrades the demo schema and seeds rows (idempotent: an already seeded database keeps its rows). */
export function createDemoDatabase(file: string, options: { orders?: number } = {}): DemoDatabaseInfo {
  const orderCount = options.orders ?? 200;
  mkdirSync(dirname(resolve(file)), { recursive: true });
  const db = openDatabase(file, DEMO_MIGRATIONS);
  try {
    const seeded = (db.prepare('SELECT count(*) AS n FROM customers').get() as { n: number }).n > 0;
    if (!seeded) seed(db, orderCount);
    return { file, tables: countRows(db) };
  } finally {
    db.close();
  }
}

function seed(db: Database.Database, orderCount: number): void {
  const insertCustomer = db.prepare('INSERT INTO customers (id, name, email, created_at) VALUES (?, ?, ?, ?)');
  const insertOrder = db.prepare(
    'INSERT INTO orders (id, customer_id, status, total_cents, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const insertItem = db.prepare(
    'INSERT INTO order_items (order_id, sku, quantity, unit_price_cents) VALUES (?, ?, ?, ?)',
  );
  db.transaction(() => {
    for (let c = 1; c <= CUSTOMER_COUNT; c++) {
      const first = FIRST_NAMES[c % FIRST_NAMES.length];
      const last = LAST_NAMES[(c * 3) % LAST_NAMES.length];
      const createdAt = new Date(SEED_EPOCH_MS + c * 86_400_000).toISOString();
      insertCustomer.run(c, `${first} ${last}`, `${first}.${last}.${c}@example.com`.toLowerCase(), createdAt);
    }
    for (let o = 1; o <= orderCount; o++) {
      const items = 1 + (o % 3);
      let total = 0;
      const lines: Array<{ sku: string; quantity: number; price: number }> = [];
      for (let j = 0; j < items; j++) {
        const product = CATALOG[(o * 5 + j * 3) % CATALOG.length];
        const quantity = 1 + ((o + j) % 4);
        total += quantity * product.price;
        lines.push({ sku: product.sku, quantity, price: product.price });
      }
      const createdAt = new Date(SEED_EPOCH_MS + 30 * 86_400_000 + o * 37 * 60_000).toISOString();
      insertOrder.run(o, ((o * 7) % CUSTOMER_COUNT) + 1, STATUSES[o % STATUSES.length], total, createdAt);
      for (const line of lines) insertItem.run(o, line.sku, line.quantity, line.price);
    }
  })();
}

function countRows(db: Database.Database): DemoDatabaseInfo['tables'] {
  const count = (table: string): number =>
    (db.prepare(`SELECT count(*) AS n FROM ${quoteIdent(table)}`).get() as { n: number }).n;
  return { customers: count('customers'), orders: count('orders'), order_items: count('order_items') };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function canonicalValue(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return { $blob: value.toString('base64') };
  if (typeof value === 'bigint') return { $int: value.toString() };
  return value;
}

function canonicalRow(row: Record<string, unknown>): string {
  const keys = Object.keys(row).sort();
  return JSON.stringify(Object.fromEntries(keys.map((k) => [k, canonicalValue(row[k])])));
}

/**
 * Row counts and checksums of every user table. Callers run it inside one read transaction so all
 * tables are read from the same snapshot.
 */
function computeFigures(db: Database.Database): Record<string, TableFigure> {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as Array<{ name: string }>;
  const figures: Record<string, TableFigure> = {};
  for (const { name } of tables) {
    const pk = (db.prepare(`PRAGMA table_info(${quoteIdent(name)})`).all() as Array<{ name: string; pk: number }>)
      .filter((c) => c.pk > 0)
      .sort((a, b) => a.pk - b.pk)
      .map((c) => quoteIdent(c.name));
    const orderBy = pk.length > 0 ? pk.join(', ') : 'rowid';
    const hash = createHash('sha256');
    let rows = 0;
    for (const row of db.prepare(`SELECT * FROM ${quoteIdent(name)} ORDER BY ${orderBy}`).iterate()) {
      hash.update(canonicalRow(row as Record<string, unknown>));
      hash.update('\n');
      rows++;
    }
    figures[name] = { rows, checksum: hash.digest('hex') };
  }
  return figures;
}

function fingerprintOf(tables: Record<string, TableFigure>): string {
  const names = Object.keys(tables).sort();
  return createHash('sha256')
    .update(JSON.stringify(names.map((n) => [n, tables[n].rows, tables[n].checksum])))
    .digest('hex');
}

/** Figures of a live database read in one transaction (a consistent snapshot even under concurrent writes). */
function readFigures(file: string): Record<string, TableFigure> {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return db.transaction(() => computeFigures(db))();
  } finally {
    db.close();
  }
}

function compactTimestamp(iso: string): string {
  return iso.replace(/[-:.]/g, '');
}

interface ManifestFile {
  backupId: string;
  takenAt: string;
  sourceFile: string;
  backupFile: string;
  sizeBytes: number;
  tables: Record<string, TableFigure>;
  fingerprint: string;
}

/**
 * Online backup through the SQLite backup API. The manifest and the page copy run inside the same
 * read transaction on the source, so both describe exactly one snapshot even while others write.
 */
export async function takeBackup(sourceFile: string, backupDir: string): Promise<BackupRecord> {
  if (!existsSync(sourceFile)) throw new Error(`source database ${sourceFile} does not exist`);
  mkdirSync(backupDir, { recursive: true });
  const src = new Database(sourceFile, { readonly: true, fileMustExist: true });
  let tables: Record<string, TableFigure>;
  let takenAt: string;
  let id: string;
  let file: string;
  try {
    src.exec('BEGIN');
    try {
      // The snapshot starts with the first read, so the timestamp is taken right before it.
      takenAt = new Date().toISOString();
      tables = computeFigures(src);
      id = `backup-${compactTimestamp(takenAt)}-${randomBytes(3).toString('hex')}`;
      file = join(backupDir, `${id}.sqlite`);
      try {
        await src.backup(file);
      } catch (err) {
        removeDatabaseFiles(file);
        throw err;
      }
    } finally {
      src.exec('COMMIT');
    }
  } finally {
    src.close();
  }
  // The copied header says WAL; switch the copy to a rollback journal so the backup is one self-contained file.
  const copy = new Database(file);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
  const sizeBytes = statSync(file).size;
  const manifest: BackupManifest = { tables, fingerprint: fingerprintOf(tables) };
  const manifestFile = join(backupDir, `${id}.manifest.json`);
  const content: ManifestFile = {
    backupId: id,
    takenAt,
    sourceFile: resolve(sourceFile),
    backupFile: basename(file),
    sizeBytes,
    ...manifest,
  };
  writeFileSync(manifestFile, JSON.stringify(content, null, 2) + '\n');
  return { id, file, takenAt, sizeBytes, sourceFile: resolve(sourceFile), manifestFile, manifest };
}

/** Backups in a directory (those with both a manifest and a backup file), newest first. */
export function listBackups(backupDir: string): BackupRecord[] {
  if (!existsSync(backupDir)) return [];
  const records: BackupRecord[] = [];
  for (const entry of readdirSync(backupDir)) {
    if (!entry.endsWith('.manifest.json')) continue;
    const manifestFile = join(backupDir, entry);
    let content: ManifestFile;
    try {
      content = JSON.parse(readFileSync(manifestFile, 'utf8')) as ManifestFile;
    } catch {
      continue; // a half-written or foreign file is not a backup
    }
    const file = join(backupDir, content.backupFile);
    if (!existsSync(file)) continue;
    records.push({
      id: content.backupId,
      file,
      takenAt: content.takenAt,
      sizeBytes: content.sizeBytes,
      sourceFile: content.sourceFile,
      manifestFile,
      manifest: { tables: content.tables, fingerprint: content.fingerprint },
    });
  }
  return records.sort((a, b) => b.takenAt.localeCompare(a.takenAt) || b.id.localeCompare(a.id));
}

/** Removes a database file and its companions; true when none of them is left. */
function removeDatabaseFiles(file: string): boolean {
  const paths = ['', '-wal', '-shm', '-journal'].map((suffix) => file + suffix);
  for (const p of paths) rmSync(p, { force: true });
  return paths.every((p) => !existsSync(p));
}

function deleteOneRow(db: Database.Database, tables: string[]): { table: string; rowid: number } | undefined {
  // Prefer 'orders' so the damage lands on the table a reader would look at first.
  const candidates = tables.includes('orders') ? ['orders', ...tables.filter((t) => t !== 'orders')] : tables;
  // Damage ignores constraints: better-sqlite3 enables foreign keys by default, which would refuse the delete.
  db.pragma('foreign_keys = OFF');
  for (const table of candidates) {
    const row = db.prepare(`SELECT max(rowid) AS rowid FROM ${quoteIdent(table)}`).get() as { rowid: number | null };
    if (row.rowid === null) continue;
    db.prepare(`DELETE FROM ${quoteIdent(table)} WHERE rowid = ?`).run(row.rowid);
    return { table, rowid: row.rowid };
  }
  return undefined;
}

function integrityCheckOf(db: Database.Database): string {
  try {
    const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    const messages = rows.map((r) => r.integrity_check);
    return messages.length === 1 && messages[0] === 'ok' ? 'ok' : messages.join('; ');
  } catch (err) {
    return (err as Error).message;
  }
}

/**
 * Restores a backup into a new scratch file (through the online backup API), checks its integrity,
 * compares per-table counts and checksums with the expected figures, and always deletes the scratch file.
 */
export async function verifyRestore(options: VerifyRestoreOptions): Promise<RestoreEvidence> {
  const { backup, scratchDir, corrupt = false, sourceFile } = options;
  const started = performance.now();
  mkdirSync(scratchDir, { recursive: true });
  const restoredTo = join(scratchDir, `restore-${backup.id}-${randomBytes(3).toString('hex')}.sqlite`);
  let expected = backup.manifest.tables;
  let comparedWith: RestoreEvidence['comparedWith'] = 'manifest';
  let sourceState: RestoreEvidence['sourceState'];
  let integrityCheck = 'not run';
  let restored: Record<string, TableFigure> | undefined;
  let corruptionInjected: RestoreEvidence['corruptionInjected'];
  let error: string | undefined;
  let scratchDeleted: boolean;
  try {
    if (!existsSync(backup.file)) throw new Error(`backup file ${backup.file} does not exist`);
    const from = new Database(backup.file, { readonly: true, fileMustExist: true });
    try {
      await from.backup(restoredTo);
    } finally {
      from.close();
    }
    const db = new Database(restoredTo);
    try {
      if (corrupt) corruptionInjected = deleteOneRow(db, Object.keys(backup.manifest.tables).sort());
      integrityCheck = integrityCheckOf(db);
      restored = db.transaction(() => computeFigures(db))();
    } finally {
      db.close();
    }
    if (sourceFile !== undefined) {
      // The live source is only a valid reference if its content is still what was backed up;
      // a content fingerprint proves that (PRAGMA data_version is per connection, so it cannot).
      try {
        const live = readFigures(sourceFile);
        if (fingerprintOf(live) === backup.manifest.fingerprint) {
          expected = live;
          comparedWith = 'source';
          sourceState = 'unchanged';
        } else {
          sourceState = 'changed';
        }
      } catch {
        sourceState = 'unavailable';
      }
    }
  } catch (err) {
    error = (err as Error).message;
  } finally {
    scratchDeleted = removeDatabaseFiles(restoredTo);
  }
  const names = [...new Set([...Object.keys(expected), ...Object.keys(restored ?? {})])].sort();
  const tables: TableEvidence[] = names.map((name) => {
    const e = expected[name];
    const r = restored?.[name];
    return {
      name,
      expectedRows: e?.rows ?? null,
      restoredRows: r?.rows ?? null,
      expectedChecksum: e?.checksum ?? null,
      restoredChecksum: r?.checksum ?? null,
      match: e !== undefined && r !== undefined && e.rows === r.rows && e.checksum === r.checksum,
    };
  });
  const problems: string[] = [];
  if (error !== undefined) problems.push(`restore failed: ${error}`);
  if (integrityCheck !== 'ok') problems.push(`integrity check: ${integrityCheck}`);
  if (tables.length === 0) problems.push('no tables to compare');
  // Without a restored copy the per-table lines would only repeat the restore failure.
  for (const t of restored === undefined ? [] : tables) {
    if (t.match) continue;
    if (t.expectedRows === null) problems.push(`table ${t.name}: present in the restore but not expected`);
    else if (t.restoredRows === null) problems.push(`table ${t.name}: missing from the restore`);
    else if (t.expectedRows !== t.restoredRows) {
      problems.push(`table ${t.name}: ${t.restoredRows} rows restored, ${t.expectedRows} expected`);
    } else problems.push(`table ${t.name}: checksum differs (${t.restoredRows} rows)`);
  }
  if (!scratchDeleted) problems.push(`scratch file ${restoredTo} could not be deleted`);
  const ok = problems.length === 0;
  return {
    backupId: backup.id,
    backupTakenAt: backup.takenAt,
    restoredTo,
    integrityCheck,
    tables,
    scratchDeleted,
    durationMs: Math.round((performance.now() - started) * 100) / 100,
    ok,
    problems,
    comparedWith,
    ...(sourceState !== undefined ? { sourceState } : {}),
    ...(corruptionInjected !== undefined ? { corruptionInjected } : {}),
    ...(error !== undefined ? { error } : {}),
  };
}

/** verifyRestore against the live source (defaults to the backup's own source), falling back to the manifest. */
export function verifyRestoreAgainstSource(
  options: Omit<VerifyRestoreOptions, 'sourceFile'> & { sourceFile?: string },
): Promise<RestoreEvidence> {
  return verifyRestore({ ...options, sourceFile: options.sourceFile ?? options.backup.sourceFile });
}
