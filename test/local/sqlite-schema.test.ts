import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { main, type Io } from '../../bin/cli/main';
import { chainRecord, GENESIS_HASH, verifyChain } from '../../lambdas/core/audit';
import { createDemoDatabase, DEMO_MIGRATIONS } from '../../local/demo/database';
import { ENGINE_MIGRATIONS, EngineStore } from '../../local/engine/store';
import { LocalAlerts } from '../../local/providers/alerts';
import { LocalNotifier } from '../../local/providers/notifier';
import { SqliteStore, STORE_MIGRATIONS } from '../../local/providers/sqlite-store';
import { migrate, schemaVersion, StateTooNew, type Migration } from '../../local/sqlite-schema';

// Frozen copies of the DDL golive ran at every open before its databases carried a schema version
// (commit 5b6a550): the files users hold today. Never update these to follow the migrations.
const LEGACY_STORE_DDL = `
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
    `;
// LocalAlerts' and LocalNotifier's constructors added these to the store's file.
const LEGACY_ALERTS_DDL = `
      CREATE TABLE IF NOT EXISTS alarm_settings (name TEXT PRIMARY KEY, actions_enabled INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS alarm_mute_rules (name TEXT PRIMARY KEY, alarms TEXT NOT NULL, expires_at TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS alarm_actions (id INTEGER PRIMARY KEY AUTOINCREMENT, alarm TEXT NOT NULL, state TEXT NOT NULL, at TEXT NOT NULL, reason TEXT NOT NULL);
    `;
const LEGACY_NOTIFIER_DDL =
  'CREATE TABLE IF NOT EXISTS notifications (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, kind TEXT NOT NULL, execution_id TEXT NOT NULL, service TEXT NOT NULL, text TEXT NOT NULL, details TEXT)';
const LEGACY_ENGINE_DDL = `
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
    `;
const LEGACY_DEMO_DDL = `
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
`;

const EXECUTION = 'arn:aws:states:us-east-1:123456789012:execution:golive:demo-2-0-0';
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:golive';
const AT = '2026-01-31T10:00:00.000Z';
const LATER = '2099-01-01T00:00:00.000Z';

const auditRecords = [
  chainRecord(
    {
      executionId: EXECUTION,
      service: 'demo',
      step: 'ValidateAndLock',
      action: 'lock',
      actor: 'system',
      outcome: 'succeeded',
      summary: 'lock taken',
      at: AT,
    },
    1,
    GENESIS_HASH,
  ),
];
auditRecords.push(
  chainRecord(
    {
      executionId: EXECUTION,
      service: 'demo',
      step: 'MuteAlerts',
      action: 'mute',
      actor: 'system',
      outcome: 'succeeded',
      summary: 'alerts muted',
      at: AT,
    },
    2,
    auditRecords[0].hash,
  ),
);

/**
 * One golive database: how today's code created it and wrote rows to it, and how the new code
 * opens it (its owner) and reads those rows back through its API.
 */
interface Case {
  name: string;
  migrations: readonly Migration[];
  createLegacy(db: Database.Database): void;
  open(file: string): { close(): void };
  read(file: string): Promise<unknown>;
  expected: unknown;
}

const CASES: Case[] = [
  {
    name: 'store.sqlite',
    migrations: STORE_MIGRATIONS,
    createLegacy: (db) => {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.exec(LEGACY_STORE_DDL);
      db.exec(LEGACY_ALERTS_DDL);
      db.exec(LEGACY_NOTIFIER_DDL);
      const lock = {
        service: 'demo',
        executionId: EXECUTION,
        version: '2.0.0',
        requestedBy: 'U_RM',
        acquiredAt: AT,
        expiresAt: LATER,
      };
      db.prepare('INSERT INTO locks (service, execution_id, expires_at, record) VALUES (?, ?, ?, ?)').run(
        'demo',
        EXECUTION,
        LATER,
        JSON.stringify(lock),
      );
      for (const r of auditRecords) {
        db.prepare('INSERT INTO audit (execution_id, seq, record) VALUES (?, ?, ?)').run(
          EXECUTION,
          r.seq,
          JSON.stringify(r),
        );
      }
      db.prepare('INSERT INTO live_versions (service, version, slot, at) VALUES (?, ?, ?, ?)').run(
        'demo',
        '1.4.2',
        'blue',
        AT,
      );
      db.prepare(
        'INSERT INTO scratch_left (execution_id, service, restored_to, since, warned_at) VALUES (?, ?, ?, ?, ?)',
      ).run(EXECUTION, 'demo', '/tmp/scratch/restore.sqlite', AT, null);
      db.prepare('INSERT INTO alarm_mute_rules (name, alarms, expires_at) VALUES (?, ?, ?)').run(
        'golive-demo',
        JSON.stringify(['demo-5xx']),
        LATER,
      );
      db.prepare(
        'INSERT INTO notifications (at, kind, execution_id, service, text, details) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(AT, 'started', EXECUTION, 'demo', 'go-live started', '{}');
    },
    open: (file) => new SqliteStore(file),
    read: async (file) => {
      const store = new SqliteStore(file);
      try {
        const alerts = new LocalAlerts(store.db, {
          describe: () => [{ name: 'demo-5xx', state: 'OK', reason: 'quiet' }],
        });
        const audit = await store.listAudit(EXECUTION);
        return {
          lock: (await store.getLock('demo'))?.executionId,
          audit: audit.map((r) => r.summary),
          chain: verifyChain(audit),
          live: await store.getLiveVersion('demo'),
          scratch: (await store.listScratchLeft()).map((s) => s.executionId),
          muted: (await alerts.describe(['demo-5xx']))[0].muted,
          notifications: new LocalNotifier(store.db).list(EXECUTION).map((n) => n.text),
        };
      } finally {
        store.close();
      }
    },
    expected: {
      lock: EXECUTION,
      audit: ['lock taken', 'alerts muted'],
      chain: expect.objectContaining({ intact: true }),
      live: { version: '1.4.2', slot: 'blue', at: AT },
      scratch: [EXECUTION],
      muted: true,
      notifications: ['go-live started'],
    },
  },
  {
    name: 'executions.sqlite',
    migrations: ENGINE_MIGRATIONS,
    createLegacy: (db) => {
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.exec(LEGACY_ENGINE_DDL);
      db.prepare(
        'INSERT INTO state_machines (arn, name, definition, role_arn, creation_date, update_date) VALUES (?, ?, ?, ?, ?, ?)',
      ).run(STATE_MACHINE, 'golive', '{"StartAt":"Done","States":{"Done":{"Type":"Succeed"}}}', 'role', 1, 1);
      db.prepare(
        `INSERT INTO executions (arn, state_machine_arn, name, status, input, output, error, cause, start_date, stop_date)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(EXECUTION, STATE_MACHINE, 'demo-2-0-0', 'RUNNING', '{}', null, null, null, 1000, null);
      db.prepare(
        'INSERT INTO history (execution_arn, id, previous_event_id, timestamp, type, details_key, details) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ).run(EXECUTION, 1, 0, 1000, 'ExecutionStarted', 'executionStartedEventDetails', '{"input":"{}"}');
      db.prepare(
        'INSERT INTO task_tokens (token, execution_arn, state_name, status, created) VALUES (?, ?, ?, ?, ?)',
      ).run('token-1', EXECUTION, 'SignOff', 'OPEN', 1000);
    },
    open: (file) => new EngineStore(file),
    read: async (file) => {
      const engine = new EngineStore(file);
      try {
        return {
          machine: engine.getStateMachine(STATE_MACHINE)?.name,
          execution: engine.getExecution(EXECUTION)?.status,
          history: engine.listEvents(EXECUTION, undefined, 10, false).map((e) => e.type),
          token: engine.getToken('token-1')?.stateName,
        };
      } finally {
        engine.close();
      }
    },
    expected: { machine: 'golive', execution: 'RUNNING', history: ['ExecutionStarted'], token: 'SignOff' },
  },
  {
    name: 'demo.sqlite',
    migrations: DEMO_MIGRATIONS,
    createLegacy: (db) => {
      db.pragma('journal_mode = WAL');
      db.exec(LEGACY_DEMO_DDL);
      db.prepare('INSERT INTO customers (id, name, email, created_at) VALUES (?, ?, ?, ?)').run(
        1,
        'Ada Lovelace',
        'ada@example.com',
        AT,
      );
      db.prepare('INSERT INTO orders (id, customer_id, status, total_cents, created_at) VALUES (?, ?, ?, ?, ?)').run(
        1,
        1,
        'paid',
        3800,
        AT,
      );
      db.prepare('INSERT INTO order_items (order_id, sku, quantity, unit_price_cents) VALUES (?, ?, ?, ?)').run(
        1,
        'TSHIRT-S',
        2,
        1900,
      );
    },
    open: (file) => {
      createDemoDatabase(file);
      return { close: () => {} };
    },
    // An already seeded database keeps its rows: the counts are the legacy file's, not a fresh seed's.
    read: async (file) => createDemoDatabase(file).tables,
    expected: { customers: 1, orders: 1, order_items: 1 },
  },
];

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'golive-schema-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function withDb<T>(file: string, fn: (db: Database.Database) => T): T {
  const db = new Database(file);
  try {
    return fn(db);
  } finally {
    db.close();
  }
}

const versionOf = (file: string): number => withDb(file, schemaVersion);
const schemaOf = (file: string): string[] =>
  withDb(file, (db) =>
    (
      db.prepare("SELECT type, name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all() as {
        type: string;
        name: string;
      }[]
    ).map((r) => `${r.type} ${r.name}`),
  );

function createLegacyFile(c: Case): string {
  const file = join(dir, c.name);
  withDb(file, c.createLegacy);
  return file;
}

describe.each(CASES)('$name schema', (c) => {
  it('upgrades a file written before schema versioning in place, keeping its rows', async () => {
    const file = createLegacyFile(c);
    expect(versionOf(file)).toBe(0);

    const rows = await c.read(file);

    expect(rows).toEqual(c.expected);
    expect(versionOf(file)).toBe(c.migrations.length);
  });

  it('creates a fresh file at the latest version, with the same tables as a legacy one', () => {
    const legacy = schemaOf(createLegacyFile(c));
    const file = join(dir, `fresh-${c.name}`);

    c.open(file).close();

    expect(versionOf(file)).toBe(c.migrations.length);
    expect(schemaOf(file)).toEqual(legacy);
  });

  it('refuses a file from a newer golive, naming it, and leaves it untouched', () => {
    const file = createLegacyFile(c);
    const newer = c.migrations.length + 1;
    withDb(file, (db) => db.pragma(`user_version = ${newer}`));
    const before = { bytes: readFileSync(file), files: readdirSync(dir).sort() };

    let error: unknown;
    try {
      c.open(file).close();
    } catch (err) {
      error = err;
    }

    expect(error).toBeInstanceOf(StateTooNew);
    expect(error).toMatchObject({ name: 'StateTooNew', file, version: newer, newest: c.migrations.length });
    const message = (error as Error).message;
    expect(message).toContain(file);
    expect(message).toContain(`schema version ${newer}`);
    expect(message).toContain(`up to ${c.migrations.length}`);
    expect(message).toContain('Upgrade golive');
    expect(message).toContain('.golive');
    expect(readFileSync(file).equals(before.bytes)).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(before.files);
    expect(versionOf(file)).toBe(newer);
  });

  it('is idempotent: opening an upgraded file again changes nothing', async () => {
    const file = createLegacyFile(c);
    c.open(file).close();
    const schema = schemaOf(file);

    const rows = await c.read(file);

    expect(rows).toEqual(c.expected);
    expect(schemaOf(file)).toEqual(schema);
    expect(versionOf(file)).toBe(c.migrations.length);
  });
});

describe('migrate', () => {
  it('applies only the pending migrations, in order, each with its version bump', () => {
    const file = join(dir, 'db.sqlite');
    const migrations: Migration[] = [
      'CREATE TABLE t (a TEXT)',
      (db) => db.exec("ALTER TABLE t ADD COLUMN b TEXT NOT NULL DEFAULT 'x'"),
    ];
    withDb(file, (db) => migrate(db, migrations.slice(0, 1)));

    withDb(file, (db) => migrate(db, migrations));

    expect(versionOf(file)).toBe(2);
    expect(withDb(file, (db) => (db.pragma('table_info(t)') as { name: string }[]).map((col) => col.name))).toEqual([
      'a',
      'b',
    ]);
  });

  it('leaves the file at the last whole version when a migration fails', () => {
    const file = join(dir, 'db.sqlite');
    const migrations: Migration[] = [
      'CREATE TABLE t (a TEXT)',
      'CREATE TABLE u (a TEXT); INSERT INTO missing VALUES (1)',
    ];

    expect(() => withDb(file, (db) => migrate(db, migrations))).toThrow(/no such table: missing/);

    expect(versionOf(file)).toBe(1);
    expect(schemaOf(file)).toEqual(['table t']);
  });
});

describe('golive CLI on a store from a newer golive', () => {
  it('refuses it with the reason and exit 3', async () => {
    const file = join(dir, 'store.sqlite');
    withDb(file, (db) => {
      db.exec(LEGACY_STORE_DDL);
      db.pragma(`user_version = ${STORE_MIGRATIONS.length + 1}`);
    });
    const before = readFileSync(file);
    const err: string[] = [];
    const io: Io = { out: () => {}, err: (line) => err.push(line), isTTY: false };

    const code = await main(['audit', 'list', '--home', dir, '--endpoint', 'http://127.0.0.1:9'], io);

    expect(code).toBe(3);
    expect(err.join('\n')).toContain(`${file} has schema version ${STORE_MIGRATIONS.length + 1}`);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(existsSync(`${file}-wal`)).toBe(false);
  });
});
