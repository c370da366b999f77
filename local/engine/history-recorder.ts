import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { detailsKeyFor, NOT_TRUNCATED, toHistoryEvent } from './history';
import type { JsonObject, RunningExecution } from './running-execution';
import type { EngineStore, ExecutionRow, ExecutionStatus, StoredEvent } from './store';

/** Where recorded events and status changes are announced (the engine's listeners). */
export interface EngineNotifier {
  history(executionArn: string, event: HistoryEvent): void;
  status(row: ExecutionRow): void;
}

export type EndStatus = Exclude<ExecutionStatus, 'RUNNING'>;

export interface ExecutionEnd {
  output?: string;
  error?: string | null;
  cause?: string | null;
}

const END_EVENT_TYPE: Record<EndStatus, string> = {
  SUCCEEDED: 'ExecutionSucceeded',
  FAILED: 'ExecutionFailed',
  TIMED_OUT: 'ExecutionTimedOut',
  ABORTED: 'ExecutionAborted',
};

function storedEvent(id: number, timestamp: number, type: string, details?: JsonObject): StoredEvent {
  return {
    id,
    previousEventId: id - 1,
    timestamp,
    type,
    detailsKey: details ? detailsKeyFor(type) : null,
    details: details ? (JSON.parse(JSON.stringify(details)) as unknown) : undefined,
  };
}

/** Appends Step Functions history events to the store, in order, and announces them. */
export class HistoryRecorder {
  constructor(
    private readonly store: EngineStore,
    private readonly notify: EngineNotifier,
  ) {}

  record(exec: RunningExecution, type: string, details?: JsonObject, timestamp = Date.now()): HistoryEvent {
    // Never earlier than the event before it: buffered task events keep the time they happened.
    const stored = storedEvent(++exec.lastEventId, Math.max(timestamp, exec.lastTimestamp), type, details);
    exec.lastTimestamp = stored.timestamp;
    this.store.appendEvent(exec.arn, stored);
    const event = toHistoryEvent(stored);
    this.notify.history(exec.arn, event);
    return event;
  }

  /**
   * Record a task-level event in the right place. The library reports state events through an async
   * generator, i.e. a few microtasks late, while task events happen synchronously: an event of a state whose
   * StateEntered/StateRetried the consumer has not seen yet waits in a buffer flushed right after it.
   */
  recordTask(exec: RunningExecution, stateName: string, type: string, details?: JsonObject): void {
    if (exec.closed) return;
    if (exec.anchored.has(stateName)) {
      this.record(exec, type, details);
      return;
    }
    const queue = exec.buffered.get(stateName) ?? [];
    queue.push({ type, details, timestamp: Date.now() });
    exec.buffered.set(stateName, queue);
  }

  /** The state's StateEntered/StateRetried is recorded: its task events go straight to history from now on. */
  anchor(exec: RunningExecution, stateName: string): void {
    exec.anchored.add(stateName);
    this.flushTaskEvents(exec, stateName);
  }

  unanchor(exec: RunningExecution, stateName: string): void {
    this.flushTaskEvents(exec, stateName);
    exec.anchored.delete(stateName);
  }

  private flushTaskEvents(exec: RunningExecution, stateName: string): void {
    const queue = exec.buffered.get(stateName);
    if (!queue) return;
    exec.buffered.delete(stateName);
    for (const e of queue) this.record(exec, e.type, e.details, e.timestamp);
  }

  /**
   * Record the end of an execution: its last event, its final row and the closing of its open tokens, in
   * one transaction. Announcing it is left to the caller, which has more to settle first.
   */
  recordEnd(
    executionArn: string,
    nextEventId: () => number,
    status: EndStatus,
    end: ExecutionEnd,
    stopDate: number,
  ): HistoryEvent {
    const output = end.output ?? null;
    const error = end.error ?? null;
    const cause = end.cause ?? null;
    const details: JsonObject =
      status === 'SUCCEEDED'
        ? { output, outputDetails: NOT_TRUNCATED }
        : { error: error ?? undefined, cause: cause ?? undefined };
    let event: HistoryEvent | undefined;
    this.store.transaction(() => {
      const stored = storedEvent(nextEventId(), stopDate, END_EVENT_TYPE[status], details);
      this.store.appendEvent(executionArn, stored);
      this.store.finishExecution(executionArn, { status, output, error, cause, stopDate });
      this.store.closeOpenTokens(executionArn);
      event = toHistoryEvent(stored);
    });
    return event!;
  }

  /** Abort an execution that has no live run in this process (restart recovery, or another process's). */
  abortDetached(row: ExecutionRow, error: string | null, cause: string | null): HistoryEvent {
    return this.recordEnd(row.arn, () => this.store.lastEventId(row.arn) + 1, 'ABORTED', { error, cause }, Date.now());
  }
}
