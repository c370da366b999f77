import type {
  Aborted,
  Controlled,
  GoLiveDetail,
  GoLivePage,
  Retried,
  ReviewLine,
  Started,
  Voted,
} from '../../lambdas/core/client';
import { isClientErrorCode } from '../../lambdas/core/client/errors';
import { CONTROL_AS_HEADER, DEFAULT_CONTROL_PORT, readControlRecord } from '../../local/control-server';
import { homeDir, type GlobalOptions } from './context';
import { CliError, EXIT, EXIT_FOR_CODE, isNetworkError, usageError } from './errors';
import { regionOfApiUrl, sigV4Signer, type RequestSigner } from './sigv4';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * Where the control API is: `--api`, else GOLIVE_API, else the URL a running local runtime
 * recorded in the state directory (`golive local up`, the demo), else http://127.0.0.1:8084.
 */
export function apiUrl(opts: GlobalOptions & { api?: string }): string {
  return (
    opts.api ??
    process.env.GOLIVE_API ??
    readControlRecord(homeDir(opts))?.url ??
    `http://127.0.0.1:${DEFAULT_CONTROL_PORT}`
  );
}

export interface ApiTarget {
  /** The API's base URL, ending in `/`. */
  base: URL;
  /** On 127.0.0.1: the local runtime, where `--as` names the actor (unverified). */
  local: boolean;
}

export function apiTarget(raw: string): ApiTarget {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw usageError(`--api "${raw}" is not a URL: e.g. http://127.0.0.1:8084 or the stack's ControlApiUrl output`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw usageError(`--api "${raw}" must be an http(s) URL`);
  }
  const local = LOOPBACK.has(url.hostname);
  if (!local && url.protocol !== 'https:') {
    throw usageError(`--api ${raw}: only the local runtime (127.0.0.1) is spoken to over plain http; use https`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return { base: url, local };
}

/**
 * The CLI's side of the control API (lambdas/control): every action is performed by the API, as
 * the caller it identifies. Locally that is the `--as` user (header x-golive-as, recorded as
 * unverified); on AWS the request is signed with the caller's AWS credentials (SigV4) and the API
 * maps that IAM principal to a golive user: `--as` is refused there.
 */
export class ControlApi {
  constructor(
    readonly target: ApiTarget,
    private readonly options: { as?: string; sign?: RequestSigner; fetch?: typeof fetch } = {},
  ) {}

  /** The API of `opts`, acting as `as` (local only). */
  static of(opts: GlobalOptions & { api?: string }, as?: string): ControlApi {
    const target = apiTarget(apiUrl(opts));
    if (target.local) return new ControlApi(target, { ...(as ? { as } : {}) });
    if (as) {
      throw usageError(
        `--as is for the local runtime only: on AWS you act as your IAM identity (the control API at ${target.base.origin} maps it to a golive user through identities in golive.config.yaml)`,
      );
    }
    const region = regionOfApiUrl(target.base) ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
    if (!region) {
      throw usageError(`cannot tell the AWS region of ${target.base.origin}: set AWS_REGION`);
    }
    return new ControlApi(target, { sign: sigV4Signer(region) });
  }

  get url(): string {
    return this.target.base.toString().replace(/\/$/, '');
  }

  start(body: {
    service: string;
    version: string;
    strategy?: string;
    notes?: string;
    commitAt?: string;
    breakGlass?: { reason: string };
  }): Promise<Started> {
    return this.request('POST', ['go-lives'], body);
  }

  control(ref: string, action: 'pause' | 'resume' | 'promote', reason?: string): Promise<Controlled> {
    return this.request('POST', ['go-lives', ref, action], reason ? { reason } : {});
  }

  retry(ref: string, reason?: string): Promise<Retried> {
    return this.request('POST', ['go-lives', ref, 'retry'], reason ? { reason } : {});
  }

  rollback(service: string, reason?: string): Promise<Started> {
    return this.request('POST', ['services', service, 'rollback'], reason ? { reason } : {});
  }

  breakGlassVote(ref: string, body: { decision: 'approve' | 'reject'; reason?: string }): Promise<Voted> {
    return this.request('POST', ['go-lives', ref, 'break-glass'], body);
  }

  reviews(status: 'open' | 'closed' | 'all'): Promise<{ reviews: ReviewLine[] }> {
    return this.request('GET', ['reviews'], undefined, new URLSearchParams({ status }));
  }

  closeReview(ref: string, note: string): Promise<ReviewLine> {
    return this.request('POST', ['go-lives', ref, 'review'], { note });
  }

  list(query: { service?: string; status?: string; limit?: number; nextToken?: string } = {}): Promise<GoLivePage> {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value !== undefined) params.set(key, String(value));
    return this.request('GET', ['go-lives'], undefined, params);
  }

  describe(ref: string): Promise<GoLiveDetail> {
    return this.request('GET', ['go-lives', ref]);
  }

  vote(
    ref: string,
    body: {
      decision: 'approve' | 'reject';
      reason?: string;
      attest?: string[];
      waive?: { item: string; reason: string }[];
    },
  ): Promise<Voted> {
    return this.request('POST', ['go-lives', ref, 'votes'], body);
  }

  answerChecklist(
    ref: string,
    body: { attest?: string[]; waive?: { item: string; reason: string }[] },
  ): Promise<Voted> {
    return this.request('POST', ['go-lives', ref, 'checklist'], body);
  }

  abort(ref: string, reason?: string): Promise<Aborted> {
    return this.request('POST', ['go-lives', ref, 'abort'], reason ? { reason } : {});
  }

  private async request<T>(method: string, segments: string[], body?: unknown, query?: URLSearchParams): Promise<T> {
    const url = new URL(segments.map(encodeURIComponent).join('/'), this.target.base);
    if (query) url.search = query.toString();
    const payload = body === undefined ? undefined : JSON.stringify(body);
    let headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    if (this.options.as) headers[CONTROL_AS_HEADER] = this.options.as;
    if (this.options.sign) headers = await this.options.sign({ method, url, headers, body: payload });
    let res: Response;
    try {
      res = await (this.options.fetch ?? fetch)(url, {
        method,
        headers,
        ...(payload === undefined ? {} : { body: payload }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      if (!isNetworkError(err)) throw err;
      throw new CliError(
        this.target.local
          ? `cannot reach the control API at ${this.url}: is the local runtime running? Start it with \`golive local up\` (or point --api / GOLIVE_API at a running one).`
          : `cannot reach the control API at ${this.url}: check --api / GOLIVE_API (the GoLive stack's ControlApiUrl output) and your network.`,
        EXIT.unreachable,
      );
    }
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    if (res.ok) {
      if (parsed === undefined) {
        throw new CliError(`the control API at ${this.url} answered ${res.status} without JSON`, EXIT.failed);
      }
      return parsed as T;
    }
    throw refusal(res.status, parsed, text);
  }
}

/** A refusal of the API as the CLI ends with it: GoLiveClient's code when there is one, else by HTTP status. */
function refusal(status: number, parsed: unknown, text: string): CliError {
  const fields = (parsed ?? {}) as { code?: unknown; message?: unknown; Message?: unknown };
  const message =
    typeof fields.message === 'string'
      ? fields.message
      : typeof fields.Message === 'string'
        ? fields.Message
        : text.trim().slice(0, 500) || `HTTP ${status}`;
  if (isClientErrorCode(fields.code)) return new CliError(message, EXIT_FOR_CODE[fields.code]);
  if (status === 401 || status === 403) {
    // API Gateway's own refusal: the request was not signed, or this principal may not invoke the API.
    return new CliError(`the control API refused the request (${status}): ${message}`, EXIT.unauthorized);
  }
  if (status === 429 || status === 502 || status === 503 || status === 504) {
    return new CliError(`the control API is unavailable (${status}): ${message}; try again`, EXIT.unreachable);
  }
  if (status >= 400 && status < 500 && status !== 409) return new CliError(message, EXIT.usage);
  if (status === 409) return new CliError(message, EXIT.failed);
  return new CliError(`the control API failed (${status}): ${message}`, EXIT.failed);
}
