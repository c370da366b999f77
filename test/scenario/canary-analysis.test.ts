import { startTrafficGenerator } from '../../local/demo';
import { startHarness, testConfig, type Harness } from '../support/harness';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';

/**
 * The automated canary judgement on the local runtime: real requests through the weighted router,
 * per-request samples per slot, judged after each bake. A candidate that is slower than the
 * stable version but fires no alarm is rolled back by the judgement alone.
 */
/** The router counts a request once its upstream's answer has been piped: wait until the counts stop moving. */
async function settled(h: Harness): Promise<void> {
  const router = h.rt.targets.get('demo')!.router;
  let last = JSON.stringify(router.stats());
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const now = JSON.stringify(router.stats());
    if (now === last) return;
    last = now;
  }
}

describe('canary analysis on the local runtime', () => {
  let h: Harness;

  beforeAll(async () => {
    const base = testConfig();
    h = await startHarness({
      config: testConfig({
        demo: {
          strategy: { ...base.services.demo.strategy, bakeSeconds: 3, canarySteps: [50] },
          analysis: { ...base.services.demo.analysis, minRequests: 20 },
        },
      }),
    });
  });
  afterAll(() => h.close());
  afterEach(() => {
    h.stopAutoApprove();
    h.rt.targets.get('demo')!.green.setFaults({ latencyMs: 0, errorRate: 0 });
  });

  it('rolls back a canary judged slower than the stable version, with the judgement as evidence', async () => {
    const before = await alertsSnapshot(h);
    // Slower, not failing: the 5xx alarm stays OK, only the judgement can catch it.
    h.rt.onTask('ShiftTraffic', () => h.rt.targets.get('demo')!.green.setFaults({ latencyMs: 150 }));

    const traffic = startTrafficGenerator(h.rt.targets.get('demo')!.router.url, {
      ratePerSecond: 40,
      paths: ['/api/orders'],
    });
    const arn = await h.start();
    await h.finished(arn);
    await traffic.stop();
    await settled(h);

    await expectRolledBack(h, arn, 'CanaryAnalysisFailed', before);
    const analysis = (await h.rt.store.listAudit(arn)).find((r) => r.step === 'AnalyzeCanary')!;
    expect(analysis.outcome).toBe('failed');
    expect(analysis.summary).toMatch(
      /^CanaryAnalysisFailed: canary at 50% judged worse than the stable version .*latency-p50: p50 /,
    );
    expect(analysis.evidence).toMatchObject({
      weight: 50,
      judgement: {
        verdict: 'fail',
        metrics: expect.arrayContaining([
          expect.objectContaining({ metric: 'latency-p50', test: 'mann-whitney', verdict: 'fail' }),
        ]),
      },
      measurement: { source: expect.stringMatching(/^local router samples /) },
    });
    // The status (CLI, Slack) shows each step's verdict beside its measurements.
    const detail = await h.rt.client.describe(arn);
    expect(detail.analysis).toEqual([
      expect.objectContaining({ weight: 50, verdict: 'fail', flagged: false, p99Ms: expect.objectContaining({}) }),
    ]);
    expect(detail.analysis![0].p99Ms.candidate!).toBeGreaterThan(detail.analysis![0].p99Ms.baseline!);
    expect(detail.analysis![0].figures).toMatchObject({
      candidate: { requests: expect.any(Number) },
      baseline: { requests: expect.any(Number) },
    });
    // Rolled back: all the traffic is on the stable version again, as the rollback read it back.
    expect(detail.traffic).toEqual({
      stable: { slot: 'blue', weight: 100 },
      candidate: { slot: 'green', version: '2.0.0', weight: 0 },
    });
  });
});
