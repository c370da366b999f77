import { SfnError } from './errors';
import type { EngineStore, ExecutionRow, StateMachineRow } from './store';

/** Step Functions' limit on execution input and task output. */
export const MAX_PAYLOAD_BYTES = 262144;

/** Where ARNs given to the API must point: this engine's region and account, rows in its store. */
export interface ApiScope {
  readonly region: string;
  readonly accountId: string;
  readonly store: EngineStore;
}

export function requireString(value: unknown, field: string): string {
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
export function errorAndCause(input: { error?: string; cause?: string }): { error?: string; cause?: string } {
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

export function pageSize(maxResults: unknown): number {
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
export function validateName(name: unknown, what: string): string {
  const value = requireString(name, 'name');
  // eslint-disable-next-line no-control-regex
  const forbidden = /[\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]/;
  if (value.length < 1 || value.length > 80 || forbidden.test(value)) {
    throw new SfnError('InvalidName', `Invalid Name: '${value}' is not a valid ${what} name`);
  }
  return value;
}

/** Paging tokens carry a cursor and the request they belong to, so a token from another query is refused. */
export function encodePageToken(cursor: number | string, key: string): string {
  return Buffer.from(JSON.stringify({ c: cursor, k: key })).toString('base64url');
}

export function decodePageToken<T extends number | string>(
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

function parseArn(value: unknown, field: string, kind: 'stateMachine' | 'execution'): string[] {
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

export function getStateMachineRow(scope: ApiScope, value: unknown): StateMachineRow {
  const [region, account, arn] = parseArn(value, 'stateMachineArn', 'stateMachine');
  const row = region === scope.region && account === scope.accountId ? scope.store.getStateMachine(arn) : undefined;
  if (!row) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  return row;
}

export function getExecutionRow(scope: ApiScope, value: unknown): ExecutionRow {
  const [region, account, arn] = parseArn(value, 'executionArn', 'execution');
  const row = region === scope.region && account === scope.accountId ? scope.store.getExecution(arn) : undefined;
  if (!row) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return row;
}
