/**
 * Workflow errors. The class `name` is the ASL `ErrorEquals` key, so it must never be minified
 * away or renamed: Step Functions matches Retry and Catch rules on it.
 */
export interface GoLiveErrorOptions {
  cause?: unknown;
  /** What the failing step found; recorded in the audit trail next to the error. */
  evidence?: unknown;
}

export class GoLiveError extends Error {
  readonly evidence?: unknown;
  constructor(name: string, message: string, options?: GoLiveErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = name;
    this.evidence = options?.evidence;
  }
}

const define = (name: string) =>
  class extends GoLiveError {
    constructor(message: string, options?: GoLiveErrorOptions) {
      super(name, message, options);
    }
  };

export const InvalidRequest = define('InvalidRequest');
export const LockHeld = define('LockHeld');
/** The actor may not do this (not a release manager of the service; a sign-off not decided by enough eligible approvers). */
export const Unauthorized = define('Unauthorized');
export const ReadinessCheckFailed = define('ReadinessCheckFailed');
export const BackupVerificationFailed = define('BackupVerificationFailed');
export const SmokeTestFailed = define('SmokeTestFailed');
export const AlarmTriggered = define('AlarmTriggered');
/** The canary's measurements, judged against the stable version's, failed (config: analysis.onFail rollback). */
export const CanaryAnalysisFailed = define('CanaryAnalysisFailed');
export const TrafficShiftFailed = define('TrafficShiftFailed');
export const ApprovalRejected = define('ApprovalRejected');
export const RollbackFailed = define('RollbackFailed');
/** Aborted by a release manager (`golive abort`, `/golive abort`): rolls back like any failure. */
export const GoLiveAborted = define('GoLiveAborted');
/** A step did its work but the audit trail refused its record: the work is not undone by this error. */
export const AuditWriteFailed = define('AuditWriteFailed');
/** Held at a step boundary (paused) longer than controls.maxHoldSeconds: rolls back. */
export const PauseExpired = define('PauseExpired');
/** Inside a change freeze without (approved) break-glass; or held by one beyond controls.maxHoldSeconds. */
export const FreezeWindow = define('FreezeWindow');
/** A hold ended before it began (resumed meanwhile): the Paused state goes back to its Checkpoint. */
export const HoldEnded = define('HoldEnded');
/** A member of the emergency role rejected a break-glass go-live. */
export const BreakGlassRejected = define('BreakGlassRejected');
/** Transient provider fault: the ASL retries it with backoff. */
export const ProviderUnavailable = define('ProviderUnavailable');

/** The error names the workflow knows; used to validate fault injection and documentation. */
export const WORKFLOW_ERROR_NAMES = [
  'InvalidRequest',
  'LockHeld',
  'Unauthorized',
  'ReadinessCheckFailed',
  'BackupVerificationFailed',
  'SmokeTestFailed',
  'AlarmTriggered',
  'CanaryAnalysisFailed',
  'TrafficShiftFailed',
  'ApprovalRejected',
  'GoLiveAborted',
  'PauseExpired',
  'FreezeWindow',
  'BreakGlassRejected',
  'States.Timeout',
  'AuditWriteFailed',
  'RollbackFailed',
] as const;

/** The message of anything thrown; by shape, since errors from another realm (a native module, a VM) fail `instanceof Error`. */
export function errorMessage(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : String(err);
}
