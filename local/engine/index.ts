export {
  LocalEngine,
  RESTART_ABORT_CAUSE,
  RESTART_ABORT_ERROR,
  type BeforeTaskContext,
  type DescribeExecutionResult,
  type DescribeStateMachineResult,
  type GetExecutionHistoryResult,
  type ListExecutionsResult,
  type ListStateMachinesResult,
  type RedriveExecutionResult,
  type StartExecutionResult,
  type StopExecutionResult,
  type WithRequired,
  type CreateStateMachineInput,
  type ExecutionStatusChangeDetail,
  type LambdaHandler,
  type LocalEngineEvents,
  type LocalEngineOptions,
} from './engine';
export { startSfnEndpoint, type SfnEndpoint, type SfnEndpointOptions } from './sfn-endpoint';
export { SfnError, isSfnError, type SfnErrorCode } from './errors';
export type { ExecutionStatus } from './store';
