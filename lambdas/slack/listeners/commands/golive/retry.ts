import { CARD_KEY, type CardState } from '../../../../providers/slack/messages';
import { escapeMrkdwn, mention } from '../../../../providers/slack/mrkdwn';
import { USAGE, coreText, notReleaseManager, servicesManagedBy, slackActor } from '../../../context';
import { throughClient } from '../../../release-controls';
import type { Subcommand } from '../../types';

/**
 * `/golive retry <execution> [reason]`: a failed go-live resumes from the phase that failed
 * (GoLiveClient.retry decides whether it may: release managers, the failure, the time, the service).
 */
export const retry: Subcommand = (ctx) => ({
  async answer({ ack, command }, words) {
    const user = command.user_id;
    if (servicesManagedBy(ctx.config, user).length === 0) {
      await ack({ response_type: 'ephemeral', text: notReleaseManager(ctx.config, user, 'retry a go-live') });
      return;
    }
    if (!words[0]) {
      await ack({ response_type: 'ephemeral', text: `⚠️ name the failed execution to retry.\n${USAGE}` });
      return;
    }
    await ack();
    return 'work';
  },
  async work({ command, respond, client }, [target, ...reason]) {
    const actor = await slackActor(ctx, client, command.user_id);
    const retried = await throughClient(ctx, target, () =>
      ctx.client.retry(actor, target, reason.join(' ') || undefined),
    );
    if (!retried.ok) {
      await respond({ response_type: 'ephemeral', text: retried.text });
      return;
    }
    const card = await ctx.store.getExecutionValue<CardState>(retried.value.executionArn, CARD_KEY);
    if (card?.ts) {
      await client.chat.postMessage({
        channel: card.channel,
        thread_ts: card.ts,
        text: `🔁 Retried by ${mention(command.user_id)}: it resumes at ${escapeMrkdwn(retried.value.resumeAt)}.`,
      });
    }
    await respond({ response_type: 'ephemeral', text: `🔁 ${coreText(ctx, retried.value.message)}.` });
  },
});
