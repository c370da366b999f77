import type { WebClient } from '@slack/web-api';
import type { NotificationEvent, Notifier } from '../../core/ports';

export interface SlackNotifierOptions {
  /** Release channel (name or id) from golive.config.yaml `slack.channel`. */
  channel: string;
}

/**
 * Notifier over the Slack Web API. The same client works against Slack and against the local
 * Slack emulator (WebClient's `slackApiUrl` pointed at it).
 */
export function slackNotifier(client: WebClient, options: SlackNotifierOptions): Notifier {
  return {
    async notify(event: NotificationEvent) {
      const res = await client.chat.postMessage({ channel: options.channel, text: event.text });
      return { delivered: Boolean(res.ok), ...(res.ts ? { ref: res.ts } : {}) };
    },
  };
}
