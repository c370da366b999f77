import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ReceiverEvent } from '@slack/bolt';
import { LogLevel } from '@slack/bolt/dist/App';
import AwsLambdaReceiver from '@slack/bolt/dist/receivers/AwsLambdaReceiver';
import type { WebClientOptions } from '@slack/web-api';
import type { SlackAppContext } from './context';
import { createSlackApp } from './app';
import { LEG_KEY, type Leg } from './listeners/legs';
import { RequestGuard, hasValidSignature, malformedSlackBody } from './request-guard';

/** The API Gateway proxy event, as much of it as the receiver reads (REST v1 or HTTP v2). */
export interface ApiGatewayEvent {
  body?: string | null;
  isBase64Encoded?: boolean;
  headers: Record<string, string | undefined>;
  [other: string]: unknown;
}
export interface ApiGatewayResult {
  statusCode: number;
  body: string;
  headers?: Record<string, string>;
}

/**
 * The second leg of a Slack request: the request as Bolt parsed it once its signature was verified,
 * handed to an asynchronous invocation of the same function, which runs the listeners' `work`.
 * It is told apart from an API Gateway event by its shape: API Gateway builds its event itself
 * (requestContext, headers, httpMethod or routeKey, …) and carries what a caller sends only in
 * `body`, `headers`, the path and the query, never as a top-level key, so no HTTP request can
 * arrive as this. Only a principal allowed lambda:InvokeFunction on the function can send one.
 */
export interface SlackWorkEvent {
  goliveSlackWork: 1;
  /** The verified Slack request, parsed (a slash command's fields, or an interaction's payload). */
  body: Record<string, unknown>;
  /** When the first leg handed it over (epoch ms): a work event older than WORK_MAX_AGE_MS is dropped. */
  at: number;
  /**
   * HMAC-SHA256, keyed with the Slack signing secret, of `at` and the body: whoever may only invoke
   * the function (lambda:InvokeFunction) cannot forge a request as any Slack user.
   */
  mac: string;
}

/** The async invocation's maximum event age (5 min, lib/slack-ingress.ts) plus clock skew. */
export const WORK_MAX_AGE_MS = 6 * 60_000;

export function workMac(signingSecret: string, at: number, body: Record<string, unknown>): string {
  return createHmac('sha256', `golive-slack-work:${signingSecret}`)
    .update(`${at}:${JSON.stringify(body)}`)
    .digest('hex');
}

/** Why a work event is refused, or undefined: its MAC must match and it must be recent. */
export function workEventProblem(signingSecret: string, event: SlackWorkEvent, now = Date.now()): string | undefined {
  if (typeof event.at !== 'number' || typeof event.mac !== 'string') return 'no timestamp or MAC';
  if (now - event.at > WORK_MAX_AGE_MS || event.at - now > 60_000) return 'too old, or from the future';
  const expected = Buffer.from(workMac(signingSecret, event.at, event.body), 'hex');
  const given = Buffer.from(event.mac, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected) ? undefined : 'MAC does not match';
}

/** Keys API Gateway puts in every proxy event (REST v1: requestContext, httpMethod; HTTP v2: requestContext, routeKey). */
const API_GATEWAY_KEYS = [
  'requestContext',
  'httpMethod',
  'routeKey',
  'headers',
  'multiValueHeaders',
  'rawPath',
  'path',
];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function isSlackWorkEvent(event: unknown): event is SlackWorkEvent {
  return (
    isObject(event) &&
    event.goliveSlackWork === 1 &&
    isObject(event.body) &&
    !API_GATEWAY_KEYS.some((key) => key in event)
  );
}

export interface SlackLambdaHandler {
  /** A request from Slack through API Gateway: verified, answered; its work handed over. */
  (event: ApiGatewayEvent, context?: unknown): Promise<ApiGatewayResult>;
  /** The work of a request answered before (see SlackWorkEvent). */
  (event: SlackWorkEvent, context?: unknown): Promise<void>;
}

export interface SlackLambdaOptions {
  signingSecret: string;
  botToken: string;
  clientOptions?: WebClientOptions;
  guard?: RequestGuard;
  /**
   * Sends the work of an answered request to a second invocation: on AWS an asynchronous
   * invocation of this very function (lambdas/slack/index.ts). It is awaited before the answer
   * returns: a Lambda is frozen once it has returned, so nothing may be left running.
   */
  handOver(work: SlackWorkEvent): Promise<void>;
  /** Where a failed hand-over is reported. @default console.error */
  logError?: (message: string, details: Record<string, unknown>) => void;
}

/**
 * The Bolt app on Lambda, in two legs (Slack waits 3 s for its answer, and a Lambda answers only
 * when it returns; Bolt for JavaScript, unlike Bolt for Python, has no lazy listeners for this):
 * 1. an API Gateway event runs each listener's `answer` (listeners/types.ts Phases) behind
 *    AwsLambdaReceiver's verification, then hands the parsed request over and returns the answer;
 * 2. that hand-over (a SlackWorkEvent) runs the listener's `work`, with nothing to verify again.
 * API Gateway may base64-encode the body; the receiver decodes it as ASCII, which mangles UTF-8
 * text ("Rückgängig – 回滚") and breaks the signature. So the body is decoded here as the UTF-8
 * Slack signed, and the receiver verifies the same bytes. A signed body that is not a request
 * golive handles gets a 400 before Bolt reads it.
 */
export function createLambdaSlackHandler(ctx: SlackAppContext, options: SlackLambdaOptions): SlackLambdaHandler {
  // Which leg each event is, for the listeners: Bolt copies customProperties into their context.
  const legs = new WeakMap<object, Leg>();
  const receiver = new AwsLambdaReceiver({
    signingSecret: options.signingSecret,
    logLevel: LogLevel.ERROR,
    customPropertiesExtractor: (event) => ({ [LEG_KEY]: legs.get(event) }),
  });
  const app = createSlackApp(ctx, {
    receiver,
    botToken: options.botToken,
    ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
  });
  const boltHandler = receiver.toHandler();
  const guard = options.guard ?? new RequestGuard();
  const logError = options.logError ?? ((message, details) => console.error(message, details));

  async function answer(event: ApiGatewayEvent, context: unknown): Promise<ApiGatewayResult> {
    const headers = event.headers ?? {};
    const header = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
    if (guard.check(header)) return { statusCode: 401, body: '' };
    // API Gateway's body is a string or null; anything else (an event not from API Gateway) is no body.
    const raw = typeof event.body === 'string' ? event.body : '';
    const body = raw && event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
    // Signed but not a shape the listeners handle: a 400 saying why, rather than a listener's TypeError.
    if (hasValidSignature(options.signingSecret, header, body)) {
      const malformed = malformedSlackBody(body, header('content-type'));
      if (malformed) return { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: malformed };
    }
    const normalised = { ...event, headers, body, isBase64Encoded: false };
    let work: Record<string, unknown> | undefined;
    legs.set(normalised, {
      kind: 'answer',
      handOver: (parsed) => {
        work = parsed as Record<string, unknown>;
      },
    });
    const result = (await boltHandler(
      normalised as unknown as Parameters<typeof boltHandler>[0],
      context,
    )) as ApiGatewayResult;
    if (work && result.statusCode === 200) {
      try {
        const at = Date.now();
        await options.handOver({ goliveSlackWork: 1, body: work, at, mac: workMac(options.signingSecret, at, work) });
      } catch (err) {
        // Slack then tells the user the command or click failed, rather than an answer promising work that never runs.
        logError('golive: could not hand a Slack request over to its work', {
          error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
        });
        return { statusCode: 500, headers: { 'content-type': 'text/plain' }, body: 'golive could not take this on' };
      }
    }
    return result;
  }

  async function runWork(event: SlackWorkEvent): Promise<void> {
    const problem = workEventProblem(options.signingSecret, event);
    if (problem) {
      // Not from this function's first leg: nothing in it is acted on.
      logError('golive: refused a Slack work event', { problem });
      return;
    }
    const leg: Leg = { kind: 'work' };
    const received: ReceiverEvent = {
      body: event.body,
      // Answered already, in the first leg.
      ack: () => Promise.resolve(),
      customProperties: { [LEG_KEY]: leg },
    };
    await app.processEvent(received);
  }

  return ((event: ApiGatewayEvent | SlackWorkEvent, context?: unknown) =>
    isSlackWorkEvent(event) ? runWork(event) : answer(event as ApiGatewayEvent, context)) as SlackLambdaHandler;
}
