import { isRecord } from '../json';
import type { AuditRecord } from '../ports';

/**
 * One go-live as the DORA metrics see it, read from its audit trail alone (the trail outlives Step
 * Functions' 90-day history, so the metrics of any period can be computed again later).
 */

/**
 * How a go-live ended:
 * - `succeeded`: ReleaseLock succeeded (the candidate is the live version, the lock released).
 * - `rolled-back`: the rollback path finished (NotifyRollback, or ReleaseLockAfterRollback
 *   succeeded) after a failure, a rejected or expired sign-off, or an ending the janitor cleaned up.
 * - `rollback-failed`: the rollback itself failed (NotifyRollbackFailed / UnmuteAfterFailedRollback).
 * - `aborted`: rolled back because a release manager aborted it (`golive abort`, an Abort record,
 *   rollback error GoLiveAborted) or because the execution was stopped (ABORTED: the janitor's
 *   rollback, error ExecutionAborted).
 * - `refused`: stopped at the gates before anything changed: its first failure is at ValidateAndLock
 *   or CheckReadiness (invalid request, not a release manager, LockHeld, a change freeze, the
 *   readiness checklist), or is LockHeld / FreezeWindow wherever it was raised; never once traffic moved.
 * - `running`: none of the above yet. Excluded from every metric.
 */
export type GoLiveOutcome = 'succeeded' | 'rolled-back' | 'rollback-failed' | 'aborted' | 'refused' | 'running';

export interface GoLiveFact {
  executionId: string;
  service: string;
  /** From the validated request; null when validation refused it (the trail has no request then). */
  version: string | null;
  /** `undo` for `golive rollback`: it restores the previous version and is not itself a change. */
  kind: 'go-live' | 'undo';
  /** The first audit record. */
  startedAt: string;
  /**
   * The last record of the path that ended it (ReleaseLock / NotifySuccess on success; the rollback
   * path's steps and the janitor's otherwise). Null while running. Records written later for other
   * reasons (a sweep) do not move it.
   */
  endedAt: string | null;
  outcome: GoLiveOutcome;
  /**
   * Traffic moved to the candidate: a ShiftTraffic or Promote record succeeded, or one failed with
   * the router reporting traffic on the candidate (a shift that half-happened).
   */
  reachedProduction: boolean;
  /** `request.commitAt`: when the change was committed (lead time starts there). */
  commitAt: string | null;
  breakGlass: { reason: string } | null;
  /** The error that ended it (its first failure), when the trail names one. */
  error: string | null;
  /**
   * Attempts in this execution: more than 1 when `golive retry` redrove it after a rollback. The
   * go-live is one go-live: its last attempt decides its outcome and whether it reached production.
   */
  attempts: number;
}

/** An execution's audit trail, with what Step Functions says of it when that is known. */
export interface Trail {
  executionId: string;
  records: AuditRecord[];
  /**
   * Step Functions' status (GoLiveStatus: ABORTED for an aborted go-live), when known. It only
   * decides for a trail that has not ended yet: an execution stopped before the janitor wrote its
   * records. ABORTED → aborted; FAILED with RollbackFailed → rollback-failed; FAILED or TIMED_OUT →
   * rolled-back (the janitor rolls it back).
   */
  status?: string;
  /** The Step Functions error of an ended execution (RollbackFailed, GoLiveAborted…). */
  error?: string;
  /** Step Functions' stop date: the end of such a trail. */
  stopDate?: string;
}

const SUCCESS_END = new Set(['ReleaseLock', 'NotifySuccess']);
const ROLLBACK_PATH = new Set([
  'Janitor',
  'Rollback',
  'UnmuteAfterRollback',
  'UnmuteAfterFailedRollback',
  'ReleaseLockAfterRollback',
  'NotifyRollback',
  'NotifyRollbackFailed',
]);
const ROLLBACK_FAILED = new Set(['UnmuteAfterFailedRollback', 'NotifyRollbackFailed']);
const GATE_STEPS = new Set(['ValidateAndLock', 'CheckReadiness', 'BreakGlass']);
const REFUSALS = new Set(['LockHeld', 'FreezeWindow', 'BreakGlassRejected']);
/** Records that are not a forward step of an attempt: the rollback path, waiting for a retry, decisions. */
const NOT_FORWARD = new Set([...ROLLBACK_PATH, 'AwaitRetry', 'Abort']);
const ABORT_ERRORS = new Set(['GoLiveAborted', 'ExecutionAborted']);

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
/** runStep writes a failure's summary as `<error name>: <message>`. */
const errorName = (r: AuditRecord | undefined): string | undefined =>
  r ? /^([A-Za-z][\w.]*):/.exec(r.summary)?.[1] : undefined;
const latest = (records: AuditRecord[]): string | undefined =>
  records.reduce<AuditRecord | undefined>((a, r) => (!a || Date.parse(r.at) >= Date.parse(a.at) ? r : a), undefined)
    ?.at;

function candidateTookTraffic(r: AuditRecord, candidateSlot: string | undefined): boolean {
  if (r.step !== 'ShiftTraffic' && r.step !== 'Promote') return false;
  if (r.outcome === 'succeeded') return true;
  if (r.outcome !== 'failed' || !isRecord(r.evidence) || !isRecord(r.evidence.readBack) || !candidateSlot) return false;
  const weight = r.evidence.readBack[candidateSlot];
  return typeof weight === 'number' && weight > 0;
}

/** The error the rollback path reports (Rollback's evidence), when it moved traffic back. */
function rollbackError(records: AuditRecord[]): string | undefined {
  const rollback = records.find((r) => r.step === 'Rollback' && r.outcome !== 'info' && isRecord(r.evidence));
  const error = rollback && isRecord(rollback.evidence) ? rollback.evidence.error : undefined;
  return isRecord(error) ? str(error.Error) : undefined;
}

function endedByAbort(records: AuditRecord[], firstFailure: AuditRecord | undefined, status?: string): boolean {
  const rolledBackAfter = rollbackError(records);
  if (rolledBackAfter) return ABORT_ERRORS.has(rolledBackAfter);
  if (firstFailure) return ABORT_ERRORS.has(errorName(firstFailure) ?? '');
  const janitor = records.find((r) => r.step === 'Janitor');
  if (janitor && isRecord(janitor.evidence) && janitor.evidence.status === 'ABORTED') return true;
  return records.some((r) => r.step === 'Abort') || status === 'ABORTED';
}

/** The fact of one go-live; undefined for a trail without records (nothing to count). */
/**
 * The records of the last attempt: a go-live redriven by `golive retry` after its rollback starts
 * again, in the same execution, at the first forward step after its rollback path.
 */
function lastAttempt(records: AuditRecord[]): { records: AuditRecord[]; attempts: number } {
  let start = 0;
  let attempts = 1;
  let rolledBack = false;
  records.forEach((r, i) => {
    if (ROLLBACK_PATH.has(r.step)) rolledBack = true;
    else if (rolledBack && r.outcome !== 'info' && !NOT_FORWARD.has(r.step)) {
      start = i;
      attempts++;
      rolledBack = false;
    }
  });
  return { records: records.slice(start), attempts };
}

export function goLiveFact(trail: Trail): GoLiveFact | undefined {
  const all = [...trail.records].sort((a, b) => a.seq - b.seq);
  if (all.length === 0) return undefined;
  const { records, attempts } = lastAttempt(all);
  const lock = all.find((r) => r.step === 'ValidateAndLock' && r.outcome === 'succeeded');
  const evidence = isRecord(lock?.evidence) ? lock.evidence : {};
  const request = isRecord(evidence.request) ? evidence.request : {};
  const plan = isRecord(evidence.plan) ? evidence.plan : {};
  const breakGlass = isRecord(request.breakGlass) ? str(request.breakGlass.reason) : undefined;

  const reachedProduction = records.some((r) => candidateTookTraffic(r, str(plan.candidateSlot)));
  const firstFailure = records.find((r) => r.outcome === 'failed' && !ROLLBACK_PATH.has(r.step));
  const succeeded = records.some((r) => r.step === 'ReleaseLock' && r.outcome === 'succeeded');
  const rollbackFailed = records.some((r) => ROLLBACK_FAILED.has(r.step));
  const rolledBack =
    records.some((r) => r.step === 'NotifyRollback') ||
    records.some((r) => r.step === 'ReleaseLockAfterRollback' && r.outcome === 'succeeded');
  // Step Functions decides only for a trail that has not ended (stopped before the janitor came).
  const stopped =
    !succeeded && !rollbackFailed && !rolledBack && trail.status !== undefined && trail.status !== 'RUNNING'
      ? trail.status
      : undefined;
  const sfnRollbackFailed = stopped === 'FAILED' && trail.error === 'RollbackFailed';

  let outcome: GoLiveOutcome;
  if (succeeded) outcome = 'succeeded';
  else if (rollbackFailed || sfnRollbackFailed) outcome = 'rollback-failed';
  else if (!rolledBack && !stopped) outcome = 'running';
  else if (stopped === 'SUCCEEDED') outcome = 'succeeded';
  else if (endedByAbort(records, firstFailure, stopped ?? trail.status)) outcome = 'aborted';
  else if (
    !reachedProduction &&
    firstFailure &&
    (GATE_STEPS.has(firstFailure.step) || REFUSALS.has(errorName(firstFailure) ?? ''))
  )
    outcome = 'refused';
  else outcome = 'rolled-back';

  const endSteps = outcome === 'succeeded' ? SUCCESS_END : ROLLBACK_PATH;
  const endedAt =
    outcome === 'running'
      ? null
      : (latest(records.filter((r) => endSteps.has(r.step))) ?? trail.stopDate ?? latest(records) ?? null);
  const error =
    outcome === 'succeeded' || outcome === 'running'
      ? undefined
      : (errorName(firstFailure) ?? rollbackError(records) ?? (outcome === 'aborted' ? 'GoLiveAborted' : trail.error));
  return {
    executionId: trail.executionId,
    service: str(request.service) ?? all[0].service,
    version: str(request.version) ?? null,
    kind: request.kind === 'undo' ? 'undo' : 'go-live',
    startedAt: all[0].at,
    endedAt,
    outcome,
    reachedProduction,
    commitAt: str(request.commitAt) ?? null,
    breakGlass: breakGlass ? { reason: breakGlass } : null,
    error: error ?? null,
    attempts,
  };
}
