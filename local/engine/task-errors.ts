/** The error a task attempt ends with: `name` is the ASL error name, `message` the Cause, as the library expects. */
export class TaskFailure extends Error {
  constructor(errorName: string, cause: string) {
    super(cause);
    this.name = errorName;
  }
}

/** Ends a task attempt whose execution is over; the library must neither retry nor catch it. */
export function executionOverError(): Error {
  const err = new Error('The execution is no longer running') as Error & { isRetryable: boolean; isCatchable: boolean };
  err.name = 'States.Runtime';
  err.isRetryable = false;
  err.isCatchable = false;
  return err;
}

/**
 * An Error by shape, not by `instanceof`: an error made in another realm (a native module's class
 * created where it was first loaded, a vm context) is still an error with a name to catch on.
 */
function errorLike(err: unknown): { name: string; message: string; stack?: string } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { name, message, stack } = err as { name?: unknown; message?: unknown; stack?: unknown };
  if (typeof name !== 'string' || typeof message !== 'string') return undefined;
  return { name, message, ...(typeof stack === 'string' ? { stack } : {}) };
}

/** Lambda's Node.js runtime error payload, which Step Functions puts verbatim in the Cause. */
export function lambdaError(err: unknown): TaskFailure {
  const error = errorLike(err);
  const errorType = error ? error.name : typeof err;
  const errorMessage = error ? error.message : String(err);
  const trace = error?.stack ? error.stack.split('\n') : [];
  return new TaskFailure(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}
