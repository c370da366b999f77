import type { MetricVerdict } from '../analysis/judge';
import { verifyChain, type ChainVerdict } from '../audit';
import { canaryAnalyses, canaryLine, goLiveStatus, type CanaryStepLine } from '../client/summary';
import type { AuditRecord, Vote, Weights } from '../ports';
import { applyDecision, summarise, type ReadinessDecision, type ReadinessReport } from '../readiness/evaluate';
import type { ActorVerification } from '../roles';
import type { ReadinessItem } from '../steps/readiness';
import { describeCause } from '../steps/step';
import type { ExecutionLike, HistoryEventLike } from './history';

export type StepResult =
  'succeeded' | 'failed' | 'bake passed' | 'expired' | 'timed out' | 'running' | 'interrupted' | 'recorded';

/** One Task state as it ran: from the history (timings) joined with its audit records (evidence). */
export interface TimelineStep {
  name: string;
  startedAt?: string;
  endedAt?: string;
  durationMs?: number;
  result: StepResult;
  error?: string;
  cause?: string;
  /** Attempts the Task made (Retry), from the history. */
  attempts: number;
  summary?: string;
  actor?: string;
  /** The actor's display name, where the trail recorded one. */
  actorName?: string;
  /** How the actor was verified, as recorded (absent on older records). */
  verifiedBy?: ActorVerification;
  evidence?: unknown;
  /** Sequence numbers of the audit records of this step. */
  records: number[];
}

export interface Decision {
  at: string;
  step: string;
  action: string;
  actor: string;
  actorName?: string;
  verifiedBy?: ActorVerification;
  summary: string;
  reason?: string;
}

/** A checklist item as it stood when the go-live ended: attested or waived at the sign-off, by whom. */
export type FinalReadinessItem = ReadinessItem & {
  /** Who attested or waived it during the sign-off, as the trail recorded them. */
  decidedBy?: { id: string; name?: string; verifiedBy?: ActorVerification };
};

export interface TrafficPoint {
  at: string;
  blue: number;
  green: number;
  step: string;
}

/**
 * One canary judgement: a bake's (AnalyzeCanary) or the sign-off wait's (Promote). The line golive
 * status and the sign-off show (weight, verdict, score, requests, 5xx rate and p99 of both slots,
 * the raw figures both slots served), with every metric's verdict and reason.
 */
export interface CanaryReportStep extends CanaryStepLine {
  /** 1, 2, … in the order the judgements ran. */
  step: number;
  /** The record that holds the judgement: when it was written, its sequence number, its outcome. */
  at: string;
  seq: number;
  /** `failed`: the verdict rolled the go-live back (CanaryAnalysisFailed). */
  outcome: AuditRecord['outcome'];
  /** Each metric judged: the candidate's and the baseline's figure, the test, its p-value or ratio, the verdict, why. */
  metrics: MetricVerdict[];
}

export interface AuditReport {
  generatedAt: string;
  execution: {
    executionArn: string;
    name: string;
    status: string;
    service?: string;
    version?: string;
    strategy?: string;
    requestedBy?: string;
    requestedByName?: string;
    /** How the requester was verified (slack, iam, local): what the request said. */
    requestedByVerification?: ActorVerification;
    /** Step Functions' own status where it differs from golive's (an aborted go-live ends FAILED there). */
    stepFunctionsStatus?: string;
    /** An undo (golive rollback): the version live before, through the fast path. */
    undo?: boolean;
    /** A go-live inside a change freeze: its reason, the window, and who of the emergency role decided. */
    breakGlass?: { reason: string; freeze?: string; decision?: string; by: string[] };
    /** Retries of a failed attempt (golive retry), as the trail records them. */
    retries?: { by: string; at: string; summary: string }[];
    startedAt?: string;
    stoppedAt?: string;
    durationMs?: number;
    error?: string;
    cause?: string;
  };
  sources: { auditRecords: number; historyEvents: number; historyUnavailable?: string };
  steps: TimelineStep[];
  decisions: Decision[];
  /**
   * The checklist as it stood at the end: CheckReadiness's report with the attestations and
   * waivers given at the sign-off applied, so it says what the Decisions say.
   */
  readiness?: {
    passed: boolean;
    checkedAt?: string;
    /** When the last attestation or waiver was given at the sign-off. */
    answeredAt?: string;
    /** Required items nobody attested or waived. */
    awaitingAttestation: string[];
    items: FinalReadinessItem[];
  };
  approval: {
    requestedAt?: string;
    approvers: string[];
    minApprovals?: number;
    expiresAt?: string;
    votes: Vote[];
    outcome?: { status: string; at: string; by: string; byName?: string; verifiedBy?: ActorVerification };
  };
  traffic: {
    candidateSlot?: string;
    /** The slot and version serving before the go-live (the version only when golive knew it). */
    stableSlot?: string;
    stableVersion?: string;
    points: TrafficPoint[];
    alarms: { at: string; name: string; summary: string }[];
  };
  rollback?: { at: string; summary: string; error?: string; weights?: Weights; outcome: string };
  /** Each canary step measured and judged, candidate against the stable version (AnalyzeCanary). */
  canary: CanaryReportStep[];
  chain: ChainVerdict & { recordCount: number };
  /** Display names by user id, as the trail recorded them (audit records, votes). */
  people: Record<string, string>;
  records: AuditRecord[];
}

const TERMINAL = ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'];
const iso = (d: Date | undefined) => (d ? new Date(d).toISOString() : undefined);
const ms = (s: string | undefined) => (s ? Date.parse(s) : NaN);
const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** Task spans from the history: StateEntered → StateExited, with the Task's last outcome. */
function spansFromHistory(events: HistoryEventLike[], executionStatus: string): TimelineStep[] {
  const steps: TimelineStep[] = [];
  let current: TimelineStep | undefined;
  for (const e of events) {
    const at = iso(e.timestamp);
    if (e.type === 'TaskStateEntered') {
      current = {
        name: e.stateEnteredEventDetails?.name ?? '?',
        startedAt: at,
        result: 'running',
        attempts: 0,
        records: [],
      };
      steps.push(current);
    } else if (!current) {
      continue;
    } else if (e.type === 'TaskScheduled') {
      current.attempts++;
    } else if (e.type === 'TaskSucceeded') {
      current.result = 'succeeded';
      delete current.error;
      delete current.cause;
    } else if (e.type === 'TaskFailed' || e.type === 'TaskTimedOut') {
      const d = e.taskFailedEventDetails ?? e.taskTimedOutEventDetails;
      const timedOut = e.type === 'TaskTimedOut';
      // A bake's timeout is the design's "bake passed"; a sign-off's is its expiry.
      current.result = !timedOut
        ? 'failed'
        : /Bake$/.test(current.name)
          ? 'bake passed'
          : current.name === 'SignOff'
            ? 'expired'
            : 'timed out';
      if (current.result !== 'bake passed') {
        current.error = d?.error ?? (timedOut ? 'States.Timeout' : undefined);
        if (d?.cause) current.cause = describeCause(d.cause);
      }
    } else if (e.type === 'TaskStateExited' && e.stateExitedEventDetails?.name === current.name) {
      current.endedAt = at;
      current.durationMs = ms(at) - ms(current.startedAt);
      current = undefined;
    }
  }
  for (const s of steps) if (s.result === 'running' && TERMINAL.includes(executionStatus)) s.result = 'interrupted';
  return steps;
}

/**
 * Without history (past its retention, or unreachable): one step per audit outcome record, at the
 * time it was recorded. No durations: a record marks when a step's work ended, not when it began.
 */
function spansFromRecords(records: AuditRecord[]): TimelineStep[] {
  return records
    .filter((r) => r.outcome !== 'info')
    .map((r) => ({
      name: r.step,
      endedAt: r.at,
      result: r.outcome === 'failed' ? 'failed' : 'recorded',
      attempts: 1,
      records: [],
    }));
}

/** Attaches each outcome record to the latest span of its step that had started by then. */
/** Step boundaries that write a record only when they act (lambdas/core/steps/controls.ts). */
const SILENT_BOUNDARIES = new Set(['Checkpoint', 'CheckpointBeforePromotion']);

function attachRecords(steps: TimelineStep[], records: AuditRecord[], fromHistory: boolean): void {
  let fallbackIndex = 0;
  for (const r of records) {
    let target: TimelineStep | undefined;
    if (fromHistory) {
      // One second of tolerance: on AWS the Lambda's clock and Step Functions' may differ slightly.
      const candidates = steps.filter((s) => s.name === r.step && ms(s.startedAt) <= ms(r.at) + 1000);
      target = candidates[candidates.length - 1] ?? steps.find((s) => s.name === r.step);
    } else if (r.outcome !== 'info') {
      target = steps[fallbackIndex++];
    } else {
      target = [...steps].reverse().find((s) => s.name === r.step);
    }
    if (!target) continue;
    target.records.push(r.seq);
    if (r.outcome === 'info') continue;
    target.summary = r.summary;
    target.actor = r.actor;
    setOrDelete(target, 'actorName', r.actorName);
    setOrDelete(target, 'verifiedBy', r.verifiedBy);
    if (r.evidence !== undefined) target.evidence = r.evidence;
  }
}

function decisionsOf(records: AuditRecord[]): Decision[] {
  return records
    .filter((r) => r.outcome === 'info')
    .map((r) => {
      const vote = obj(obj(r.evidence).vote);
      const reason = typeof vote.reason === 'string' ? vote.reason : undefined;
      return {
        at: r.at,
        step: r.step,
        action: r.action,
        actor: r.actor,
        ...defined({ actorName: r.actorName, verifiedBy: r.verifiedBy }),
        summary: r.summary,
        ...(reason ? { reason } : {}),
      };
    });
}

function approvalOf(records: AuditRecord[], steps: TimelineStep[]): AuditReport['approval'] {
  const approval: AuditReport['approval'] = { approvers: [], votes: [] };
  for (const r of records.filter((x) => x.step === 'SignOff')) {
    const ev = obj(r.evidence);
    if (r.action === 'request-approval' && r.outcome === 'succeeded') {
      approval.requestedAt = r.at;
      approval.approvers = Array.isArray(ev.approvers) ? (ev.approvers as string[]) : [];
      if (typeof ev.minApprovals === 'number') approval.minApprovals = ev.minApprovals;
      if (typeof ev.expiresAt === 'string') approval.expiresAt = ev.expiresAt;
    } else if ((r.action === 'approve' || r.action === 'reject') && ev.vote) {
      approval.votes.push(ev.vote as Vote);
    } else if (r.action === 'approved' || r.action === 'rejected') {
      approval.outcome = {
        status: r.action,
        at: r.at,
        by: r.actor,
        ...defined({ byName: r.actorName, verifiedBy: r.verifiedBy }),
      };
    }
  }
  const signOff = steps.find((s) => s.name === 'SignOff' && (s.result === 'expired' || s.error === 'GoLiveAborted'));
  if (!approval.outcome && signOff?.endedAt) {
    // An abort names the release manager who asked for it.
    const abort = signOff.error === 'GoLiveAborted' ? records.find((r) => r.step === 'Abort') : undefined;
    approval.outcome = {
      status: signOff.result === 'expired' ? 'expired' : 'aborted',
      at: signOff.endedAt,
      by: abort?.actor ?? 'system',
      ...defined({ byName: abort?.actorName, verifiedBy: abort?.verifiedBy }),
    };
  }
  return approval;
}

function weightsOf(evidence: unknown): Weights | undefined {
  const w = obj(obj(evidence).weights);
  return typeof w.blue === 'number' && typeof w.green === 'number' ? { blue: w.blue, green: w.green } : undefined;
}

function trafficOf(records: AuditRecord[], steps: TimelineStep[]): AuditReport['traffic'] {
  const lock = records.find((r) => r.step === 'ValidateAndLock' && r.outcome === 'succeeded');
  const plan = obj(obj(lock?.evidence).plan);
  const { candidateSlot, stableSlot, stableVersion } = plan;
  const points: TrafficPoint[] = [];
  for (const r of records) {
    if (r.outcome !== 'succeeded') continue;
    if (!['ValidateAndLock', 'ShiftTraffic', 'Promote', 'Rollback'].includes(r.step)) continue;
    const weights = weightsOf(r.evidence);
    if (weights) points.push({ at: r.at, ...weights, step: r.step });
  }
  const alarms = records
    .filter((r) => r.action === 'alarm')
    .map((r) => ({ at: r.at, name: r.actor.replace(/^alarm:/, ''), summary: r.summary }));
  // An alarm already firing when a bake started fails that bake without an alarm record.
  for (const s of steps) {
    if (s.error === 'AlarmTriggered' && s.endedAt && !alarms.some((a) => Math.abs(ms(a.at) - ms(s.endedAt)) < 2000)) {
      alarms.push({ at: s.endedAt, name: 'AlarmTriggered', summary: s.cause ?? s.name });
    }
  }
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  return {
    ...defined({ candidateSlot: str(candidateSlot), stableSlot: str(stableSlot), stableVersion: str(stableVersion) }),
    points,
    alarms,
  };
}

/**
 * The checklist as the go-live ended: the CheckReadiness report, then each attestation and waiver
 * the sign-off recorded (the item as answered, or the decision applied to it). The same answers
 * are what the Decisions list, so the two never disagree.
 */
function readinessOf(records: AuditRecord[]): AuditReport['readiness'] {
  const r = [...records].reverse().find((x) => x.step === 'CheckReadiness' && x.outcome !== 'info');
  const ev = obj(r?.evidence);
  if (!r || !Array.isArray(ev.items)) return undefined;
  const report = JSON.parse(JSON.stringify(ev)) as ReadinessReport & { items: FinalReadinessItem[] };
  let answeredAt: string | undefined;
  for (const answer of records) {
    if (answer.seq <= r.seq || answer.step !== 'SignOff' || !['attest', 'waive'].includes(answer.action)) continue;
    const recorded = obj(obj(answer.evidence).item);
    const decision = obj(obj(answer.evidence).decision);
    const id = typeof decision.item === 'string' ? decision.item : recorded.id;
    const index = report.items.findIndex((i) => i.id === id);
    if (index < 0) continue;
    if (typeof recorded.status === 'string') report.items[index] = recorded as unknown as ReadinessItem;
    else if (typeof decision.kind === 'string') applyDecision(report, decision as unknown as ReadinessDecision);
    else continue;
    report.items[index].decidedBy = {
      id: answer.actor,
      ...defined({ name: answer.actorName, verifiedBy: answer.verifiedBy }),
    };
    answeredAt = answer.at;
  }
  summarise(report);
  return {
    passed: report.passed,
    ...defined({ checkedAt: typeof ev.checkedAt === 'string' ? ev.checkedAt : undefined, answeredAt }),
    awaitingAttestation: report.awaitingAttestation,
    items: report.items,
  };
}

/** Display names by user id: what the records and the votes recorded (the latest wins). */
function peopleOf(records: AuditRecord[]): Record<string, string> {
  const people: Record<string, string> = {};
  const note = (id: unknown, name: unknown) => {
    if (typeof id === 'string' && typeof name === 'string' && name !== '' && name !== id) people[id] = name;
  };
  for (const r of records) {
    note(r.actor, r.actorName);
    const ev = obj(r.evidence);
    const votes = [ev.vote, ...(Array.isArray(ev.votes) ? ev.votes : [])].map(obj);
    for (const v of votes) note(v.voter, v.voterName);
  }
  return people;
}

function rollbackOf(records: AuditRecord[]): AuditReport['rollback'] {
  const r = records.find((x) => x.step === 'Rollback' && x.outcome !== 'info');
  if (!r) return undefined;
  const ev = obj(r.evidence);
  const error = obj(ev.error).Error;
  const weights = weightsOf(r.evidence);
  return {
    at: r.at,
    summary: r.summary,
    outcome: r.outcome,
    ...(typeof error === 'string' ? { error } : {}),
    ...(weights ? { weights } : {}),
  };
}

/** Each canary judgement of the trail (its evidence; a step that failed before measuring has none). */
function canaryOf(records: AuditRecord[]): CanaryReportStep[] {
  const outcomes = records.filter((r) => r.outcome !== 'info');
  return canaryAnalyses(outcomes).map((judged, i) => ({
    step: i + 1,
    at: judged.record.at,
    seq: judged.record.seq,
    outcome: judged.record.outcome,
    ...canaryLine(judged),
    metrics: Array.isArray(judged.analysis.judgement.metrics) ? judged.analysis.judgement.metrics : [],
  }));
}

/**
 * The auditor's view of one go-live: the audit store (who, what, evidence, hash chain) merged
 * with the Step Functions history (when each step entered and left, retries, timeouts). Either
 * source may be missing: history expires after 90 days; the store outlives it.
 */
export function buildAuditReport(input: {
  executionArn: string;
  records: AuditRecord[];
  execution?: ExecutionLike;
  history?: HistoryEventLike[];
  historyUnavailable?: string;
  now?: Date;
}): AuditReport {
  const { records, execution } = input;
  const history = input.history ?? [];
  const requestInput = obj(safeJson(execution?.input));
  const lock = records.find((r) => r.step === 'ValidateAndLock');
  const request = { ...requestInput, ...obj(obj(lock?.evidence).request) };
  const status = reportStatus(records, execution);
  const fromHistory = history.some((e) => e.type === 'TaskStateEntered');
  const spans = fromHistory ? spansFromHistory(history, status) : spansFromRecords(records);
  attachRecords(spans, records, fromHistory);
  // A step boundary that found nothing to do (no pause, promote or freeze) leaves no record: no row.
  const steps = spans.filter(
    (s) => !(SILENT_BOUNDARIES.has(s.name) && s.records.length === 0 && s.result !== 'failed'),
  );
  const startedAt = iso(execution?.startDate) ?? records[0]?.at;
  const stoppedAt =
    iso(execution?.stopDate) ?? (TERMINAL.includes(status) ? records[records.length - 1]?.at : undefined);
  const verdict = verifyChain(records);
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const failedStep = steps.find((s) => s.result === 'failed' || s.result === 'expired');
  const people = peopleOf(records);
  const requestedBy = str(request.requestedBy);
  const requestedByVerification = str(request.verifiedBy) as ActorVerification | undefined;
  return {
    generatedAt: (input.now ?? new Date()).toISOString(),
    execution: {
      executionArn: input.executionArn,
      name: execution?.name ?? input.executionArn.split(':').pop() ?? input.executionArn,
      status,
      ...defined({
        service: str(request.service) ?? records[0]?.service,
        version: str(request.version),
        strategy: str(request.strategy),
        requestedBy,
        requestedByName: str(request.requestedByName) ?? (requestedBy ? people[requestedBy] : undefined),
        requestedByVerification,
        stepFunctionsStatus: execution?.status && execution.status !== status ? execution.status : undefined,
        undo: request.kind === 'undo' ? true : undefined,
        // What ValidateAndLock validated decides it (it drops a break-glass no freeze called for).
        breakGlass: breakGlassOf(lock ? obj(obj(lock.evidence).request) : requestInput, lock, records),
        retries: retriesOf(records),
        startedAt,
        stoppedAt,
        durationMs: startedAt && stoppedAt ? ms(stoppedAt) - ms(startedAt) : undefined,
        error: execution?.error ?? failedStep?.error,
        cause: execution?.cause ? describeCause(execution.cause) : failedStep?.cause,
      }),
    },
    sources: {
      auditRecords: records.length,
      historyEvents: history.length,
      ...(input.historyUnavailable ? { historyUnavailable: input.historyUnavailable } : {}),
    },
    steps,
    decisions: decisionsOf(records),
    ...defined({ readiness: readinessOf(records), rollback: rollbackOf(records) }),
    approval: approvalOf(records, steps),
    traffic: trafficOf(records, steps),
    canary: canaryOf(records),
    chain: { ...verdict, recordCount: records.length },
    people,
    records,
  };
}

/** A break-glass go-live, from its request and the emergency role's decision in the trail. */
function breakGlassOf(
  request: Record<string, unknown>,
  lock: AuditRecord | undefined,
  records: AuditRecord[],
): AuditReport['execution']['breakGlass'] {
  const asked = obj(request.breakGlass);
  if (typeof asked.reason !== 'string') return undefined;
  const freeze = obj(obj(lock?.evidence).freeze);
  const decided = [...records]
    .reverse()
    .find((r) => r.step === 'BreakGlass' && ['approved', 'rejected'].includes(r.action));
  const by = obj(decided?.evidence).by;
  return {
    reason: asked.reason,
    ...(typeof freeze.name === 'string' ? { freeze: freeze.name } : {}),
    ...(decided ? { decision: decided.action } : {}),
    by: Array.isArray(by) ? by.filter((v): v is string => typeof v === 'string') : [],
  };
}

function retriesOf(records: AuditRecord[]): AuditReport['execution']['retries'] {
  const retries = records
    .filter((r) => r.step === 'AwaitRetry' && r.action === 'retry')
    .map((r) => ({ by: r.actor, at: r.at, summary: r.summary }));
  return retries.length ? retries : undefined;
}

function setOrDelete<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value === undefined) delete target[key];
  else target[key] = value;
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function safeJson(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Whether a release manager's abort is what ended the go-live, from its trail: the error its
 * rollback recorded, else an abort request in it. An abort after another failure (an alarm, a
 * rejection) did not end it; a rollback that failed is told as FAILED whatever started it.
 */
function endedByAbort(records: AuditRecord[]): boolean {
  const rollbackFailed = records.some(
    (r) => r.step === 'NotifyRollbackFailed' || (r.step === 'Rollback' && r.outcome === 'failed'),
  );
  if (rollbackFailed) return false;
  const rollback = records.find((r) => r.step === 'Rollback' && r.outcome !== 'info');
  const rolledBackAfter = obj(obj(rollback?.evidence).error).Error;
  if (typeof rolledBackAfter === 'string') return rolledBackAfter === 'GoLiveAborted';
  return records.some((r) => r.step === 'Abort');
}

/**
 * The go-live's status as the client reports it (`goLiveStatus`: an aborted go-live is ABORTED,
 * not the FAILED Step Functions ends it with). ListExecutions gives no error, so there the trail
 * tells the abort. A rollback that failed stays FAILED: it needs a human either way. Without Step
 * Functions, the audit trail's end.
 */
export function reportStatus(records: AuditRecord[], execution?: { status?: string; error?: string }): string {
  if (!execution?.status) return statusFromRecords(records);
  const error =
    execution.error ?? (execution.status === 'FAILED' && endedByAbort(records) ? 'GoLiveAborted' : undefined);
  return goLiveStatus(execution.status, error);
}

/** Best guess when Step Functions no longer knows the execution: how the audit trail ends. */
export function statusFromRecords(records: AuditRecord[]): string {
  const steps = new Set(records.filter((r) => r.outcome === 'succeeded').map((r) => r.step));
  if (steps.has('NotifySuccess')) return 'SUCCEEDED';
  if (steps.has('NotifyRollbackFailed')) return 'FAILED';
  if (steps.has('NotifyRollback')) return endedByAbort(records) ? 'ABORTED' : 'FAILED';
  return records.length ? 'UNKNOWN' : 'NOT_FOUND';
}
