import type { GoLiveClientErrorCode } from '../../lambdas/core/client';

/** Exit codes (DESIGN.md, README "Exit codes", `golive --help`): the contract scripts rely on. */
export const EXIT = {
  ok: 0,
  /** The go-live failed and was rolled back, was aborted, or a check failed; a vote or abort that changed nothing. */
  failed: 1,
  /** Bad input or usage; no such go-live. */
  usage: 2,
  /** The local runtime, the control API or AWS cannot be reached. */
  unreachable: 3,
  /** The rollback itself failed: the lock stays held, someone must look. */
  rollbackFailed: 4,
  /** Refused before anything changed: the service is locked by another go-live, or this version is already starting. */
  refused: 5,
  /** Not allowed: not a release manager or approver of the service, or an IAM principal golive does not know. */
  unauthorized: 6,
} as const;

/** The exit codes as `golive --help` and the README list them. */
export const EXIT_HELP = `Exit codes:
  0  success (status: the go-live succeeded or is running)
  1  the go-live failed and was rolled back, or was aborted (status ABORTED); a check failed;
     a vote or abort that changed nothing (already decided, not running), saying why
  2  bad input or usage; no such go-live
  3  the local runtime, the control API or AWS is unreachable
  4  the rollback itself failed (the lock stays held)
  5  refused before anything changed: the service is locked by another go-live, or the same
     version is already starting (try again once it ended)
  6  not allowed: not a release manager / approver of the service, or an unknown IAM principal`;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
export const usageError = (message: string) => new CliError(message, EXIT.usage);

/** How each refusal of GoLiveClient (through the control API) ends the command. */
export const EXIT_FOR_CODE: Record<GoLiveClientErrorCode, number> = {
  NotFound: EXIT.usage,
  InvalidRequest: EXIT.usage,
  Unauthorized: EXIT.unauthorized,
  Conflict: EXIT.failed,
  AlreadyStarting: EXIT.refused,
  LockHeld: EXIT.refused,
  FreezeWindow: EXIT.refused,
};

/** Maps SDK/network failures to "the runtime is not running" with the fix. */
export function explainSdkError(err: unknown, endpoint: string): CliError {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string } };
  if (isNetworkError(err)) {
    return new CliError(
      `cannot reach the Step Functions endpoint at ${endpoint}: is the local runtime running? Start it with \`golive local up\` ` +
        '(or point --endpoint / GOLIVE_ENDPOINT at a running one).',
      EXIT.unreachable,
    );
  }
  if (e.name === 'ExecutionDoesNotExist') {
    return usageError(`${e.message ?? 'execution does not exist'}: list executions with \`golive history\``);
  }
  return new CliError(`${e.name ?? 'Error'}: ${e.message ?? String(err)}`, EXIT.failed);
}

const NETWORK_CODES = ['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EAI_AGAIN'];

/** A connection that could not be made or was cut (fetch wraps the system error in `cause`). */
export function isNetworkError(err: unknown): boolean {
  const e = err as { name?: string; message?: string; code?: string; cause?: { code?: string } } | undefined;
  return (
    NETWORK_CODES.includes(e?.code ?? '') ||
    NETWORK_CODES.includes(e?.cause?.code ?? '') ||
    e?.name === 'TimeoutError' ||
    /ECONNREFUSED|socket hang up|fetch failed/.test(e?.message ?? '')
  );
}
