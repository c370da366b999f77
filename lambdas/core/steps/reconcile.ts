import type { Deps, LockRecord } from '../ports';
import { cleanUpEndedExecution } from './janitor';
import { remindApprovers } from './remind';

/** Step Functions statuses of an execution that will run no further step. */
const ENDED = new Set(['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']);

/** A lock the reconciler looked at, for its summary. */
export interface ReconciledLock {
  service: string;
  executionArn: string;
  /** The execution's status (DescribeExecution); absent when it no longer exists. */
  status?: string;
  /** What the step did or saw, in a few words. */
  detail?: string;
}

/** What one reconciliation did, lock by lock. */
export interface ReconcileSummary {
  /** Held locks looked at. */
  locks: number;
  /** Their execution still runs (or waits for a redrive): left alone. */
  running: ReconciledLock[];
  /** Their execution had ended: the janitor rolled it back now. */
  cleaned: ReconciledLock[];
  /**
   * Their execution had ended, and the janitor had nothing to do: its clean-up is finished or under
   * way, the execution ended with RollbackFailed (the lock stays for a human), or it succeeded.
   */
  leftAlone: ReconciledLock[];
  /**
   * Step Functions no longer knows the execution (history expired, or another account's): reported,
   * never released blindly; the lock expires by itself at its `expiresAt`.
   */
  unknown: ReconciledLock[];
  /** Describing the execution or cleaning it up failed: the next run tries again. */
  failed: ReconciledLock[];
  /**
   * Running go-lives whose sign-off expires within approval.remindBeforeSeconds: their approvers
   * were reminded now (`detail` says who), or the reminder failed (`detail` says why; not retried).
   */
  reminded: ReconciledLock[];
}

type Outcome = keyof Omit<ReconcileSummary, 'locks' | 'reminded'>;

async function reconcileOne(deps: Deps, lock: LockRecord): Promise<{ outcome: Outcome; status?: string }> {
  const described = await deps.executions.describe(lock.executionId);
  if (!described) return { outcome: 'unknown' };
  const { status } = described;
  if (!ENDED.has(status)) return { outcome: 'running', status };
  const { cleaned } = await cleanUpEndedExecution(deps, { executionArn: lock.executionId, ...described });
  return { outcome: cleaned ? 'cleaned' : 'leftAlone', status };
}

const describe = (err: unknown) => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** The sign-off reminder of a running go-live (lambdas/core/steps/remind.ts); its failure is reported apart. */
async function remind(deps: Deps, seen: ReconciledLock, summary: ReconcileSummary): Promise<void> {
  try {
    if ((await remindApprovers(deps, seen.executionArn)) === 'reminded') {
      summary.reminded.push({ ...seen, status: 'RUNNING', detail: 'approvers reminded of the sign-off' });
    }
  } catch (err) {
    summary.reminded.push({ ...seen, status: 'RUNNING', detail: `reminder failed: ${describe(err)}` });
  }
}

/**
 * The reconciler (janitor, on a schedule): the janitor runs when an execution's status change
 * event arrives, which EventBridge only does best-effort. This finds every go-live still holding
 * a service lock whose execution has ended, and hands it to the janitor with the execution's real
 * status, error and cause. An execution still running is never touched. Idempotent and safe next
 * to the event-driven janitor: the janitor's mark makes one clean-up of each execution. Mutes are
 * not listed separately: the lock is released after the alerts are restored, on both paths, so an
 * execution that still has its alarms muted still holds its lock, until both expire by themselves
 * (the plan's maximum run time after they were taken), long after this has run. For each go-live
 * still RUNNING, it also reminds the approvers of a sign-off about to expire (once).
 */
export async function reconcile(deps: Deps): Promise<ReconcileSummary> {
  const locks = await deps.store.listLocks();
  const summary: ReconcileSummary = {
    locks: locks.length,
    running: [],
    cleaned: [],
    leftAlone: [],
    unknown: [],
    failed: [],
    reminded: [],
  };
  for (const lock of locks) {
    const seen: ReconciledLock = { service: lock.service, executionArn: lock.executionId };
    try {
      const { outcome, status } = await reconcileOne(deps, lock);
      summary[outcome].push(status ? { ...seen, status } : seen);
      if (status === 'RUNNING') await remind(deps, seen, summary);
    } catch (err) {
      summary.failed.push({ ...seen, detail: describe(err) });
    }
  }
  return summary;
}
