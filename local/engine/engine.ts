import './polyfills';
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type {
  DescribeExecutionOutput,
  DescribeStateMachineForExecutionOutput,
  DescribeStateMachineOutput,
  ExecutionListItem,
  GetExecutionHistoryOutput,
  HistoryEvent,
  ListExecutionsOutput,
  ListStateMachinesOutput,
  StartExecutionOutput,
  StopExecutionOutput,
} from '@aws-sdk/client-sfn';
import { prepareDefinition, prepareSubstituted, type PreparedDefinition, type WrappedTaskInput } from './definition';
import { SfnError } from './errors';
import { detailsKeyFor, jsonText, NOT_TRUNCATED, toHistoryEvent } from './history';
import { EngineStore, type ExecutionRow, type ExecutionStatus, type StateMachineRow, type TokenStatus } from './store';

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
export type ListStateMachinesResult = WithRequired<ListStateMachinesOutput, 'stateMachines'>;
export type DescribeStateMachineResult = WithRequired<
  DescribeStateMachineOutput,
  'stateMachineArn' | 'name' | 'definition' | 'roleArn' | 'type' | 'creationDate'
>;

export const RESTART_ABORT_ERROR = 'States.Runtime';
export const RESTART_ABORT_CAUSE = 'local runtime restarted while the execution was running';

const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
const MAX_PAYLOAD_BYTES = 262144;
const TOKEN_PREFIX = 'GoLiveTT1.';
/** Awaited by a task attempt whose outcome no longer matters (the library has already moved on). */
const NEVER = new Promise<never>(() => undefined);

type JsonObject = Record<string, unknown>;
type EndReason = 'done' | 'timeout' | 'cancelled';

interface TaskAttempt {
  exec: RunningExecution;
  stateName: string;
  kind: WrappedTaskInput['__golive']['kind'];
  token?: string;
  end?: EndReason;
  timer?: NodeJS.Timeout;
  cancel: (err: Error) => void;
  tokenOutcome?: { resolve: (output: string) => void; reject: (err: Error) => void; promise: Promise<string> };
}

interface PendingTaskEvent {
  type: string;
  details?: JsonObject;
  timestamp: number;
}

interface RunningExecution {
  arn: string;
  name: string;
  stateMachineArn: string;
  input: string;
  startDate: number;
  prepared: PreparedDefinition;
  lastEventId: number;
  lastTimestamp: number;
  /** Set once the end is recorded (or the engine detached); later library activity is ignored. */
  closed: boolean;
  /** Token minted by a read of $$.Task.Token and not yet bound to a task attempt. */
  pendingToken?: string;
  attempts: Set<TaskAttempt>;
  /** Task-level events waiting for the library's StateEntered/StateRetried of their state (see recordTask). */
  buffered: Map<string, PendingTaskEvent[]>;
  anchored: Set<string>;
  lastFailState?: string;
  abortRun: () => void;
  done: Promise<void>;
  markDone: () => void;
  consumed: Promise<void>;
}

/** The error a task attempt ends with: `name` is the ASL error name, `message` the Cause, as the library expects. */
class TaskFailure extends Error {
  constructor(errorName: string, cause: string) {
    super(cause);
    this.name = errorName;
  }
}

/** Read through a call so TypeScript does not keep a narrowing across awaits (timers change it). */
function endedBy(attempt: TaskAttempt, reason: EndReason): boolean {
  return attempt.end === reason;
}

/** Ends a task attempt whose execution is over; the library must neither retry nor catch it. */
function executionOverError(): Error {
  const err = new Error('The execution is no longer running') as Error & { isRetryable: boolean; isCatchable: boolean };
  err.name = 'States.Runtime';
  err.isRetryable = false;
  err.isCatchable = false;
  return err;
}

/** Lambda's Node.js runtime error payload, which Step Functions puts verbatim in the Cause. */
function lambdaError(err: unknown): TaskFailure {
  const errorType = err instanceof Error ? err.name : typeof err;
  const errorMessage = err instanceof Error ? err.message : String(err);
  const trace = err instanceof Error && typeof err.stack === 'string' ? err.stack.split('\n') : [];
  return new TaskFailure(errorType, JSON.stringify({ errorType, errorMessage, trace }));
}

function jsonCopy<T>(value: T): T {
  if (value === undefined) return null as T;
  return JSON.parse(JSON.stringify(value)) as T;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function requireString(value: unknown, field: string): string {
  if (value === undefined || value === null) {
    throw new SfnError(
      'ValidationException',
      `1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`,
    );
  }
  if (typeof value !== 'string') {
    throw new SfnError('ValidationException', `Value at '${field}' must be a string`);
  }
  return value;
}

/** The optional error (≤ 256) and cause (≤ 32768) of StopExecution and SendTaskFailure, checked as AWS does. */
function errorAndCause(input: { error?: string; cause?: string }): { error?: string; cause?: string } {
  const error = input.error ?? undefined;
  const cause = input.cause ?? undefined;
  if (error !== undefined) requireString(error, 'error');
  if (cause !== undefined) requireString(cause, 'cause');
  maxLength(error, 'error', 256);
  maxLength(cause, 'cause', 32768);
  return { error, cause };
}

function maxLength(value: string | undefined, field: string, max: number): void {
  if (value !== undefined && value.length > max) {
    throw new SfnError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must have length less than or equal to ${max}`,
    );
  }
}

function pageSize(maxResults: unknown): number {
  if (maxResults === undefined || maxResults === null || maxResults === 0) return 100;
  if (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 0 || maxResults > 1000) {
    throw new SfnError(
      'ValidationException',
      `1 validation error detected: Value '${String(maxResults)}' at 'maxResults' failed to satisfy constraint: Member must have value between 0 and 1000`,
    );
  }
  return maxResults;
}

/** AWS naming rule for state machines and executions. */
function validateName(name: unknown, what: string): string {
  const value = requireString(name, 'name');
  // eslint-disable-next-line no-control-regex
  const forbidden = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
  if (value.length < 1 || value.length > 80 || forbidden.test(value)) {
    throw new SfnError('InvalidName', `Invalid Name: '${value}' is not a valid ${what} name`);
  }
  return value;
}

/** Paging tokens carry a cursor and the request they belong to, so a token from another query is refused. */
function encodePageToken(cursor: number | string, key: string): string {
  return Buffer.from(JSON.stringify({ c: cursor, k: key })).toString('base64url');
}

function decodePageToken<T extends number | string>(
  token: unknown,
  key: string,
  kind: 'number' | 'string',
): T | undefined {
  if (token === undefined || token === null || token === '') return undefined;
  if (typeof token !== 'string') throw new SfnError('InvalidToken', 'Invalid Token: nextToken must be a string');
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as { c?: unknown; k?: unknown };
    if (parsed.k === key && typeof parsed.c === kind) return parsed.c as T;
  } catch {
    // fall through: any undecodable token is invalid
  }
  throw new SfnError('InvalidToken', `Invalid Token: '${token}'`);
}

/**
 * An in-process AWS Step Functions runtime on top of aws-local-stepfunctions. Task states run the given
 * handlers as the `lambda:invoke` integration would, history is recorded in Step Functions shape, and
 * everything is persisted in SQLite so a new engine on the same file answers for old executions.
 */
export class LocalEngine extends EventEmitter<LocalEngineEvents> {
  readonly region: string;
  readonly accountId: string;
  /** Executions found RUNNING at construction (their process died) and marked ABORTED. */
  readonly recoveredExecutionArns: readonly string[];

  private readonly store: EngineStore;
  private readonly functions: Record<string, LambdaHandler>;
  private readonly beforeTask?: LocalEngineOptions['beforeTask'];
  private readonly machines = new Map<string, PreparedDefinition>();
  private readonly running = new Map<string, RunningExecution>();
  private readonly tokens = new Map<string, TaskAttempt>();
  private recoveryNotice?: NodeJS.Immediate;
  private closed = false;

  constructor(options: LocalEngineOptions) {
    super();
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.functions = { ...options.functions };
    this.beforeTask = options.beforeTask;
    this.store = new EngineStore(options.dbFile);
    this.recoveredExecutionArns = this.recoverInterruptedExecutions();
  }

  // ------------------------------------------------------------------ state machines

  createStateMachine(input: CreateStateMachineInput): { stateMachineArn: string; creationDate: Date } {
    this.assertOpen();
    const name = validateName(input.name, 'state machine');
    const definition = requireString(input.definition, 'definition');
    const prepared = prepareDefinition(
      definition,
      input.substitutions ?? {},
      Object.keys(this.functions),
      this.region,
      this.accountId,
    );
    const arn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
    const existing = this.store.getStateMachine(arn);
    const now = Date.now();
    const row: StateMachineRow = {
      arn,
      name,
      definition: prepared.definition,
      roleArn: input.roleArn ?? existing?.roleArn ?? `arn:aws:iam::${this.accountId}:role/golive-local-${name}`,
      creationDate: existing?.creationDate ?? now,
      updateDate: now,
    };
    this.store.upsertStateMachine(row);
    // Running executions keep the definition they started with, as on AWS.
    this.machines.set(arn, prepared);
    return { stateMachineArn: arn, creationDate: new Date(row.creationDate) };
  }

  describeStateMachine(input: { stateMachineArn: string }): DescribeStateMachineResult {
    const row = this.getStateMachineRow(input?.stateMachineArn);
    return {
      stateMachineArn: row.arn,
      name: row.name,
      status: 'ACTIVE',
      definition: row.definition,
      roleArn: row.roleArn,
      type: 'STANDARD',
      creationDate: new Date(row.creationDate),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  describeStateMachineForExecution(input: { executionArn: string }): DescribeStateMachineForExecutionOutput {
    const execution = this.getExecutionRow(input?.executionArn);
    const row = this.store.getStateMachine(execution.stateMachineArn);
    if (!row)
      throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${execution.stateMachineArn}'`);
    const running = this.running.get(execution.arn);
    return {
      stateMachineArn: row.arn,
      name: row.name,
      definition: running?.prepared.definition ?? row.definition,
      roleArn: row.roleArn,
      updateDate: new Date(row.updateDate),
    };
  }

  listStateMachines(input: { maxResults?: number; nextToken?: string } = {}): ListStateMachinesResult {
    const limit = pageSize(input.maxResults);
    const after = decodePageToken<string>(input.nextToken, 'stateMachines', 'string');
    const rows = this.store.listStateMachines(after, limit + 1);
    const page = rows.slice(0, limit);
    return {
      stateMachines: page.map((r) => ({
        stateMachineArn: r.arn,
        name: r.name,
        type: 'STANDARD',
        creationDate: new Date(r.creationDate),
      })),
      nextToken: rows.length > limit ? encodePageToken(page[page.length - 1].name, 'stateMachines') : undefined,
    };
  }

  // ------------------------------------------------------------------ executions

  startExecution(input: { stateMachineArn: string; name?: string; input?: string }): StartExecutionResult {
    this.assertOpen();
    const machineRow = this.getStateMachineRow(input?.stateMachineArn);
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
    const arn = `arn:aws:states:${this.region}:${this.accountId}:execution:${machineRow.name}:${name}`;
    const existing = this.store.getExecution(arn);
    if (existing) {
      // StartExecution is idempotent for a running execution with the same name and input.
      if (existing.status === 'RUNNING' && existing.input === inputText) {
        return { executionArn: arn, startDate: new Date(existing.startDate) };
      }
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const prepared = this.loadMachine(machineRow);
    const startDate = Date.now();
    const exec: RunningExecution = {
      arn,
      name,
      stateMachineArn: machineRow.arn,
      input: inputText,
      startDate,
      prepared,
      lastEventId: 0,
      lastTimestamp: 0,
      closed: false,
      attempts: new Set(),
      buffered: new Map(),
      anchored: new Set(),
      abortRun: () => undefined,
      done: Promise.resolve(),
      markDone: () => undefined,
      consumed: Promise.resolve(),
    };
    const done = deferred<void>();
    exec.done = done.promise;
    exec.markDone = () => done.resolve();

    this.store.insertExecution({
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
    this.record(exec, 'ExecutionStarted', {
      input: inputText,
      inputDetails: NOT_TRUNCATED,
      roleArn: machineRow.roleArn,
    });
    this.emitStatus(this.store.getExecution(arn)!);

    const taskContext = {};
    // A fresh token per task attempt: the library evaluates Parameters (reading this getter) synchronously
    // right before calling the task handler, which binds the token; repeated reads in one state agree.
    Object.defineProperty(taskContext, 'Token', {
      enumerable: true,
      get: () => (exec.pendingToken ??= this.mintToken(exec)),
    });
    const handlers = Object.fromEntries(
      prepared.taskStateNames.map((stateName) => [stateName, (raw: unknown) => this.invokeTask(exec, raw)]),
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
    exec.consumed = this.consume(exec, run.eventLogs, run.result);
    return { executionArn: arn, startDate: new Date(startDate) };
  }

  describeExecution(input: { executionArn: string }): DescribeExecutionResult {
    const row = this.getExecutionRow(input?.executionArn);
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

  listExecutions(input: {
    stateMachineArn: string;
    statusFilter?: string;
    maxResults?: number;
    nextToken?: string;
  }): ListExecutionsResult {
    const machine = this.getStateMachineRow(input?.stateMachineArn);
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
    const rows = this.store.listExecutions(
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

  getExecutionHistory(input: {
    executionArn: string;
    maxResults?: number;
    nextToken?: string;
    reverseOrder?: boolean;
    includeExecutionData?: boolean;
  }): GetExecutionHistoryResult {
    const row = this.getExecutionRow(input?.executionArn);
    const limit = pageSize(input.maxResults);
    const reverse = input.reverseOrder === true;
    const key = `${row.arn}|${reverse ? 'r' : 'f'}`;
    const cursor = decodePageToken<number>(input.nextToken, key, 'number');
    const stored = this.store.listEvents(row.arn, cursor, limit + 1, reverse);
    const page = stored.slice(0, limit);
    return {
      events: page.map((e) => toHistoryEvent(e, input.includeExecutionData !== false)),
      nextToken: stored.length > limit ? encodePageToken(page[page.length - 1].id, key) : undefined,
    };
  }

  stopExecution(input: { executionArn: string; error?: string; cause?: string }): StopExecutionResult {
    const row = this.getExecutionRow(input?.executionArn);
    const { error, cause } = errorAndCause(input);
    if (row.status !== 'RUNNING') return { stopDate: new Date(row.stopDate ?? Date.now()) };
    const exec = this.running.get(row.arn);
    if (!exec) {
      // RUNNING in the database but not in this process: nothing to abort, just close the record.
      this.finishDetached(row, 'ABORTED', error ?? null, cause ?? null);
      return { stopDate: new Date(this.store.getExecution(row.arn)!.stopDate!) };
    }
    const stopDate = this.finalize(exec, 'ABORTED', { error: error ?? null, cause: cause ?? null });
    exec.abortRun();
    return { stopDate: new Date(stopDate) };
  }

  /** Resolves with the final description once the execution has ended (at once if it already has). */
  async waitForExecution(executionArn: string): Promise<DescribeExecutionResult> {
    const exec = this.running.get(executionArn);
    if (exec) await exec.done;
    return this.describeExecution({ executionArn });
  }

  get runningExecutionArns(): string[] {
    return [...this.running.keys()];
  }

  // ------------------------------------------------------------------ callbacks

  sendTaskSuccess(input: { taskToken: string; output: string }): Record<string, never> {
    const token = this.checkToken(input?.taskToken);
    const output = requireString(input.output, 'output');
    if (Buffer.byteLength(output) > MAX_PAYLOAD_BYTES) {
      throw new SfnError('ValidationException', `Value at 'output' is larger than ${MAX_PAYLOAD_BYTES} bytes`);
    }
    try {
      JSON.parse(output);
    } catch (err) {
      throw new SfnError('InvalidOutput', `Invalid Output: '${(err as Error).message}'`);
    }
    const attempt = this.takeOpenToken(token, 'SUCCEEDED');
    attempt.tokenOutcome!.resolve(output);
    return {};
  }

  sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Record<string, never> {
    const token = this.checkToken(input?.taskToken);
    const { error, cause } = errorAndCause(input);
    const attempt = this.takeOpenToken(token, 'FAILED');
    attempt.tokenOutcome!.reject(new TaskFailure(error ?? 'States.TaskFailed', cause ?? ''));
    return {};
  }

  sendTaskHeartbeat(input: { taskToken: string }): Record<string, never> {
    const token = this.checkToken(input?.taskToken);
    if (!this.tokens.has(token)) this.throwClosedOrUnknown(token);
    return {};
  }

  // ------------------------------------------------------------------ lifecycle

  /** Abort every running execution (recorded as ABORTED) and wait until their runs have wound down. */
  async stopAll(cause = 'stopped by the local runtime'): Promise<void> {
    const execs = [...this.running.values()];
    for (const exec of execs) {
      if (!exec.closed) this.stopExecution({ executionArn: exec.arn, cause });
    }
    await Promise.all(execs.map((e) => e.consumed));
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
    const execs = [...this.running.values()];
    for (const exec of execs) {
      exec.closed = true;
      this.cancelAttempts(exec, 'CLOSED', false);
      exec.abortRun();
      exec.markDone();
    }
    this.running.clear();
    await Promise.all(execs.map((e) => e.consumed));
    this.store.close();
  }

  // ------------------------------------------------------------------ internals: tasks

  private invokeTask(exec: RunningExecution, raw: unknown): Promise<unknown> {
    const promise = this.runTaskAttempt(exec, raw as WrappedTaskInput);
    // The library may drop this promise (e.g. when it rejects the state before racing it): never unhandled.
    promise.catch(() => undefined);
    return promise;
  }

  /**
   * One attempt of a Task state. The synchronous part (token binding, TaskScheduled, the timeout timer)
   * runs inside the library's call, before it arms its own timeout timer for the same duration: ours
   * therefore fires first and closes the attempt just before the library raises States.Timeout.
   */
  private async runTaskAttempt(exec: RunningExecution, input: WrappedTaskInput): Promise<unknown> {
    if (exec.closed) throw executionOverError();
    const meta = input.__golive;
    const timeout = input.t;
    if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1) {
      // The library rejects the state itself (States.Runtime) right after this call; invoke nothing.
      throw executionOverError();
    }
    const params = input.p;
    let cancel: (err: Error) => void = () => undefined;
    const cancelled = new Promise<never>((_, reject) => {
      cancel = reject;
    });
    cancelled.catch(() => undefined);
    const attempt: TaskAttempt = { exec, stateName: meta.state, kind: meta.kind, cancel };
    exec.attempts.add(attempt);

    const pending = exec.pendingToken;
    exec.pendingToken = undefined;
    if (meta.kind === 'callback') {
      const token = pending && jsonText(params).includes(pending) ? pending : this.mintToken(exec);
      attempt.token = token;
      attempt.tokenOutcome = deferred<string>();
      this.store.insertToken({ token, executionArn: exec.arn, stateName: meta.state, status: 'OPEN' });
      this.tokens.set(token, attempt);
    }

    const resource = meta.kind === 'callback' ? 'invoke.waitForTaskToken' : 'invoke';
    const timeoutInSeconds = meta.defaultTimeout ? undefined : timeout;
    if (meta.kind === 'function') {
      this.recordTask(exec, meta.state, 'LambdaFunctionScheduled', {
        resource: meta.resource,
        input: jsonText(params),
        inputDetails: NOT_TRUNCATED,
        timeoutInSeconds,
      });
      this.recordTask(exec, meta.state, 'LambdaFunctionStarted');
    } else {
      this.recordTask(exec, meta.state, 'TaskScheduled', {
        resourceType: 'lambda',
        resource,
        region: this.region,
        parameters: jsonText(params),
        timeoutInSeconds,
      });
      this.recordTask(exec, meta.state, 'TaskStarted', { resourceType: 'lambda', resource });
    }
    attempt.timer = setTimeout(() => this.onAttemptTimeout(attempt), timeout * 1000);

    try {
      const result = await Promise.race([this.callFunction(exec, meta, params), cancelled]);
      if (endedBy(attempt, 'timeout')) return await NEVER;
      if (meta.kind === 'function') {
        this.endAttempt(attempt, 'done');
        this.recordTask(exec, meta.state, 'LambdaFunctionSucceeded', {
          output: jsonText(result),
          outputDetails: NOT_TRUNCATED,
        });
        return result;
      }
      const invokeResult = { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
      if (meta.kind === 'invoke') {
        this.endAttempt(attempt, 'done');
        this.recordTask(exec, meta.state, 'TaskSucceeded', {
          resourceType: 'lambda',
          resource,
          output: jsonText(invokeResult),
          outputDetails: NOT_TRUNCATED,
        });
        return invokeResult;
      }
      this.recordTask(exec, meta.state, 'TaskSubmitted', {
        resourceType: 'lambda',
        resource,
        output: jsonText(invokeResult),
        outputDetails: NOT_TRUNCATED,
      });
      const output = await Promise.race([attempt.tokenOutcome!.promise, cancelled]);
      if (endedBy(attempt, 'timeout')) return await NEVER;
      this.endAttempt(attempt, 'done');
      this.recordTask(exec, meta.state, 'TaskSucceeded', {
        resourceType: 'lambda',
        resource,
        output,
        outputDetails: NOT_TRUNCATED,
      });
      return JSON.parse(output) as unknown;
    } catch (err) {
      if (endedBy(attempt, 'cancelled')) throw err;
      if (endedBy(attempt, 'timeout')) return await NEVER;
      const failure = err instanceof TaskFailure ? err : lambdaError(err);
      this.endAttempt(attempt, 'done', 'FAILED');
      if (meta.kind === 'function') {
        this.recordTask(exec, meta.state, 'LambdaFunctionFailed', { error: failure.name, cause: failure.message });
      } else {
        this.recordTask(exec, meta.state, 'TaskFailed', {
          resourceType: 'lambda',
          resource,
          error: failure.name,
          cause: failure.message,
        });
      }
      throw failure;
    }
  }

  /** Resolve the function, run beforeTask and the handler on JSON copies, as a Lambda invocation would. */
  private async callFunction(
    exec: RunningExecution,
    meta: WrappedTaskInput['__golive'],
    params: unknown,
  ): Promise<unknown> {
    // Invoke asynchronously, as Lambda does: never inside the library's synchronous call.
    await Promise.resolve();
    const functionRef = meta.kind === 'function' ? meta.resource : isObject(params) ? params.FunctionName : undefined;
    const event = meta.kind === 'function' ? params : isObject(params) ? (params.Payload ?? {}) : {};
    const functionName = this.resolveFunction(functionRef);
    const handler = this.functions[functionName];
    try {
      if (this.beforeTask) {
        await this.beforeTask({
          executionArn: exec.arn,
          stateName: meta.state,
          functionName,
          payload: jsonCopy(event),
        });
      }
      return jsonCopy(await handler(jsonCopy(event)));
    } catch (err) {
      throw lambdaError(err);
    }
  }

  private resolveFunction(ref: unknown): string {
    if (typeof ref !== 'string' || ref.length === 0) {
      throw new TaskFailure(
        'Lambda.InvalidParameterValueException',
        `FunctionName must be a non-empty string (Service: Lambda, Status Code: 400, Request ID: ${randomUUID()})`,
      );
    }
    // Accepts a name, name:qualifier, account:function:name[:qualifier] or a full function ARN.
    const match =
      /^(?:arn:aws[\w-]*:lambda:[a-z0-9-]+:)?(?:\d{12}:function:)?([A-Za-z0-9_-]+)(?::[A-Za-z0-9_$-]+)?$/.exec(ref);
    const name = match?.[1];
    if (!name || !Object.prototype.hasOwnProperty.call(this.functions, name)) {
      const arn = ref.startsWith('arn:') ? ref : `arn:aws:lambda:${this.region}:${this.accountId}:function:${ref}`;
      throw new TaskFailure(
        'Lambda.ResourceNotFoundException',
        `Function not found: ${arn} (Service: Lambda, Status Code: 404, Request ID: ${randomUUID()})`,
      );
    }
    return name;
  }

  private onAttemptTimeout(attempt: TaskAttempt): void {
    if (attempt.end) return;
    attempt.timer = undefined;
    this.endAttempt(attempt, 'timeout', 'TIMED_OUT');
    const type = attempt.kind === 'function' ? 'LambdaFunctionTimedOut' : 'TaskTimedOut';
    const details: JsonObject =
      attempt.kind === 'function'
        ? { error: 'States.Timeout' }
        : {
            resourceType: 'lambda',
            resource: attempt.kind === 'callback' ? 'invoke.waitForTaskToken' : 'invoke',
            error: 'States.Timeout',
          };
    this.recordTask(attempt.exec, attempt.stateName, type, details);
  }

  private endAttempt(attempt: TaskAttempt, reason: EndReason, tokenStatus?: TokenStatus): void {
    if (attempt.end) return;
    attempt.end = reason;
    if (attempt.timer) clearTimeout(attempt.timer);
    attempt.timer = undefined;
    attempt.exec.attempts.delete(attempt);
    if (attempt.token && this.tokens.get(attempt.token) === attempt) {
      this.tokens.delete(attempt.token);
      if (this.store.isOpen) this.store.setTokenStatus(attempt.token, tokenStatus ?? 'CLOSED');
    }
  }

  private cancelAttempts(exec: RunningExecution, tokenStatus: TokenStatus, persist = true): void {
    for (const attempt of [...exec.attempts]) {
      if (!persist && attempt.token) this.tokens.delete(attempt.token);
      this.endAttempt(attempt, 'cancelled', tokenStatus);
      attempt.cancel(executionOverError());
    }
    exec.pendingToken = undefined;
  }

  // ------------------------------------------------------------------ internals: tokens

  private mintToken(exec: RunningExecution): string {
    const body = Buffer.from(JSON.stringify({ e: exec.arn, n: randomUUID() })).toString('base64url');
    return `${TOKEN_PREFIX}${body}`;
  }

  /** Reject anything that is not a token this runtime could have issued (AWS: InvalidToken). */
  private checkToken(value: unknown): string {
    const token = requireString(value, 'taskToken');
    if (token.length < 1 || token.length > 2048) {
      throw new SfnError(
        'ValidationException',
        `1 validation error detected: Value at 'taskToken' failed to satisfy constraint: Member must have length between 1 and 2048`,
      );
    }
    if (token.startsWith(TOKEN_PREFIX)) {
      try {
        const body = JSON.parse(
          Buffer.from(token.slice(TOKEN_PREFIX.length), 'base64url').toString('utf8'),
        ) as JsonObject;
        if (typeof body.e === 'string' && typeof body.n === 'string') return token;
      } catch {
        // fall through
      }
    }
    throw new SfnError('InvalidToken', 'Invalid Token: the task token is malformed');
  }

  private takeOpenToken(token: string, status: TokenStatus): TaskAttempt {
    const attempt = this.tokens.get(token);
    if (!attempt) this.throwClosedOrUnknown(token);
    this.tokens.delete(token);
    this.store.setTokenStatus(token, status);
    return attempt;
  }

  private throwClosedOrUnknown(token: string): never {
    if (this.store.isOpen && this.store.getToken(token)) {
      throw new SfnError('TaskTimedOut', `Task Timed Out: 'Provided task does not exist anymore'`);
    }
    throw new SfnError('TaskDoesNotExist', 'Task Does Not Exist: no task was issued with this token');
  }

  // ------------------------------------------------------------------ internals: history

  private record(exec: RunningExecution, type: string, details?: JsonObject, timestamp = Date.now()): HistoryEvent {
    const id = ++exec.lastEventId;
    const stored = {
      id,
      previousEventId: id - 1,
      // Never earlier than the event before it: buffered task events keep the time they happened.
      timestamp: Math.max(timestamp, exec.lastTimestamp),
      type,
      detailsKey: details ? detailsKeyFor(type) : null,
      details: details ? (JSON.parse(JSON.stringify(details)) as unknown) : undefined,
    };
    exec.lastTimestamp = stored.timestamp;
    this.store.appendEvent(exec.arn, stored);
    const event = toHistoryEvent(stored);
    this.safeEmit('history', exec.arn, event);
    return event;
  }

  /**
   * Record a task-level event in the right place. The library reports state events through an async
   * generator, i.e. a few microtasks late, while task events happen synchronously: an event of a state whose
   * StateEntered/StateRetried the consumer has not seen yet waits in a buffer flushed right after it.
   */
  private recordTask(exec: RunningExecution, stateName: string, type: string, details?: JsonObject): void {
    if (exec.closed) return;
    if (exec.anchored.has(stateName)) {
      this.record(exec, type, details);
      return;
    }
    const queue = exec.buffered.get(stateName) ?? [];
    queue.push({ type, details, timestamp: Date.now() });
    exec.buffered.set(stateName, queue);
  }

  private flushTaskEvents(exec: RunningExecution, stateName: string): void {
    const queue = exec.buffered.get(stateName);
    if (!queue) return;
    exec.buffered.delete(stateName);
    for (const e of queue) this.record(exec, e.type, e.details, e.timestamp);
  }

  private async consume(
    exec: RunningExecution,
    eventLogs: AsyncGenerator<LibraryEvent>,
    result: Promise<unknown>,
  ): Promise<void> {
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
    const settled = result.then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    try {
      for await (const event of eventLogs) {
        if (exec.closed) break;
        this.onLibraryEvent(exec, event);
      }
      await settled;
      if (!exec.closed) {
        // The library ended without a terminal event: settle from its result instead.
        if (outcome?.ok) this.finalize(exec, 'SUCCEEDED', { output: jsonText(outcome.value) });
        else this.finalize(exec, 'FAILED', this.errorOf(outcome?.error));
      }
    } catch (err) {
      if (!exec.closed && this.store.isOpen) {
        this.finalize(exec, 'FAILED', { error: 'States.Runtime', cause: `local runtime error: ${String(err)}` });
      }
    }
  }

  private errorOf(error: unknown): { error: string | null; cause: string | null } {
    const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
    if (inner instanceof Error) return { error: inner.name, cause: inner.message };
    return { error: 'States.Runtime', cause: String(inner) };
  }

  private onLibraryEvent(exec: RunningExecution, event: LibraryEvent): void {
    switch (event.type) {
      case 'StateEntered': {
        const { name, type, input } = event.state!;
        exec.lastFailState = type === 'Fail' ? name : undefined;
        this.record(
          exec,
          `${type}StateEntered`,
          { name, input: jsonText(input), inputDetails: NOT_TRUNCATED },
          event.timestamp,
        );
        if (type === 'Task') this.anchor(exec, name);
        break;
      }
      case 'StateRetried':
        if (event.state!.type === 'Task') this.anchor(exec, event.state!.name);
        break;
      case 'StateFailed':
        if (event.state!.type === 'Task') this.unanchor(exec, event.state!.name);
        break;
      case 'StateExited': {
        const { name, type, output } = event.state!;
        if (type === 'Task') this.unanchor(exec, name);
        this.record(
          exec,
          `${type}StateExited`,
          { name, output: jsonText(output), outputDetails: NOT_TRUNCATED },
          event.timestamp,
        );
        break;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.record(exec, event.type, { name: event.parentState?.name, index: event.index }, event.timestamp);
        break;
      case 'ExecutionSucceeded':
        this.finalize(exec, 'SUCCEEDED', { output: jsonText(event.output) });
        break;
      case 'ExecutionFailed': {
        let error: string | null = event.Error ?? null;
        let cause: string | null =
          event.Cause === undefined || event.Cause === null
            ? null
            : typeof event.Cause === 'string'
              ? event.Cause
              : JSON.stringify(event.Cause);
        const fail = exec.lastFailState ? exec.prepared.failStates.get(exec.lastFailState) : undefined;
        // A Fail state without Error/Cause ends the execution without them; the library fills in defaults.
        if (fail && !fail.hasError) error = null;
        if (fail && !fail.hasCause) cause = null;
        this.finalize(exec, 'FAILED', { error, cause });
        break;
      }
      case 'ExecutionTimeout':
        this.finalize(exec, 'TIMED_OUT', {
          error: 'States.Timeout',
          cause: 'The execution ran longer than the state machine TimeoutSeconds',
        });
        break;
      default:
        // ExecutionStarted is recorded by startExecution, ExecutionAborted by stopExecution; StateCaught and
        // the Parallel branch events have no Step Functions history counterpart.
        break;
    }
  }

  private anchor(exec: RunningExecution, stateName: string): void {
    exec.anchored.add(stateName);
    this.flushTaskEvents(exec, stateName);
  }

  private unanchor(exec: RunningExecution, stateName: string): void {
    this.flushTaskEvents(exec, stateName);
    exec.anchored.delete(stateName);
  }

  /** Record the end of an execution (event + row in one transaction), close its tasks, notify. */
  private finalize(
    exec: RunningExecution,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    end: { output?: string; error?: string | null; cause?: string | null },
  ): number {
    if (exec.closed) return Date.now();
    exec.closed = true;
    const stopDate = Date.now();
    const output = end.output ?? null;
    const error = end.error ?? null;
    const cause = end.cause ?? null;
    const type = {
      SUCCEEDED: 'ExecutionSucceeded',
      FAILED: 'ExecutionFailed',
      TIMED_OUT: 'ExecutionTimedOut',
      ABORTED: 'ExecutionAborted',
    }[status];
    const details: JsonObject =
      status === 'SUCCEEDED'
        ? { output, outputDetails: NOT_TRUNCATED }
        : { error: error ?? undefined, cause: cause ?? undefined };
    let event: HistoryEvent | undefined;
    this.cancelAttempts(exec, 'CLOSED');
    this.store.transaction(() => {
      const id = ++exec.lastEventId;
      const stored = {
        id,
        previousEventId: id - 1,
        timestamp: stopDate,
        type,
        detailsKey: detailsKeyFor(type),
        details: JSON.parse(JSON.stringify(details)) as unknown,
      };
      this.store.appendEvent(exec.arn, stored);
      this.store.finishExecution(exec.arn, { status, output, error, cause, stopDate });
      this.store.closeOpenTokens(exec.arn);
      event = toHistoryEvent(stored);
    });
    this.running.delete(exec.arn);
    this.safeEmit('history', exec.arn, event!);
    this.emitStatus(this.store.getExecution(exec.arn)!);
    exec.markDone();
    return stopDate;
  }

  /** Close an execution that has no live run in this process (restart recovery, or another process's). */
  private finishDetached(
    row: ExecutionRow,
    status: 'ABORTED',
    error: string | null,
    cause: string | null,
  ): HistoryEvent {
    const stopDate = Date.now();
    let event: HistoryEvent | undefined;
    this.store.transaction(() => {
      const id = this.store.lastEventId(row.arn) + 1;
      const stored = {
        id,
        previousEventId: id - 1,
        timestamp: stopDate,
        type: 'ExecutionAborted',
        detailsKey: detailsKeyFor('ExecutionAborted'),
        details: JSON.parse(JSON.stringify({ error: error ?? undefined, cause: cause ?? undefined })) as unknown,
      };
      this.store.appendEvent(row.arn, stored);
      this.store.finishExecution(row.arn, { status, output: null, error, cause, stopDate });
      this.store.closeOpenTokens(row.arn);
      event = toHistoryEvent(stored);
    });
    return event!;
  }

  private recoverInterruptedExecutions(): string[] {
    const interrupted = this.store.runningExecutions();
    const events = interrupted.map((row) => ({
      arn: row.arn,
      event: this.finishDetached(row, 'ABORTED', RESTART_ABORT_ERROR, RESTART_ABORT_CAUSE),
    }));
    this.store.closeOpenTokens();
    if (events.length > 0) {
      // Deferred so that listeners attached right after construction hear about them.
      this.recoveryNotice = setImmediate(() => {
        this.recoveryNotice = undefined;
        for (const { arn, event } of events) {
          this.safeEmit('history', arn, event);
          const row = this.store.isOpen ? this.store.getExecution(arn) : undefined;
          if (row) this.emitStatus(row);
        }
      });
    }
    return interrupted.map((r) => r.arn);
  }

  private emitStatus(row: ExecutionRow): void {
    this.safeEmit('executionStatusChange', {
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
    });
  }

  /** A throwing listener must not break the run that emitted the event. */
  private safeEmit<K extends keyof LocalEngineEvents>(event: K, ...args: LocalEngineEvents[K]): void {
    try {
      (this.emit as (e: K, ...a: LocalEngineEvents[K]) => boolean)(event, ...args);
    } catch (err) {
      process.emitWarning(`golive local engine: a '${String(event)}' listener threw: ${String(err)}`);
    }
  }

  // ------------------------------------------------------------------ internals: lookups

  private assertOpen(): void {
    if (this.closed) throw new Error('The local engine is closed');
  }

  private loadMachine(row: StateMachineRow): PreparedDefinition {
    let prepared = this.machines.get(row.arn);
    if (!prepared) {
      prepared = prepareSubstituted(row.definition);
      this.machines.set(row.arn, prepared);
    }
    return prepared;
  }

  private parseArn(value: unknown, field: string, kind: 'stateMachine' | 'execution'): string[] {
    const arn = requireString(value, field);
    const match = /^arn:aws:states:([a-z0-9-]+):(\d{12}):(stateMachine|execution|express):(.+)$/.exec(arn);
    if (!match) throw new SfnError('InvalidArn', `Invalid Arn: '${arn}'`);
    const [, region, account, type, resource] = match;
    const typeOk = kind === 'stateMachine' ? type === 'stateMachine' : type === 'execution' || type === 'express';
    if (!typeOk) throw new SfnError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${type}'`);
    const parts = resource.split(':');
    if (parts.length !== (kind === 'stateMachine' ? 1 : 2) || parts.some((p) => p.length === 0)) {
      throw new SfnError('InvalidArn', `Invalid Arn: '${arn}'`);
    }
    return [region, account, arn];
  }

  private getStateMachineRow(value: unknown): StateMachineRow {
    const [region, account, arn] = this.parseArn(value, 'stateMachineArn', 'stateMachine');
    const row = region === this.region && account === this.accountId ? this.store.getStateMachine(arn) : undefined;
    if (!row) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return row;
  }

  private getExecutionRow(value: unknown): ExecutionRow {
    const [region, account, arn] = this.parseArn(value, 'executionArn', 'execution');
    const row = region === this.region && account === this.accountId ? this.store.getExecution(arn) : undefined;
    if (!row) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return row;
  }
}

/** The subset of aws-local-stepfunctions' EventLog fields the engine reads. */
interface LibraryEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}
