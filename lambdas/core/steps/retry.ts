import { GoLiveError, InvalidRequest, LockHeld, Unauthorized } from '../errors';
import { activeFreezes, freezeMessage } from '../freeze';
import type { AuditRecord, Deps, LockRecord, Store } from '../ports';
import { executionName } from '../request';
import { hasRole, type ActorVerification } from '../roles';
import type { StepPayload, TaskName } from '../workflow/definition';
import { isPlanned, type StepError } from '../workflow/payload';
import { lockRecord } from './lock';
import { describeCause } from './step';

/**
 * golive retry: a go-live that failed for a reason a second attempt can cure (a provider outage, a
 * smoke test or a restore failing on the environment) is rolled back as always, then ends FAILED at
 * AwaitRetry, a Task: Step Functions' RedriveExecution continues from there. Redriven, AwaitRetry
 * finds the retry golive recorded (who asked, verified), re-checks the role, the freeze and the
 * lock, and resumes at the failed phase. A raw RedriveExecution (no record) fails again, the same
 * way, changing nothing.
 */

/** Written by AwaitRetry when the failure qualifies: what a retry would resume. */
export const RETRYABLE_VALUE = 'retryable';
/** Written (once per attempt) by the client before RedriveExecution. */
export const retryRequestKey = (attempt: number) => `retry:${attempt}`;
const consumedKey = (attempt: number) => `retry:${attempt}:consumed`;

/** The retry point of a failed go-live that no retry has used yet (what golive retry may redrive). */
export async function pendingRetry(store: Store, executionId: string): Promise<Retryable | undefined> {
  const retryable = await store.getExecutionValue<Retryable>(executionId, RETRYABLE_VALUE);
  if (!retryable || (await store.getExecutionValue(executionId, consumedKey(retryable.attempt)))) return undefined;
  return retryable;
}

export type ResumeAt = 'CheckReadiness' | 'MuteAlerts' | 'PreTrafficSmokeTests';

export interface Retryable {
  attempt: number;
  failedAt: string;
  resumeAt: ResumeAt;
  error: StepError;
  at: string;
}
export interface RetryRequest {
  by: string;
  verifiedBy?: ActorVerification;
  reason?: string;
  at: string;
}

/** Which failures a retry may cure, by the step that failed and its error; anything else is final. */
const RESUMABLE: Partial<Record<TaskName, { errors: readonly string[]; resumeAt: ResumeAt }>> = {
  CheckReadiness: { errors: ['ProviderUnavailable'], resumeAt: 'CheckReadiness' },
  MuteAlerts: { errors: ['ProviderUnavailable'], resumeAt: 'MuteAlerts' },
  StartRestore: { errors: ['ProviderUnavailable', 'BackupVerificationFailed'], resumeAt: 'MuteAlerts' },
  CheckRestore: { errors: ['ProviderUnavailable', 'BackupVerificationFailed'], resumeAt: 'MuteAlerts' },
  VerifyBackup: { errors: ['ProviderUnavailable', 'BackupVerificationFailed'], resumeAt: 'MuteAlerts' },
  PreTrafficSmokeTests: { errors: ['ProviderUnavailable', 'SmokeTestFailed'], resumeAt: 'PreTrafficSmokeTests' },
  // The candidate is prepared again: smoke-tested again before any traffic reaches it.
  ShiftTraffic: { errors: ['ProviderUnavailable', 'TrafficShiftFailed'], resumeAt: 'PreTrafficSmokeTests' },
};

/** The forward step whose failure sent the go-live down the rollback path: the first failed record. */
export function failedStep(records: readonly AuditRecord[]): string | undefined {
  return records.find((r) => r.outcome === 'failed')?.step;
}

/** Whether a failure qualifies for golive retry, and why not when it does not. */
export function retryVerdict(
  step: string | undefined,
  error: StepError,
  rollback: { completed: boolean },
): { resumeAt: ResumeAt } | { refused: string } {
  const rule = step ? RESUMABLE[step as TaskName] : undefined;
  if (!rollback.completed) return { refused: 'its rollback did not complete: a human must look first' };
  if (!rule || !rule.errors.includes(error.Error)) {
    return {
      refused:
        `${error.Error} at ${step ?? 'an unknown step'} is not a failure a retry can cure ` +
        '(only provider outages, smoke tests, backup proofs and traffic shifts failing on the environment are): start a new go-live',
    };
  }
  return { resumeAt: rule.resumeAt };
}

/** The original failure, thrown again: the execution fails with its first error, as GoLiveFailed would. */
const original = (error: StepError, note: string) =>
  // The Lambda error envelope's message, not the envelope: it is wrapped in one again.
  new GoLiveError(error.Error, `${describeCause(error.Cause) || error.Error}${note}`);

export interface AwaitRetryResult {
  resumeAt: ResumeAt | 'none';
  lock?: LockRecord;
}

/** The failure AwaitRetry ends the execution with on purpose (the original, or a refused retry). */
class Deliberate extends Error {
  constructor(readonly error: Error) {
    super(error.message);
  }
}

/**
 * AwaitRetry never writes the audit trail unless a retry really resumes: the rollback's
 * notification sealed it, and records after a seal with no later seal read as tampering. A retry
 * that resumes appends its record, and the go-live seals again when it ends.
 */
export async function awaitRetry(deps: Deps, event: StepPayload<'AwaitRetry'>): Promise<AwaitRetryResult> {
  try {
    return await decideRetry(deps, event);
  } catch (err) {
    if (err instanceof Deliberate) throw err.error;
    // Anything unexpected (the store down): end as GoLiveFailed would, with the first error intact.
    return { resumeAt: 'none' };
  }
}

async function decideRetry(deps: Deps, event: StepPayload<'AwaitRetry'>): Promise<AwaitRetryResult> {
  const { executionId } = event;
  const retryable = await deps.store.getExecutionValue<Retryable>(executionId, RETRYABLE_VALUE);
  const pending = retryable && !(await deps.store.getExecutionValue(executionId, consumedKey(retryable.attempt)));
  if (retryable && pending) {
    const asked = await deps.store.getExecutionValue<RetryRequest>(executionId, retryRequestKey(retryable.attempt));
    // Not asked through golive (a raw redrive, or this Task retried): fail again, exactly as before.
    if (!asked || !(await deps.store.claimExecutionValue(executionId, consumedKey(retryable.attempt), asked.at))) {
      throw new Deliberate(original(retryable.error, ''));
    }
    try {
      return await resume(deps, event, retryable, asked);
    } catch (err) {
      // Refused (role, freeze, lock, traffic): nothing changed, and a later golive retry may try again.
      await deps.store.releaseLock(event.request.service ?? '', executionId).catch(() => false);
      await deps.store.putExecutionValue(executionId, RETRYABLE_VALUE, {
        ...retryable,
        attempt: retryable.attempt + 1,
        at: deps.now().toISOString(),
      } satisfies Retryable);
      throw new Deliberate(err instanceof Error ? err : new Error(String(err)));
    }
  }
  // A failure that just finished rolling back: does a retry qualify?
  const records = await deps.store.listAudit(executionId);
  const step = failedStep(records.filter((r) => !retryable || r.at > retryable.at));
  const rolledBack = records.some((r) => r.step === 'Rollback' && r.outcome === 'succeeded');
  const verdict = retryVerdict(step, event.error, { completed: rolledBack && isPlanned(event.plan) });
  if ('refused' in verdict) return { resumeAt: 'none' };
  const next: Retryable = {
    attempt: (retryable?.attempt ?? 0) + 1,
    failedAt: step!,
    resumeAt: verdict.resumeAt,
    error: event.error,
    at: deps.now().toISOString(),
  };
  await deps.store.putExecutionValue(executionId, RETRYABLE_VALUE, next);
  throw new Deliberate(
    original(
      event.error,
      ` (rolled back; retryable: golive retry ${executionName(executionId)} resumes at ${verdict.resumeAt})`,
    ),
  );
}

/**
 * Redriven by golive retry: the same checks a start passes, then the lock, then where to resume.
 * Every check comes before anything is written; the one audit record says who retried.
 */
async function resume(
  deps: Deps,
  event: StepPayload<'AwaitRetry'>,
  retryable: Retryable,
  asked: RetryRequest,
): Promise<AwaitRetryResult> {
  const { request, plan } = event;
  if (!request.service || !request.version || !request.requestedBy || !isPlanned(plan)) {
    throw new InvalidRequest('this go-live never got past validation: nothing to retry');
  }
  if (!hasRole(deps.config, request.service, 'releaseManagers', asked.by)) {
    throw new Unauthorized(`${asked.by} is not a release manager of ${request.service}: the retry is refused`);
  }
  const now = deps.now();
  // The client checked these when it was asked; a redrive may come later (or from elsewhere).
  const window = deps.config.controls.retryWithinSeconds;
  if (now.getTime() - Date.parse(retryable.at) > window * 1000) {
    throw new InvalidRequest(`retry refused: the failure is older than controls.retryWithinSeconds (${window} s)`);
  }
  const live = await deps.store.getLiveVersion(request.service);
  if (live && Date.parse(live.at) > Date.parse(retryable.at)) {
    throw new InvalidRequest(`retry refused: ${request.service} ${live.version} went live after this go-live failed`);
  }
  const freeze =
    plan.breakGlass === 'required' ? undefined : activeFreezes(deps.config.freezes, request.service, now)[0];
  if (freeze) {
    throw new GoLiveError('FreezeWindow', `retry refused: ${freezeMessage(freeze, now)}`, { evidence: { freeze } });
  }
  const weights = await deps.traffic.readWeights(request.service);
  if (weights[plan.stableSlot] !== 100) {
    throw new InvalidRequest(
      `retry refused: traffic of ${request.service} is not 100% on the stable slot (blue ${weights.blue}% / green ${weights.green}%); ` +
        'the rolled-back state changed since: start a new go-live',
      { evidence: { weights } },
    );
  }
  const lock = lockRecord(
    event.executionId,
    { ...request, service: request.service, version: request.version, requestedBy: request.requestedBy },
    plan,
    now,
  );
  const taken = await deps.store.acquireLock(lock, now);
  if (!taken.acquired) {
    throw new LockHeld(
      `retry refused: ${request.service} is going live again meanwhile (${executionName(taken.holder.executionId)}, ` +
        `version ${taken.holder.version}); retry after it ends`,
      { evidence: { holder: taken.holder } },
    );
  }
  await deps.traffic.prepareCandidate(request.service, plan.candidateSlot, request.version);
  // The earlier attempt's abort, pause and hold clock no longer apply.
  for (const key of ['abort', 'control:pause', 'control:hold'])
    if (await deps.store.getExecutionValue(event.executionId, key))
      await deps.store.putExecutionValue(event.executionId, key, null);
  await deps.store.appendAudit({
    executionId: event.executionId,
    service: request.service,
    step: 'AwaitRetry',
    action: 'retry',
    actor: asked.by,
    ...(asked.verifiedBy ? { verifiedBy: asked.verifiedBy } : {}),
    outcome: 'succeeded',
    summary: `retry ${retryable.attempt} by ${asked.by}${asked.reason ? ` (${asked.reason})` : ''}: lock taken again, resuming at ${retryable.resumeAt} after ${retryable.error.Error} at ${retryable.failedAt}`,
    evidence: { retryable, asked, weights },
    at: deps.now().toISOString(),
  });
  return { resumeAt: retryable.resumeAt, lock };
}
