import { createHash } from 'node:crypto';
import { BackupVerificationFailed, GoLiveAborted, errorMessage } from '../errors';
import type { BackupEvidence, Deps, RestoreHandle } from '../ports';
import type { FunctionPayload, StepPayload } from '../workflow/definition';
import { runStep } from './step';
import { restoreBudgetFor } from '../workflow/budget';

/** What one CheckRestore costs on top of its Wait (invocation and API calls), for the attempt bound. */
const CHECK_OVERHEAD_SECONDS = 5;

/** What the workflow keeps between the restore's status checks (the store's `restore` value). */
export interface RestoreState {
  handle: RestoreHandle;
  status: 'pending' | 'ready';
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
  status: state.status,
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
 * outcome like every cleaner does (restore state, sweep index). Never throws.
 */
export async function deleteRecordedScratch(
  deps: Deps,
  executionId: string,
  state: RestoreState,
  by: string,
): Promise<ScratchCleanup> {
  const at = deps.now().toISOString();
  const outcome = await deleteScratch(deps, state.handle);
  try {
    return await recordCleanUp(deps, executionId, state, outcome, by);
  } catch (err) {
    const detail = `${outcome.detail} (not recorded in the restore state: ${errorMessage(err)})`;
    return { restoredTo: state.handle.restoredTo, deleted: outcome.deleted, detail, by, at };
  }
}

/** StartRestore: the latest recovery point must be within RPO; its restore into a scratch target starts. */
export function startRestore(deps: Deps, event: StepPayload<'StartRestore'>): Promise<RestoreLoopView> {
  return runStep(deps, event, event.state, event.action, async () => {
    const { service } = event.request;
    const backup = deps.config.services[service].backup;
    const budget = restoreBudgetFor(backup);
    const rpoMinutes = backup.rpoMinutes;
    const point = await deps.backup.latestRecoveryPoint(service);
    const ageMinutes = Math.round(((deps.now().getTime() - Date.parse(point.at)) / 60000) * 10) / 10;
    if (ageMinutes > rpoMinutes) {
      throw new BackupVerificationFailed(
        `latest recovery point of ${service} (${point.at}) is ${ageMinutes} min old, beyond the RPO of ${rpoMinutes} min: take a fresh backup and start again`,
        { evidence: { recoveryPoint: point, ageMinutes, rpoMinutes } },
      );
    }
    const { handle, pollSeconds } = await deps.backup.startRestore(
      service,
      point,
      scratchName(service, event.executionId),
    );
    const state: RestoreState = {
      handle,
      status: 'pending',
      attempt: 0,
      maxAttempts: maxAttemptsFor(pollSeconds, budget.seconds),
      pollSeconds,
      ageMinutes,
      rpoMinutes,
      detail: 'restore started',
      budgetSeconds: budget.seconds,
    };
    // Kept in the store, not only in the execution's state: whoever cleans up later can find the scratch target.
    await deps.store.putExecutionValue(event.executionId, 'restore', state);
    await cleanUpIfRolledBack(deps, event.executionId, state, event.state);
    return {
      result: view(state),
      summary: `restoring ${point.id} (${ageMinutes} min old, RPO ${rpoMinutes}) into ${handle.restoredTo}; checking every ${pollSeconds} s, at most ${state.maxAttempts} times`,
      evidence: {
        recoveryPoint: point,
        handle,
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
    return abandonRestore(
      deps,
      event,
      state,
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
          'Restores this slow need a larger budget (README: Backups, restore budgets)',
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
