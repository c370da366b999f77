import { randomUUID } from 'node:crypto';
import { errorAndCause, MAX_PAYLOAD_BYTES, requireString } from './api-input';
import { SfnError } from './errors';
import { deferred, type JsonObject, type RunningExecution, type TaskAttempt } from './running-execution';
import type { EngineStore, TokenStatus } from './store';
import { TaskFailure } from './task-errors';

const TOKEN_PREFIX = 'GoLiveTT1.';

/**
 * Task tokens of callback tasks: minted per attempt, OPEN in the store while the attempt waits, and
 * answered through SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat.
 */
export class TaskTokens {
  /** Tokens an attempt in this process is waiting on. */
  private readonly open = new Map<string, TaskAttempt>();

  constructor(private readonly store: EngineStore) {}

  mint(exec: RunningExecution): string {
    const body = Buffer.from(JSON.stringify({ e: exec.arn, n: randomUUID() })).toString('base64url');
    return `${TOKEN_PREFIX}${body}`;
  }

  /** Make `token` the one a callback attempt waits on. */
  bind(attempt: TaskAttempt, token: string): void {
    attempt.token = token;
    attempt.tokenOutcome = deferred<string>();
    this.store.insertToken({ token, executionArn: attempt.exec.arn, stateName: attempt.stateName, status: 'OPEN' });
    this.open.set(token, attempt);
  }

  /** The attempt has ended: its token, if still open, closes with `status`. */
  release(attempt: TaskAttempt, status: TokenStatus): void {
    if (attempt.token && this.open.get(attempt.token) === attempt) {
      this.open.delete(attempt.token);
      if (this.store.isOpen) this.store.setTokenStatus(attempt.token, status);
    }
  }

  /** Drop a token from memory only, leaving the store as it is (the engine is closing). */
  forget(token: string): void {
    this.open.delete(token);
  }

  sendTaskSuccess(input: { taskToken: string; output: string }): Record<string, never> {
    const token = this.check(input?.taskToken);
    const output = requireString(input.output, 'output');
    if (Buffer.byteLength(output) > MAX_PAYLOAD_BYTES) {
      throw new SfnError('ValidationException', `Value at 'output' is larger than ${MAX_PAYLOAD_BYTES} bytes`);
    }
    try {
      JSON.parse(output);
    } catch (err) {
      throw new SfnError('InvalidOutput', `Invalid Output: '${(err as Error).message}'`);
    }
    const attempt = this.take(token, 'SUCCEEDED');
    attempt.tokenOutcome!.resolve(output);
    return {};
  }

  sendTaskFailure(input: { taskToken: string; error?: string; cause?: string }): Record<string, never> {
    const token = this.check(input?.taskToken);
    const { error, cause } = errorAndCause(input);
    const attempt = this.take(token, 'FAILED');
    attempt.tokenOutcome!.reject(new TaskFailure(error ?? 'States.TaskFailed', cause ?? ''));
    return {};
  }

  sendTaskHeartbeat(input: { taskToken: string }): Record<string, never> {
    const token = this.check(input?.taskToken);
    if (!this.open.has(token)) this.throwClosedOrUnknown(token);
    return {};
  }

  /** Reject anything that is not a token this runtime could have issued (AWS: InvalidToken). */
  private check(value: unknown): string {
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

  private take(token: string, status: TokenStatus): TaskAttempt {
    const attempt = this.open.get(token);
    if (!attempt) this.throwClosedOrUnknown(token);
    this.open.delete(token);
    this.store.setTokenStatus(token, status);
    return attempt;
  }

  private throwClosedOrUnknown(token: string): never {
    if (this.store.isOpen && this.store.getToken(token)) {
      throw new SfnError('TaskTimedOut', `Task Timed Out: 'Provided task does not exist anymore'`);
    }
    throw new SfnError('TaskDoesNotExist', 'Task Does Not Exist: no task was issued with this token');
  }
}
