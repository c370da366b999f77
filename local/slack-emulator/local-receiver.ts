import type { IncomingMessage, ServerResponse } from 'node:http';
import { HTTPReceiver, LogLevel } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import type { SlackAppContext } from '../../lambdas/slack/context';
import { createSlackApp } from '../../lambdas/slack/app';
import { RequestGuard } from '../../lambdas/slack/request-guard';

export const SLACK_EVENTS_PATH = '/slack/events';

export interface LocalSlackApp {
  /** Serves one request to SLACK_EVENTS_PATH (mounted by the local runtime's HTTP server). */
  handle(req: IncomingMessage, res: ServerResponse): void;
}

/**
 * The Bolt app on Bolt's HTTPReceiver (signature and staleness checks are Bolt's), mounted on the
 * local runtime's server instead of a server of its own, behind the future-timestamp/replay guard.
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
      receiver.requestListener(req, res);
    },
  };
}
