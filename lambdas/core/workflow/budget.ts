import { RETRY_POLICY, retryDelaysSeconds } from './asl';
import type { ServiceConfig } from '../config';
import { ROLLBACK_PATH, TASKS, type TaskName } from './definition';

type BackupConfig = ServiceConfig['backup'];

/**
 * How long a go-live can take at worst, derived from the workflow definition: every Task's timeout,
 * every retry the policy allows with its longest backoff, the restore budget of the service's
 * backup kind, the bakes, the sign-off and the rollback path. The mute rule and the lock expire
 * after it, so they outlast any run that is still alive; config validation refuses a service whose
 * worst case does not fit in the execution timeout.
 */

/** What a restore proof restores into, which decides how long it may take (RESTORE_BUDGETS). */
export type RestoreTarget = 'sqlite' | 'dynamodb-table' | 'rds-instance' | 'aurora-cluster';

export interface RestoreBudget {
  target: RestoreTarget;
  /** What is restored, for messages: `an Aurora cluster and its instance`. */
  what: string;
  /**
   * Time the workflow gives the restore to become ready, polling included: the backup step sizes
   * its attempts to it, and the Wait/CheckRestore loop stops when they are used up.
   */
  seconds: number;
  /**
   * How often it is checked (the Wait between checks). The AWS adapters use it; the local SQLite
   * restore is checked when its simulated restore time is due.
   */
  pollSeconds: number;
}

/**
 * One budget per kind of restore. Restore times grow with the data: a DynamoDB table takes from
 * minutes to an hour; an RDS instance 10 to 60 minutes before it is `available`; Aurora restores
 * the cluster (as long) and then needs one instance created inside it (another 10 to 20 minutes).
 * A restore that does not fit is abandoned, its scratch target deleted, BackupVerificationFailed.
 */
export const RESTORE_BUDGETS: { readonly [T in RestoreTarget]: RestoreBudget } = {
  sqlite: { target: 'sqlite', what: 'a local SQLite backup', seconds: 900, pollSeconds: 0 },
  'dynamodb-table': { target: 'dynamodb-table', what: 'a DynamoDB table', seconds: 3600, pollSeconds: 30 },
  'rds-instance': { target: 'rds-instance', what: 'an RDS DB instance', seconds: 5400, pollSeconds: 60 },
  'aurora-cluster': {
    target: 'aurora-cluster',
    what: 'an Aurora cluster and its instance',
    seconds: 7200,
    pollSeconds: 60,
  },
};

/** The AWS Backup resource types golive restores, by the protected resource's ARN. */
const BACKED_UP_RESOURCES: readonly [RegExp, RestoreTarget][] = [
  [/^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\//, 'dynamodb-table'],
  [/^arn:[^:]+:rds:[^:]*:[^:]*:db:/, 'rds-instance'],
  [/^arn:[^:]+:rds:[^:]*:[^:]*:cluster:/, 'aurora-cluster'],
];

/** What an AWS Backup recovery point of `resourceArn` restores into; undefined for a type golive does not restore. */
export function backedUpResource(resourceArn: string): RestoreTarget | undefined {
  return BACKED_UP_RESOURCES.find(([arn]) => arn.test(resourceArn))?.[1];
}

/** What a service's backup restores into, by `services.<name>.backup`. */
export function restoreTargetOf(backup: BackupConfig): RestoreTarget {
  switch (backup.kind) {
    case 'sqlite':
      return 'sqlite';
    case 'dynamodb-pitr':
      return 'dynamodb-table';
    case 'rds-snapshot':
      return backup.dbClusterIdentifier ? 'aurora-cluster' : 'rds-instance';
    case 'aws-backup':
      // A resource type golive cannot restore is refused by StartRestore; until then, the longest budget.
      return backedUpResource(backup.resourceArn) ?? 'aurora-cluster';
  }
}

/** The restore budget of the backup a service has configured. */
export const restoreBudgetFor = (backup: BackupConfig): RestoreBudget => RESTORE_BUDGETS[restoreTargetOf(backup)];

/** The timings a plan fixes (request.ts `timingsFor`), which decide the budget. */
export interface RunTimings {
  canarySteps: number;
  bakeSeconds: number;
  postPromotionBakeSeconds: number;
  approvalTimeoutSeconds: number;
  /** The service's restore budget (restoreBudgetFor its backup). */
  restoreBudgetSeconds: number;
  /** Total time the go-live may be held at its step boundaries (controls.maxHoldSeconds). */
  holdSeconds: number;
  /** How long a break-glass request may wait for the emergency role (0: not a break-glass). */
  breakGlassSeconds: number;
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
    'BreakGlass',
    'CheckReadiness',
    'MuteAlerts',
    'StartRestore',
    'CheckRestore',
    'VerifyBackup',
    'PreTrafficSmokeTests',
  ],
  perCanaryStep: ['Checkpoint', 'ShiftTraffic', 'Bake', 'AnalyzeCanary'],
  signOff: ['SignOff'],
  /** Holds share one budget (holdSeconds), counted once, at the first boundary's Paused. */
  holds: ['Paused', 'PausedBeforePromotion'],
  afterTraffic: [
    'CheckpointBeforePromotion',
    'Promote',
    'PostPromotionSmokeTests',
    'PostPromotionBake',
    'UnmuteAlerts',
    'ReleaseLock',
    'NotifySuccess',
  ],
  /** Counted in full: a failure at the very end still runs the whole rollback path. */
  rollback: [...ROLLBACK_PATH, 'AwaitRetry'],
} as const satisfies Record<string, readonly TaskName[]>;

const WAIT_OF: Partial<Record<TaskName, (t: RunTimings) => number>> = {
  Bake: (t) => t.bakeSeconds,
  BreakGlass: (t) => t.breakGlassSeconds,
  Paused: (t) => t.holdSeconds,
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
    timings.restoreBudgetSeconds +
    timings.canarySteps * phaseSeconds(BUDGET_PHASES.perCanaryStep, timings) +
    phaseSeconds(BUDGET_PHASES.signOff, timings) +
    phaseSeconds(BUDGET_PHASES.holds, timings) +
    phaseSeconds(BUDGET_PHASES.afterTraffic, timings) +
    phaseSeconds(BUDGET_PHASES.rollback, timings)
  );
}
