import { mannWhitneyU, percentile, twoProportionZ } from './stats';

/** What one slot served during a bake or a wait: raw latency samples where the router keeps them (locally), else CloudWatch's percentiles. */
export interface SlotMetrics {
  requests: number;
  /** 5xx answers. */
  errors: number;
  /** Per-request latencies in ms, when available (the local router). */
  latencyMs?: number[];
  /** Aggregated percentiles in ms (CloudWatch), used when there are no raw samples. */
  p50?: number;
  p95?: number;
  p99?: number;
}

export const PERCENTILES = ['p50', 'p95', 'p99'] as const;
export type Percentile = (typeof PERCENTILES)[number];

export interface LatencyThreshold {
  /** Candidate / baseline ratio above which the metric fails (when significant, where a test applies). */
  maxRatio: number;
  /** Ratio above which it is marginal. */
  marginalRatio: number;
}

/** Per-service thresholds of the judgement (config: services.<name>.analysis). */
export interface AnalysisPolicy {
  /** Below this many requests on either slot the verdict is `inconclusive`, never `pass`. */
  minRequests: number;
  /** Significance level of the tests (one-sided: the candidate is worse). */
  alpha: number;
  /** Error-rate increase (absolute, e.g. 0.01 = one point) tolerated before a significant rise fails. */
  maxErrorRateIncrease: number;
  /** A latency difference smaller than this (ms) passes, whatever its ratio: 0.01 ms vs 0 is no regression. */
  minLatencyDeltaMs: number;
  latency: Record<Percentile, LatencyThreshold>;
  /** `rollback`: a failing verdict rolls back with CanaryAnalysisFailed; `flag`: it is only shown. */
  onFail: 'rollback' | 'flag';
}

export const DEFAULT_ANALYSIS_POLICY: AnalysisPolicy = {
  minRequests: 50,
  alpha: 0.05,
  maxErrorRateIncrease: 0.01,
  minLatencyDeltaMs: 5,
  latency: {
    p50: { maxRatio: 1.5, marginalRatio: 1.2 },
    p95: { maxRatio: 1.5, marginalRatio: 1.2 },
    p99: { maxRatio: 2, marginalRatio: 1.3 },
  },
  onFail: 'rollback',
};

export type Verdict = 'pass' | 'marginal' | 'fail' | 'inconclusive';

export interface MetricVerdict {
  metric: 'error-rate' | `latency-${Percentile}`;
  candidate: number | null;
  baseline: number | null;
  /** The statistical test applied, or `ratio` where only aggregates exist. */
  test: 'two-proportion' | 'mann-whitney' | 'ratio' | 'none';
  /** One-sided p-value (candidate worse), where a test applied. */
  pValue?: number;
  ratio?: number;
  verdict: Verdict;
  reason: string;
}

export interface CanaryJudgement {
  verdict: Verdict;
  /** 0–100: pass counts 1, marginal ½, fail 0, over the conclusive metrics; null when inconclusive. */
  score: number | null;
  metrics: MetricVerdict[];
  requests: { candidate: number; baseline: number };
}

/** "p = 0.0132", or "p < 0.000001" where rounding would say 0. */
const pSaid = (p: number) => (p < 0.000001 ? 'p < 0.000001' : `p = ${Math.round(p * 1e6) / 1e6}`);
const rate = (m: SlotMetrics) => (m.requests > 0 ? m.errors / m.requests : 0);
const round = (v: number, digits = 4) => Math.round(v * 10 ** digits) / 10 ** digits;

function judgeErrorRate(candidate: SlotMetrics, baseline: SlotMetrics, policy: AnalysisPolicy): MetricVerdict {
  const c = rate(candidate);
  const b = rate(baseline);
  const { pGreater } = twoProportionZ(candidate.errors, candidate.requests, baseline.errors, baseline.requests);
  const increase = c - b;
  const significant = pGreater < policy.alpha;
  const pct = (v: number) => `${round(v * 100, 2)}%`;
  const base = {
    metric: 'error-rate' as const,
    candidate: round(c),
    baseline: round(b),
    test: 'two-proportion' as const,
  };
  const pValue = round(pGreater, 6);
  if (significant && increase > policy.maxErrorRateIncrease)
    return {
      ...base,
      pValue,
      verdict: 'fail',
      reason: `5xx rate ${pct(c)} vs ${pct(b)}: +${pct(increase)} (tolerated +${pct(policy.maxErrorRateIncrease)}), ${pSaid(pGreater)} < ${policy.alpha}`,
    };
  if (significant)
    return {
      ...base,
      pValue,
      verdict: 'marginal',
      reason: `5xx rate ${pct(c)} vs ${pct(b)}: higher (${pSaid(pGreater)}) but within tolerance`,
    };
  return {
    ...base,
    pValue,
    verdict: 'pass',
    reason: `5xx rate ${pct(c)} vs ${pct(b)}: no significant increase (${pSaid(pGreater)})`,
  };
}

function judgeLatency(
  p: Percentile,
  candidate: SlotMetrics,
  baseline: SlotMetrics,
  policy: AnalysisPolicy,
  /** The one rank test of the two latency samples, shared by the percentiles (computed once). */
  rankTest?: () => number,
): MetricVerdict {
  const metric = `latency-${p}` as const;
  const { maxRatio, marginalRatio } = policy.latency[p];
  const raw = candidate.latencyMs?.length && baseline.latencyMs?.length;
  const q = Number(p.slice(1));
  const c = raw ? percentile(candidate.latencyMs!, q)! : candidate[p];
  const b = raw ? percentile(baseline.latencyMs!, q)! : baseline[p];
  if (c === undefined || b === undefined)
    return {
      metric,
      candidate: c ?? null,
      baseline: b ?? null,
      test: 'none',
      verdict: 'inconclusive',
      reason: `no ${p} latency measured`,
    };
  // Below the floor the difference is noise (and a zero baseline makes any ratio infinite).
  const ratio = c - b < policy.minLatencyDeltaMs ? Math.min(b > 0 ? c / b : 1, 1) : b > 0 ? c / b : Infinity;
  const base = {
    metric,
    candidate: round(c, 1),
    baseline: round(b, 1),
    ...(Number.isFinite(ratio) ? { ratio: round(ratio, 3) } : {}),
  };
  const said = `${p} ${round(c, 1)} ms vs ${round(b, 1)} ms (${Number.isFinite(ratio) ? `×${round(ratio, 2)}` : 'from 0'})`;
  if (c - b < policy.minLatencyDeltaMs)
    return {
      ...base,
      test: raw ? 'mann-whitney' : 'ratio',
      verdict: 'pass',
      reason: `${said}: within ${policy.minLatencyDeltaMs} ms`,
    };
  if (raw) {
    // Where the samples exist, a rank test says whether the candidate is slower at all.
    const pValue = round(rankTest ? rankTest() : mannWhitneyU(candidate.latencyMs!, baseline.latencyMs!).pGreater, 6);
    const slower = pValue < policy.alpha;
    const verdict: Verdict =
      slower && ratio > maxRatio ? 'fail' : (slower && ratio > marginalRatio) || ratio > maxRatio ? 'marginal' : 'pass';
    const why =
      verdict === 'fail'
        ? `slower (Mann-Whitney ${pSaid(pValue)}) beyond ×${maxRatio}`
        : verdict === 'marginal'
          ? slower
            ? `slower (${pSaid(pValue)}), above ×${marginalRatio}`
            : `above ×${maxRatio} but not significantly slower (${pSaid(pValue)})`
          : `not significantly slower beyond ×${marginalRatio} (${pSaid(pValue)})`;
    return { ...base, test: 'mann-whitney', pValue, verdict, reason: `${said}: ${why}` };
  }
  const verdict: Verdict = ratio > maxRatio ? 'fail' : ratio > marginalRatio ? 'marginal' : 'pass';
  return {
    ...base,
    test: 'ratio',
    verdict,
    reason: `${said}: ${verdict === 'fail' ? `above ×${maxRatio}` : verdict === 'marginal' ? `above ×${marginalRatio}` : `within ×${marginalRatio}`}`,
  };
}

/**
 * The candidate against the baseline (the stable version) over the same window: a two-proportion
 * test on the 5xx rate, and per latency percentile a Mann-Whitney U test where raw samples exist or
 * a ratio threshold where only CloudWatch's aggregates do. Too few requests on either side makes
 * the whole verdict `inconclusive`, never `pass`.
 */
export function judgeCanary(candidate: SlotMetrics, baseline: SlotMetrics, policy: AnalysisPolicy): CanaryJudgement {
  const requests = { candidate: candidate.requests, baseline: baseline.requests };
  // `!(x >= min)`: NaN or a missing count is too few, never enough.
  if (!(candidate.requests >= policy.minRequests) || !(baseline.requests >= policy.minRequests)) {
    const reason = `too few requests to judge: candidate ${candidate.requests}, baseline ${baseline.requests} (at least ${policy.minRequests} each)`;
    return {
      verdict: 'inconclusive',
      score: null,
      requests,
      metrics: [
        {
          metric: 'error-rate',
          candidate: round(rate(candidate)),
          baseline: round(rate(baseline)),
          test: 'none',
          verdict: 'inconclusive',
          reason,
        },
      ],
    };
  }
  let pGreater: number | undefined;
  const rankTest =
    candidate.latencyMs?.length && baseline.latencyMs?.length
      ? () => (pGreater ??= mannWhitneyU(candidate.latencyMs!, baseline.latencyMs!).pGreater)
      : undefined;
  const metrics = [
    judgeErrorRate(candidate, baseline, policy),
    ...PERCENTILES.map((p) => judgeLatency(p, candidate, baseline, policy, rankTest)),
  ];
  const conclusive = metrics.filter((m) => m.verdict !== 'inconclusive');
  const points = conclusive.reduce(
    (sum, m) => sum + (m.verdict === 'pass' ? 1 : m.verdict === 'marginal' ? 0.5 : 0),
    0,
  );
  const score = conclusive.length ? Math.round((100 * points) / conclusive.length) : null;
  const verdict: Verdict = metrics.some((m) => m.verdict === 'fail')
    ? 'fail'
    : conclusive.length === 0
      ? 'inconclusive'
      : metrics.some((m) => m.verdict !== 'pass')
        ? 'marginal'
        : 'pass';
  return { verdict, score, metrics, requests };
}
