import { randomUUID } from 'node:crypto';
import type { ExecutionListItem } from '@aws-sdk/client-sfn';
import {
  decodePageToken,
  encodePageToken,
  errorAndCause,
  getExecutionRow,
  MAX_PAYLOAD_BYTES,
  pageSize,
  requireString,
  validateName,
  type ApiScope,
} from './api-input';
import type {
  DescribeExecutionResult,
  GetExecutionHistoryResult,
  ListExecutionsResult,
  StartExecutionResult,
  StopExecutionResult,
} from './api-types';
import type { PreparedDefinition } from './definition';
import { SfnError } from './errors';
import { NOT_TRUNCATED, toHistoryEvent } from './history';
import type { EndStatus, EngineNotifier, ExecutionEnd, HistoryRecorder } from './history-recorder';
import { LibraryEventConsumer } from './library-events';
import { newRunningExecution, type RunningExecution } from './running-execution';
import type { StateMachines } from './state-machines';
import type { ExecutionStatus } from './store';
import type { TaskAttempts } from './task-attempts';
import type { TaskTokens } from './task-tokens';

const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

export interface ListExecutionsInput {
  stateMachineArn: string;
  statusFilter?: string;
  maxResults?: number;
  nextToken?: string;
}

export interface GetExecutionHistoryInput {
  executionArn: string;
  maxResults?: number;
  nextToken?: string;
  reverseOrder?: boolean;
  includeExecutionData?: boolean;
}

export interface ExecutionsDeps {
  scope: ApiScope;
  machines: StateMachines;
  recorder: HistoryRecorder;
  tasks: TaskAttempts;
  tokens: TaskTokens;
  notify: EngineNotifier;
}

/** The execution API and lifecycle: start a run on the library, follow it, stop it, end it exactly once. */
export class Executions {
  /** Executions running in this process, by ARN. */
  readonly running = new Map<string, RunningExecution>();
  private readonly events: LibraryEventConsumer;

  constructor(private readonly deps: ExecutionsDeps) {
    this.events = new LibraryEventConsumer(deps.scope.store, deps.recorder, (exec, status, end) =>
      this.finalize(exec, status, end),
    );
  }

  start(input: { stateMachineArn: string; name?: string; input?: string }): StartExecutionResult {
    const { scope, machines, recorder, tasks, tokens, notify } = this.deps;
    const { region, accountId, store } = scope;
    const machineRow = machines.row(input?.stateMachineArn);
    const name = input.name === undefined || input.name === null ? randomUUID() : validateName(input.name, 'execution');
    const inputText = input.input === undefined || input.input === null ? '{}' : requireString(input.input, 'input');
    let parsedInput: unknown;
    try {
      parsedInput = JSON.parse(inputText);
    } catch (err) {
      throw new SfnError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${(err as Error).message}'`);
    }
    if (Buffer.byteLength(inputText) > MAX_PAYLOAD_BYTES) {
      throw new SfnError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: larger than ${MAX_PAYLOAD_BYTES} bytes`,
      );
    }
    const arn = `arn:aws:states:${region}:${accountId}:execution:${machineRow.name}:${name}`;
    const existing = store.getExecution(arn);
    if (existing) {
      // StartExecution is idempotent for a running execution with the same name and input.
      if (existing.status === 'RUNNING' && existing.input === inputText) {
        return { executionArn: arn, startDate: new Date(existing.startDate) };
      }
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const prepared = machines.load(machineRow);
    const startDate = Date.now();
    const exec = newRunningExecution({
      arn,
      name,
      stateMachineArn: machineRow.arn,
      input: inputText,
      startDate,
      prepared,
    });

    store.insertExecution({
      arn,
      stateMachineArn: machineRow.arn,
      name,
      status: 'RUNNING',
      input: inputText,
      output: null,
      error: null,
      cause: null,
      startDate,
      stopDate: null,
    });
    this.running.set(arn, exec);
    // Recorded here rather than from the library's event so it is in place before start returns.
    recorder.record(exec, 'ExecutionStarted', {
      input: inputText,
      inputDetails: NOT_TRUNCATED,
      roleArn: machineRow.roleArn,
    });
    notify.status(store.getExecution(arn)!);

    const taskContext = {};
    // A fresh token per task attempt: the library evaluates Parameters (reading this getter) synchronously
    // right before calling the task handler, which binds the token; repeated reads in one state agree.
    Object.defineProperty(taskContext, 'Token', {
      enumerable: true,
      get: () => (exec.pendingToken ??= tokens.mint(exec)),
    });
    const handlers = Object.fromEntries(
      prepared.taskStateNames.map((stateName) => [stateName, (raw: unknown) => tasks.invoke(exec, raw)]),
    );
    let run: ReturnType<PreparedDefinition['machine']['run']>;
    try {
      run = prepared.machine.run(parsedInput as never, {
        overrides: { taskResourceLocalHandlers: handlers as never },
        noThrowOnAbort: true,
        context: {
          Execution: { Id: arn, Name: name, RoleArn: machineRow.roleArn, StartTime: new Date(startDate).toISOString() },
          StateMachine: { Id: machineRow.arn, Name: machineRow.name },
          Task: taskContext,
        },
      });
    } catch (err) {
      // Never leave a RUNNING row behind for a run that could not start.
      this.finalize(exec, 'FAILED', { error: 'States.Runtime', cause: `local runtime error: ${String(err)}` });
      return { executionArn: arn, startDate: new Date(startDate) };
    }
    exec.abortRun = run.abort;
    exec.consumed = this.events.consume(exec, run.eventLogs, run.result);
    return { executionArn: arn, startDate: new Date(startDate) };
  }

  describe(input: { executionArn: string }): DescribeExecutionResult {
    const row = getExecutionRow(this.deps.scope, input?.executionArn);
    const out: DescribeExecutionResult = {
      executionArn: row.arn,
      stateMachineArn: row.stateMachineArn,
      name: row.name,
      status: row.status,
      startDate: new Date(row.startDate),
      input: row.input,
      inputDetails: { included: true },
    };
    if (row.stopDate !== null) out.stopDate = new Date(row.stopDate);
    if (row.output !== null) {
      out.output = row.output;
      out.outputDetails = { included: true };
    }
    if (row.error !== null) out.error = row.error;
    if (row.cause !== null) out.cause = row.cause;
    return out;
  }

  list(input: ListExecutionsInput): ListExecutionsResult {
    const machine = this.deps.machines.row(input?.stateMachineArn);
    const status = input.statusFilter;
    if (status !== undefined && status !== null && !EXECUTION_STATUSES.includes(status as ExecutionStatus)) {
      if (status === 'PENDING_REDRIVE') return { executions: [] };
      throw new SfnError(
        'ValidationException',
        `1 validation error detected: Value '${String(status)}' at 'statusFilter' failed to satisfy constraint: Member must satisfy enum value set: [${EXECUTION_STATUSES.join(', ')}, PENDING_REDRIVE]`,
      );
    }
    const limit = pageSize(input.maxResults);
    const key = `${machine.arn}|${status ?? ''}`;
    const before = decodePageToken<number>(input.nextToken, key, 'number');
    const rows = this.deps.scope.store.listExecutions(
      machine.arn,
      (status ?? undefined) as ExecutionStatus | undefined,
      before,
      limit + 1,
    );
    const executions: ExecutionListItem[] = rows.slice(0, limit).map((r) => {
      const item: ExecutionListItem = {
        executionArn: r.arn,
        stateMachineArn: r.stateMachineArn,
        name: r.name,
        status: r.status,
        startDate: new Date(r.startDate),
      };
      if (r.stopDate !== null) item.stopDate = new Date(r.stopDate);
      return item;
    });
    return { executions, nextToken: rows.length > limit ? encodePageToken(rows[limit - 1].seq, key) : undefined };
  }

  history(input: GetExecutionHistoryInput): GetExecutionHistoryResult {
    const row = getExecutionRow(this.deps.scope, input?.executionArn);
    const limit = pageSize(input.maxResults);
    const reverse = input.reverseOrder === true;
    const key = `${row.arn}|${reverse ? 'r' : 'f'}`;
    const cursor = decodePageToken<number>(input.nextToken, key, 'number');
    const stored = this.deps.scope.store.listEvents(row.arn, cursor, limit + 1, reverse);
    const page = stored.slice(0, limit);
    return {
      events: page.map((e) => toHistoryEvent(e, input.includeExecutionData !== false)),
      nextToken: stored.length > limit ? encodePageToken(page[page.length - 1].id, key) : undefined,
    };
  }

  stop(input: { executionArn: string; error?: string; cause?: string }): StopExecutionResult {
    const { store } = this.deps.scope;
    const row = getExecutionRow(this.deps.scope, input?.executionArn);
    const { error, cause } = errorAndCause(input);
    if (row.status !== 'RUNNING') return { stopDate: new Date(row.stopDate ?? Date.now()) };
    const exec = this.running.get(row.arn);
    if (!exec) {
      // RUNNING in the database but not in this process: nothing to abort, just close the record.
      this.deps.recorder.abortDetached(row, error ?? null, cause ?? null);
      return { stopDate: new Date(store.getExecution(row.arn)!.stopDate!) };
    }
    const stopDate = this.finalize(exec, 'ABORTED', { error: error ?? null, cause: cause ?? null });
    exec.abortRun();
    return { stopDate: new Date(stopDate) };
  }

  /** Resolves with the final description once the execution has ended (at once if it already has). */
  async waitFor(executionArn: string): Promise<DescribeExecutionResult> {
    const exec = this.running.get(executionArn);
    if (exec) await exec.done;
    return this.describe({ executionArn });
  }

  /** Abort every running execution (recorded as ABORTED) and wait until their runs have wound down. */
  async stopAll(cause: string): Promise<void> {
    const execs = [...this.running.values()];
    for (const exec of execs) {
      if (!exec.closed) this.stop({ executionArn: exec.arn, cause });
    }
    await Promise.all(execs.map((e) => e.consumed));
  }

  /** Let go of every run without recording an end (the engine is closing): they stay RUNNING in the store. */
  async detachAll(): Promise<void> {
    const execs = [...this.running.values()];
    for (const exec of execs) {
      exec.closed = true;
      this.deps.tasks.cancelAll(exec, 'CLOSED', false);
      exec.abortRun();
      exec.markDone();
    }
    this.running.clear();
    await Promise.all(execs.map((e) => e.consumed));
  }

  /** Record the end of an execution (event + row in one transaction), close its tasks, notify. */
  private finalize(exec: RunningExecution, status: EndStatus, end: ExecutionEnd): number {
    if (exec.closed) return Date.now();
    exec.closed = true;
    const stopDate = Date.now();
    this.deps.tasks.cancelAll(exec, 'CLOSED');
    const event = this.deps.recorder.recordEnd(exec.arn, () => ++exec.lastEventId, status, end, stopDate);
    this.running.delete(exec.arn);
    this.deps.notify.history(exec.arn, event);
    this.deps.notify.status(this.deps.scope.store.getExecution(exec.arn)!);
    exec.markDone();
    return stopDate;
  }
}
