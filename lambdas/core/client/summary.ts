import type { ExecutionListItem, DescribeExecutionCommandOutput } from '@aws-sdk/client-sfn';
import type { ApprovalRecord, AuditRecord } from '../ports';
import type { ReadinessReport } from '../readiness/evaluate';
import type { SlotMetrics } from '../analysis/judge';
import type { CanaryAnalysis } from '../steps/analysis';
import type { GoLiveRequest } from '../request';
import { nameOf } from './names';

/**
 * Where a go-live ended up. Step Functions' own status, except that a go-live a release manager
 * aborted is ABORTED, not FAILED: `golive abort` rolls it back through the workflow's failure path,
 * so Step Functions records it as FAILED with the error GoLiveAborted.
 */
export const GO_LIVE_STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT', 'PENDING_REDRIVE'] as const;
export type GoLiveStatus = (typeof GO_LIVE_STATUSES)[number];

export function goLiveStatus(status: string | undefined, error?: string): GoLiveStatus {
  if (status === 'FAILED' && error === 'GoLiveAborted') return 'ABORTED';
  return (GO_LIVE_STATUSES as readonly string[]).includes(status ?? '') ? (status as GoLiveStatus) : 'FAILED';
}

export function isGoLiveStatus(value: unknown): value is GoLiveStatus {
  return typeof value === 'string' && (GO_LIVE_STATUSES as readonly string[]).includes(value);
}

/** One go-live, as every front end lists it. Dates are ISO 8601 strings: the same over HTTP as in process. */
export interface GoLiveSummary {
  name: string;
  executionArn: string;
  status: GoLiveStatus;
  service?: string;
  version?: string;
  strategy?: string;
  requestedBy?: string;
  /** How the requester was identified when the go-live was started (slack, iam, local). */
  verifiedBy?: string;
  startDate?: string;
  stopDate?: string;
  /** The error it ended with (FAILED, ABORTED: GoLiveAborted, RollbackFailed, …). */
  error?: string;
}

/** The sign-off as the store holds it, without its task token. */
export interface SignOffSummary {
  status: ApprovalRecord['status'];
  approvers: string[];
  minApprovals: number;
  expiresAt: string;
  votes: { voter: string; decision: 'approve' | 'reject'; at: string; reason?: string; verifiedBy?: string }[];
}

/** One go-live in detail (`golive status <name>`, GET /go-lives/{name}). */
export interface GoLiveDetail extends GoLiveSummary {
  cause?: string;
  notes?: string;
  /** The state it is in while RUNNING. */
  currentStep?: string;
  /** The audit chain's final hash, as the execution's last step recorded it. */
  auditHash?: string;
  signOff?: SignOffSummary;
  /** Set once a release manager asked for an abort. */
  abort?: { by: string; reason: string; at: string };
  /** The readiness checklist as it stands (answered at the sign-off): who attested or waived each item, and when. */
  checklist?: ChecklistLine[];
  /** Each canary step's measurement and verdict (AnalyzeCanary), candidate against the stable version. */
  analysis?: CanaryStepLine[];
  /** Each slot's version and its share of traffic as golive last set it (the last traffic step, or all on stable). */
  traffic?: { stable: TrafficSide; candidate: TrafficSide };
  /** A release manager paused it: it holds (or will, at the next step boundary) until resumed. */
  paused?: boolean;
  /** Holding at a step boundary right now (paused, or a change freeze before promotion). */
  held?: boolean;
  pause?: { paused: boolean; by: string; reason: string; at: string };
  promote?: { by: string; reason: string; at: string };
  /** An undo (golive rollback): the version live before, through the fast path. */
  kind?: 'undo';
  /** A go-live inside a change freeze: its reason, the emergency role and their decision. */
  breakGlass?: {
    reason: string;
    approvers: string[];
    expiresAt: string;
    decision?: { status: string; by: string[]; at: string };
  };
  /** A failed go-live golive retry can resume, and where. */
  retryable?: { attempt: number; failedAt: string; resumeAt: string };
}

export interface TrafficSide {
  slot: 'blue' | 'green';
  version?: string;
  weight: number;
}

/** The traffic of a go-live from its plan and the weights its last traffic step read back. */
export function trafficOf(
  plan: { stableSlot: 'blue' | 'green'; candidateSlot: 'blue' | 'green'; stableVersion?: string } | undefined,
  candidateVersion: string | undefined,
  records: Pick<AuditRecord, 'step' | 'outcome' | 'evidence'>[],
): GoLiveDetail['traffic'] {
  if (!plan) return undefined;
  const last = [...records]
    .reverse()
    .find((r) => ['ShiftTraffic', 'Promote', 'Rollback'].includes(r.step) && r.outcome === 'succeeded');
  const weights = (last?.evidence as { weights?: Record<'blue' | 'green', number> } | undefined)?.weights;
  const weight = (slot: 'blue' | 'green', otherwise: number) =>
    typeof weights?.[slot] === 'number' ? weights[slot] : otherwise;
  return {
    stable: {
      slot: plan.stableSlot,
      ...(plan.stableVersion ? { version: plan.stableVersion } : {}),
      weight: weight(plan.stableSlot, 100),
    },
    candidate: {
      slot: plan.candidateSlot,
      ...(candidateVersion ? { version: candidateVersion } : {}),
      weight: weight(plan.candidateSlot, 0),
    },
  };
}

export interface ChecklistLine {
  id: string;
  title: string;
  level: 'required' | 'advisory';
  status: string;
  /** Who attested or waived it, when, and why (waivers). */
  by?: string;
  at?: string;
  reason?: string;
}

export interface CanaryStepLine {
  /** A canary bake, or the sign-off wait judged before promoting. */
  phase: 'bake' | 'sign-off wait';
  weight: number;
  verdict: string;
  score: number | null;
  requests: { candidate: number; baseline: number };
  errorRate: { candidate: number | null; baseline: number | null };
  p99Ms: { candidate: number | null; baseline: number | null };
  /** True when a failing verdict was only flagged (analysis.onFail: flag). */
  flagged: boolean;
  /** The raw figures of both slots (requests, errors, latency percentiles; no samples). */
  figures?: { candidate: SlotMetrics; baseline: SlotMetrics; from: string; to: string; source: string };
}

/** The checklist lines of a readiness report. */
export function checklistLines(report: ReadinessReport): ChecklistLine[] {
  return report.items.map((i) => ({
    id: i.id,
    title: i.title,
    level: i.level,
    status: i.status,
    ...(i.attestation ? { by: i.attestation.by, at: i.attestation.at } : {}),
    ...(i.waiver ? { by: i.waiver.by, at: i.waiver.at, reason: i.waiver.reason } : {}),
  }));
}

/** A canary judgement an audit trail holds: the record, which phase it judged, and the analysis. */
export interface CanaryAnalysisRecord<R> {
  record: R;
  phase: CanaryStepLine['phase'];
  analysis: CanaryAnalysis;
}

/**
 * The canary judgements of an audit trail, in order: each AnalyzeCanary's (its evidence is the
 * analysis), and the sign-off wait's that Promote judged first (its evidence, or the failure's when
 * it refused to promote).
 */
export function canaryAnalyses<R extends Pick<AuditRecord, 'step' | 'evidence'>>(
  records: R[],
): CanaryAnalysisRecord<R>[] {
  const analyses: CanaryAnalysisRecord<R>[] = [];
  for (const record of records) {
    const evidence = record.evidence as (CanaryAnalysis & { signOffWait?: CanaryAnalysis }) | undefined;
    if (!evidence || typeof evidence !== 'object') continue;
    if (record.step === 'AnalyzeCanary') analyses.push({ record, phase: 'bake', analysis: evidence });
    if (record.step === 'Promote') {
      const wait = evidence.signOffWait ?? (evidence.judgement ? evidence : undefined);
      if (wait) analyses.push({ record, phase: 'sign-off wait', analysis: wait });
    }
  }
  return analyses.filter(({ analysis: a }) => a.judgement && a.measurement);
}

/** One judgement as the status, Slack and the report show it. */
export function canaryLine({
  phase,
  analysis: a,
}: Pick<CanaryAnalysisRecord<unknown>, 'phase' | 'analysis'>): CanaryStepLine {
  const metric = (name: string) => a.judgement.metrics.find((m) => m.metric === name);
  const errors = metric('error-rate');
  const p99 = metric('latency-p99');
  return {
    phase,
    weight: a.weight,
    verdict: a.judgement.verdict,
    score: a.judgement.score,
    requests: a.judgement.requests,
    errorRate: { candidate: errors?.candidate ?? null, baseline: errors?.baseline ?? null },
    p99Ms: { candidate: p99?.candidate ?? null, baseline: p99?.baseline ?? null },
    flagged: Boolean(a.flagged),
    figures: {
      candidate: a.measurement.candidate,
      baseline: a.measurement.baseline,
      from: a.from,
      to: a.to,
      source: a.measurement.source,
    },
  };
}

/** The canary lines of an audit trail: each bake's judgement, then the sign-off wait's. */
export function canaryLines(records: Pick<AuditRecord, 'step' | 'evidence'>[]): CanaryStepLine[] {
  return canaryAnalyses(records).map(canaryLine);
}

/** The execution input as far as it parses (a malformed one ends as InvalidRequest; show what there is). */
export function parseInput(input: string | undefined): Partial<GoLiveRequest> {
  try {
    const parsed = JSON.parse(input ?? '{}') as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Partial<GoLiveRequest>) : {};
  } catch {
    return {};
  }
}

const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
const iso = (value: Date | undefined) => (value ? new Date(value).toISOString() : undefined);

/** The summary of a described execution (with the list item's fields where the description lacks them). */
export function summarise(
  described: Pick<
    DescribeExecutionCommandOutput,
    'executionArn' | 'name' | 'status' | 'input' | 'startDate' | 'stopDate' | 'error'
  >,
  listed: Partial<ExecutionListItem> = {},
): GoLiveSummary {
  const input = parseInput(described.input);
  const executionArn = described.executionArn ?? listed.executionArn ?? '';
  const fields: GoLiveSummary = {
    name: described.name ?? listed.name ?? nameOf(executionArn),
    executionArn,
    status: goLiveStatus(described.status ?? listed.status, described.error),
  };
  const optional: Record<string, string | undefined> = {
    service: text(input.service),
    version: text(input.version),
    strategy: text(input.strategy),
    requestedBy: text(input.requestedBy),
    verifiedBy: text(input.verifiedBy),
    startDate: iso(described.startDate ?? listed.startDate),
    stopDate: iso(described.stopDate ?? listed.stopDate),
    error: text(described.error),
  };
  for (const [key, value] of Object.entries(optional)) {
    if (value !== undefined) (fields as unknown as Record<string, string>)[key] = value;
  }
  return fields;
}

export function signOffSummary(record: ApprovalRecord): SignOffSummary {
  return {
    status: record.status,
    approvers: record.approvers,
    minApprovals: record.minApprovals,
    expiresAt: record.expiresAt,
    votes: record.votes.map((v) => ({
      voter: v.voter,
      decision: v.decision,
      at: v.at,
      ...(v.reason ? { reason: v.reason } : {}),
      ...(v.verifiedBy ? { verifiedBy: v.verifiedBy } : {}),
    })),
  };
}
