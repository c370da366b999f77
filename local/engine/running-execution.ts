import type { PreparedDefinition, WrappedTaskInput } from './definition';

export type JsonObject = Record<string, unknown>;
export type EndReason = 'done' | 'timeout' | 'cancelled';

/** One attempt of a Task state (a retry is a new attempt, with a new token for callbacks). */
export interface TaskAttempt {
  exec: RunningExecution;
  stateName: string;
  kind: WrappedTaskInput['__golive']['kind'];
  token?: string;
  end?: EndReason;
  timer?: NodeJS.Timeout;
  cancel: (err: Error) => void;
  tokenOutcome?: { resolve: (output: string) => void; reject: (err: Error) => void; promise: Promise<string> };
}

export interface PendingTaskEvent {
  type: string;
  details?: JsonObject;
  timestamp: number;
}

/** An execution this process is running: the library's run plus what the engine tracks beside it. */
export interface RunningExecution {
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

export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: Error) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

/** A fresh execution, not yet running: no events, no attempts, `done` resolved by `markDone`. */
export function newRunningExecution(
  start: Pick<RunningExecution, 'arn' | 'name' | 'stateMachineArn' | 'input' | 'startDate' | 'prepared'>,
): RunningExecution {
  const done = deferred<void>();
  return {
    ...start,
    lastEventId: 0,
    lastTimestamp: 0,
    closed: false,
    attempts: new Set(),
    buffered: new Map(),
    anchored: new Set(),
    abortRun: () => undefined,
    done: done.promise,
    markDone: () => done.resolve(),
    consumed: Promise.resolve(),
  };
}
