import { judgeCanary, type AnalysisPolicy, type CanaryJudgement, type SlotMetrics } from '../analysis/judge';
import { CanaryAnalysisFailed } from '../errors';
import type { Deps, StepMeasurement } from '../ports';
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
 * AnalyzeCanary, right after a canary bake passed: what the candidate and the stable version each
 * served during the bake, judged against each other (lambdas/core/analysis/judge.ts). A failing
 * verdict rolls back with CanaryAnalysisFailed (or is only flagged, per config); marginal and
 * inconclusive ones go on, and are shown at the sign-off. The measurement and the judgement are
 * the step's evidence in the audit trail, where the sign-off, the status and the report read them.
 */
export function analyzeCanary(deps: Deps, event: StepPayload<'AnalyzeCanary'>): Promise<CanaryAnalysis> {
  return runStep(deps, event, event.state, 'analyze', async () => {
    const { plan, request } = event;
    const to = deps.now();
    const from = new Date(to.getTime() - plan.bakeSeconds * 1000);
    const measurement = await deps.metrics.measure({
      service: request.service,
      from,
      to,
      candidateSlot: plan.candidateSlot,
      stableSlot: plan.stableSlot,
    });
    const policy = analysisPolicy(deps, request.service);
    const judgement = judgeCanary(measurement.candidate, measurement.baseline, policy);
    const analysis: CanaryAnalysis = {
      weight: event.weight,
      from: from.toISOString(),
      to: to.toISOString(),
      measurement: {
        ...measurement,
        // The raw samples would bloat the audit record: their count and percentiles are in the judgement.
        candidate: withoutSamples(measurement.candidate),
        baseline: withoutSamples(measurement.baseline),
      },
      judgement,
      flagged: judgement.verdict === 'fail' && policy.onFail === 'flag',
    };
    const failing = judgement.metrics.filter((m) => m.verdict === 'fail').map((m) => `${m.metric}: ${m.reason}`);
    if (judgement.verdict === 'fail' && policy.onFail === 'rollback') {
      throw new CanaryAnalysisFailed(
        `canary at ${event.weight}% judged worse than the stable version (score ${judgement.score}): ${failing.join('; ')}`,
        { evidence: analysis },
      );
    }
    return {
      result: analysis,
      summary:
        `canary at ${event.weight}%: ${judgement.verdict}${judgement.score === null ? '' : ` (score ${judgement.score})`}` +
        `, ${judgement.requests.candidate} vs ${judgement.requests.baseline} requests` +
        (analysis.flagged ? ` — FLAGGED, not acted on (analysis.onFail: flag): ${failing.join('; ')}` : ''),
      evidence: analysis,
    };
  });
}
