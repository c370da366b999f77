import type { Receiver } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
// Bolt's entry point also loads Express, Socket Mode (undici) and OAuth receivers; the Lambda
// bundle only needs the App (see bench/bundles.ts for what that saves).
import App, { LogLevel } from '@slack/bolt/dist/App';
import type { SlackAppContext } from './context';
import { registerListeners } from './listeners';

export interface SlackAppOptions {
  receiver: Receiver;
  botToken: string;
  /**
   * Web API client options: `slackApiUrl` (the local emulator's `/api/`, GovSlack), and on Lambda
   * the bounded timeouts and retries of providers/aws/notifier.ts.
   */
  clientOptions?: WebClientOptions;
  logLevel?: LogLevel;
}

/** The golive Bolt app: the same listeners behind the Lambda receiver and the local HTTP receiver. */
export function createSlackApp(ctx: SlackAppContext, options: SlackAppOptions): App {
  const app = new App({
    receiver: options.receiver,
    // A single workspace: the bot token is known, so no auth.test round trip before the first ack.
    authorize: () => Promise.resolve({ botToken: options.botToken, botId: 'B_GOLIVE', botUserId: 'U_GOLIVE' }),
    logLevel: options.logLevel ?? LogLevel.ERROR,
    ...(options.clientOptions ? { clientOptions: options.clientOptions } : {}),
  });
  registerListeners(app, ctx);
  return app;
}
