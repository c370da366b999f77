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
  RedriveExecutionResult,
  StartExecutionResult,
  StopExecutionResult,
} from './api-types';
import { redriveMachine } from './definition';
import { SfnError } from './errors';
import { NOT_TRUNCATED, toHistoryEvent } from './history';
import type { EndStatus, EngineNotifier, ExecutionEnd, HistoryRecorder } from './history-recorder';
import { LibraryEventConsumer } from './library-events';
import { CLIENT_TOKEN_VALIDITY_MS, clientTokenOf, definitionSha256, redrivePoint, redriveStatusOf } from './redrive';
import { newRunningExecution, type RunningExecution } from './running-execution';
import type { StateMachines } from './state-machines';
import type { ExecutionStatus, StateMachineRow } from './store';
import type { TaskAttempts } from './task-attempts';
import type { TaskTokens } from './task-tokens';

const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];

const REDRIVE_FILTERS = ['REDRIVEN', 'NOT_REDRIVEN'];

export interface ListExecutionsInput {
  stateMachineArn: string;
  statusFilter?: string;
  /** REDRIVEN or NOT_REDRIVEN; absent lists both. */
  redriveFilter?: string;
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
    const { scope, machines, recorder, notify } = this.deps;
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
      definitionSha256: definitionSha256(machineRow.definition),
    });
    this.running.set(arn, exec);
    // Recorded here rather than from the library's event so it is in place before start returns.
    recorder.record(exec, 'ExecutionStarted', {
      input: inputText,
      inputDetails: NOT_TRUNCATED,
      roleArn: machineRow.roleArn,
    });
    notify.status(store.getExecution(arn)!);
    this.launch(exec, prepared.machine, parsedInput, machineRow, { RedriveCount: 0 });
    return { executionArn: arn, startDate: new Date(startDate) };
  }

  /**
   * RedriveExecution: an ended (FAILED, ABORTED, TIMED_OUT) execution runs again from its unsuccessful step
   * with the input that step received, under the same ARN, its history kept and `ExecutionRedriven` added.
   */
  redrive(input: { executionArn: string; clientToken?: string }): RedriveExecutionResult {
    const { scope, machines, recorder, notify } = this.deps;
    const { store } = scope;
    const row = getExecutionRow(scope, input?.executionArn);
    const clientToken = clientTokenOf(input.clientToken);
    const now = Date.now();
    if (clientToken !== undefined) {
      const earlier = store.redriveForToken(row.arn, clientToken, now - CLIENT_TOKEN_VALIDITY_MS);
      if (earlier !== undefined) return { redriveDate: new Date(earlier) };
    }
    const machineRow = machines.row(row.stateMachineArn);
    const status = redriveStatusOf(row, now, machineRow);
    if (status.redriveStatusReason !== undefined) {
      throw new SfnError('ExecutionNotRedrivable', status.redriveStatusReason);
    }
    const prepared = machines.load(machineRow);
    const point = redrivePoint(
      prepared,
      store.listEvents(row.arn, undefined, Number.MAX_SAFE_INTEGER, false),
      row.input,
    );
    const machine = redriveMachine(prepared, point.stateName, point.input);
    const redriveCount = row.redriveCount + 1;
    if (!store.reopenExecution(row.arn, redriveCount, now, clientToken)) {
      throw new SfnError('ExecutionNotRedrivable', 'Execution is RUNNING and cannot be redriven.');
    }
    const exec = newRunningExecution({
      arn: row.arn,
      name: row.name,
      stateMachineArn: row.stateMachineArn,
      input: row.input,
      startDate: row.startDate,
      prepared,
    });
    exec.lastEventId = store.lastEventId(row.arn);
    exec.lastTimestamp = row.stopDate ?? 0;
    this.running.set(row.arn, exec);
    recorder.record(exec, 'ExecutionRedriven', { redriveCount }, now);
    notify.status(store.getExecution(row.arn)!);
    this.launch(exec, machine, JSON.parse(row.input), machineRow, {
      RedriveCount: redriveCount,
      RedriveTime: new Date(now).toISOString(),
    });
    return { redriveDate: new Date(now) };
  }

  /** Run `machine` on the library for `exec` (Task states wired to the handlers) and follow it to its end. */
  private launch(
    exec: RunningExecution,
    machine: RunningExecution['prepared']['machine'],
    input: unknown,
    machineRow: StateMachineRow,
    redrive: { RedriveCount: number; RedriveTime?: string },
  ): void {
    const { tasks, tokens } = this.deps;
    const taskContext = {};
    // A fresh token per task attempt: the library evaluates Parameters (reading this getter) synchronously
    // right before calling the task handler, which binds the token; repeated reads in one state agree.
    Object.defineProperty(taskContext, 'Token', {
      enumerable: true,
      get: () => (exec.pendingToken ??= tokens.mint(exec)),
    });
    const handlers = Object.fromEntries(
      exec.prepared.taskStateNames.map((stateName) => [stateName, (raw: unknown) => tasks.invoke(exec, raw)]),
    );
    let run: ReturnType<typeof machine.run>;
    try {
      run = machine.run(input as never, {
        overrides: { taskResourceLocalHandlers: handlers as never },
        noThrowOnAbort: true,
        context: {
          Execution: {
            Id: exec.arn,
            Name: exec.name,
            RoleArn: machineRow.roleArn,
            StartTime: new Date(exec.startDate).toISOString(),
            // $$.Execution.RedriveCount is 0 before any redrive; RedriveTime exists only once redriven.
            ...redrive,
          },
          StateMachine: { Id: machineRow.arn, Name: machineRow.name },
          Task: taskContext,
        },
      });
    } catch (err) {
      // Never leave a RUNNING row behind for a run that could not start.
      this.finalize(exec, 'FAILED', { error: 'States.Runtime', cause: `local runtime error: ${String(err)}` });
      return;
    }
    exec.abortRun = run.abort;
    exec.consumed = this.events.consume(exec, run.eventLogs, run.result);
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
    out.redriveCount = row.redriveCount;
    if (row.redriveDate !== null) out.redriveDate = new Date(row.redriveDate);
    Object.assign(out, redriveStatusOf(row, Date.now(), this.deps.scope.store.getStateMachine(row.stateMachineArn)));
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
    const redriveFilter = input.redriveFilter ?? undefined;
    if (redriveFilter !== undefined && !REDRIVE_FILTERS.includes(redriveFilter)) {
      throw new SfnError(
        'ValidationException',
        `1 validation error detected: Value '${String(redriveFilter)}' at 'redriveFilter' failed to satisfy constraint: Member must satisfy enum value set: [${REDRIVE_FILTERS.join(', ')}]`,
      );
    }
    const limit = pageSize(input.maxResults);
    const key = `${machine.arn}|${status ?? ''}${redriveFilter === undefined ? '' : `|${redriveFilter}`}`;
    const before = decodePageToken<number>(input.nextToken, key, 'number');
    const rows = this.deps.scope.store.listExecutions(
      machine.arn,
      (status ?? undefined) as ExecutionStatus | undefined,
      before,
      limit + 1,
      redriveFilter === undefined ? undefined : redriveFilter === 'REDRIVEN',
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
      item.redriveCount = r.redriveCount;
      if (r.redriveDate !== null) item.redriveDate = new Date(r.redriveDate);
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
