import { requestAbort } from '../../../../core/steps/abort';
import { CARD_KEY, type CardState } from '../../../../providers/slack/messages';
import { USAGE, isReleaseManager, notReleaseManager } from '../../../context';
import { describe, executionArnFor } from '../../../executions';
import type { Subcommand } from '../../types';

/** `/golive abort <execution> [reason]`: release managers only; the go-live rolls back. */
export const abort: Subcommand =
  (ctx) =>
  async ({ ack, command, respond, client }, words) => {
    const user = command.user_id;
    if (!isReleaseManager(ctx.config, user)) {
      await ack({ response_type: 'ephemeral', text: notReleaseManager(ctx.config, user, 'abort a go-live') });
      return;
    }
    const [target, ...reasonWords] = words;
    if (!target) {
      await ack({ response_type: 'ephemeral', text: `⚠️ name the execution to abort.\n${USAGE}` });
      return;
    }
    await ack();
    const executionArn = executionArnFor(ctx.stateMachineArn, target);
    const described = await describe(ctx, executionArn);
    if (!described) {
      await respond({ response_type: 'ephemeral', text: `⚠️ no go-live named "${target}". Nothing changed.` });
      return;
    }
    if (described.status !== 'RUNNING') {
      await respond({
        response_type: 'ephemeral',
        text: `\`${described.name}\` already ended (${described.status}): nothing to abort.`,
      });
      return;
    }
    const reason = reasonWords.join(' ') || 'aborted from Slack';
    await requestAbort(ctx, executionArn, user, reason);
    const card = await ctx.store.getExecutionValue<CardState>(executionArn, CARD_KEY);
    if (card) {
      await client.chat.postMessage({
        channel: card.channel,
        thread_ts: card.ts,
        text: `🛑 Abort requested by <@${user}>: ${reason}. Rolling back.`,
      });
    }
    await respond({ response_type: 'ephemeral', text: `🛑 \`${described.name}\` is rolling back (${reason}).` });
  };
