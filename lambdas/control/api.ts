import { GoLiveClientError, type Actor, type GoLiveClient, type GoLiveClientErrorCode } from '../core/client';
import { errorMessage } from '../core/errors';

/** The API Gateway REST (v1) proxy event, as much of it as the control API reads. */
export interface ControlEvent {
  httpMethod: string;
  path: string;
  pathParameters?: Record<string, string | undefined> | null;
  queryStringParameters?: Record<string, string | undefined> | null;
  headers?: Record<string, string | undefined> | null;
  body?: string | null;
  isBase64Encoded?: boolean;
  requestContext?: {
    requestId?: string;
    /** With IAM authorization, API Gateway puts the verified caller here (SigV4): the only identity trusted. */
    identity?: { userArn?: string | null; caller?: string | null; accountId?: string | null };
  };
}

export interface ControlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Who is calling. On AWS: the IAM principal API Gateway verified, mapped to a golive user; locally:
 * the `--as` the CLI sent, unverified. Throws GoLiveClientError('Unauthorized') for a caller that
 * may not use the API at all; undefined = nobody named (reads only).
 */
export type Identify = (event: ControlEvent) => Actor | undefined;

export interface ControlHandlerOptions {
  client: GoLiveClient | (() => Promise<GoLiveClient>);
  identify: Identify;
  /** Where requests that failed unexpectedly are told (Powertools Logger on AWS, the runtime's log locally). */
  logError?: (message: string, details: Record<string, unknown>) => void;
}

/** The routes, for the CDK construct (one API Gateway resource each) and the help. */
export const CONTROL_ROUTES = [
  { method: 'POST', path: '/go-lives', what: 'start a go-live (release managers)' },
  { method: 'GET', path: '/go-lives', what: 'list go-lives, newest first (?service=&status=&limit=&nextToken=)' },
  { method: 'GET', path: '/go-lives/{name}', what: 'one go-live: status, current step, sign-off' },
  { method: 'POST', path: '/go-lives/{name}/votes', what: 'approve or reject its sign-off (approvers)' },
  { method: 'POST', path: '/go-lives/{name}/abort', what: 'abort it: it rolls back (release managers)' },
  {
    method: 'POST',
    path: '/go-lives/{name}/checklist',
    what: 'attest or waive checklist items during its sign-off (whoever the checklist names)',
  },
  { method: 'POST', path: '/go-lives/{name}/pause', what: 'hold it at the next step boundary (release managers)' },
  { method: 'POST', path: '/go-lives/{name}/resume', what: 'let a paused go-live go on (release managers)' },
  {
    method: 'POST',
    path: '/go-lives/{name}/promote',
    what: 'skip the remaining canary steps, straight to the sign-off (release managers)',
  },
  {
    method: 'POST',
    path: '/go-lives/{name}/retry',
    what: 'redrive a failed go-live from its failed phase (release managers)',
  },
  {
    method: 'POST',
    path: '/go-lives/{name}/break-glass',
    what: 'approve or reject a break-glass go-live (emergency role)',
  },
  { method: 'POST', path: '/go-lives/{name}/review', what: 'close the review of a break-glass go-live with a note' },
  { method: 'GET', path: '/reviews', what: 'reviews of break-glass go-lives (?status=open|closed|all)' },
  {
    method: 'POST',
    path: '/services/{name}/rollback',
    what: 'undo: take the previously live version back, through the fast path (release managers)',
  },
] as const;

export const STATUS_FOR: Record<GoLiveClientErrorCode, number> = {
  InvalidRequest: 400,
  Unauthorized: 403,
  NotFound: 404,
  Conflict: 409,
  AlreadyStarting: 409,
  LockHeld: 409,
  FreezeWindow: 409,
};

const MAX_BODY_CHARS = 64 * 1024;

function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ControlResult {
  return {
    statusCode,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', ...headers },
    body: JSON.stringify(body),
  };
}

const refuse = (code: GoLiveClientErrorCode, message: string) => new GoLiveClientError(code, message);

function parseBody(event: ControlEvent): Record<string, unknown> {
  if (event.body === undefined || event.body === null || event.body === '') return {};
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
  if (raw.length > MAX_BODY_CHARS)
    throw refuse('InvalidRequest', `the request body is larger than ${MAX_BODY_CHARS} bytes`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw refuse('InvalidRequest', 'the request body is not valid JSON');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw refuse('InvalidRequest', 'the request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function limitFrom(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d{1,4}$/.test(raw))
    throw refuse('InvalidRequest', `limit must be a whole number from 1 to 100, got "${raw}"`);
  return Number(raw);
}

type GoLiveAction = (
  client: GoLiveClient,
  actor: Actor,
  name: string,
  body: Record<string, unknown>,
) => Promise<[status: number, answer: unknown]>;

/** What POST /go-lives/{name}/<action> does, by action: each through GoLiveClient, as the caller. */
const GO_LIVE_ACTIONS = new Map<string, GoLiveAction>([
  [
    'votes',
    async (c, a, n, b) => [
      200,
      await c.vote(a, n, { decision: b.decision, reason: b.reason, attest: b.attest, waive: b.waive }),
    ],
  ],
  ['abort', async (c, a, n, b) => [200, await c.abort(a, n, b.reason)]],
  ['checklist', async (c, a, n, b) => [200, await c.answerChecklist(a, n, { attest: b.attest, waive: b.waive })]],
  ['pause', async (c, a, n, b) => [200, await c.control(a, n, 'pause', b.reason)]],
  ['resume', async (c, a, n, b) => [200, await c.control(a, n, 'resume', b.reason)]],
  ['promote', async (c, a, n, b) => [200, await c.control(a, n, 'promote', b.reason)]],
  ['retry', async (c, a, n, b) => [202, await c.retry(a, n, b.reason)]],
  [
    'break-glass',
    async (c, a, n, b) => [200, await c.breakGlassVote(a, n, { decision: b.decision, reason: b.reason })],
  ],
  ['review', async (c, a, n, b) => [200, await c.closeReview(a, n, b.note)]],
]);

/** The `{name}` segment: API Gateway's path parameter when there is one, else the path's own (percent-decoded). */
function nameFrom(event: ControlEvent, segment: string): string {
  const fromGateway = event.pathParameters?.name;
  if (fromGateway) return fromGateway;
  try {
    return decodeURIComponent(segment);
  } catch {
    throw refuse('InvalidRequest', `"${segment}" is not a valid path segment`);
  }
}

function requireActor(actor: Actor | undefined): Actor {
  if (!actor) throw refuse('InvalidRequest', 'say who you are: locally with --as <user-id> (header x-golive-as)');
  return actor;
}

/**
 * The control API: the CLI's way to act on go-lives, on AWS behind API Gateway with IAM
 * authorization, locally on 127.0.0.1 (local/control-server.ts). Every action is performed here,
 * server side, through GoLiveClient, as the caller `identify` established, never as a header or a
 * body says. Errors answer JSON `{code, message}` with 400, 403, 404 or 409.
 */
export function createControlHandler(options: ControlHandlerOptions): (event: ControlEvent) => Promise<ControlResult> {
  const clientOf =
    typeof options.client === 'function' ? options.client : () => Promise.resolve(options.client as GoLiveClient);
  return async (event) => {
    try {
      const actor = options.identify(event);
      const segments = (event.path ?? '').split('/').filter(Boolean);
      const method = event.httpMethod?.toUpperCase();
      const allow = (allowed: string) => {
        if (!allowed.split(', ').includes(method)) {
          return json(
            405,
            { code: 'InvalidRequest', message: `${method} is not allowed on ${event.path} (allowed: ${allowed})` },
            { allow: allowed },
          );
        }
        return undefined;
      };
      if (segments[0] === 'reviews' && segments.length === 1) {
        const refused = allow('GET');
        if (refused) return refused;
        const status = event.queryStringParameters?.status ?? 'open';
        if (status !== 'open' && status !== 'closed' && status !== 'all')
          throw refuse('InvalidRequest', `status must be open, closed or all, got "${status}"`);
        return json(200, { reviews: await (await clientOf()).reviews({ status }) });
      }
      if (segments[0] === 'services' && segments.length === 3 && segments[2] === 'rollback') {
        const refused = allow('POST');
        if (refused) return refused;
        const body = parseBody(event);
        const started = await (await clientOf()).undo(requireActor(actor), nameFrom(event, segments[1]), body.reason);
        return json(started.duplicate ? 200 : 201, started);
      }
      if (segments[0] !== 'go-lives' || segments.length > 3) {
        throw refuse(
          'NotFound',
          `no route ${event.httpMethod} ${event.path}: the control API serves /go-lives, /reviews and /services/{name}/rollback`,
        );
      }
      const client = await clientOf();
      if (segments.length === 1) {
        const refused = allow('GET, POST');
        if (refused) return refused;
        if (method === 'GET') {
          const q = event.queryStringParameters ?? {};
          return json(
            200,
            await client.list({
              ...(q.service ? { service: q.service } : {}),
              ...(q.status ? { status: q.status } : {}),
              ...(limitFrom(q.limit) === undefined ? {} : { limit: limitFrom(q.limit) }),
              ...(q.nextToken ? { nextToken: q.nextToken } : {}),
            }),
          );
        }
        const body = parseBody(event);
        const started = await client.start(requireActor(actor), {
          service: body.service,
          version: body.version,
          strategy: body.strategy,
          notes: body.notes,
          commitAt: body.commitAt,
          breakGlass: body.breakGlass,
        });
        return json(started.duplicate ? 200 : 201, started);
      }
      const name = nameFrom(event, segments[1]);
      if (segments.length === 2) {
        const refused = allow('GET');
        return refused ?? json(200, await client.describe(name));
      }
      const act = GO_LIVE_ACTIONS.get(segments[2]);
      if (!act) {
        throw refuse(
          'NotFound',
          `no route ${event.httpMethod} ${event.path}: a go-live has ${[...GO_LIVE_ACTIONS.keys()].map((a) => `/${a}`).join(', ')}`,
        );
      }
      const refused = allow('POST');
      if (refused) return refused;
      const [status, answer] = await act(client, requireActor(actor), name, parseBody(event));
      return json(status, answer);
    } catch (err) {
      if (err instanceof GoLiveClientError) {
        return json(STATUS_FOR[err.code], { code: err.code, message: err.message });
      }
      const requestId = event.requestContext?.requestId;
      options.logError?.('control API request failed', {
        method: event.httpMethod,
        path: event.path,
        requestId,
        error: (err as Error)?.name,
        message: errorMessage(err),
      });
      return json(500, {
        code: 'InternalError',
        message: `${(err as Error)?.name ?? 'Error'}: ${errorMessage(err)}${requestId ? ` (request ${requestId})` : ''}`,
      });
    }
  };
}
