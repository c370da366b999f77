import type { WrappedTaskInput } from './definition';
import { jsonText, NOT_TRUNCATED } from './history';
import type { HistoryRecorder } from './history-recorder';
import type { LambdaInvoker } from './lambda-invoke';
import type { EndReason, JsonObject, RunningExecution, TaskAttempt } from './running-execution';
import type { TokenStatus } from './store';
import { executionOverError, lambdaError, TaskFailure } from './task-errors';
import type { TaskTokens } from './task-tokens';

/** Awaited by a task attempt whose outcome no longer matters (the library has already moved on). */
const NEVER = new Promise<never>(() => undefined);

/** Read through a call so TypeScript does not keep a narrowing across awaits (timers change it). */
function endedBy(attempt: TaskAttempt, reason: EndReason): boolean {
  return attempt.end === reason;
}

/**
 * Runs Task states for the library as the `lambda:invoke` integrations would: history events, the
 * `{ Payload, StatusCode }` result, the callback wait, and the state's timeout.
 */
export class TaskAttempts {
  constructor(
    private readonly region: string,
    private readonly lambda: LambdaInvoker,
    private readonly tokens: TaskTokens,
    private readonly recorder: HistoryRecorder,
  ) {}

  /** The handler the library calls for every Task state of `exec`. */
  invoke(exec: RunningExecution, raw: unknown): Promise<unknown> {
    const promise = this.run(exec, raw as WrappedTaskInput);
    // The library may drop this promise (e.g. when it rejects the state before racing it): never unhandled.
    promise.catch(() => undefined);
    return promise;
  }

  /** End every attempt of `exec` (the execution is over); `persist: false` leaves their tokens' rows as they are. */
  cancelAll(exec: RunningExecution, tokenStatus: TokenStatus, persist = true): void {
    for (const attempt of [...exec.attempts]) {
      if (!persist && attempt.token) this.tokens.forget(attempt.token);
      this.end(attempt, 'cancelled', tokenStatus);
      attempt.cancel(executionOverError());
    }
    exec.pendingToken = undefined;
  }

  /**
   * One attempt of a Task state. The synchronous part (token binding, TaskScheduled, the timeout timer)
   * runs inside the library's call, before it arms its own timeout timer for the same duration: ours
   * therefore fires first and closes the attempt just before the library raises States.Timeout.
   */
  private async run(exec: RunningExecution, input: WrappedTaskInput): Promise<unknown> {
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
      this.tokens.bind(attempt, pending && jsonText(params).includes(pending) ? pending : this.tokens.mint(exec));
    }

    const resource = meta.kind === 'callback' ? 'invoke.waitForTaskToken' : 'invoke';
    const timeoutInSeconds = meta.defaultTimeout ? undefined : timeout;
    if (meta.kind === 'function') {
      this.recorder.recordTask(exec, meta.state, 'LambdaFunctionScheduled', {
        resource: meta.resource,
        input: jsonText(params),
        inputDetails: NOT_TRUNCATED,
        timeoutInSeconds,
      });
      this.recorder.recordTask(exec, meta.state, 'LambdaFunctionStarted');
    } else {
      this.recorder.recordTask(exec, meta.state, 'TaskScheduled', {
        resourceType: 'lambda',
        resource,
        region: this.region,
        parameters: jsonText(params),
        timeoutInSeconds,
      });
      this.recorder.recordTask(exec, meta.state, 'TaskStarted', { resourceType: 'lambda', resource });
    }
    attempt.timer = setTimeout(() => this.onTimeout(attempt), timeout * 1000);

    try {
      const result = await Promise.race([this.lambda.call(exec.arn, meta, params), cancelled]);
      if (endedBy(attempt, 'timeout')) return await NEVER;
      if (meta.kind === 'function') {
        this.end(attempt, 'done');
        this.recorder.recordTask(exec, meta.state, 'LambdaFunctionSucceeded', {
          output: jsonText(result),
          outputDetails: NOT_TRUNCATED,
        });
        return result;
      }
      const invokeResult = { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
      if (meta.kind === 'invoke') {
        this.end(attempt, 'done');
        this.recorder.recordTask(exec, meta.state, 'TaskSucceeded', {
          resourceType: 'lambda',
          resource,
          output: jsonText(invokeResult),
          outputDetails: NOT_TRUNCATED,
        });
        return invokeResult;
      }
      this.recorder.recordTask(exec, meta.state, 'TaskSubmitted', {
        resourceType: 'lambda',
        resource,
        output: jsonText(invokeResult),
        outputDetails: NOT_TRUNCATED,
      });
      const output = await Promise.race([attempt.tokenOutcome!.promise, cancelled]);
      if (endedBy(attempt, 'timeout')) return await NEVER;
      this.end(attempt, 'done');
      this.recorder.recordTask(exec, meta.state, 'TaskSucceeded', {
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
      this.end(attempt, 'done', 'FAILED');
      if (meta.kind === 'function') {
        this.recorder.recordTask(exec, meta.state, 'LambdaFunctionFailed', {
          error: failure.name,
          cause: failure.message,
        });
      } else {
        this.recorder.recordTask(exec, meta.state, 'TaskFailed', {
          resourceType: 'lambda',
          resource,
          error: failure.name,
          cause: failure.message,
        });
      }
      throw failure;
    }
  }

  private onTimeout(attempt: TaskAttempt): void {
    if (attempt.end) return;
    attempt.timer = undefined;
    this.end(attempt, 'timeout', 'TIMED_OUT');
    const type = attempt.kind === 'function' ? 'LambdaFunctionTimedOut' : 'TaskTimedOut';
    const details: JsonObject =
      attempt.kind === 'function'
        ? { error: 'States.Timeout' }
        : {
            resourceType: 'lambda',
            resource: attempt.kind === 'callback' ? 'invoke.waitForTaskToken' : 'invoke',
            error: 'States.Timeout',
          };
    this.recorder.recordTask(attempt.exec, attempt.stateName, type, details);
  }

  private end(attempt: TaskAttempt, reason: EndReason, tokenStatus?: TokenStatus): void {
    if (attempt.end) return;
    attempt.end = reason;
    if (attempt.timer) clearTimeout(attempt.timer);
    attempt.timer = undefined;
    attempt.exec.attempts.delete(attempt);
    this.tokens.release(attempt, tokenStatus ?? 'CLOSED');
  }
}
