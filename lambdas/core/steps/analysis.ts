import { judgeCanary, type AnalysisPolicy, type CanaryJudgement, type SlotMetrics } from '../analysis/judge';
import { CanaryAnalysisFailed } from '../errors';
import type { Deps, StepMeasurement } from '../ports';
import type { RolloutPlan } from '../request';
import type { StepPayload } from '../workflow/definition';
import { runStep } from './step';

export interface CanaryAnalysis {
  weight: number;
  from: string;
  to: string;
  measurement: StepMeasurement;
  judgement: CanaryJudgement;
  /** The verdict failed but the service's policy only flags it. */
  flagged: boolean;
}

function withoutSamples(metrics: SlotMetrics): SlotMetrics {
  const { latencyMs: _samples, ...rest } = metrics;
  return rest;
}

/** The service's thresholds as the judgement takes them. */
export function analysisPolicy(deps: Pick<Deps, 'config'>, service: string): AnalysisPolicy {
  return deps.config.services[service].analysis;
}

/**
 * Measures both slots over [from, to] and judges the candidate against the stable version. Throws
 * CanaryAnalysisFailed on a failing verdict unless the service only flags it.
 */
export async function judgeWindow(
  deps: Pick<Deps, 'metrics' | 'config'>,
  event: { request: { service: string }; plan: Pick<RolloutPlan, 'candidateSlot' | 'stableSlot'> },
  window: { from: Date; to: Date; weight: number; what: string },
): Promise<CanaryAnalysis> {
  const { plan, request } = event;
  const measurement = await deps.metrics.measure({
    service: request.service,
    from: window.from,
    to: window.to,
    candidateSlot: plan.candidateSlot,
    stableSlot: plan.stableSlot,
  });
  const policy = analysisPolicy(deps, request.service);
  const judgement = judgeCanary(measurement.candidate, measurement.baseline, policy);
  const analysis: CanaryAnalysis = {
    weight: window.weight,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    measurement: {
      ...measurement,
      // The raw samples would bloat the audit record: their count and percentiles are in the judgement.
      candidate: withoutSamples(measurement.candidate),
      baseline: withoutSamples(measurement.baseline),
    },
    judgement,
    flagged: judgement.verdict === 'fail' && policy.onFail === 'flag',
  };
  if (judgement.verdict === 'fail' && policy.onFail === 'rollback') {
    throw new CanaryAnalysisFailed(
      `${window.what} judged worse than the stable version (score ${judgement.score}): ${failingReasons(judgement).join('; ')}`,
      { evidence: analysis },
    );
  }
  return analysis;
}

const failingReasons = (j: CanaryJudgement) =>
  j.metrics.filter((m) => m.verdict === 'fail').map((m) => `${m.metric}: ${m.reason}`);

/** One line of what a judgement said, for summaries. */
export function analysisSummary(what: string, a: CanaryAnalysis): string {
  const j = a.judgement;
  return (
    `${what}: ${j.verdict}${j.score === null ? '' : ` (score ${j.score})`}, ${j.requests.candidate} vs ${j.requests.baseline} requests` +
    (a.flagged ? ` — FLAGGED, not acted on (analysis.onFail: flag): ${failingReasons(j).join('; ')}` : '')
  );
}

/**
 * AnalyzeCanary, right after a canary bake passed: what the candidate and the stable version each
 * served during the bake, judged against each other (lambdas/core/analysis/judge.ts). A failing
 * verdict rolls back with CanaryAnalysisFailed (or is only flagged, per config); marginal and
 * inconclusive ones go on, and are shown at the sign-off. The measurement and the judgement are
 * the step's evidence in the audit trail, where the sign-off, the status and the report read them.
 */
export function analyzeCanary(deps: Deps, event: StepPayload<'AnalyzeCanary'>): Promise<CanaryAnalysis> {
  return runStep(deps, event, event.state, 'analyze', async () => {
    const to = deps.now();
    const from = new Date(to.getTime() - event.plan.bakeSeconds * 1000);
    const what = `canary at ${event.weight}%`;
    const analysis = await judgeWindow(deps, event, { from, to, weight: event.weight, what });
    return { result: analysis, summary: analysisSummary(what, analysis), evidence: analysis };
  });
}
