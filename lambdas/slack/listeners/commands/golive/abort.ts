import { GoLiveClientError } from '../../../../core/client';
import { CARD_KEY, type CardState } from '../../../../providers/slack/messages';
import { escapeMrkdwn, mention } from '../../../../providers/slack/mrkdwn';
import { USAGE, coreText, notReleaseManager, servicesManagedBy, slackActor } from '../../../context';
import type { Subcommand } from '../../types';

/**
 * `/golive abort <execution> [reason]`: release managers of the go-live's service only; it rolls
 * back. Someone who manages no service is refused at once; GoLiveClient checks the rest.
 */
export const abort: Subcommand = (ctx) => ({
  async answer({ ack, command }, words) {
    const user = command.user_id;
    if (servicesManagedBy(ctx.config, user).length === 0) {
      await ack({ response_type: 'ephemeral', text: notReleaseManager(ctx.config, user, 'abort a go-live') });
      return;
    }
    if (!words[0]) {
      await ack({ response_type: 'ephemeral', text: `⚠️ name the execution to abort.\n${USAGE}` });
      return;
    }
    await ack();
    return 'work';
  },
  async work({ command, respond, client }, words) {
    const user = command.user_id;
    const [target, ...reasonWords] = words;
    const reason = reasonWords.join(' ') || 'aborted from Slack';
    let aborted;
    try {
      aborted = await ctx.client.abort(await slackActor(ctx, client, user), target, reason);
    } catch (err) {
      if (!(err instanceof GoLiveClientError)) throw err;
      const text =
        err.code === 'NotFound'
          ? `⚠️ no go-live named "${escapeMrkdwn(target)}". Nothing changed.`
          : `${err.code === 'Unauthorized' ? '🚫' : '⚠️'} ${coreText(ctx, err.message)}`;
      await respond({ response_type: 'ephemeral', text });
      return;
    }
    const card = await ctx.store.getExecutionValue<CardState>(aborted.executionArn, CARD_KEY);
    if (card) {
      await client.chat.postMessage({
        channel: card.channel,
        thread_ts: card.ts,
        text: `🛑 Abort requested by ${mention(user)}: ${escapeMrkdwn(reason)}. Rolling back.`,
      });
    }
    await respond({
      response_type: 'ephemeral',
      text: `🛑 \`${aborted.name}\` is rolling back (${escapeMrkdwn(reason)}).`,
    });
  },
});
