import { LogLevel } from '@slack/bolt/dist/App';
import AwsLambdaReceiver from '@slack/bolt/dist/receivers/AwsLambdaReceiver';
import type { WebClientOptions } from '@slack/web-api';
import type { SlackAppContext } from './context';
import { createSlackApp } from './app';
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
export type SlackLambdaHandler = (event: ApiGatewayEvent, context?: unknown) => Promise<ApiGatewayResult>;

/**
 * The Bolt app behind AwsLambdaReceiver. API Gateway may base64-encode the body; the receiver
 * decodes it as ASCII, which mangles UTF-8 text ("Rückgängig – 回滚") and breaks the signature.
 * So the body is decoded here as the UTF-8 Slack signed, and the receiver verifies the same bytes.
 * A signed body that is not a request golive handles gets a 400 before Bolt reads it.
 */
export function createLambdaSlackHandler(
  ctx: SlackAppContext,
  options: {
    signingSecret: string;
    botToken: string;
    clientOptions?: WebClientOptions;
    guard?: RequestGuard;
  },
): SlackLambdaHandler {
  const receiver = new AwsLambdaReceiver({ signingSecret: options.signingSecret, logLevel: LogLevel.ERROR });
  createSlackApp(ctx, {
    receiver,
    botToken: options.botToken,
    ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
  });
  const boltHandler = receiver.toHandler();
  const guard = options.guard ?? new RequestGuard();
  return async (event, context) => {
    const headers = event.headers ?? {};
    const header = (name: string) => Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
    if (guard.check(header)) return { statusCode: 401, body: '' };
    const body = event.body && event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
    // Signed but not a shape the listeners handle: a 400 saying why, rather than a listener's TypeError.
    if (hasValidSignature(options.signingSecret, header, body ?? '')) {
      const malformed = malformedSlackBody(body ?? '', header('content-type'));
      if (malformed) return { statusCode: 400, headers: { 'content-type': 'text/plain' }, body: malformed };
    }
    const normalised = { ...event, headers, body, isBase64Encoded: false };
    return (await boltHandler(normalised as unknown as Parameters<typeof boltHandler>[0], context)) as ApiGatewayResult;
  };
}
