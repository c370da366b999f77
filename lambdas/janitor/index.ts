import { parseExecutionStatusChange } from '../core/execution-event';
import { cleanUpEndedExecution } from '../core/steps/janitor';
import type { DepsResolver } from '../handler';
import { awsDeps } from '../providers/aws';

/** EventBridge rule target: an execution ended ABORTED or TIMED_OUT → undo what the catch path could not. */
export const createHandler = (resolveDeps: DepsResolver) => async (event: unknown) =>
  cleanUpEndedExecution(await resolveDeps(), parseExecutionStatusChange(event));
export const handler = createHandler(awsDeps);
