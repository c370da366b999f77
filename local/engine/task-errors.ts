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

/** Lambda's Node.js runtime error payload, which Step Functions puts verbatim in the Cause. */
export function lambdaError(err: unknown): TaskFailure {
  const errorType = err instanceof Error ? err.name : typeof err;
  const errorMessage = err instanceof Error ? err.message : String(err);
  const trace = err instanceof Error && typeof err.stack === 'string' ? err.stack.split('\n') : [];
  return new TaskFailure(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}
