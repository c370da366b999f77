import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPReceiver, LogLevel, type BufferedIncomingMessage } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { SlackAppContext } from '../../lambdas/slack/context';
import { createSlackApp } from '../../lambdas/slack/app';
import { RequestGuard, hasValidSignature, malformedSlackBody } from '../../lambdas/slack/request-guard';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface LocalSlackApp {
  /** Serves one request to SLACK_EVENTS_PATH (mounted by the local runtime's HTTP server). */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/** Slack's own limit on a request body is far below this; a larger one is refused unread. */
const MAX_BODY_BYTES = 1024 * 1024;

/**
 * The Bolt app on Bolt's HTTPReceiver (signature and staleness checks are Bolt's), mounted on the
 * local runtime's server instead of a server of its own, behind the future-timestamp/replay guard.
 * The body is read here first: a signed body that is not a request golive handles (`payload=null`
 * made Bolt's receiver throw outside any handler, which ended the whole process) gets a 400, and
 * Bolt reads the buffered body (`rawBody`) instead of the stream.
 */
export function createLocalSlackApp(
  ctx: SlackAppContext,
  options: { signingSecret: string; botToken: string; clientOptions?: WebClientOptions; guard?: RequestGuard },
): LocalSlackApp {
  const receiver = new HTTPReceiver({
    signingSecret: options.signingSecret,
    endpoints: SLACK_EVENTS_PATH,
    logLevel: LogLevel.ERROR,
    unhandledRequestTimeoutMillis: 3001,
  });
  createSlackApp(ctx, {
    receiver,
    botToken: options.botToken,
    ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
  });
  const guard = options.guard ?? new RequestGuard();
  return {
    handle(req, res) {
      const refused = guard.check((name) => {
        const v = req.headers[name];
        return Array.isArray(v) ? v[0] : v;
      });
      if (refused) {
        req.resume();
        res.writeHead(401).end();
        return;
      }
      void buffer(req).then(
        (raw) => {
          const header = (name: string) => {
            const v = req.headers[name];
            return Array.isArray(v) ? v[0] : v;
          };
          const text = raw.toString('utf8');
          const malformed = hasValidSignature(options.signingSecret, header, text)
            ? malformedSlackBody(text, header('content-type'))
            : undefined;
          if (malformed) {
            res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' }).end(malformed);
            return;
          }
          (req as BufferedIncomingMessage).rawBody = raw;
          receiver.requestListener(req, res);
        },
        (err: Error) => {
          if (!res.headersSent) res.writeHead(err instanceof BodyTooLarge ? 413 : 400).end(err.message);
        },
      );
    },
  };
}

class BodyTooLarge extends Error {}

function buffer(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new BodyTooLarge(`request body larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
