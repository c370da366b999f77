import { parseConfig, type GoLiveConfig } from '../../../lambdas/core/config';
import { checkReadiness, READINESS_VALUE, type ReadinessReport } from '../../../lambdas/core/steps/readiness';
import { demoConfigFile, EXECUTION_ID, fakeDeps, stepPayload, type FakeDeps } from '../../support/fake-deps';

/** The demo config with a two-item checklist: one automated check, one item to attest. */
function twoItemConfig(level: 'required' | 'advisory'): GoLiveConfig {
  const demo = demoConfigFile();
  const items = demo.readiness.items.filter((i) => i.id === 'db-not-public' || i.id === 'ingress-through-gateway');
  const service = { ...demo.services.demo, readiness: { ...demo.services.demo.readiness, overrides: {} } };
  return parseConfig({
    ...demo,
    services: { demo: service },
    readiness: { ...demo.readiness, items: items.map((i) => (i.id === 'db-not-public' ? { ...i, level } : i)) },
  });
}
const publicDb = { id: 'orders-db', kind: 'rds-instance' as const, replicas: [], publiclyAccessible: true };

let f: FakeDeps;
afterEach(() => f.close());

describe('checkReadiness (CheckReadiness)', () => {
  it('passes with the attest items left for the sign-off, and keeps the report for it', async () => {
    f = fakeDeps({ config: twoItemConfig('required') });
    f.readiness.observedDatabases = [{ ...publicDb, publiclyAccessible: false }];

    const report = await checkReadiness(f.deps, stepPayload('CheckReadiness'));

    expect(report).toMatchObject({ passed: true, failing: [], awaitingAttestation: ['ingress-through-gateway'] });
    expect(await f.store.getExecutionValue<ReadinessReport>(EXECUTION_ID, READINESS_VALUE)).toEqual(report);
    expect((await f.audit())[0]).toMatchObject({ step: 'CheckReadiness', outcome: 'succeeded' });
  });

  it('fails with ReadinessCheckFailed naming each failing required item, keeping the report as evidence', async () => {
    f = fakeDeps({ config: twoItemConfig('required') });
    f.readiness.observedDatabases = [publicDb];

    await expect(checkReadiness(f.deps, stepPayload('CheckReadiness'))).rejects.toMatchObject({
      name: 'ReadinessCheckFailed',
      message: expect.stringMatching(
        /^1 required readiness item\(s\) failed: Databases are not publicly accessible \[db-not-public\] — .*orders-db.* — fix: /,
      ),
    });
    const stored = await f.store.getExecutionValue<ReadinessReport>(EXECUTION_ID, READINESS_VALUE);
    expect(stored).toMatchObject({ passed: false, failing: ['db-not-public'] });
    expect((await f.audit())[0]).toMatchObject({ outcome: 'failed', evidence: stored });
  });

  it('does not stop the go-live for an advisory item failing', async () => {
    f = fakeDeps({ config: twoItemConfig('advisory') });
    f.readiness.observedDatabases = [publicDb];

    const report = await checkReadiness(f.deps, stepPayload('CheckReadiness'));

    expect(report.passed).toBe(true);
    expect(report.items.find((i) => i.id === 'db-not-public')?.status).toBe('fail');
  });
});
