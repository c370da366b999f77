import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GoLiveConfig } from '../../lambdas/core/config';
import { evaluateChecklist, type ReadinessReport } from '../../lambdas/core/readiness/evaluate';
import type { CheckKind } from '../../lambdas/core/readiness/policy';
import { factsFile, LocalReadiness, type LocalReadinessFacts } from '../../local/providers/readiness';
import { startDemoTarget, takeBackup, type DemoTarget } from '../../local/demo';
import { testConfig } from '../support/harness';

/** Every automated check of the default policy, passing on the demo's facts and failing when one is changed. */
describe('local readiness checks of the demo service', () => {
  let home: string;
  let target: DemoTarget;

  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), 'golive-readiness-'));
    const dir = join(home, 'services', 'demo');
    mkdirSync(dir, { recursive: true });
    target = await startDemoTarget({ dir });
    await takeBackup(target.db.file, join(home, 'backups', 'demo'));
  });
  afterAll(async () => {
    await target.stop();
    rmSync(home, { recursive: true, force: true });
  });
  afterEach(() => {
    rmSync(factsFile(home, 'demo'), { force: true });
    target.green.setFaults({ healthFailing: false });
  });

  const evaluate = (config: GoLiveConfig = testConfig(), version = '2.0.0'): Promise<ReadinessReport> =>
    evaluateChecklist(
      {
        config,
        readiness: new LocalReadiness({ home, config }),
        endpoints: async () => ({ live: target.router.url, blue: target.blue.url, green: target.green.url }),
        fetch,
        now: () => new Date(),
      },
      'demo',
      version,
    );
  const writeFacts = (facts: Partial<LocalReadinessFacts>) =>
    writeFileSync(factsFile(home, 'demo'), JSON.stringify(facts));
  const byCheck = (report: ReadinessReport, check: CheckKind) => report.items.find((i) => i.check === check)!;

  it('passes every automated check of the demo as shipped, with evidence', async () => {
    const report = await evaluate();

    const checks = report.items.filter((i) => i.kind === 'check');
    expect(checks.filter((i) => i.status !== 'pass').map((i) => `${i.id}: ${i.summary}`)).toEqual([]);
    expect(report.passed).toBe(true);
    expect(byCheck(report, 'health-green').evidence).toMatchObject({ status: 200 });
    expect(byCheck(report, 'runbook-reachable').summary).toContain('/docs/runbook → 200');
    expect(byCheck(report, 'backup-recovery-point').evidence).toMatchObject({ rpoMinutes: 60 });
  });

  const old = new Date(Date.now() - 3 * 3600_000).toISOString();
  const failures: [CheckKind, string, Partial<LocalReadinessFacts>, RegExp][] = [
    [
      'alarms-coverage',
      'no disk alarm',
      { alarms: [{ name: 'demo-5xx-rate', metrics: ['5xxRate'], actions: ['page'], actionsEnabled: true }] },
      /no alarm with an action for cpu, memory, disk, iops/,
    ],
    [
      'alarms-coverage',
      'an alarm without an action',
      {
        alarms: ['CPUUtilization', 'MemoryUtilization', 'DiskSpaceUtilization', 'VolumeReadOps', '5xxRate'].map(
          (m, i) => ({ name: `demo-${m}`, metrics: [m], actions: i === 0 ? [] : ['page'], actionsEnabled: true }),
        ),
      },
      /no action on demo-CPUUtilization/,
    ],
    ['alerts-muteable', 'the watched alarm is missing', { alarms: [] }, /demo-5xx-rate not found/],
    [
      'log-metric-filters',
      'no WARN filter',
      { metricFilters: [{ logGroup: 'golive/demo', filterName: 'errors', pattern: 'ERROR' }] },
      /no metric filter for WARN on golive\/demo/,
    ],
    ['log-metric-filters', 'no log group', { metricFilters: null }, /no log groups declared/],
    [
      'backup-recovery-point',
      'an old backup',
      { recoveryPoint: { id: 'nightly', at: old, source: 'facts' } },
      /nightly is 180 min old, RPO is 60 min/,
    ],
    ['backup-recovery-point', 'no backup', { recoveryPoint: null }, /no recovery point/],
    [
      'db-replication',
      'a single node',
      { databases: [{ id: 'demo.sqlite', kind: 'sqlite', multiAz: false, replicas: [], publiclyAccessible: false }] },
      /demo.sqlite: single node, no replica/,
    ],
    [
      'db-not-public',
      'a public database',
      { databases: [{ id: 'demo-db', kind: 'rds-instance', multiAz: true, replicas: [], publiclyAccessible: true }] },
      /publicly accessible: demo-db/,
    ],
    [
      'no-plaintext-secrets',
      'a literal password',
      { environments: [{ component: 'demo-green', variables: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }] },
      /demo-green DB_PASSWORD/,
    ],
    [
      'secrets-rotation',
      'rotation off',
      { secrets: [{ id: 'demo/db', rotationEnabled: false }] },
      /rotation off: demo\/db/,
    ],
    [
      'capacity-limits',
      'no memory limit',
      { capacity: [{ component: 'demo-green', limits: { maxConnections: 10, memoryMb: null } }] },
      /memoryMb=unset/,
    ],
    ['artifact-exists', 'a version never built', { artifacts: ['1.4.2'] }, /demo:2.0.0 not found/],
  ];

  it.each(failures)('fails %s on %s, naming the problem and the fix', async (check, _what, facts, summary) => {
    writeFacts(facts);

    const item = byCheck(await evaluate(), check);

    expect(item.status).toBe('fail');
    expect(item.summary).toMatch(summary);
    expect(item.fix).toEqual(expect.any(String));
  });

  it('never copies a plain-text secret into the evidence', async () => {
    writeFacts({
      environments: [{ component: 'demo-green', variables: [{ name: 'API_TOKEN', value: 's3cr3t-v4lue' }] }],
    });

    const item = byCheck(await evaluate(), 'no-plaintext-secrets');

    expect(JSON.stringify(item)).not.toContain('s3cr3t-v4lue');
    expect(item.evidence).toMatchObject({ plaintext: [{ component: 'demo-green', name: 'API_TOKEN', length: 12 }] });
  });

  it('fails the health check of green when its /health answers 503', async () => {
    target.green.setFaults({ healthFailing: true });

    const report = await evaluate();

    expect(byCheck(report, 'health-green')).toMatchObject({ status: 'fail', evidence: { status: 503 } });
    expect(byCheck(report, 'health-blue').status).toBe('pass');
    expect(report.failing).toEqual(['health-green']);
  });

  it('fails the runbook and DR checks when their links answer 404 or are missing', async () => {
    const config = testConfig({
      demo: { readiness: { runbookUrl: '/docs/no-such-page' } },
    });

    const report = await evaluate(config);

    expect(byCheck(report, 'runbook-reachable')).toMatchObject({ status: 'fail', evidence: { status: 404 } });
    expect(byCheck(report, 'dr-plan-reachable')).toMatchObject({
      status: 'fail',
      summary: 'no disaster recovery plan linked',
    });
  });

  it('fails version-semver on a version that is not semver, and sign-off-policy when self-approval is on', async () => {
    const report = await evaluate(testConfig({ approval: { allowSelfApproval: true } }), '2.0');

    expect(byCheck(report, 'version-semver')).toMatchObject({ status: 'fail', summary: '2.0 is not semver' });
    expect(byCheck(report, 'sign-off-policy')).toMatchObject({
      status: 'fail',
      fix: 'set approval.allowSelfApproval: false',
    });
  });
});
