import Database from 'better-sqlite3';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chainRecord, GENESIS_HASH } from '../../lambdas/core/audit';
import type { AnchorName, Verification } from '../../lambdas/core/audit-verify';
import type { AuditEntry, AuditRecord } from '../../lambdas/core/ports';
import { castVote } from '../../lambdas/core/steps/approval';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { runCli as run } from '../support/cli';
import { APPROVER, REPO_ROOT, REQUESTER, startHarness } from '../support/harness';

const nameOf = (arn: string) => arn.split(':').pop()!;
const CONFIG = ['--config', join(REPO_ROOT, 'golive.config.yaml')];
/** Nothing listens on port 1: the audit commands read the files, as with the runtime stopped. */
const OFFLINE = ['--endpoint', 'http://127.0.0.1:1', ...CONFIG];

interface Row {
  kind: string;
  name: string;
  status: string;
  version?: string;
  requestedBy?: string;
  decision?: string;
  approvers: string[];
  waivers: { item: string; by: string }[];
  breakGlass?: string;
  chain: string;
  verification: Verification;
}

describe('golive audit: one verdict, anchored outside the store, on real local trails', () => {
  let pristine: string;
  let approved: string;
  let rejected: string;
  let refused: string;
  const homes: string[] = [];

  beforeAll(async () => {
    const h = await startHarness();
    h.autoApprove();
    approved = await h.start({ version: '2.0.0' }, `trail-ok-${Date.now()}`);
    await h.finished(approved);
    h.stopAutoApprove();

    rejected = await h.start({ version: '2.0.2' }, `trail-rejected-${Date.now()}`);
    await h.waitForCallback(rejected, 'SignOff');
    refused = await h.start({ version: '2.0.3' }, `trail-refused-${Date.now()}`);
    expect((await h.finished(refused)).error).toBe('LockHeld');
    await castVote(
      h.rt.deps,
      { executionId: rejected },
      { voter: APPROVER, decision: 'reject', reason: 'p99 too high' },
    );
    await h.finished(rejected);

    // A pre-flight answer ahead of a go-live of 2.1.0: a readiness record, not a go-live.
    const preflight = await run([
      'readiness',
      'demo',
      '--version',
      '2.1.0',
      '--home',
      h.home,
      ...CONFIG,
      '--attest',
      'release-tagged',
      '--as',
      APPROVER,
    ]);
    expect(preflight.code).toBe(0);

    await h.close({ keepHome: true });
    pristine = h.home;
  });
  afterAll(() => {
    for (const home of [pristine, ...homes]) rmSync(home, { recursive: true, force: true });
  });

  /** A copy of the stopped runtime's state, so each forgery starts from the real thing. */
  function copyHome(): string {
    const home = mkdtempSync(join(tmpdir(), 'golive-tamper-'));
    cpSync(pristine, home, { recursive: true });
    homes.push(home);
    return home;
  }

  const list = async (home: string, ...args: string[]): Promise<Row[]> => {
    const result = await run(['audit', 'list', '--json', '--home', home, ...OFFLINE, ...args]);
    expect(result).toMatchObject({ code: 0 });
    return JSON.parse(result.out) as Row[];
  };
  const verify = async (home: string, ref: string) => {
    const result = await run(['audit', 'verify', ref, '--json', '--home', home, ...OFFLINE]);
    return { code: result.code, verdict: JSON.parse(result.out) as Verification & { intact: boolean } };
  };

  const withStore = <T>(home: string, fn: (db: Database.Database) => T): T => {
    const db = new Database(join(home, 'store.sqlite'));
    try {
      return fn(db);
    } finally {
      db.close();
    }
  };
  const recordsOf = (db: Database.Database, arn: string) =>
    (db.prepare('SELECT record FROM audit WHERE execution_id = ? ORDER BY seq').all(arn) as { record: string }[]).map(
      (r) => JSON.parse(r.record) as AuditRecord,
    );

  /** Edits record 4 and recomputes every hash after it, as a forger with the store would; returns the new final hash. */
  function rehash(home: string): { before: string; after: string } {
    return withStore(home, (db) => {
      const records = recordsOf(db, approved);
      const forged: AuditRecord[] = [];
      for (const r of records) {
        const { seq, prevHash: _p, hash: _h, ...entry } = r;
        const changed = seq === 4 ? { ...entry, summary: 'backup verified (trust me)' } : entry;
        forged.push(chainRecord(changed as AuditEntry, seq, forged.at(-1)?.hash ?? GENESIS_HASH));
      }
      const put = db.prepare('UPDATE audit SET record = ? WHERE execution_id = ? AND seq = ?');
      for (const r of forged) put.run(JSON.stringify(r), approved, r.seq);
      return { before: records.at(-1)!.hash, after: forged.at(-1)!.hash };
    });
  }

  /** What `verify` says, and that `list` says exactly the same of the same go-live. */
  async function caught(home: string, arn: string): Promise<{ code: number; caughtBy: AnchorName[]; v: Verification }> {
    const { code, verdict } = await verify(home, nameOf(arn));
    const row = (await list(home)).find((r) => r.name === nameOf(arn))!;
    const {
      execution: _e,
      intact: _i,
      sealed: _s,
      ...fromVerify
    } = verdict as unknown as Verification & Record<string, unknown>;
    expect(row.verification).toEqual(fromVerify);
    return { code, caughtBy: verdict.caughtBy, v: verdict };
  }

  it('lists offline with the statuses of the engine file, verified like verify, pre-flights kept apart', async () => {
    const home = copyHome();

    const rows = await list(home);
    const preflights = await list(home, '--kind', 'readiness');
    const shown = await run(['audit', 'show', 'readiness:demo:2.1.0', '--home', home, ...OFFLINE]);

    expect(rows.map((r) => [r.name, r.status, r.version, r.requestedBy])).toEqual([
      [nameOf(refused), 'FAILED', '2.0.3', REQUESTER],
      [nameOf(rejected), 'FAILED', '2.0.2', REQUESTER],
      [nameOf(approved), 'SUCCEEDED', '2.0.0', REQUESTER],
    ]);
    for (const row of rows) {
      const { code, verdict } = await verify(home, row.name);
      expect({ name: row.name, ok: row.verification.ok }).toEqual({ name: row.name, ok: true });
      expect(code).toBe(0);
      expect(verdict.ok).toBe(true);
    }
    expect(
      rows.find((r) => r.name === nameOf(approved))!.verification.anchors.map((a) => [a.anchor, a.status]),
    ).toEqual([
      ['chain', 'ok'],
      ['execution-output', 'ok'],
      ['object-lock-archive', 'not-available'],
      ['seal-log', 'ok'],
    ]);
    expect(preflights).toMatchObject([{ kind: 'readiness', name: 'readiness:demo:2.1.0', version: '2.1.0' }]);
    expect(shown.code).toBe(0);
    expect(shown.out).toContain('readiness pre-flight of demo 2.1.0 (not a go-live)');
    expect(shown.out).toContain(`${APPROVER}`);
  });

  it('catches an edited record with the chain', async () => {
    const home = copyHome();
    withStore(home, (db) => {
      const r = recordsOf(db, approved)[3];
      db.prepare('UPDATE audit SET record = ? WHERE execution_id = ? AND seq = 4').run(
        JSON.stringify({ ...r, summary: 'backup verified (trust me)' }),
        approved,
      );
    });

    const { code, caughtBy, v } = await caught(home, approved);

    expect(code).toBe(1);
    expect(caughtBy).toEqual(['chain']);
    expect(v.firstBadSeq).toBe(4);
  });

  it('catches a record deleted in the middle with the chain', async () => {
    const home = copyHome();
    withStore(home, (db) => db.prepare('DELETE FROM audit WHERE execution_id = ? AND seq = 10').run(approved));

    const { code, caughtBy } = await caught(home, approved);

    expect(code).toBe(1);
    expect(caughtBy).toContain('chain');
  });

  it('catches a truncated tail, which the chain accepts, with the execution output and the seal log', async () => {
    const home = copyHome();
    withStore(home, (db) =>
      db
        .prepare(
          'DELETE FROM audit WHERE execution_id = ? AND seq > (SELECT MAX(seq) - 3 FROM audit WHERE execution_id = ?)',
        )
        .run(approved, approved),
    );

    const { code, caughtBy, v } = await caught(home, approved);
    const text = await run(['audit', 'verify', nameOf(approved), '--home', home, ...OFFLINE]);

    expect(code).toBe(1);
    expect(caughtBy).toEqual(['execution-output', 'seal-log']);
    expect(v.anchors[0].status).toBe('ok');
    expect(text.out).toMatch(/^ALTERED: record \d+ of .* \(caught by execution-output, seal-log\)/);
  });

  it('catches a re-hashed chain with the execution output when the output was left alone', async () => {
    const home = copyHome();
    rehash(home);

    const { code, caughtBy } = await caught(home, approved);

    expect(code).toBe(1);
    expect(caughtBy).toEqual(['execution-output', 'seal-log']);
  });

  it('catches a re-hashed chain whose execution output was rewritten too, with the seal log', async () => {
    const home = copyHome();
    const { before, after } = rehash(home);
    const engine = new Database(join(home, 'executions.sqlite'));
    engine.prepare('UPDATE executions SET output = replace(output, ?, ?)').run(before, after);
    engine.prepare('UPDATE history SET details = replace(details, ?, ?)').run(before, after);
    engine.close();

    const { code, caughtBy, v } = await caught(home, approved);

    expect(code).toBe(1);
    expect(caughtBy).toEqual(['seal-log']);
    expect(v.anchors.find((a) => a.anchor === 'execution-output')!.status).toBe('ok');
  });

  it('catches both databases rewritten (tail cut, execution deleted) with the seal log; a deleted log is missing', async () => {
    const home = copyHome();
    withStore(home, (db) =>
      db
        .prepare(
          'DELETE FROM audit WHERE execution_id = ? AND seq > (SELECT MAX(seq) - 3 FROM audit WHERE execution_id = ?)',
        )
        .run(approved, approved),
    );
    const engine = new Database(join(home, 'executions.sqlite'));
    engine.prepare('DELETE FROM executions WHERE arn = ?').run(approved);
    engine.prepare('DELETE FROM history WHERE execution_arn = ?').run(approved);
    engine.close();

    const both = await caught(home, approved);
    rmSync(join(home, 'audit-seal.log'));
    const noLog = await verify(home, nameOf(approved));

    expect(both.code).toBe(1);
    expect(both.caughtBy).toEqual(['execution-output', 'seal-log']);
    expect(both.v.anchors.find((a) => a.anchor === 'execution-output')!.status).toBe('missing');
    expect(noLog.verdict.anchors.find((a) => a.anchor === 'seal-log')).toMatchObject({ status: 'missing' });
  });

  it('still lists a go-live deleted from both databases, ALTERED: only its seal is left', async () => {
    const home = copyHome();
    withStore(home, (db) => {
      db.prepare('DELETE FROM audit WHERE execution_id = ?').run(approved);
      db.prepare('DELETE FROM execution_values WHERE execution_id = ?').run(approved);
    });
    const engine = new Database(join(home, 'executions.sqlite'));
    engine.prepare('DELETE FROM executions WHERE arn = ?').run(approved);
    engine.prepare('DELETE FROM history WHERE execution_arn = ?').run(approved);
    engine.close();

    const gone = await caught(home, approved);

    expect(gone.code).toBe(1);
    expect(gone.caughtBy).toEqual(['execution-output', 'seal-log']);
    expect(gone.v.anchors.find((a) => a.anchor === 'seal-log')!.detail).toContain('is not in the trail of 0 records');
  });

  it('filters by approver, requester, decision, waiver, break-glass, status and period, combined', async () => {
    const home = copyHome();
    // A break-glass go-live whose execution is not in this runtime: its verdict must say so.
    const breakGlass = 'arn:aws:states:us-east-1:000000000000:execution:golive-go-live:bg-demo-2.0.9';
    const store = new SqliteStore(join(home, 'store.sqlite'));
    const base = { executionId: breakGlass, service: 'demo', actor: 'system', at: '2026-01-10T09:00:00.000Z' } as const;
    await store.appendAudit({
      ...base,
      step: 'ValidateAndLock',
      action: 'validate-and-lock',
      outcome: 'succeeded',
      summary: 'locked',
      evidence: { request: { version: '2.0.9', requestedBy: 'U_ONCALL', breakGlass: { reason: 'orders down' } } },
    });
    store.close();
    const names = (rows: Row[]) => rows.map((r) => r.name);

    const byApprover = await list(home, '--approver', APPROVER);
    const byRequester = await list(home, '--requester', 'U_ONCALL');
    const rejectedOnes = await list(home, '--decision', 'rejected', '--status', 'failed');
    const glass = await list(home, '--break-glass');
    const januaryOnly = await list(home, '--since', '2026-01-01', '--until', '2026-01-31');
    const waived = await list(home, '--kind', 'readiness', '--waiver');
    const attested = await list(home, '--kind', 'readiness', '--requester', APPROVER);
    const badDecision = await run(['audit', 'list', '--decision', 'maybe', '--home', home, ...OFFLINE]);
    const badUntil = await run(['audit', 'list', '--until', 'soon', '--home', home, ...OFFLINE]);

    expect(names(byApprover)).toEqual([nameOf(approved)]);
    expect(names(byRequester)).toEqual(['bg-demo-2.0.9']);
    expect(names(rejectedOnes)).toEqual([nameOf(rejected)]);
    expect(glass).toMatchObject([{ name: 'bg-demo-2.0.9', breakGlass: 'orders down', version: '2.0.9' }]);
    expect(glass[0].verification).toMatchObject({ ok: false, caughtBy: ['execution-output', 'seal-log'] });
    expect(names(januaryOnly)).toEqual(['bg-demo-2.0.9']);
    expect(waived).toEqual([]);
    expect(names(attested)).toEqual(['readiness:demo:2.1.0']);
    expect(badDecision).toMatchObject({ code: 2, err: expect.stringContaining('--decision must be one of approved') });
    expect(badUntil).toMatchObject({ code: 2, err: expect.stringContaining('--until "soon"') });
  });

  it('exports one evidence pack for a period: every report, and an index with each verdict', async () => {
    const home = copyHome();
    withStore(home, (db) =>
      db
        .prepare(
          'DELETE FROM audit WHERE execution_id = ? AND seq > (SELECT MAX(seq) - 1 FROM audit WHERE execution_id = ?)',
        )
        .run(approved, approved),
    );
    const out = join(home, 'pack');
    const period = ['--since', '2000-01-01', '--until', new Date(Date.now() + 86_400_000).toISOString().slice(0, 10)];

    const html = await run([
      'audit',
      'export',
      '--all',
      ...period,
      '--format',
      'html',
      '--out',
      join(out, 'html'),
      '--home',
      home,
      ...OFFLINE,
    ]);
    const json = await run([
      'audit',
      'export',
      '--all',
      ...period,
      '--format',
      'json',
      '--out',
      join(out, 'json'),
      '--home',
      home,
      ...OFFLINE,
    ]);
    const csv = await run([
      'audit',
      'export',
      '--all',
      '--format',
      'csv',
      '--out',
      join(out, 'csv'),
      '--home',
      home,
      ...OFFLINE,
    ]);
    const noOut = await run(['audit', 'export', '--all', '--format', 'json', '--home', home, ...OFFLINE]);

    expect(html).toMatchObject({ code: 0, out: expect.stringContaining('(3 go-lives, 1 failing verification)') });
    expect([json.code, csv.code]).toEqual([0, 0]);
    const index = readFileSync(join(out, 'html', 'index.html'), 'utf8');
    for (const arn of [approved, rejected, refused]) {
      expect(index).toContain(`reports/${nameOf(arn)}.html`);
      expect(existsSync(join(out, 'html', 'reports', `${nameOf(arn)}.html`))).toBe(true);
    }
    expect(index).toContain('FAILED verification');
    expect(index).not.toMatch(/<script|(src)\s*=|https?:\/\//i);
    const pack = JSON.parse(readFileSync(join(out, 'json', 'index.json'), 'utf8')) as {
      goLives: { name: string; report: string; verification: Verification }[];
    };
    expect(pack.goLives.map((g) => [g.name, g.verification.ok, g.verification.caughtBy])).toEqual([
      [nameOf(refused), true, []],
      [nameOf(rejected), true, []],
      [nameOf(approved), false, ['execution-output', 'seal-log']],
    ]);
    const report = JSON.parse(readFileSync(join(out, 'json', pack.goLives[2].report), 'utf8')) as {
      verification: Verification;
      chain: { intact: boolean };
    };
    expect(report).toMatchObject({ verification: { ok: false }, chain: { intact: false } });
    const lines = readFileSync(join(out, 'csv', 'index.csv'), 'utf8')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe(
      'execution,service,version,requestedBy,status,startedAt,endedAt,error,decision,approvers,waivers,breakGlass,verified,caughtBy,anchors,report',
    );
    expect(lines.find((l) => l.startsWith(nameOf(approved)))).toContain(',NO,execution-output seal-log,');
    expect(noOut).toMatchObject({ code: 2, err: expect.stringContaining('--out <dir>') });
  });
});
