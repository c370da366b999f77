import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { REPO_ROOT } from '../support/harness';
import { runCli as run } from '../support/cli';
import type { DoraReport } from '../../lambdas/core/dora';
import { SINCE, UNTIL, seedHistory } from '../core/dora-history';

const H = 3_600_000;
const MIN = 60_000;

describe('golive metrics', () => {
  let home: string;
  let common: string[];
  const period = ['--since', SINCE, '--until', UNTIL];

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'golive-metrics-'));
    const store = new SqliteStore(join(home, 'store.sqlite'));
    await seedHistory(store);
    store.close();
    // No runtime: the audit store alone answers (Step Functions is not consulted).
    common = ['--home', home, '--config', join(REPO_ROOT, 'golive.config.yaml'), '--endpoint', 'http://127.0.0.1:9'];
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('answers the four metrics as JSON, overall and per service, counted as in test/core/dora.test.ts', async () => {
    const result = await run(['metrics', '--json', ...period, ...common]);

    const report = JSON.parse(result.out) as DoraReport;
    expect(result.code).toBe(0);
    expect(result.err).toContain('Step Functions not consulted');
    expect(Object.keys(report).sort()).toEqual(
      ['changeFailureRate', 'deploymentFrequency', 'leadTime', 'period', 'services', 'timeToRestore'].sort(),
    );
    expect(report.period).toEqual({ since: SINCE, until: UNTIL, days: 30 });
    expect(report.deploymentFrequency).toEqual({ count: 6, perDay: 0.2, perWeek: 1.4000000000000001, undos: 1 });
    expect(report.changeFailureRate).toMatchObject({ reachedProduction: 9, failed: 4, rate: 4 / 9 });
    expect(report.timeToRestore.medianMs).toBe(26 * H + 20 * MIN);
    expect(report.leadTime).toEqual({ medianMs: 11 * H, p90Ms: 24 * H, count: 5, missing: 1 });
    expect(Object.keys(report.services)).toEqual(['demo', 'payments']);
  });

  it('narrows to one service', async () => {
    const result = await run(['metrics', '--json', '--service', 'payments', ...period, ...common]);

    const report = JSON.parse(result.out) as DoraReport;
    expect(Object.keys(report.services)).toEqual(['payments']);
    expect(report.changeFailureRate).toMatchObject({ reachedProduction: 3, failed: 1 });
    expect(report.timeToRestore.open).toHaveLength(1);
  });

  it('prints a table with a row per service and the failures behind the rate', async () => {
    const result = await run(['metrics', ...period, ...common]);

    const lines = result.out.split('\n');
    expect(result.code).toBe(0);
    expect(lines[0]).toBe(`DORA metrics of go-lives ended ${SINCE} – ${UNTIL} (30 days)`);
    expect(lines.find((l) => l.startsWith('service'))).toMatch(
      /deployment frequency +change failure rate +time to restore +lead time/,
    );
    expect(lines.find((l) => l.startsWith('all '))).toMatch(
      /6 \(0\.2\/day, 1\.4\/week\), 1 undo\(s\) +44% \(4 of 9\) +median 1d 2h \(3 restored\), 1 open +median 11h, p90 1d \(5\), 1 without commit time/,
    );
    expect(lines.find((l) => l.startsWith('payments '))).toContain('33% (1 of 3)');
    expect(result.out).toContain('d5  demo 1.3.0  undone by u1');
    expect(result.out).toMatch(
      /p2 {2}payments 2\.1\.0 {2}rollback-failed {2}ended 2026-03-15T10:30:00\.000Z {2}OPEN for 15d 13h/,
    );
  });

  it('writes a self-contained HTML dashboard with every metric, per service', async () => {
    const file = join(home, 'out', 'dora.html');

    const result = await run(['metrics', '--html', '--out', file, ...period, ...common]);

    const html = readFileSync(file, 'utf8');
    expect(result).toMatchObject({ code: 0, out: `wrote ${file}` });
    for (const metric of ['deploymentFrequency', 'changeFailureRate', 'timeToRestore', 'leadTime'])
      expect(html).toContain(`data-metric="${metric}"`);
    expect(html).toContain('data-service="demo"');
    expect(html).toContain('data-service="payments"');
    expect(html).toContain('44%');
    // Nothing fetched from anywhere: no URL, no script, no external stylesheet or image.
    expect(html).not.toMatch(/https?:|\/\/[a-z]|<script|<link|<img|src=/i);
  });

  it('defaults to the last 30 days and reads relative periods', async () => {
    const before = Date.now();

    const report = JSON.parse((await run(['metrics', '--json', ...common])).out) as {
      period: { days: number; until: string };
    };
    const week = JSON.parse((await run(['metrics', '--json', '--since', '7d', ...common])).out) as {
      period: { days: number };
    };

    expect(report.period.days).toBe(30);
    expect(Date.parse(report.period.until)).toBeGreaterThanOrEqual(before);
    expect(week.period.days).toBe(7);
  });

  it('refuses a period it cannot read, naming the option and the fix', async () => {
    const badUntil = await run(['metrics', '--until', 'tomorrow', ...common]);
    const backwards = await run(['metrics', '--since', UNTIL, '--until', SINCE, ...common]);
    const outWithoutHtml = await run(['metrics', '--out', join(home, 'x.html'), ...common]);

    expect(badUntil).toMatchObject({ code: 2, err: expect.stringContaining('--until "tomorrow" is neither a date') });
    expect(backwards).toMatchObject({ code: 2, err: expect.stringContaining('must be after --since') });
    expect(outWithoutHtml).toMatchObject({ code: 2, err: expect.stringContaining('add --html') });
  });

  it('says where the audit store is missing', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'golive-metrics-empty-'));

    const result = await run(['metrics', '--home', empty]);

    rmSync(empty, { recursive: true, force: true });
    expect(result).toMatchObject({ code: 3, err: expect.stringContaining('no audit store') });
  });
});
