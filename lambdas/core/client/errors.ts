/**
 * Why GoLiveClient refused a request, as a code every front end maps to its own terms: the control
 * API to an HTTP status, the CLI to an exit code, the Slack app to a message.
 */
export const CLIENT_ERROR_CODES = [
  /** No such go-live (never started, another state machine's, or older than the history kept). */
  'NotFound',
  /** The actor may not do this (not a release manager or approver of the service, unknown IAM principal). */
  'Unauthorized',
  /** The request itself is wrong (unknown service, bad version, missing reason, unknown checklist item). */
  'InvalidRequest',
  /** The go-live is not in a state where this changes anything (not running, already decided, voted already). */
  'Conflict',
  /** The same go-live is already starting or running (same name, or same service and version running). */
  'AlreadyStarting',
  /** Another go-live holds the service's lock: one go-live per service at a time. */
  'LockHeld',
  /** Inside a change freeze (config freezes), without break-glass. */
  'FreezeWindow',
] as const;

export type GoLiveClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

export class GoLiveClientError extends Error {
  constructor(
    readonly code: GoLiveClientErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GoLiveClientError';
  }
}

export function isClientErrorCode(value: unknown): value is GoLiveClientErrorCode {
  return typeof value === 'string' && (CLIENT_ERROR_CODES as readonly string[]).includes(value);
}
