import type { Deps, ScratchLeft } from '../ports';
import { executionName } from '../request';
import { deleteRecordedScratch, type RestoreState, type ScratchCleanup } from './backup';

/** Left behind this long, a scratch target is worth a second message to the release channel (once). */
export const SCRATCH_LEFT_WARNING_MS = 24 * 60 * 60 * 1000;

/** What one sweep did. */
export interface SweepSummary {
  /** Entries of the index looked at. */
  swept: number;
  /** Scratch targets this sweep deleted. */
  deleted: number;
  /** Entries whose target was already deleted (or whose restore state is gone): taken off the index. */
  alreadyGone: number;
  /** Still there (refused again, or the sweep failed for it): the next sweep tries again. */
  stillLeft: number;
  /**
   * Listed by StartRestore before its call (write-ahead) for a go-live still running that no cleaner
   * has looked at yet: the restore may be in use, the go-live deletes it itself (or its rollback, or
   * the janitor); the sweep deletes it only once the execution has ended.
   */
  inUse: number;
}

/**
 * Tells the release channel about a scratch target, as a non-final message (the go-live's card
 * keeps the outcome it ended with). Never throws: true when the notifier delivered it.
 */
async function tell(deps: Deps, entry: ScratchLeft, text: string, details: Record<string, unknown>): Promise<boolean> {
  try {
    const sent = await deps.notifier.notify({
      kind: 'scratch',
      executionId: entry.executionId,
      service: entry.service,
      version: '',
      text,
      details: {
        execution: executionName(entry.executionId),
        restoredTo: entry.restoredTo,
        since: entry.since,
        ...details,
      },
    });
    return sent.delivered;
  } catch {
    return false;
  }
}

/** True while Step Functions says the execution runs; false once it ended, or is unknown (history expired). */
async function stillRunning(deps: Deps, executionId: string): Promise<boolean> {
  const execution = await deps.executions.describe(executionId);
  return execution?.status === 'RUNNING' || execution?.status === 'PENDING_REDRIVE';
}

async function sweepOne(deps: Deps, entry: ScratchLeft): Promise<'deleted' | 'gone' | 'left' | 'inUse'> {
  const state = await deps.store.getExecutionValue<RestoreState>(entry.executionId, 'restore');
  if (!state || state.cleanedUp?.deleted) {
    await deps.store.clearScratchLeft(entry.executionId);
    return 'gone';
  }
  // Listed before the restore started (write-ahead) and never cleaned up: the go-live may still be
  // using it. A describe that fails throws: the entry stays for the next sweep.
  if (!state.cleanedUp && (await stillRunning(deps, entry.executionId))) return 'inUse';
  // Recorded like the rollback's attempt (restore state, index: a deleted target is taken off it);
  // never in the audit chain, which was sealed when the go-live ended.
  const cleaned: ScratchCleanup = await deleteRecordedScratch(deps, entry.executionId, state, 'Sweep');
  const what = `Backup check scratch copy ${entry.restoredTo} of ${entry.service} (go-live ${executionName(entry.executionId)})`;
  if (cleaned.deleted) {
    const text =
      state.status === 'starting'
        ? `🧹 ${what}, whose restore was never confirmed started, deleted (or never created) by the sweeper; listed since ${entry.since}.`
        : `🧹 ${what} deleted by the sweeper; it was left behind since ${entry.since}.`;
    await tell(deps, entry, text, { sweep: 'deleted' });
    return 'deleted';
  }
  const now = deps.now();
  if (!entry.warnedAt && now.getTime() - Date.parse(entry.since) > SCRATCH_LEFT_WARNING_MS) {
    const text =
      `⚠️ ${what} still exists, left behind since ${entry.since}: ${cleaned.detail}. ` +
      'The sweeper keeps retrying; delete it by hand if this does not go away.';
    if (await tell(deps, entry, text, { sweep: 'left', detail: cleaned.detail })) {
      await deps.store.markScratchLeft(entry.executionId, {
        service: entry.service,
        restoredTo: entry.restoredTo,
        at: entry.since,
        warnedAt: now.toISOString(),
      });
    }
  }
  return 'left';
}

/**
 * The sweep (janitor, on a schedule; the local runtime at start and on an interval): retries the
 * deletion of every scratch target a go-live left behind (AWS refused it while the restore was
 * still being created, a restore job still ran, the function died right after starting the restore
 * and nobody cleaned up, ...) until it is gone. StartRestore lists its target before it starts it;
 * one whose go-live still runs and that no cleaner looked at is left to that go-live. The release channel hears
 * when one is finally deleted, and once when one has been left for more than a day. One entry
 * failing does not stop the others.
 */
export async function sweepLeftoverScratch(deps: Deps): Promise<SweepSummary> {
  const entries = await deps.store.listScratchLeft();
  const summary: SweepSummary = { swept: entries.length, deleted: 0, alreadyGone: 0, stillLeft: 0, inUse: 0 };
  for (const entry of entries) {
    let outcome: 'deleted' | 'gone' | 'left' | 'inUse';
    try {
      outcome = await sweepOne(deps, entry);
    } catch {
      outcome = 'left'; // e.g. the store could not be read: the entry stays for the next sweep
    }
    if (outcome === 'deleted') summary.deleted++;
    else if (outcome === 'gone') summary.alreadyGone++;
    else if (outcome === 'inUse') summary.inUse++;
    else summary.stillLeft++;
  }
  return summary;
}
