import { RETRY_POLICY, retryDelaysSeconds } from './asl';
import { ROLLBACK_PATH, TASKS, type TaskName } from './definition';

/**
 * How long a go-live can take at worst, derived from the workflow definition: every Task's timeout,
 * every retry the policy allows with its longest backoff, the bakes, the sign-off and the rollback
 * path. The mute rule and the lock expire after it, so they outlast any run that is still alive;
 * config validation refuses a service whose worst case does not fit in the execution timeout.
 */

/**
 * Time the workflow gives a restore to become ready, polling included (the backup step sizes its
 * attempts to it; the Wait/CheckRestore loop stops when they are used up).
 */
export const RESTORE_BUDGET_SECONDS = 900;

/** The timings a plan fixes (request.ts `timingsFor`), which decide the budget. */
export interface RunTimings {
  canarySteps: number;
  bakeSeconds: number;
  postPromotionBakeSeconds: number;
  approvalTimeoutSeconds: number;
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0);
const BACKOFF_SECONDS = sum(retryDelaysSeconds());

/**
 * One Task at worst: every attempt runs until its timeout and is retried after the longest backoff.
 * A callback task's failed attempts end with their invocation; the last one waits `waitSeconds`.
 */
export function taskWorstCaseSeconds(name: TaskName, waitSeconds = 0): number {
  const timeout = TASKS[name].timeout;
  if ('seconds' in timeout) return (RETRY_POLICY.MaxAttempts + 1) * timeout.seconds + BACKOFF_SECONDS;
  return RETRY_POLICY.MaxAttempts * Math.min(timeout.invokeSeconds, waitSeconds) + BACKOFF_SECONDS + waitSeconds;
}

/**
 * Which Tasks the budget counts, by phase. A test checks that this covers every Task of the
 * definition, so a new state cannot be left out of the budget.
 */
export const BUDGET_PHASES = {
  /** Once per go-live, before any traffic moves (CheckRestore: once more on top of the restore budget). */
  beforeTraffic: [
    'ValidateAndLock',
    'CheckReadiness',
    'MuteAlerts',
    'StartRestore',
    'CheckRestore',
    'VerifyBackup',
    'PreTrafficSmokeTests',
  ],
  perCanaryStep: ['ShiftTraffic', 'Bake'],
  signOff: ['SignOff'],
  afterTraffic: [
    'Promote',
    'PostPromotionSmokeTests',
    'PostPromotionBake',
    'UnmuteAlerts',
    'ReleaseLock',
    'NotifySuccess',
  ],
  /** Counted in full: a failure at the very end still runs the whole rollback path. */
  rollback: ROLLBACK_PATH,
} as const satisfies Record<string, readonly TaskName[]>;

const WAIT_OF: Partial<Record<TaskName, (t: RunTimings) => number>> = {
  Bake: (t) => t.bakeSeconds,
  SignOff: (t) => t.approvalTimeoutSeconds,
  PostPromotionBake: (t) => t.postPromotionBakeSeconds,
};

function phaseSeconds(names: readonly TaskName[], timings: RunTimings): number {
  return sum(names.map((name) => taskWorstCaseSeconds(name, WAIT_OF[name]?.(timings) ?? 0)));
}

/** The worst-case run time of a go-live with these timings, in seconds. */
export function worstCaseRunSeconds(timings: RunTimings): number {
  return (
    phaseSeconds(BUDGET_PHASES.beforeTraffic, timings) +
    RESTORE_BUDGET_SECONDS +
    timings.canarySteps * phaseSeconds(BUDGET_PHASES.perCanaryStep, timings) +
    phaseSeconds(BUDGET_PHASES.signOff, timings) +
    phaseSeconds(BUDGET_PHASES.afterTraffic, timings) +
    phaseSeconds(BUDGET_PHASES.rollback, timings)
  );
}
