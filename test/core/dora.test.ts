import { doraMetrics, goLiveFact, median, percentile, type GoLiveFact } from '../../lambdas/core/dora';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { ARN_PREFIX, HISTORY, SINCE, UNTIL, seedHistory, writeGoLive, type GoLiveSpec } from './dora-history';

const H = 3_600_000;
const MIN = 60_000;
const DAY = 24 * H;

/** The facts of trails written through the real SQLite store and audit chain. */
async function factsOf(specs: GoLiveSpec[] | 'history'): Promise<GoLiveFact[]> {
  const store = new SqliteStore(':memory:');
  try {
    if (specs === 'history') await seedHistory(store);
    else for (const s of specs) await writeGoLive(store, s);
    const ids = (store.db.prepare('SELECT DISTINCT execution_id AS id FROM audit').all() as { id: string }[]).map(
      (r) => r.id,
    );
    const facts: GoLiveFact[] = [];
    for (const id of ids) facts.push(goLiveFact({ executionId: id, records: await store.listAudit(id) })!);
    return facts;
  } finally {
    store.close();
  }
}
const period = { since: new Date(SINCE), until: new Date(UNTIL) };
const id = (name: string) => `${ARN_PREFIX}${name}`;

describe('goLiveFact', () => {
  it('reads each workflow path of the seeded history into its outcome', async () => {
    const facts = await factsOf('history');
    const byName = Object.fromEntries(facts.map((f) => [f.executionId.slice(ARN_PREFIX.length), f]));

    expect(Object.fromEntries(HISTORY.map((s) => [s.name, byName[s.name].outcome]))).toEqual({
      d0: 'succeeded',
      d1: 'succeeded',
      d2: 'rolled-back',
      d3: 'refused',
      d4: 'succeeded',
      d5: 'succeeded',
      u1: 'succeeded',
      d6: 'rolled-back',
      d7: 'aborted',
      d8: 'succeeded',
      d9: 'succeeded',
      p4: 'succeeded',
      p1: 'succeeded',
      p2: 'rollback-failed',
      p3: 'running',
    });
    expect(byName.d6.reachedProduction).toBe(false);
    expect(byName.d3).toMatchObject({ reachedProduction: false, version: null, error: 'LockHeld' });
    expect(byName.d2).toMatchObject({
      reachedProduction: true,
      error: 'AlarmTriggered',
      startedAt: '2026-03-05T10:00:00.000Z',
      endedAt: '2026-03-05T10:20:00.000Z',
    });
    expect(byName.u1).toMatchObject({ kind: 'undo', version: '1.2.2' });
    expect(byName.d1).toMatchObject({ kind: 'go-live', commitAt: '2026-03-01T09:30:00.000Z', breakGlass: null });
    expect(byName.p3).toMatchObject({ endedAt: null, reachedProduction: true });
  });

  it('takes a shift the router half-made as traffic on the candidate', async () => {
    const store = new SqliteStore(':memory:');
    const base = { executionId: id('half'), service: 'demo', action: 'x', actor: 'system', at: SINCE };
    await store.appendAudit({
      ...base,
      step: 'ValidateAndLock',
      outcome: 'succeeded',
      summary: 'ok',
      evidence: {
        request: { service: 'demo', version: '3.0.0', breakGlass: { reason: 'outage' } },
        plan: { candidateSlot: 'green' },
      },
    });
    await store.appendAudit({
      ...base,
      step: 'ShiftTraffic',
      outcome: 'failed',
      summary: 'TrafficShiftFailed: asked for blue 90% / green 10% but the router reports blue 95% / green 5%',
      evidence: { wanted: { blue: 90, green: 10 }, readBack: { blue: 95, green: 5 } },
    });
    await store.appendAudit({ ...base, step: 'Rollback', outcome: 'succeeded', summary: 'back' });
    await store.appendAudit({ ...base, step: 'NotifyRollback', outcome: 'succeeded', summary: 'told' });

    const fact = goLiveFact({ executionId: id('half'), records: await store.listAudit(id('half')) });
    store.close();

    expect(fact).toMatchObject({ outcome: 'rolled-back', reachedProduction: true, breakGlass: { reason: 'outage' } });
  });

  it('judges a trail Step Functions ended before the janitor came by its status', async () => {
    const empty = goLiveFact({ executionId: id('stopped'), records: [], status: 'ABORTED' });
    const store = new SqliteStore(':memory:');
    await writeGoLive(store, { name: 'stopped', service: 'demo', version: '1.0.0', path: 'running', start: SINCE });
    const records = await store.listAudit(id('stopped'));
    store.close();

    expect(empty).toBeUndefined();
    expect(goLiveFact({ executionId: id('stopped'), records, status: 'RUNNING' })!.outcome).toBe('running');
    expect(
      goLiveFact({ executionId: id('stopped'), records, status: 'ABORTED', stopDate: '2026-03-01T01:00:00.000Z' }),
    ).toMatchObject({ outcome: 'aborted', endedAt: '2026-03-01T01:00:00.000Z', reachedProduction: true });
    expect(
      goLiveFact({ executionId: id('stopped'), records, status: 'FAILED', error: 'RollbackFailed' })!.outcome,
    ).toBe('rollback-failed');
  });

  it('judges a go-live the janitor rolled back after StopExecution as aborted', async () => {
    const store = new SqliteStore(':memory:');
    await writeGoLive(store, { name: 'j', service: 'demo', version: '1.0.0', path: 'running', start: SINCE });
    const base = {
      executionId: id('j'),
      service: 'demo',
      action: 'x',
      actor: 'janitor',
      at: '2026-03-01T00:10:00.000Z',
    };
    await store.appendAudit({
      ...base,
      step: 'Janitor',
      outcome: 'info',
      summary: 'ended ABORTED',
      evidence: { status: 'ABORTED' },
    });
    await store.appendAudit({
      ...base,
      step: 'Rollback',
      outcome: 'succeeded',
      summary: 'back',
      evidence: { weights: { blue: 100, green: 0 }, error: { Error: 'ExecutionAborted', Cause: 'ABORTED' } },
    });
    await store.appendAudit({
      ...base,
      step: 'NotifyRollback',
      outcome: 'succeeded',
      summary: 'told',
      at: '2026-03-01T00:11:00.000Z',
    });

    const fact = goLiveFact({ executionId: id('j'), records: await store.listAudit(id('j')) });
    store.close();

    expect(fact).toMatchObject({ outcome: 'aborted', reachedProduction: true, endedAt: '2026-03-01T00:11:00.000Z' });
  });

  it('takes the last attempt of a go-live redriven after its rollback', async () => {
    const store = new SqliteStore(':memory:');
    await writeGoLive(store, {
      name: 'r',
      service: 'demo',
      version: '1.0.0',
      path: 'pre-traffic-failure',
      start: SINCE,
      end: '2026-03-01T00:05:00.000Z',
    });
    const base = { executionId: id('r'), service: 'demo', action: 'x', actor: 'system' };
    const at = (m: number) => new Date(Date.parse(SINCE) + m * MIN).toISOString();
    await store.appendAudit({ ...base, step: 'MuteAlerts', outcome: 'succeeded', summary: 'muted', at: at(60) });
    await store.appendAudit({ ...base, step: 'ShiftTraffic', outcome: 'succeeded', summary: '10%', at: at(61) });
    const records = await store.listAudit(id('r'));
    await store.appendAudit({ ...base, step: 'ReleaseLock', outcome: 'succeeded', summary: 'live', at: at(70) });
    const done = await store.listAudit(id('r'));
    store.close();

    expect(goLiveFact({ executionId: id('r'), records })).toMatchObject({ outcome: 'running', attempts: 2 });
    expect(goLiveFact({ executionId: id('r'), records: done })).toMatchObject({
      outcome: 'succeeded',
      reachedProduction: true,
      attempts: 2,
      endedAt: at(70),
    });
  });
});

describe('doraMetrics', () => {
  it('counts the seeded history exactly as by hand', async () => {
    const report = doraMetrics(await factsOf('history'), period);

    // Period [03-01, 03-31): 30 days. In it (by end): d1 d2 d3 d4 d5 u1 d6 d7 d8, p4 (ends exactly
    // at since: in), p1, p2. Out: d0 (ended in February), d9 (ends after until: running as of
    // until), p3 (running).
    expect(report.period).toEqual({ since: SINCE, until: UNTIL, days: 30 });
    expect(Object.keys(report.services)).toEqual(['demo', 'payments']);

    // demo. Successful go-lives: d1 d4 d5 d8 = 4 (u1 is an undo: 1 apart).
    // Reached production: d1 d2 d4 d5 d7 d8 = 6 (d3 refused, d6 failed its smoke test before any
    // traffic: neither). Failed there: d2 rolled back, d5 undone by u1 (the last success before
    // u1 started), d7 aborted = 3 → 3/6.
    // Restores: d2 (10:20 on 03-05) → next demo success d4 (12:40 on 03-06) = 26h20m;
    // d5 (10:30 on 03-10) → u1 (15:10) = 4h40m; d7 (09:15 on 03-20) → d8 (23:00 on 03-30) =
    // 10d 13h45m. Median of 4h40m, 26h20m, 10d13h45m = 26h20m.
    // Lead times: d1 24h, d4 2h, d8 11h; d5 has no commitAt (missing). Median 11h; p90 rank
    // ⌈0.9×3⌉ = 3 → 24h.
    const demo = report.services.demo;
    expect(demo.deploymentFrequency).toEqual({ count: 4, perDay: 4 / 30, perWeek: (4 / 30) * 7, undos: 1 });
    expect(demo.changeFailureRate).toMatchObject({ reachedProduction: 6, failed: 3, rate: 0.5 });
    expect(demo.changeFailureRate.failures.map((f) => [f.executionId, f.outcome, f.undoneBy])).toEqual([
      [id('d2'), 'rolled-back', undefined],
      [id('d5'), 'undone', id('u1')],
      [id('d7'), 'aborted', undefined],
    ]);
    expect(demo.timeToRestore.restored.map((r) => [r.failure.executionId, r.restoredBy.executionId, r.ms])).toEqual([
      [id('d2'), id('d4'), 26 * H + 20 * MIN],
      [id('d5'), id('u1'), 4 * H + 40 * MIN],
      [id('d7'), id('d8'), 10 * DAY + 13 * H + 45 * MIN],
    ]);
    expect(demo.timeToRestore).toMatchObject({ medianMs: 26 * H + 20 * MIN, open: [] });
    expect(demo.leadTime).toEqual({ medianMs: 11 * H, p90Ms: 24 * H, count: 3, missing: 1 });

    // payments. Successful: p4, p1 = 2. Reached production: p4 p1 p2 = 3; failed: p2 (rollback
    // failed) = 1 → 1/3. p2 has no later payments success: open from 03-15 10:30 to until =
    // 15d 13h30m; no median. Lead: p4 1h, p1 24h → median 12h30m; p90 rank ⌈1.8⌉ = 2 → 24h.
    const payments = report.services.payments;
    expect(payments.deploymentFrequency).toEqual({ count: 2, perDay: 2 / 30, perWeek: (2 / 30) * 7, undos: 0 });
    expect(payments.changeFailureRate).toMatchObject({ reachedProduction: 3, failed: 1, rate: 1 / 3 });
    expect(payments.timeToRestore).toEqual({
      medianMs: null,
      restored: [],
      open: [
        {
          failure: {
            executionId: id('p2'),
            service: 'payments',
            version: '2.1.0',
            endedAt: '2026-03-15T10:30:00.000Z',
          },
          openMs: 15 * DAY + 13 * H + 30 * MIN,
        },
      ],
    });
    expect(payments.leadTime).toEqual({ medianMs: 12 * H + 30 * MIN, p90Ms: 24 * H, count: 2, missing: 0 });

    // Overall: 6 successful, 1 undo (6/30 = 0.2 a day, 1.4 a week); 4 failed of 9 in production;
    // restores 4h40m, 26h20m, 10d13h45m → median 26h20m, 1 open; lead times 1h 2h 11h 24h 24h →
    // median 11h, p90 rank ⌈4.5⌉ = 5 → 24h; 1 missing.
    expect(report.deploymentFrequency).toEqual({ count: 6, perDay: 6 / 30, perWeek: (6 / 30) * 7, undos: 1 });
    expect(report.changeFailureRate).toMatchObject({ reachedProduction: 9, failed: 4, rate: 4 / 9 });
    expect(report.timeToRestore.medianMs).toBe(26 * H + 20 * MIN);
    expect(report.timeToRestore.restored).toHaveLength(3);
    expect(report.timeToRestore.open.map((o) => o.failure.executionId)).toEqual([id('p2')]);
    expect(report.leadTime).toEqual({ medianMs: 11 * H, p90Ms: 24 * H, count: 5, missing: 1 });
  });

  it('sees nothing that ended at or after until: a restore after the boundary leaves the failure open', async () => {
    // until = d8's end: d8 is running as of until (ends exactly at until, which is excluded), so
    // d7 (ended 03-20 09:15) has no restore yet: open for 10d 13h45m. demo successes: d1 d4 d5.
    const until = new Date('2026-03-30T23:00:00.000Z');

    const demo = doraMetrics(await factsOf('history'), { since: period.since, until, service: 'demo' });

    expect(Object.keys(demo.services)).toEqual(['demo']);
    expect(demo.deploymentFrequency.count).toBe(3);
    expect(demo.timeToRestore.open).toEqual([
      {
        failure: { executionId: id('d7'), service: 'demo', version: '1.4.1', endedAt: '2026-03-20T09:15:00.000Z' },
        openMs: 10 * DAY + 13 * H + 45 * MIN,
      },
    ]);
    expect(demo.timeToRestore.medianMs).toBe((4 * H + 40 * MIN + 26 * H + 20 * MIN) / 2);
    expect(demo.leadTime).toEqual({ medianMs: 13 * H, p90Ms: 24 * H, count: 2, missing: 1 });
  });

  it('answers zeros and nulls, not NaN, with no go-lives at all', () => {
    const report = doraMetrics([], { ...period, services: ['demo'] });

    expect(report.deploymentFrequency).toEqual({ count: 0, perDay: 0, perWeek: 0, undos: 0 });
    expect(report.changeFailureRate).toEqual({ reachedProduction: 0, failed: 0, rate: null, failures: [] });
    expect(report.timeToRestore).toEqual({ medianMs: null, restored: [], open: [] });
    expect(report.leadTime).toEqual({ medianMs: null, p90Ms: null, count: 0, missing: 0 });
    expect(Object.keys(report.services)).toEqual(['demo']);
    expect(report.services.demo.changeFailureRate.rate).toBeNull();
  });

  it('leaves the change failure rate null when only refusals and failures before traffic happened', async () => {
    const facts = await factsOf([
      {
        name: 'a',
        service: 'demo',
        version: '1.0.0',
        path: 'refused',
        start: '2026-03-02T00:00:00.000Z',
        end: '2026-03-02T00:00:01.000Z',
      },
      {
        name: 'b',
        service: 'demo',
        version: '1.0.1',
        path: 'pre-traffic-failure',
        start: '2026-03-03T00:00:00.000Z',
        end: '2026-03-03T00:05:00.000Z',
      },
      {
        name: 'c',
        service: 'demo',
        version: '1.0.2',
        path: 'abort-before-traffic',
        start: '2026-03-04T00:00:00.000Z',
        end: '2026-03-04T00:05:00.000Z',
      },
    ]);

    const report = doraMetrics(facts, period);

    expect(facts.map((f) => f.outcome)).toEqual(['refused', 'rolled-back', 'aborted']);
    expect(report.deploymentFrequency.count).toBe(0);
    expect(report.changeFailureRate).toEqual({ reachedProduction: 0, failed: 0, rate: null, failures: [] });
    expect(report.timeToRestore).toEqual({ medianMs: null, restored: [], open: [] });
  });

  it('counts a go-live aborted after traffic moved as failed, open until a success', async () => {
    const facts = await factsOf([
      {
        name: 'a',
        service: 'demo',
        version: '1.0.0',
        path: 'abort-after-traffic',
        start: '2026-03-02T00:00:00.000Z',
        end: '2026-03-02T00:10:00.000Z',
      },
    ]);

    const report = doraMetrics(facts, period);

    expect(report.changeFailureRate).toMatchObject({ reachedProduction: 1, failed: 1, rate: 1 });
    expect(report.timeToRestore.open.map((o) => o.openMs)).toEqual([
      Date.parse(UNTIL) - Date.parse('2026-03-02T00:10:00.000Z'),
    ]);
    expect(report.deploymentFrequency.count).toBe(0);
  });

  it('leaves running go-lives out of every metric', async () => {
    const facts = await factsOf([
      {
        name: 'r',
        service: 'demo',
        version: '1.0.0',
        path: 'running',
        start: '2026-03-02T00:00:00.000Z',
        commitAt: '2026-03-01T00:00:00.000Z',
      },
    ]);

    const report = doraMetrics(facts, period);

    expect(report.changeFailureRate.reachedProduction).toBe(0);
    expect(report.leadTime).toEqual({ medianMs: null, p90Ms: null, count: 0, missing: 0 });
    expect(report.services).toEqual({});
  });

  it('refuses an empty period', () => {
    expect(() => doraMetrics([], { since: period.until, until: period.since })).toThrow(/until .* must be after since/);
  });

  it('takes the median of an even count as the mean of the middle two, p90 by nearest rank', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9)).toBe(9);
    expect(percentile([5], 0.9)).toBe(5);
    expect(median([])).toBeNull();
  });
});
