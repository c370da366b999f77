import './polyfills';
import { EventEmitter } from 'node:events';
import type { DescribeStateMachineForExecutionOutput } from '@aws-sdk/client-sfn';
import type {
  CreateStateMachineInput,
  DescribeExecutionResult,
  DescribeStateMachineResult,
  GetExecutionHistoryResult,
  LambdaHandler,
  ListExecutionsResult,
  ListStateMachinesResult,
  LocalEngineEvents,
  RedriveExecutionResult,
  LocalEngineOptions,
  StartExecutionResult,
  StopExecutionResult,
} from './api-types';
import { Executions, type GetExecutionHistoryInput, type ListExecutionsInput } from './executions';
import { HistoryRecorder, type EngineNotifier } from './history-recorder';
import { LambdaInvoker } from './lambda-invoke';
import { recoverInterruptedExecutions } from './recovery';
import { StateMachines } from './state-machines';
import { EngineStore, type ExecutionRow } from './store';
import { TaskAttempts } from './task-attempts';
import { TaskTokens } from './task-tokens';

// The public types of the API, all of them (index.ts names each one).
export type * from './api-types';
export { RESTART_ABORT_CAUSE, RESTART_ABORT_ERROR } from './recovery';

/**
 * An in-process AWS Step Functions runtime on top of aws-local-stepfunctions. Task states run the given
 * handlers as the `lambda:invoke` integration would, history is recorded in Step Functions shape, and
 * everything is persisted in SQLite so a new engine on the same file answers for old executions.
 *
 * This class is the API and the event emitter; the work is done by the modules it wires together
 * (see README.md).
 */
export class LocalEngine extends EventEmitter<LocalEngineEvents> {
  readonly region: string;
  readonly accountId: string;
  /** Executions found RUNNING at construction (their process died) and marked ABORTED. */
  readonly recoveredExecutionArns: readonly string[];

  private readonly store: EngineStore;
  private readonly machines: StateMachines;
  private readonly tokens: TaskTokens;
  private readonly executions: Executions;
  private recoveryNotice?: NodeJS.Immediate;
  private closed = false;

  constructor(options: LocalEngineOptions) {
    super();
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    const functions: Record<string, LambdaHandler> = { ...options.functions };
    this.store = new EngineStore(options.dbFile);
    const scope = { region: this.region, accountId: this.accountId, store: this.store };
    const notify: EngineNotifier = {
      history: (executionArn, event) => this.safeEmit('history', executionArn, event),
      status: (row) => this.safeEmit('executionStatusChange', statusChangeDetail(row)),
    };
    const recorder = new HistoryRecorder(this.store, notify);
    this.machines = new StateMachines(scope, functions);
    this.tokens = new TaskTokens(this.store);
    const lambda = new LambdaInvoker(this.region, this.accountId, functions, options.beforeTask);
    const tasks = new TaskAttempts(this.region, lambda, this.tokens, recorder);
    this.executions = new Executions({ scope, machines: this.machines, recorder, tasks, tokens: this.tokens, notify });
    const recovered = recoverInterruptedExecutions(this.store, recorder, notify);
    this.recoveredExecutionArns = recovered.arns;
    this.recoveryNotice = recovered.notice;
  }

  // ------------------------------------------------------------------ state machines

  createStateMachine(input: CreateStateMachineInput): { stateMachineArn: string; creationDate: Date } {
    this.assertOpen();
    return this.machines.create(input);
  }

  describeStateMachine(input: { stateMachineArn: string }): DescribeStateMachineResult {
    return this.machines.describe(input);
  }

  describeStateMachineForExecution(input: { executionArn: string }): DescribeStateMachineForExecutionOutput {
    return this.machines.describeForExecution(
      input,
      (executionArn) => this.executions.running.get(executionArn)?.prepared.definition,
    );
  }

  listStateMachines(input: { maxResults?: number; nextToken?: string } = {}): ListStateMachinesResult {
    return this.machines.list(input);
  }

  // ------------------------------------------------------------------ executions

  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): StartExecutionResult {
    this.assertOpen();
    return this.executions.start(input);
  }

  describeExecution(input: { executionArn: string }): DescribeExecutionResult {
    return this.executions.describe(input);
  }

  listExecutions(input: ListExecutionsInput): ListExecutionsResult {
    return this.executions.list(input);
  }

  getExecutionHistory(input: GetExecutionHistoryInput): GetExecutionHistoryResult {
    return this.executions.history(input);
  }

  stopExecution(input: { executionArn: string; error?: string; cause?: string }): StopExecutionResult {
    return this.executions.stop(input);
  }

  /**
   * RedriveExecution: a FAILED, ABORTED or TIMED_OUT execution (stopped less than 14 days ago) runs again
   * from its unsuccessful step, with the input that step received, under the same ARN; its history is kept
   * and gets an `ExecutionRedriven` event. RUNNING or SUCCEEDED → `ExecutionNotRedrivable`. A clientToken
   * repeated within 15 minutes gets the first answer again. `waitForExecution` then waits for the new end.
   */
  redriveExecution(input: { executionArn: string; clientToken?: string }): RedriveExecutionResult {
    this.assertOpen();
    return this.executions.redrive(input);
  }

  /** Resolves with the final description once the execution has ended (at once if it already has). */
  waitForExecution(executionArn: string): Promise<DescribeExecutionResult> {
    return this.executions.waitFor(executionArn);
  }

  get runningExecutionArns(): string[] {
    return [...this.executions.running.keys()];
  }

  // ------------------------------------------------------------------ callbacks

  sendTaskSuccess(input: { taskToken: string; output: string }): Record<string, never> {
    return this.tokens.sendTaskSuccess(input);
  }

  sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Record<string, never> {
    return this.tokens.sendTaskFailure(input);
  }

  sendTaskHeartbeat(input: { taskToken: string }): Record<string, never> {
    return this.tokens.sendTaskHeartbeat(input);
  }

  // ------------------------------------------------------------------ lifecycle

  /** Abort every running execution (recorded as ABORTED) and wait until their runs have wound down. */
  stopAll(cause = 'stopped by the local runtime'): Promise<void> {
    return this.executions.stopAll(cause);
  }

  /**
   * Release the database. Running executions are not recorded as aborted: like a process exit, they stay
   * RUNNING and the next engine on this file marks them ABORTED. Their in-memory runs are detached and
   * every timer is cleared, so nothing keeps the process alive.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.recoveryNotice) clearImmediate(this.recoveryNotice);
    await this.executions.detachAll();
    this.store.close();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('The local engine is closed');
  }

  /** A throwing listener must not break the run that emitted the event. */
  private safeEmit<K extends keyof LocalEngineEvents>(event: K, ...args: LocalEngineEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: LocalEngineEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      process.emitWarning(`golive local engine: a '${String(event)}' listener threw: ${String(err)}`);
    }
  }
}

/** EventBridge's "Execution Status Change" detail for an execution row. */
function statusChangeDetail(row: ExecutionRow): LocalEngineEvents['executionStatusChange'][0] {
  return {
    executionArn: row.arn,
    stateMachineArn: row.stateMachineArn,
    name: row.name,
    status: row.status,
    startDate: row.startDate,
    stopDate: row.stopDate,
    input: row.input,
    inputDetails: { included: true },
    output: row.output,
    outputDetails: row.output === null ? null : { included: true },
    error: row.error,
    cause: row.cause,
    redriveCount: row.redriveCount,
    redriveDate: row.redriveDate,
  };
}
