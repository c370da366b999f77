import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Checks both receivers add on top of Bolt's own verification (which checks the HMAC in constant
 * time and refuses stale timestamps): timestamps too far in the future, and a request replayed
 * with the very same signature. A replay that slips past this per-process cache (another Lambda
 * container) still cannot start a second go-live or cast a second vote: the listeners are idempotent.
 */
export const MAX_SKEW_SECONDS = 300;

export class RequestGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Returns why the request is refused, or undefined to let Bolt verify it. */
  check(header: (name: string) => string | undefined): string | undefined {
    const nowSec = Math.floor(this.now() / 1000);
    const ts = Number(header('x-slack-request-timestamp'));
    const signature = header('x-slack-signature');
    if (!signature || !Number.isFinite(ts)) return undefined; // Bolt refuses these itself
    if (ts > nowSec + MAX_SKEW_SECONDS) return 'timestamp is more than 5 minutes in the future';
    this.prune(nowSec);
    if (this.seen.has(signature)) return 'replayed request (signature already seen)';
    this.seen.set(signature, ts);
    return undefined;
  }

  /** Signatures older than the window are refused as stale anyway: forget them. */
  private prune(nowSec: number): void {
    for (const [signature, ts] of this.seen) {
      if (ts < nowSec - 2 * MAX_SKEW_SECONDS || this.seen.size > 50_000) this.seen.delete(signature);
    }
  }
}

/**
 * Slack's signature (`v0=` + HMAC-SHA256 of `v0:{timestamp}:{raw body}` with the signing secret),
 * compared in constant time, with a timestamp within 5 minutes either way.
 */
export function hasValidSignature(
  signingSecret: string,
  header: (name: string) => string | undefined,
  rawBody: string,
  nowMs = Date.now(),
): boolean {
  const signature = header('x-slack-signature');
  const ts = Number(header('x-slack-request-timestamp'));
  if (!signature || !Number.isInteger(ts) || Math.abs(Math.floor(nowMs / 1000) - ts) > MAX_SKEW_SECONDS) return false;
  const expected = Buffer.from(`v0=${createHmac('sha256', signingSecret).update(`v0:${ts}:${rawBody}`).digest('hex')}`);
  const given = Buffer.from(signature);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

type Fields = Record<string, unknown>;
const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown): v is string => typeof v === 'string';
const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/** Slash command fields the /golive listener reads (Slack sends every one of them). */
const COMMAND_FIELDS = ['command', 'text', 'user_id', 'channel_id', 'trigger_id', 'team_id', 'response_url'] as const;
/** Top-level keys by which Bolt would route a payload elsewhere than its `type` says. */
const ROUTING_KEYS = ['event', 'command', 'name'] as const;

/**
 * Why a body that Slack signed cannot be a request golive handles, or undefined when it can.
 * It reads the body as Bolt does (form-encoded: a `payload` JSON or a slash command; otherwise JSON)
 * and checks the shape the listeners rely on, so a signed `payload=null` or `payload={}` is a 400
 * naming what is wrong, never a crash or an unanswered request.
 */
export function malformedSlackBody(rawBody: string, contentType: string | undefined): string | undefined {
  if (contentType === 'application/x-www-form-urlencoded') {
    const form = new URLSearchParams(rawBody);
    const payloads = form.getAll('payload');
    if (payloads.length > 1) return 'the form has more than one "payload" field';
    if (payloads.length === 0) return malformedCommand(form);
    let payload: unknown;
    try {
      payload = JSON.parse(payloads[0]);
    } catch {
      return '"payload" is not JSON';
    }
    return malformedPayload(payload);
  }
  let body: unknown;
  try {
    body = JSON.parse(rawBody);
  } catch {
    return `the body is neither a form (application/x-www-form-urlencoded) nor JSON`;
  }
  if (!isObject(body)) return 'the JSON body must be an object';
  if (body.type === 'url_verification') return isText(body.challenge) ? undefined : '"challenge" is missing';
  return `golive subscribes to no Events API events (type ${JSON.stringify(body.type ?? null)})`;
}

function malformedCommand(form: URLSearchParams): string | undefined {
  if (form.get('ssl_check') === '1') return undefined;
  if (!form.has('command')) return 'the form has neither a "payload" nor a slash "command"';
  for (const field of COMMAND_FIELDS) {
    const values = form.getAll(field);
    if (values.length !== 1) return `slash command field "${field}" ${values.length ? 'is repeated' : 'is missing'}`;
    if (field !== 'text' && !values[0]) return `slash command field "${field}" is empty`;
  }
  return undefined;
}

function malformedPayload(payload: unknown): string | undefined {
  if (!isObject(payload)) return '"payload" must be a JSON object';
  if (!nonEmpty(payload.type)) return '"payload.type" is missing';
  const routing = ROUTING_KEYS.find((k) => k in payload);
  if (routing) return `a ${payload.type} payload has no "${routing}"`;
  if (!isObject(payload.user) || !nonEmpty(payload.user.id)) return '"payload.user.id" is missing';
  const team = isObject(payload.team) ? payload.team.id : isObject(payload.user) ? payload.user.team_id : undefined;
  if (!nonEmpty(team)) return '"payload.team.id" is missing';
  switch (payload.type) {
    case 'block_actions': {
      if (!nonEmpty(payload.trigger_id)) return '"payload.trigger_id" is missing';
      const { actions } = payload;
      if (!Array.isArray(actions) || actions.length === 0) return '"payload.actions" must be a non-empty array';
      const bad = actions.findIndex((a) => !isObject(a) || !nonEmpty(a.action_id) || !nonEmpty(a.type));
      if (bad >= 0) return `"payload.actions[${bad}]" needs an action_id and a type`;
      return undefined;
    }
    case 'view_submission': {
      if ('actions' in payload) return 'a view_submission payload has no "actions"';
      const { view } = payload;
      if (!isObject(view)) return '"payload.view" must be an object';
      if (!nonEmpty(view.id) || !nonEmpty(view.callback_id)) return '"payload.view" needs an id and a callback_id';
      if (view.private_metadata !== undefined && !isText(view.private_metadata))
        return '"payload.view.private_metadata" must be a string';
      if (!isObject(view.state) || !isObject(view.state.values)) return '"payload.view.state.values" is missing';
      const values = Object.values(view.state.values);
      if (!values.every((block) => isObject(block) && Object.values(block).every(isObject)))
        return '"payload.view.state.values" must map block ids to action ids to objects';
      return undefined;
    }
    default:
      return `golive handles block_actions and view_submission payloads, not ${payload.type}`;
  }
}
