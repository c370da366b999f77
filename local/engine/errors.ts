/** Step Functions API error codes the local runtime can return (the `__type` suffix on the wire). */
export type SfnErrorCode =
  | 'ExecutionDoesNotExist'
  | 'ExecutionAlreadyExists'
  | 'ExecutionNotRedrivable'
  | 'StateMachineDoesNotExist'
  | 'InvalidArn'
  | 'InvalidToken'
  | 'InvalidName'
  | 'InvalidDefinition'
  | 'InvalidExecutionInput'
  | 'InvalidOutput'
  | 'TaskDoesNotExist'
  | 'TaskTimedOut'
  | 'ValidationException';

/**
 * An error of the Step Functions API. `name` is the SFN error code so callers can branch on it exactly
 * as they do on the SDK's exception classes (`err.name === 'ExecutionDoesNotExist'`).
 */
export class SfnError extends Error {
  override readonly name: SfnErrorCode;

  constructor(code: SfnErrorCode, message: string) {
    super(message);
    this.name = code;
  }
}

export function isSfnError(value: unknown): value is SfnError {
  return value instanceof SfnError;
}
