import { createHash } from 'node:crypto';
import { BackupVerificationFailed, GoLiveAborted, errorMessage } from '../errors';
import type { BackupEvidence, Deps, RecoveryPoint, RestoreHandle } from '../ports';
import type { TaskTimeout } from '../workflow/asl';
import { restoreBudgetFor } from '../workflow/budget';
import { TASKS, type FunctionPayload, type StepPayload } from '../workflow/definition';
import { runStep } from './step';

/** What one CheckRestore costs on top of its Wait (invocation and API calls), for the attempt bound. */
const CHECK_OVERHEAD_SECONDS = 5;

/**
 * How long after its write-ahead a StartRestore may still be running, and create its target: the
 * Task's timeout, which bounds the function's own (the construct refuses a longer one), plus a
 * margin for clocks.
 */
const START_SETTLE_SECONDS = (() => {
  const timeout: TaskTimeout = TASKS.StartRestore.timeout;
  return ('seconds' in timeout ? timeout.seconds : timeout.invokeSeconds) + 60;
})();

/** What the workflow keeps between the restore's status checks (the store's `restore` value). */
export interface RestoreState {
  handle: RestoreHandle;
  /**
   * `starting`: written before the provider's call (write-ahead), whose outcome is not known yet;
   * then `pending` until a check finds the restore `ready`.
   */
  status: 'starting' | 'pending' | 'ready';
  attempt: number;
  maxAttempts: number;
  pollSeconds: number;
  ageMinutes: number;
  rpoMinutes: number;
  detail: string;
  /**
   * The restore budget of the service's backup kind (workflow/budget.ts) that sized maxAttempts.
   * Absent from states written before budgets per kind.
   */
  budgetSeconds?: number;
  /**
   * While `starting`: until when the StartRestore that wrote it may still be running and create the
   * target. A cleaner that finds nothing before then cannot know whether the target appears after
   * it looked, so the deletion stays listed for the sweep. Set to the present once the call is
   * known to have returned.
   */
  settlesAt?: string;
  /** Set once the scratch target was deleted, or an attempt failed: a deleted one is never deleted again. */
  cleanedUp?: ScratchCleanup;
}

/** What became of a restore's scratch target, and which step saw to it. */
export interface ScratchCleanup {
  restoredTo: string;
  /** True when nothing of it is left. */
  deleted: boolean;
  /** `scratch deleted`, or `scratch NOT fully deleted: <reason>; delete <target> by hand`. */
  detail: string;
  by: string;
  at: string;
}

/** The part of RestoreState the ASL's RestoreReady? Choice and WaitForRestore read. */
export interface RestoreLoopView {
  status: 'pending' | 'ready';
  attempt: number;
  maxAttempts: number;
  pollSeconds: number;
  restoredTo: string;
  recoveryPointId: string;
}

const view = (state: RestoreState): RestoreLoopView => ({
  // Never `starting`: StartRestore returns once its call went through.
  status: state.status === 'ready' ? 'ready' : 'pending',
  attempt: state.attempt,
  maxAttempts: state.maxAttempts,
  pollSeconds: state.pollSeconds,
  restoredTo: state.handle.restoredTo,
  recoveryPointId: state.handle.recoveryPointId,
});

/**
 * A scratch target name every backend accepts (RDS: letters, digits, single hyphens, ≤ 63, starts
 * with a letter; DynamoDB: 3-255 of `[A-Za-z0-9_.-]`), unique per execution.
 */
export function scratchName(service: string, executionId: string): string {
  const suffix = createHash('sha256').update(executionId).digest('hex').slice(0, 10);
  const base = `golive-scratch-${service}`
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/-+/g, '-');
  return `${base.slice(0, 63 - suffix.length - 1).replace(/-$/, '')}-${suffix}`;
}

/** Bounded attempts: the loop gives up once the budget (of the service's backup kind) is spent. */
export function maxAttemptsFor(pollSeconds: number, budgetSeconds: number): number {
  return Math.max(1, Math.floor(budgetSeconds / (Math.max(0, pollSeconds) + CHECK_OVERHEAD_SECONDS)));
}

/** A write-ahead restore state whose StartRestore may still be running (and create the target). */
function mayStillStart(state: RestoreState, now: Date): boolean {
  return state.status === 'starting' && state.settlesAt !== undefined && now.getTime() < Date.parse(state.settlesAt);
}

async function loadState(deps: Deps, executionId: string): Promise<RestoreState> {
  const state = await deps.store.getExecutionValue<RestoreState>(executionId, 'restore');
  if (!state)
    throw new BackupVerificationFailed('no restore was started for this execution (StartRestore did not run)');
  return state;
}

/** Deletes the scratch target; a failure to delete is reported, never hidden, and never thrown. */
async function deleteScratch(deps: Deps, handle: RestoreHandle): Promise<Pick<ScratchCleanup, 'deleted' | 'detail'>> {
  try {
    if (await deps.backup.cleanUp(handle)) return { deleted: true, detail: 'scratch deleted' };
    return { deleted: false, detail: `scratch NOT fully deleted: delete what is left of ${handle.restoredTo} by hand` };
  } catch (err) {
    return {
      deleted: false,
      detail: `scratch NOT fully deleted: ${errorMessage(err)}; delete ${handle.restoredTo} by hand`,
    };
  }
}

/**
 * Keeps the sweep's index (Store.markScratchLeft) in step with a clean-up's outcome: a target left
 * behind is listed for the sweep to retry, a deleted one is taken off. Never throws.
 */
async function indexScratch(deps: Deps, executionId: string, cleanedUp: ScratchCleanup, service: string) {
  try {
    if (cleanedUp.deleted) await deps.store.clearScratchLeft(executionId);
    else await deps.store.markScratchLeft(executionId, { service, restoredTo: cleanedUp.restoredTo, at: cleanedUp.at });
  } catch {
    // Bookkeeping: a missed mark leaves the outcome in the restore state and the go-live's messages
    // (the by-hand fallback); a missed clear is fixed by the sweep, which finds the target deleted.
  }
}

/**
 * Records in the stored restore state who deleted the scratch target, so nobody deletes it again,
 * and lists a target left behind in the sweep's index (takes a deleted one off it).
 * Bookkeeping only: if the store cannot take it, the next cleaner tries again (deleting what is
 * gone counts as deleted), and the step's own outcome (a validated backup, the real failure) stands.
 */
async function recordCleanUp(
  deps: Deps,
  executionId: string,
  state: RestoreState,
  outcome: Pick<ScratchCleanup, 'deleted' | 'detail'>,
  by: string,
): Promise<ScratchCleanup> {
  const cleanedUp: ScratchCleanup = {
    restoredTo: state.handle.restoredTo,
    ...outcome,
    by,
    at: deps.now().toISOString(),
  };
  await deps.store.putExecutionValue(executionId, 'restore', { ...state, cleanedUp }).catch(() => undefined);
  await indexScratch(deps, executionId, cleanedUp, state.handle.service);
  return cleanedUp;
}

/**
 * Ends CheckRestore with `fail(cleaned)` after deleting the scratch target, recorded in the audit
 * trail like any failed step (the abort was seen here, so runStep must not look for it again).
 */
function abandonRestore(
  deps: Deps,
  event: StepPayload<'CheckRestore'>,
  state: RestoreState,
  fail: (cleaned: string) => Error,
): Promise<never> {
  return runStep(
    deps,
    event,
    event.state,
    'check',
    async () => {
      const cleaned = await recordCleanUp(
        deps,
        event.executionId,
        state,
        await deleteScratch(deps, state.handle),
        event.state,
      );
      throw fail(cleaned.detail);
    },
    { checkAbort: false },
  );
}

/**
 * The handshake between the cleaners (Rollback, janitor) and a StartRestore or CheckRestore Lambda
 * still running when they start (a Task timed out, the execution was stopped): a cleaner writes
 * this marker before it reads the restore state; a restore step reads it after it writes the
 * state. With consistent reads one of them sees the other's write, so no restore state written
 * late escapes clean-up, and none overwrites a clean-up's record unseen.
 */
const CLEANUP_STARTED = 'scratch-cleanup-started';

/**
 * After a restore step wrote `state`: if a cleaner already ran for this execution, this step
 * deletes the scratch target itself (the cleaner may have found nothing, or found the state this
 * write replaced) and ends; its result no longer matters to the workflow.
 */
async function cleanUpIfRolledBack(deps: Deps, executionId: string, state: RestoreState, step: string): Promise<void> {
  const started = await deps.store.getExecutionValue<{ by: string }>(executionId, CLEANUP_STARTED);
  if (!started) return;
  const cleaned = await deleteRecordedScratch(deps, executionId, state, step);
  throw new BackupVerificationFailed(
    `${started.by} began cleaning up this go-live while ${step} ran: restore into ${state.handle.restoredTo} abandoned (${cleaned.detail})`,
  );
}

/**
 * Rollback and janitor: deletes the scratch target of a restore this execution started that no
 * step deleted yet (the go-live failed or was stopped between StartRestore and VerifyBackup).
 * Undefined when there is none. Never throws: traffic, alerts and the lock matter more, so a
 * failure is returned (and kept in the restore state, where a later attempt finds it).
 */
export async function deleteAbandonedScratch(
  deps: Deps,
  executionId: string,
  by: string,
): Promise<ScratchCleanup | undefined> {
  const at = deps.now().toISOString();
  let state: RestoreState | undefined;
  try {
    // First the marker, then the read: see CLEANUP_STARTED.
    await deps.store.putExecutionValue(executionId, CLEANUP_STARTED, { by, at });
    state = await deps.store.getExecutionValue<RestoreState>(executionId, 'restore');
  } catch (err) {
    const detail = `scratch NOT checked: the restore state could not be read (${errorMessage(err)}); look for a golive-scratch-* target of this execution by hand`;
    return { restoredTo: 'unknown', deleted: false, detail, by, at };
  }
  if (!state || state.cleanedUp?.deleted) return undefined;
  return deleteRecordedScratch(deps, executionId, state, by);
}

/**
 * Deletes the scratch target of a restore state the caller read (not deleted yet), and records the
 * outcome like every cleaner does (restore state, sweep index). Never throws. A write-ahead state
 * whose StartRestore may still be running is never recorded as deleted: what that call creates
 * after this look is the sweep's to delete, once the call can no longer be running.
 */
export async function deleteRecordedScratch(
  deps: Deps,
  executionId: string,
  state: RestoreState,
  by: string,
): Promise<ScratchCleanup> {
  const at = deps.now().toISOString();
  let outcome = await deleteScratch(deps, state.handle);
  if (outcome.deleted && mayStillStart(state, deps.now())) {
    outcome = {
      deleted: false,
      detail:
        `scratch NOT confirmed deleted: nothing of ${state.handle.restoredTo} was left, but the StartRestore that ` +
        `started it may still be running until ${state.settlesAt}; the sweep deletes what it creates after that`,
    };
  }
  try {
    return await recordCleanUp(deps, executionId, state, outcome, by);
  } catch (err) {
    const detail = `${outcome.detail} (not recorded in the restore state: ${errorMessage(err)})`;
    return { restoredTo: state.handle.restoredTo, deleted: outcome.deleted, detail, by, at };
  }
}

/** The recovery point a restore state restores (a retried StartRestore restores the same one). */
const pointOf = (handle: RestoreHandle): RecoveryPoint => ({ id: handle.recoveryPointId, at: handle.recoveryPointAt });

const minutes = (seconds: number) => `${Math.round(seconds / 60)} min`;

/** The name a provider found held by a resource golive did not create (BackupProvider.startRestore), if that is why it failed. */
function scratchTakenBy(err: unknown): string | undefined {
  const taken = (err as { evidence?: { scratchTaken?: unknown } } | undefined)?.evidence?.scratchTaken;
  return typeof taken === 'string' ? taken : undefined;
}

/** The state with `name` among the targets no cleaner deletes. */
const leavingAlone = (state: RestoreState, name: string): RestoreState => ({
  ...state,
  handle: { ...state.handle, leaveAlone: [...(state.handle.leaveAlone ?? []), name] },
});

/**
 * A provider's startRestore failed. If the scratch name is held by a resource golive did not
 * create, nothing in this restore's name exists, and nothing may be deleted in it: the write-ahead
 * record is closed. Otherwise the call has returned, so nothing more will appear because of it: the
 * record settles now, and the cleaners delete whatever it created. Bookkeeping: never throws.
 */
async function settleFailedStart(
  deps: Deps,
  executionId: string,
  state: RestoreState,
  err: unknown,
  by: string,
): Promise<void> {
  const taken = scratchTakenBy(err);
  try {
    if (taken) {
      await recordCleanUp(
        deps,
        executionId,
        leavingAlone(state, taken),
        { deleted: true, detail: `nothing to delete: ${taken} is not golive's and was left alone` },
        by,
      );
    } else {
      await deps.store.putExecutionValue(executionId, 'restore', { ...state, settlesAt: deps.now().toISOString() });
    }
  } catch {
    // Left `starting`: the record settles at settlesAt, and the cleaners then do what this would have.
  }
}

/**
 * StartRestore: the latest recovery point must be within RPO; its restore into a scratch target
 * starts. Write-ahead: the target is recorded (restore state and the sweep's index) before the
 * provider's call, so that it is found and deleted even if this function dies right after the
 * call. A retry restores the same recovery point into the same name, and the provider adopts what
 * an earlier attempt created.
 */
export function startRestore(deps: Deps, event: StepPayload<'StartRestore'>): Promise<RestoreLoopView> {
  return runStep(deps, event, event.state, event.action, async () => {
    const { executionId } = event;
    const { service } = event.request;
    const backup = deps.config.services[service].backup;
    const budget = restoreBudgetFor(backup);
    const before = await deps.store.getExecutionValue<RestoreState>(executionId, 'restore');
    if (before && before.status !== 'starting') {
      // An earlier attempt started it and recorded so, then failed (a timeout, its audit record).
      await cleanUpIfRolledBack(deps, executionId, before, event.state);
      return {
        result: view(before),
        summary: `restore of ${before.handle.recoveryPointId} into ${before.handle.restoredTo} already started by an earlier attempt; checking every ${before.pollSeconds} s, at most ${before.maxAttempts} times`,
        evidence: { handle: before.handle, pollSeconds: before.pollSeconds, maxAttempts: before.maxAttempts },
      };
    }
    const now = deps.now();
    const rpoMinutes = backup.rpoMinutes;
    let point: RecoveryPoint;
    let ageMinutes: number;
    if (before) {
      // Retried after a write-ahead: the same point, judged against the RPO when it was chosen.
      point = pointOf(before.handle);
      ageMinutes = before.ageMinutes;
    } else {
      point = await deps.backup.latestRecoveryPoint(service);
      ageMinutes = Math.round(((now.getTime() - Date.parse(point.at)) / 60000) * 10) / 10;
      if (ageMinutes > rpoMinutes) {
        throw new BackupVerificationFailed(
          `latest recovery point of ${service} (${point.at}) is ${ageMinutes} min old, beyond the RPO of ${rpoMinutes} min: take a fresh backup and start again`,
          { evidence: { recoveryPoint: point, ageMinutes, rpoMinutes } },
        );
      }
    }
    const scratch = scratchName(service, executionId);
    const planned = deps.backup.plannedRestore(service, point, scratch);
    const starting: RestoreState = {
      handle: planned,
      status: 'starting',
      attempt: 0,
      maxAttempts: maxAttemptsFor(budget.pollSeconds, budget.seconds),
      pollSeconds: budget.pollSeconds,
      ageMinutes,
      rpoMinutes,
      detail: `restore into ${planned.restoredTo} starting`,
      budgetSeconds: budget.seconds,
      settlesAt: new Date(now.getTime() + START_SETTLE_SECONDS * 1000).toISOString(),
    };
    // Write-ahead, before anything exists: kept in the store (not only in the execution's state)
    // and listed for the sweep, so that whoever cleans up finds the target whatever happens next.
    await deps.store.putExecutionValue(executionId, 'restore', starting);
    await deps.store.markScratchLeft(executionId, { service, restoredTo: planned.restoredTo, at: now.toISOString() });
    // A cleaner already ran: start nothing (and delete what an earlier attempt may have created).
    await cleanUpIfRolledBack(
      deps,
      executionId,
      { ...starting, settlesAt: before?.settlesAt ?? now.toISOString() },
      event.state,
    );

    let started: Awaited<ReturnType<Deps['backup']['startRestore']>>;
    try {
      started = await deps.backup.startRestore(service, point, scratch);
    } catch (err) {
      await settleFailedStart(deps, executionId, starting, err, event.state);
      throw err;
    }
    const { handle, adopted = false } = started;
    const pollSeconds = Math.max(0, started.pollSeconds);
    const state: RestoreState = {
      handle,
      status: 'pending',
      attempt: 0,
      maxAttempts: maxAttemptsFor(pollSeconds, budget.seconds),
      pollSeconds,
      ageMinutes,
      rpoMinutes,
      detail: adopted ? 'restore adopted (an earlier attempt started it)' : 'restore started',
      budgetSeconds: budget.seconds,
    };
    await deps.store.putExecutionValue(executionId, 'restore', state);
    await cleanUpIfRolledBack(deps, executionId, state, event.state);
    const how = adopted ? 'adopted the restore an earlier attempt started of' : 'restoring';
    return {
      result: view(state),
      summary:
        `${how} ${point.id} (${ageMinutes} min old, RPO ${rpoMinutes}) into ${handle.restoredTo}; checking every ` +
        `${pollSeconds} s, at most ${state.maxAttempts} times (${minutes(budget.seconds)} for ${budget.what})`,
      evidence: {
        recoveryPoint: point,
        handle,
        adopted,
        pollSeconds,
        maxAttempts: state.maxAttempts,
        budgetSeconds: budget.seconds,
      },
    };
  });
}

/**
 * CheckRestore: one status check. Pending checks are not audited (a restore may take dozens); the
 * check that finds the restore ready, or fails, is.
 */
export async function checkRestore(deps: Deps, event: StepPayload<'CheckRestore'>): Promise<RestoreLoopView> {
  const state = await loadState(deps, event.executionId);
  const abort = await deps.store.getExecutionValue<{ by: string; reason: string }>(event.executionId, 'abort');
  if (abort) {
    return abandonRestore(
      deps,
      event,
      state,
      (cleaned) => new GoLiveAborted(`aborted by ${abort.by}: ${abort.reason} (restore abandoned, ${cleaned})`),
    );
  }
  let progress;
  try {
    progress = await deps.backup.checkRestore(state.handle);
  } catch (err) {
    if (err instanceof Error && err.name === 'ProviderUnavailable') throw err; // the ASL retries
    // A target it was to create is held by something golive did not create: never deleted.
    const taken = scratchTakenBy(err);
    return abandonRestore(
      deps,
      event,
      taken ? leavingAlone(state, taken) : state,
      (cleaned) =>
        new BackupVerificationFailed(
          `restore into ${state.handle.restoredTo} failed: ${errorMessage(err)} (${cleaned})`,
          {
            cause: err,
          },
        ),
    );
  }
  const next: RestoreState = {
    ...state,
    handle: progress.handle,
    status: progress.status,
    attempt: state.attempt + 1,
    detail: progress.detail,
  };
  await deps.store.putExecutionValue(event.executionId, 'restore', next);
  await cleanUpIfRolledBack(deps, event.executionId, next, event.state);
  if (next.status === 'pending') return view(next);
  return runStep(
    deps,
    event,
    event.state,
    'check',
    async () => ({
      result: view(next),
      summary: `restore into ${next.handle.restoredTo} ready after ${next.attempt} check(s): ${next.detail}`,
      evidence: { handle: next.handle, attempt: next.attempt },
    }),
    { checkAbort: false },
  );
}

/**
 * VerifyBackup: the ready scratch target is validated and deleted. A restore still pending when the
 * attempts ran out is abandoned: its scratch target deleted, BackupVerificationFailed.
 */
export function verifyBackup(
  deps: Deps,
  event: StepPayload<'VerifyBackup'>,
): Promise<BackupEvidence & { ageMinutes: number; rpoMinutes: number }> {
  return runStep(deps, event, event.state, 'verify', async () => {
    const state = await loadState(deps, event.executionId);
    const { ageMinutes, rpoMinutes, handle } = state;
    if (state.status !== 'ready') {
      const budget = restoreBudgetFor(deps.config.services[event.request.service].backup);
      const budgetSeconds = state.budgetSeconds ?? budget.seconds;
      const { detail: cleaned } = await recordCleanUp(
        deps,
        event.executionId,
        state,
        await deleteScratch(deps, handle),
        event.state,
      );
      throw new BackupVerificationFailed(
        `restore of ${handle.recoveryPointId} into ${handle.restoredTo} was not ready after ${state.attempt} check(s) ` +
          `(${budgetSeconds} s budget for ${budget.what}; last status: ${state.detail}); ${cleaned}. ` +
          'A restore this slow does not fit the budget of its kind (README, Deploying to AWS: restore budgets)',
        { evidence: { handle, attempt: state.attempt, detail: state.detail } },
      );
    }
    const evidence = await deps.backup.validateAndCleanUp(handle);
    await recordCleanUp(
      deps,
      event.executionId,
      state,
      evidence.scratchDeleted
        ? { deleted: true, detail: 'scratch deleted' }
        : { deleted: false, detail: `scratch NOT deleted by the validation: delete ${handle.restoredTo} by hand` },
      event.state,
    );
    const full = { ...evidence, ageMinutes, rpoMinutes, checks: state.attempt };
    if (!evidence.ok) {
      const bad = evidence.tables
        .filter((t) => !t.match)
        .map((t) => `${t.name} (${t.restoredRows}/${t.expectedRows} rows)`);
      throw new BackupVerificationFailed(
        `restore of ${evidence.recoveryPointId} did not validate: integrity ${evidence.integrityCheck}` +
          (bad.length ? `; mismatching tables: ${bad.join(', ')}` : '') +
          '. The backup cannot be trusted: investigate before going live',
        { evidence: full },
      );
    }
    const tables = evidence.tables.length ? `${evidence.tables.length} table(s) match, ` : '';
    return {
      result: full,
      summary: `restored ${evidence.recoveryPointId} (${ageMinutes} min old, RPO ${rpoMinutes}) into a scratch copy: ${tables}integrity ${evidence.integrityCheck}, ${evidence.scratchDeleted ? 'scratch deleted' : 'scratch NOT deleted'}`,
      evidence: full,
    };
  });
}

/** The backup function's entry: the state that invoked it picks the phase. */
export function backupStep(deps: Deps, event: FunctionPayload<'backup'>): Promise<unknown> {
  switch (event.state) {
    case 'StartRestore':
      return startRestore(deps, event);
    case 'CheckRestore':
      return checkRestore(deps, event);
    case 'VerifyBackup':
      return verifyBackup(deps, event);
  }
}
