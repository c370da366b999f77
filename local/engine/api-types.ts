import type {
  DescribeExecutionOutput,
  DescribeStateMachineOutput,
  GetExecutionHistoryOutput,
  HistoryEvent,
  ListExecutionsOutput,
  ListStateMachinesOutput,
  RedriveExecutionOutput,
  StartExecutionOutput,
  StopExecutionOutput,
} from '@aws-sdk/client-sfn';
import type { ExecutionStatus } from './store';

// The handler contract is the Lambda one: any JSON event in, any JSON result out.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LambdaHandler = (event: any) => Promise<any>;

export interface BeforeTaskContext {
  executionArn: string;
  stateName: string;
  functionName: string;
  payload: unknown;
}

export interface LocalEngineOptions {
  /** SQLite file holding state machines, executions, history and task tokens (created if missing). */
  dbFile: string;
  /** Lambda handlers by function name; Task states resolve FunctionName (name or ARN) against these keys. */
  functions: Record<string, LambdaHandler>;
  region?: string;
  accountId?: string;
  /** Runs before every Lambda invocation; throwing here fails the task exactly like the handler throwing. */
  beforeTask?: (ctx: BeforeTaskContext) => void | Promise<void>;
}

export interface CreateStateMachineInput {
  name: string;
  definition: string;
  /** `${Var}` in the definition → Lambda function name (a key of `functions`). */
  substitutions?: Record<string, string>;
  roleArn?: string;
}

/** The detail of EventBridge's "Step Functions Execution Status Change" event (dates in epoch ms). */
export interface ExecutionStatusChangeDetail {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate: number | null;
  input: string;
  inputDetails: { included: boolean };
  output: string | null;
  outputDetails: { included: boolean } | null;
  error: string | null;
  cause: string | null;
  /** Times the execution was redriven (0 before any redrive). */
  redriveCount: number;
  /** When it was last redriven (epoch ms), null before any redrive. */
  redriveDate: number | null;
}

export interface LocalEngineEvents {
  history: [executionArn: string, event: HistoryEvent];
  executionStatusChange: [detail: ExecutionStatusChangeDetail];
}

/** SDK output shapes with the members AWS always returns made non-optional, for in-process callers. */
export type WithRequired<T, K extends keyof T> = T & { [P in K]-?: NonNullable<T[P]> };
export type StartExecutionResult = WithRequired<StartExecutionOutput, 'executionArn' | 'startDate'>;
export type DescribeExecutionResult = WithRequired<
  DescribeExecutionOutput,
  'executionArn' | 'stateMachineArn' | 'name' | 'status' | 'startDate' | 'input'
>;
export type ListExecutionsResult = WithRequired<ListExecutionsOutput, 'executions'>;
export type GetExecutionHistoryResult = WithRequired<GetExecutionHistoryOutput, 'events'>;
export type StopExecutionResult = WithRequired<StopExecutionOutput, 'stopDate'>;
export type RedriveExecutionResult = WithRequired<RedriveExecutionOutput, 'redriveDate'>;
export type ListStateMachinesResult = WithRequired<ListStateMachinesOutput, 'stateMachines'>;
export type DescribeStateMachineResult = WithRequired<
  DescribeStateMachineOutput,
  'stateMachineArn' | 'name' | 'definition' | 'roleArn' | 'type' | 'creationDate'
>;
