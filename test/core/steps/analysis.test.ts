import { analyzeCanary } from '../../../lambdas/core/steps/analysis';
import { fakeDeps, NOW, stepPayload, type FakeDeps } from '../../support/fake-deps';
import { testPlan } from '../../support/payloads';

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

const samples = (n: number, ms: number) => Array.from({ length: n }, (_, i) => ms + (i % 7));
const plan = testPlan({ bakeSeconds: 60 });

describe('analyzeCanary (AnalyzeCanary)', () => {
  it('measures the bake that just passed, candidate slot against stable slot, and records the judgement', async () => {
    f.metrics.next = {
      candidate: { requests: 120, errors: 0, latencyMs: samples(120, 30) },
      baseline: { requests: 480, errors: 1, latencyMs: samples(480, 30) },
      source: 'local router samples',
    };

    const result = await analyzeCanary(f.deps, stepPayload('AnalyzeCanary', { plan, weight: 10 }));

    expect(f.metrics.windows).toEqual([
      {
        service: 'demo',
        from: new Date(NOW.getTime() - 60_000),
        to: NOW,
        candidateSlot: 'green',
        stableSlot: 'blue',
      },
    ]);
    expect(result.judgement).toMatchObject({ verdict: 'pass', score: 100 });
    const [record] = await f.audit();
    expect(record).toMatchObject({
      step: 'AnalyzeCanary',
      outcome: 'succeeded',
      summary: 'canary at 10%: pass (score 100), 120 vs 480 requests',
    });
    // Counts and percentiles are kept, not the raw samples.
    expect((record.evidence as typeof result).measurement.candidate).toEqual({ requests: 120, errors: 0 });
  });

  it('rolls back with CanaryAnalysisFailed when the candidate is judged worse, naming why', async () => {
    f.metrics.next = {
      candidate: { requests: 200, errors: 30, latencyMs: samples(200, 30) },
      baseline: { requests: 800, errors: 2, latencyMs: samples(800, 30) },
      source: 'local router samples',
    };

    await expect(analyzeCanary(f.deps, stepPayload('AnalyzeCanary', { plan, weight: 50 }))).rejects.toMatchObject({
      name: 'CanaryAnalysisFailed',
      message: expect.stringMatching(
        /^canary at 50% judged worse than the stable version \(score 75\): error-rate: 5xx rate 15% vs 0\.25%/,
      ),
    });
    expect((await f.audit())[0]).toMatchObject({ outcome: 'failed', evidence: { judgement: { verdict: 'fail' } } });
  });

  it('only flags a failing verdict when the service says so (analysis.onFail: flag)', async () => {
    const demo = f.deps.config.services.demo;
    f.deps.config = {
      ...f.deps.config,
      services: { demo: { ...demo, analysis: { ...demo.analysis, onFail: 'flag' } } },
    };
    f.metrics.next = {
      candidate: { requests: 200, errors: 30 },
      baseline: { requests: 800, errors: 2 },
      source: 'CloudWatch',
    };

    const result = await analyzeCanary(f.deps, stepPayload('AnalyzeCanary', { plan, weight: 50 }));

    expect(result).toMatchObject({ flagged: true, judgement: { verdict: 'fail' } });
    expect((await f.audit())[0].summary).toMatch(/FLAGGED, not acted on \(analysis\.onFail: flag\)/);
  });

  it('goes on, inconclusive, when too few requests reached either slot', async () => {
    f.metrics.next = { candidate: { requests: 3, errors: 3 }, baseline: { requests: 30, errors: 0 }, source: 'fake' };

    const result = await analyzeCanary(f.deps, stepPayload('AnalyzeCanary', { plan, weight: 10 }));

    expect(result.judgement).toMatchObject({ verdict: 'inconclusive', score: null });
  });
});
