import type { ExecutionStatusChange } from '../execution-event';
import type { Deps, MuteRecord } from '../ports';
import type { GoLiveRequest, RolloutPlan } from '../request';
import { unmuteAlerts } from './alerts';
import { release } from './release';
import { notify } from './notify';
import { rollbackTraffic } from './traffic';

/** Who the janitor's audit records name: not the workflow ('system'), which did not run these steps. */
export const JANITOR_ACTOR = 'janitor';

/**
 * Kept per execution, claimed by one janitor (a conditional write): a redelivered event, or the
 * reconciler running at the same time, finds the clean-up finished, or under way, and does nothing.
 */
interface JanitorMark {
  status: string;
  startedAt: string;
  /** When the janitor now working on it took it over (the first claim, or a resumption). */
  claimedAt?: string;
  /** The clean-up threw (a provider failed): the next delivery resumes it at once. */
  interruptedAt?: string;
  finishedAt?: string;
}
const MARK = 'janitor';
/**
 * A clean-up claimed this long ago and neither finished nor interrupted was lost with its function
 * (killed by its timeout): longer than any Lambda function can run (15 minutes).
 */
export const JANITOR_LEASE_MS = 20 * 60 * 1000;

/** Someone else's clean-up still under way: not finished, not interrupted, claimed within the lease. */
function underWay(mark: JanitorMark, now: Date): boolean {
  if (mark.finishedAt || mark.interruptedAt) return false;
  return now.getTime() - Date.parse(mark.claimedAt ?? mark.startedAt) < JANITOR_LEASE_MS;
}

/** The steps that restore what MuteAlerts muted, on the success path and on the rollback path. */
const UNMUTE_STEPS: readonly string[] = ['UnmuteAlerts', 'UnmuteAfterRollback', 'UnmuteAfterFailedRollback'];

/** What the execution still holds; nothing when its rollback path (or its success path) completed. */
async function leftBehind(deps: Deps, executionArn: string, service: string): Promise<string[]> {
  if ((await deps.store.getLock(service))?.executionId === executionArn) return [`the lock on ${service}`];
  const mute = await deps.store.getExecutionValue<MuteRecord>(executionArn, 'mute');
  if (!mute || mute.muted.length === 0) return [];
  const audit = await deps.store.listAudit(executionArn);
  const restored = audit.some((r) => UNMUTE_STEPS.includes(r.step) && r.outcome === 'succeeded');
  return restored ? [] : [`${mute.muted.length} muted alarm(s)`];
}

/**
 * Stopped after its rollback path restored everything but before NotifyRollback: the requester
 * must still hear of it. Idempotent by the audit trail (a second delivery finds NotifyRollback).
 */
async function announceSilentRollback(deps: Deps, ended: ExecutionStatusChange, request: GoLiveRequest): Promise<void> {
  const steps = new Set((await deps.store.listAudit(ended.executionArn)).map((r) => r.step));
  if (!steps.has('ReleaseLockAfterRollback') || steps.has('NotifyRollback') || steps.has('NotifyRollbackFailed'))
    return;
  const plan = (await deps.store.getExecutionValue<RolloutPlan>(ended.executionArn, 'plan')) ?? {};
  const event = { executionId: ended.executionArn, request, plan, error: endingError(ended) };
  await notify(deps, { ...event, state: 'NotifyRollback', event: 'rolled-back' });
}

/** The error the rollback path reports: what ended the execution. */
function endingError(ended: ExecutionStatusChange): { Error: string; Cause: string } {
  const name =
    ended.status === 'TIMED_OUT'
      ? 'States.Timeout'
      : ended.status === 'ABORTED'
        ? 'ExecutionAborted'
        : (ended.error ?? 'ExecutionFailed');
  return { Error: name, Cause: ended.cause ?? ended.status };
}

/**
 * For executions that ended outside the Catch path, do what the rollback path would have done
 * (including deleting the scratch target of a restore stopped before VerifyBackup: rollbackTraffic
 * does it). Those are the ABORTED (StopExecution, a local runtime that died mid-run) and TIMED_OUT
 * ones, and the FAILED ones whose rollback path did not run or did not finish: States.Runtime and
 * States.DataLimitExceeded, which States.ALL does not catch, end an execution FAILED with traffic
 * shifted, the lock held and alerts muted. An execution, whatever its status, whose success path
 * released the lock or whose rollback path completed holds nothing and is left alone: the normal
 * end of a rolled-back go-live costs a few reads and is never announced twice, and a go-live
 * stopped while announcing its success is never reported rolled back (only a rollback that was
 * never announced is announced). So is `RollbackFailed`, whose lock stays held on purpose until a
 * human has looked, which restored alerts first and was announced loudly. Idempotent: a redelivered event finds the clean-up marked
 * finished and does nothing; a clean-up that failed half-way is resumed by the retry. Safe to run
 * concurrently (a duplicate event, the reconciler): one janitor claims the clean-up, the others
 * find it under way and leave it; one whose function died is resumed after JANITOR_LEASE_MS.
 */
export async function cleanUpEndedExecution(deps: Deps, ended: ExecutionStatusChange): Promise<{ cleaned: boolean }> {
  const { executionArn, status } = ended;
  if (status !== 'ABORTED' && status !== 'TIMED_OUT' && status !== 'FAILED') return { cleaned: false };
  if (status === 'FAILED' && ended.error === 'RollbackFailed') return { cleaned: false };
  const mark = await deps.store.getExecutionValue<JanitorMark>(executionArn, MARK);
  if (mark && (mark.finishedAt || underWay(mark, deps.now()))) return { cleaned: false };
  const request = await deps.store.getExecutionValue<GoLiveRequest>(executionArn, 'request');
  if (!request) return { cleaned: false };
  // Whatever the status: an execution stopped after ReleaseLock (e.g. during NotifySuccess) holds
  // nothing and has a live version someone approved; "rolling it back" would only announce a false
  // rollback. Likewise one stopped after its rollback path finished.
  const left = mark ? [] : await leftBehind(deps, executionArn, request.service);
  if (!mark && left.length === 0) {
    await announceSilentRollback(deps, ended, request);
    return { cleaned: false };
  }
  const plan = await deps.store.getExecutionValue<RolloutPlan>(executionArn, 'plan');
  if (!plan) return { cleaned: false };

  const error = endingError(ended);
  const startedAt = mark?.startedAt ?? deps.now().toISOString();
  if (mark) {
    await deps.store.putExecutionValue(executionArn, MARK, {
      status: mark.status,
      startedAt,
      claimedAt: deps.now().toISOString(),
    } satisfies JanitorMark);
  } else {
    // One janitor wins; another, started at the same moment, leaves the clean-up to it.
    const claim: JanitorMark = { status, startedAt, claimedAt: startedAt };
    if (!(await deps.store.claimExecutionValue(executionArn, MARK, claim))) return { cleaned: false };
    // Part of the chain NotifyRollback seals: the auditor sees who ran the rollback path, and why.
    await deps.store.appendAudit({
      executionId: executionArn,
      service: request.service,
      step: 'Janitor',
      action: 'clean-up',
      actor: JANITOR_ACTOR,
      verifiedBy: 'system',
      outcome: 'info',
      summary:
        `the execution ended ${status} (${error.Error}) outside its rollback path` +
        `${left.length ? `, still holding ${left.join(' and ')}` : ''}: the janitor rolls it back`,
      evidence: { status, error: ended.error ?? null, cause: ended.cause ?? null, leftBehind: left },
      at: startedAt,
    });
  }
  // The rollback path's own payloads, as its Task states would have sent them.
  const event = { executionId: executionArn, request, plan, error };
  try {
    await rollbackTraffic(deps, { ...event, state: 'Rollback', action: 'rollback' });
    await unmuteAlerts(deps, { ...event, state: 'UnmuteAfterRollback', action: 'unmute', mute: null });
    await release(deps, { ...event, state: 'ReleaseLockAfterRollback', action: 'release', outcome: 'rolled-back' });
    await notify(deps, { ...event, state: 'NotifyRollback', event: 'rolled-back' });
  } catch (err) {
    // The retry resumes at once rather than waiting for the lease (best effort: it expires anyway).
    const interrupted: JanitorMark = { status, startedAt, interruptedAt: deps.now().toISOString() };
    await deps.store.putExecutionValue(executionArn, MARK, interrupted).catch(() => undefined);
    throw err;
  }
  const finished: JanitorMark = { status, startedAt, finishedAt: deps.now().toISOString() };
  await deps.store.putExecutionValue(executionArn, MARK, finished);
  return { cleaned: true };
}
