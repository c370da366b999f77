import { GoLiveError, ProviderUnavailable } from '../../core/errors';
import { eachPage } from '../pages';

/** The role of the function lacks a permission: a deployment problem, never retried. */
export class ProviderAccessDenied extends GoLiveError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ProviderAccessDenied', message, options);
  }
}

/** A resource named in golive.config.yaml (alarm, listener, table, ...) does not exist. */
export class ProviderResourceMissing extends GoLiveError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('ProviderResourceMissing', message, options);
  }
}

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'SlowDown',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerError',
  'InternalServiceError',
  'InternalServerException',
  'InternalErrorException',
  'TimeoutError',
]);
const ACCESS_DENIED = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'UnauthorizedOperation',
  'UnrecognizedClientException',
  'NotAuthorized',
]);

/** The AWS SDK error's name and HTTP status, whatever the client. */
function describe(err: unknown): { name: string; status?: number; message: string } {
  const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
  return {
    name: e?.name ?? 'Error',
    ...(e?.$metadata?.httpStatusCode ? { status: e.$metadata.httpStatusCode } : {}),
    message: e?.message ?? String(err),
  };
}

/** Names of "does not exist" faults across the services golive calls. */
function isMissing(name: string): boolean {
  return /NotFound|DoesNotExist|NoSuch/.test(name) || name === 'ResourceNotFoundException';
}

/**
 * Maps an AWS SDK fault, after the SDK's own retries, to what the workflow acts on: throttling and
 * 5xx → ProviderUnavailable (the ASL retries it with backoff); AccessDenied → ProviderAccessDenied;
 * a missing resource → ProviderResourceMissing. Anything else is re-thrown unchanged.
 */
export function classifyAwsError(err: unknown, what: string): unknown {
  if (err instanceof GoLiveError) return err;
  const { name, status, message } = describe(err);
  if (THROTTLING.has(name) || (status !== undefined && status >= 500)) {
    return new ProviderUnavailable(`${what}: ${name} (${message}); retried`, { cause: err });
  }
  if (ACCESS_DENIED.has(name) || status === 403) {
    return new ProviderAccessDenied(
      `${what}: access denied (${message}). The function's IAM role lacks this permission: redeploy the stack with this resource in golive.config.yaml`,
      { cause: err },
    );
  }
  if (isMissing(name)) {
    return new ProviderResourceMissing(`${what}: ${name} (${message}): check golive.config.yaml`, { cause: err });
  }
  return err;
}

/** Runs one AWS call, classifying its failure (see classifyAwsError). */
export async function awsCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw classifyAwsError(err, what);
  }
}

/** Every page of an SDK paginator, a failed request classified like awsCall's. */
export const awsPages = <T>(what: string, pages: AsyncIterable<T>): AsyncGenerator<T, void, undefined> =>
  eachPage(pages, (request) => awsCall(what, request));

/** The same SDK client settings everywhere: adaptive retries absorb short throttling bursts. */
export const CLIENT_CONFIG = { maxAttempts: 4, retryMode: 'adaptive' } as const;
