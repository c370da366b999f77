import { chainRecord, GENESIS_HASH } from '../../lambdas/core/audit';
import { DEFAULT_ANALYSIS_POLICY, judgeCanary, type SlotMetrics } from '../../lambdas/core/analysis/judge';
import type { AuditEntry, AuditRecord } from '../../lambdas/core/ports';
import type { CanaryAnalysis } from '../../lambdas/core/steps/analysis';

export const CANARY_ARN = 'arn:aws:states:us-east-1:000000000000:execution:golive-go-live:canary-1';

/** Latencies 20–29 ms, `n` of them, shifted by `plus`: a fixed sample for the rank test. */
const samples = (n: number, plus = 0) => Array.from({ length: n }, (_, i) => 20 + (i % 10) + plus);

/**
 * What each judgement of a canary go-live measured, judged by the real judgement under the default
 * policy. Three bakes (AnalyzeCanary): thin traffic (inconclusive), a candidate as fast as the
 * stable version with raw samples (pass), a p99 ×1.5 from CloudWatch-style aggregates (marginal).
 * Then the sign-off wait, judged by Promote: the candidate erroring and slow (fail, rolled back
 * with CanaryAnalysisFailed).
 */
export const CANARY_STEPS: { weight: number; candidate: SlotMetrics; baseline: SlotMetrics; source: string }[] = [
  {
    weight: 5,
    candidate: { requests: 30, errors: 0, latencyMs: samples(30) },
    baseline: { requests: 570, errors: 1, latencyMs: samples(570) },
    source: 'local router samples',
  },
  {
    weight: 10,
    candidate: { requests: 120, errors: 0, latencyMs: samples(120) },
    baseline: { requests: 1080, errors: 1, latencyMs: samples(1080) },
    source: 'local router samples',
  },
  {
    weight: 50,
    candidate: { requests: 300, errors: 1, p50: 21, p95: 48, p99: 150 },
    baseline: { requests: 900, errors: 3, p50: 20, p95: 45, p99: 100 },
    source: 'CloudWatch: ALB target groups',
  },
  {
    weight: 50,
    candidate: { requests: 400, errors: 40, p50: 30, p95: 80, p99: 250 },
    baseline: { requests: 1600, errors: 8, p50: 20, p95: 50, p99: 100 },
    source: 'CloudWatch: ALB target groups',
  },
];

/** The analysis as AnalyzeCanary records it: the raw samples left out of the evidence. */
export function canaryAnalysis(step: (typeof CANARY_STEPS)[number], index: number): CanaryAnalysis {
  const judgement = judgeCanary(step.candidate, step.baseline, DEFAULT_ANALYSIS_POLICY);
  const strip = ({ latencyMs: _samples, ...rest }: SlotMetrics): SlotMetrics => rest;
  return {
    weight: step.weight,
    from: `2026-03-02T10:0${index}:00.000Z`,
    to: `2026-03-02T10:0${index}:30.000Z`,
    measurement: { candidate: strip(step.candidate), baseline: strip(step.baseline), source: step.source },
    judgement,
    flagged: false,
  };
}

/**
 * The audit trail of a canary go-live: three bakes judged, the sign-off approved, then Promote
 * judging the sign-off wait: `refused` (the default) fails it and rolls back; `promoted` judges
 * the wait like the last bake (marginal) and promotes.
 */
export function canaryTrail(promote: 'refused' | 'promoted' = 'refused'): AuditRecord[] {
  const entry = (step: string, at: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({
    executionId: CANARY_ARN,
    service: 'demo',
    step,
    action: step === 'AnalyzeCanary' ? 'analyze' : 'run',
    actor: 'system',
    outcome: 'succeeded',
    summary: step,
    at,
    ...extra,
  });
  const entries: AuditEntry[] = [
    entry('ValidateAndLock', '2026-03-02T09:59:00.000Z', {
      evidence: {
        request: { service: 'demo', version: '3.1.0', strategy: 'canary', requestedBy: 'U_RELEASE_MANAGER' },
        plan: { candidateSlot: 'green', stableSlot: 'blue' },
        weights: { blue: 100, green: 0 },
      },
    }),
  ];
  CANARY_STEPS.slice(0, 3).forEach((step, i) => {
    entries.push(
      entry('ShiftTraffic', `2026-03-02T10:0${i}:00.000Z`, {
        evidence: { weights: { blue: 100 - step.weight, green: step.weight } },
      }),
    );
    const analysis = canaryAnalysis(step, i);
    entries.push(
      entry('AnalyzeCanary', `2026-03-02T10:0${i}:31.000Z`, {
        summary: `canary at ${step.weight}%: ${analysis.judgement.verdict}`,
        evidence: analysis,
      }),
    );
  });
  entries.push(
    entry('SignOff', '2026-03-02T10:05:00.000Z', {
      action: 'approved',
      actor: 'U_APPROVER_ANA',
      outcome: 'info',
      summary: 'approved by U_APPROVER_ANA',
    }),
  );
  if (promote === 'promoted') {
    const wait = canaryAnalysis(CANARY_STEPS[2], 3);
    entries.push(
      entry('Promote', '2026-03-02T10:05:01.000Z', {
        action: 'promote',
        summary: `green (3.1.0) now takes 100% of traffic; the canary during the sign-off wait: ${wait.judgement.verdict}`,
        evidence: { weights: { blue: 0, green: 100 }, signOffWait: wait },
      }),
      entry('NotifySuccess', '2026-03-02T10:05:02.000Z'),
    );
  } else {
    entries.push(
      entry('Promote', '2026-03-02T10:05:01.000Z', {
        action: 'promote',
        outcome: 'failed',
        summary: 'CanaryAnalysisFailed: the canary during the sign-off wait judged worse than the stable version',
        evidence: canaryAnalysis(CANARY_STEPS[3], 3),
      }),
      entry('Rollback', '2026-03-02T10:05:02.000Z', {
        evidence: { error: { Error: 'CanaryAnalysisFailed' }, weights: { blue: 100, green: 0 } },
      }),
      entry('NotifyRollback', '2026-03-02T10:05:03.000Z'),
    );
  }
  const records: AuditRecord[] = [];
  for (const e of entries) records.push(chainRecord(e, records.length + 1, records.at(-1)?.hash ?? GENESIS_HASH));
  return records;
}
