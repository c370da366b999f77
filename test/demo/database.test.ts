import { closeSync, existsSync, openSync, readFileSync, readdirSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import {
  createDemoDatabase,
  listBackups,
  takeBackup,
  verifyRestore,
  verifyRestoreAgainstSource,
  type BackupRecord,
} from '../../local/demo/database';
import { makeTmpDir } from './helpers';

const tmp = makeTmpDir();
const source = join(tmp.dir, 'demo.sqlite');
const backupDir = join(tmp.dir, 'backups');
const scratchDir = join(tmp.dir, 'scratch');

afterAll(() => tmp.cleanup());

const counts = (file: string): Record<string, number> => {
  const db = new Database(file, { readonly: true });
  try {
    const n = (t: string): number => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n;
    return { customers: n('customers'), orders: n('orders'), order_items: n('order_items') };
  } finally {
    db.close();
  }
};

describe('createDemoDatabase', () => {
  it('creates the seeded tables in WAL mode, idempotently', () => {
    const info = createDemoDatabase(source);
    expect(info).toEqual({ file: source, tables: { customers: 25, orders: 200, order_items: 401 } });
    expect(createDemoDatabase(source).tables).toEqual(info.tables);
    expect(counts(source)).toEqual(info.tables);
    const db = new Database(source, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });

  it('seeds deterministically (same content, same checksums) and honours the order count', async () => {
    const a = join(tmp.dir, 'a', 'a.sqlite');
    const b = join(tmp.dir, 'b', 'b.sqlite');
    createDemoDatabase(a, { orders: 30 });
    createDemoDatabase(b, { orders: 30 });
    expect(counts(a).orders).toBe(30);
    const [ba, bb] = [await takeBackup(a, join(tmp.dir, 'a')), await takeBackup(b, join(tmp.dir, 'b'))];
    expect(ba.manifest).toEqual(bb.manifest);
  });
});

describe('takeBackup / verifyRestore', () => {
  let backup: BackupRecord;

  beforeAll(async () => {
    createDemoDatabase(source);
    backup = await takeBackup(source, backupDir);
  });

  const scratchIsEmpty = (): boolean => readdirSync(scratchDir).length === 0;

  it('takes an online backup with a manifest of row counts and checksums from the source', () => {
    expect(backup.id).toMatch(/^backup-\d{8}T\d{9}Z-[0-9a-f]{6}$/);
    expect(backup.file).toBe(join(backupDir, `${backup.id}.sqlite`));
    expect(existsSync(backup.file)).toBe(true);
    expect(new Date(backup.takenAt).toISOString()).toBe(backup.takenAt);
    expect(backup.sizeBytes).toBeGreaterThan(0);
    expect(Object.keys(backup.manifest.tables).sort()).toEqual(['customers', 'order_items', 'orders']);
    expect(backup.manifest.tables.orders).toEqual({ rows: 200, checksum: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(counts(backup.file)).toEqual({ customers: 25, orders: 200, order_items: 401 });
    const onDisk = JSON.parse(readFileSync(join(backupDir, `${backup.id}.manifest.json`), 'utf8')) as {
      tables: unknown;
    };
    expect(onDisk.tables).toEqual(backup.manifest.tables);
  });

  it('restores into a scratch file, validates it against the manifest, and deletes the scratch', async () => {
    const evidence = await verifyRestore({ backup, scratchDir });
    expect(evidence).toMatchObject({
      backupId: backup.id,
      backupTakenAt: backup.takenAt,
      integrityCheck: 'ok',
      scratchDeleted: true,
      ok: true,
      problems: [],
      comparedWith: 'manifest',
    });
    expect(evidence.restoredTo.startsWith(scratchDir)).toBe(true);
    expect(existsSync(evidence.restoredTo)).toBe(false);
    expect(scratchIsEmpty()).toBe(true);
    expect(evidence.durationMs).toBeGreaterThanOrEqual(0);
    expect(evidence.tables).toEqual(
      ['customers', 'order_items', 'orders'].map((name) => ({
        name,
        expectedRows: backup.manifest.tables[name].rows,
        restoredRows: backup.manifest.tables[name].rows,
        expectedChecksum: backup.manifest.tables[name].checksum,
        restoredChecksum: backup.manifest.tables[name].checksum,
        match: true,
      })),
    );
  });

  it('detects a damaged restore (corrupt: true), names the table, and still deletes the scratch', async () => {
    const evidence = await verifyRestore({ backup, scratchDir, corrupt: true });
    expect(evidence.ok).toBe(false);
    expect(evidence.corruptionInjected).toEqual({ table: 'orders', rowid: 200 });
    expect(evidence.tables.filter((t) => !t.match)).toEqual([
      expect.objectContaining({ name: 'orders', expectedRows: 200, restoredRows: 199 }),
    ]);
    expect(evidence.problems).toEqual(['table orders: 199 rows restored, 200 expected']);
    expect(evidence.scratchDeleted).toBe(true);
    expect(scratchIsEmpty()).toBe(true);
  });

  it('reports a failing integrity check for a physically damaged backup, and deletes the scratch', async () => {
    const damaged = await takeBackup(source, backupDir);
    const pageSize = 4096;
    const fd = openSync(damaged.file, 'r+');
    try {
      writeSync(fd, Buffer.alloc(200, 0xa5), 0, 200, pageSize * 2); // overwrite the start of page 3
    } finally {
      closeSync(fd);
    }
    const evidence = await verifyRestore({ backup: damaged, scratchDir });
    expect(evidence.ok).toBe(false);
    expect(evidence.integrityCheck).not.toBe('ok');
    expect(evidence.problems[0]).toMatch(/integrity check|restore failed/);
    expect(evidence.scratchDeleted).toBe(true);
    expect(scratchIsEmpty()).toBe(true);
  });

  it('reports a missing backup file as a failed verification', async () => {
    const evidence = await verifyRestore({ backup: { ...backup, file: join(backupDir, 'gone.sqlite') }, scratchDir });
    expect(evidence).toMatchObject({ ok: false, integrityCheck: 'not run', scratchDeleted: true });
    expect(evidence.error).toMatch(/gone\.sqlite does not exist/);
  });

  it('compares with the live source directly while it is unchanged', async () => {
    const evidence = await verifyRestoreAgainstSource({ backup, scratchDir });
    expect(evidence).toMatchObject({ ok: true, comparedWith: 'source', sourceState: 'unchanged' });
  });

  it('snapshots the source: writes during the backup are in neither the copy nor the manifest', async () => {
    const own = join(tmp.dir, 'busy.sqlite');
    createDemoDatabase(own);
    const writer = new Database(own);
    try {
      const pending = takeBackup(own, backupDir);
      // takeBackup has already opened its read transaction synchronously; this commit lands mid-backup.
      writer.prepare("INSERT INTO customers (name, email, created_at) VALUES ('Late', 'late@example.com', 'x')").run();
      const snap = await pending;
      expect(snap.manifest.tables.customers.rows).toBe(25);
      expect(counts(snap.file).customers).toBe(25);
      expect(counts(own).customers).toBe(26);

      const evidence = await verifyRestoreAgainstSource({ backup: snap, scratchDir });
      // The source moved on, so the manifest is the reference, and the backup still matches it.
      expect(evidence).toMatchObject({ ok: true, comparedWith: 'manifest', sourceState: 'changed' });
    } finally {
      writer.close();
    }
  });

  it('lists backups newest first', async () => {
    const newest = await takeBackup(source, backupDir);
    const listed = listBackups(backupDir);
    expect(listed[0]).toEqual(newest);
    expect(listed.map((b) => b.id)).toContain(backup.id);
    const times = listed.map((b) => b.takenAt);
    expect([...times].sort().reverse()).toEqual(times);
    expect(listBackups(join(tmp.dir, 'no-such-dir'))).toEqual([]);
  });
});
