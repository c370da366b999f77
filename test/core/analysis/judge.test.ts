import { DEFAULT_ANALYSIS_POLICY, judgeCanary, type SlotMetrics } from '../../../lambdas/core/analysis/judge';

const policy = DEFAULT_ANALYSIS_POLICY;
/** n requests, `errors` of them 5xx, latencies spread evenly around `ms`. */
const slot = (n: number, errors: number, ms: number): SlotMetrics => ({
  requests: n,
  errors,
  latencyMs: Array.from({ length: n }, (_, i) => ms * (0.8 + (0.4 * ((i * 37) % n)) / n)),
});

describe('judgeCanary', () => {
  it('passes a candidate that serves like the baseline', () => {
    const judgement = judgeCanary(slot(200, 1, 40), slot(800, 4, 40), policy);

    expect(judgement.verdict).toBe('pass');
    expect(judgement.score).toBe(100);
    expect(judgement.metrics.map((m) => [m.metric, m.test, m.verdict])).toEqual([
      ['error-rate', 'two-proportion', 'pass'],
      ['latency-p50', 'mann-whitney', 'pass'],
      ['latency-p95', 'mann-whitney', 'pass'],
      ['latency-p99', 'mann-whitney', 'pass'],
    ]);
  });

  it('fails a significant 5xx rise beyond the tolerance, naming the rates and p', () => {
    const judgement = judgeCanary(slot(200, 20, 40), slot(800, 4, 40), policy);

    expect(judgement.verdict).toBe('fail');
    expect(judgement.metrics[0]).toMatchObject({
      metric: 'error-rate',
      candidate: 0.1,
      baseline: 0.005,
      verdict: 'fail',
      reason: expect.stringMatching(/^5xx rate 10% vs 0\.5%: \+9\.5% \(tolerated \+1%\), p [=<] [0-9.e-]+ < 0\.05$/),
    });
    expect(judgement.score).toBe(75);
  });

  it('fails a candidate significantly slower beyond the ratio, and calls a smaller slowdown marginal', () => {
    expect(judgeCanary(slot(200, 0, 100), slot(800, 0, 40), policy)).toMatchObject({
      verdict: 'fail',
      metrics: expect.arrayContaining([
        expect.objectContaining({ metric: 'latency-p50', verdict: 'fail', ratio: expect.closeTo(2.5, 1) }),
      ]),
    });
    const failed = judgeCanary(slot(200, 0, 100), slot(800, 0, 40), policy).metrics[1];
    expect(failed.reason).toMatch(/: slower \(Mann-Whitney p < 0\.000001\) beyond ×1\.5$/);
    const slower = judgeCanary(slot(200, 0, 52), slot(800, 0, 40), policy);
    expect(slower.verdict).toBe('marginal');
    expect(slower.metrics.find((m) => m.metric === 'latency-p50')).toMatchObject({
      verdict: 'marginal',
      ratio: expect.closeTo(1.3, 1),
    });
  });

  it('is inconclusive, never pass, below the minimum sample size', () => {
    const judgement = judgeCanary(slot(20, 0, 40), slot(800, 0, 40), policy);

    expect(judgement).toMatchObject({
      verdict: 'inconclusive',
      score: null,
      requests: { candidate: 20, baseline: 800 },
    });
    expect(judgement.metrics[0].reason).toBe(
      'too few requests to judge: candidate 20, baseline 800 (at least 50 each)',
    );
  });

  it('judges CloudWatch aggregates by ratio thresholds when there are no raw samples', () => {
    const aws = (p50: number, p95: number, p99: number, errors = 0): SlotMetrics => ({
      requests: 1000,
      errors,
      p50,
      p95,
      p99,
    });

    const judgement = judgeCanary(aws(41, 90, 500), aws(40, 80, 200), policy);

    expect(judgement.metrics.slice(1).map((m) => [m.metric, m.test, m.verdict])).toEqual([
      ['latency-p50', 'ratio', 'pass'],
      ['latency-p95', 'ratio', 'pass'],
      ['latency-p99', 'ratio', 'fail'],
    ]);
    expect(judgement.verdict).toBe('fail');
  });

  it('passes a latency difference below the floor, even against a zero baseline (no infinite ratio)', () => {
    const zeros = (n: number, tail: number[] = []): SlotMetrics => ({
      requests: n,
      errors: 0,
      latencyMs: [...Array.from({ length: n - tail.length }, () => 0), ...tail],
    });

    const raw = judgeCanary(zeros(60, [0.01, 0.01, 0.01, 0.01, 0.01]), zeros(60), policy);
    expect(raw.verdict).toBe('pass');
    expect(raw.metrics.slice(1).every((m) => m.verdict === 'pass' && m.reason.endsWith('within 5 ms'))).toBe(true);

    const aws = judgeCanary(
      { requests: 500, errors: 0, p50: 3, p95: 4, p99: 4 },
      { requests: 500, errors: 0, p50: 0, p95: 0, p99: 0 },
      policy,
    );
    expect(aws.verdict).toBe('pass');
    // Beyond the floor against zero: failed, said as "from 0", no Infinity written anywhere.
    const slow = judgeCanary(
      { requests: 500, errors: 0, p50: 30, p95: 40, p99: 50 },
      { requests: 500, errors: 0, p50: 0, p95: 0, p99: 0 },
      policy,
    );
    expect(slow.metrics[1]).toMatchObject({ verdict: 'fail', reason: 'p50 30 ms vs 0 ms (from 0): above ×1.5' });
    expect(slow.metrics[1]).not.toHaveProperty('ratio');
  });

  it('is inconclusive, never pass, when a count is missing or not a number', () => {
    expect(judgeCanary({ requests: Number.NaN, errors: 0 }, slot(800, 0, 40), policy).verdict).toBe('inconclusive');
  });

  it('is marginal when CloudWatch has no percentile for a metric', () => {
    const judgement = judgeCanary({ requests: 500, errors: 0 }, { requests: 500, errors: 0 }, policy);

    expect(judgement.verdict).toBe('marginal');
    expect(judgement.metrics[1]).toMatchObject({ verdict: 'inconclusive', reason: 'no p50 latency measured' });
  });
});
