import { requestAbort } from '../../../../core/steps/abort';
import { CARD_KEY, type CardState } from '../../../../providers/slack/messages';
import { escapeMrkdwn, mention } from '../../../../providers/slack/mrkdwn';
import { USAGE, displayName, isReleaseManager, notReleaseManager, servicesManagedBy } from '../../../context';
import { describe, executionArnFor, summarise } from '../../../executions';
import type { Subcommand } from '../../types';

/** `/golive abort <execution> [reason]`: release managers of the go-live's service only; it rolls back. */
export const abort: Subcommand =
  (ctx) =>
  async ({ ack, command, respond, client }, words) => {
    const user = command.user_id;
    if (servicesManagedBy(ctx.config, user).length === 0) {
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
      await respond({
        response_type: 'ephemeral',
        text: `⚠️ no go-live named "${escapeMrkdwn(target)}". Nothing changed.`,
      });
      return;
    }
    const { service } = summarise(described);
    if (!service || !isReleaseManager(ctx.config, service, user)) {
      await respond({
        response_type: 'ephemeral',
        text: notReleaseManager(ctx.config, user, `abort a go-live of ${service ?? 'an unknown service'}`, service),
      });
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
    await requestAbort(ctx, executionArn, user, reason, {
      verifiedBy: 'slack',
      name: await displayName(ctx, client, user),
    });
    const card = await ctx.store.getExecutionValue<CardState>(executionArn, CARD_KEY);
    if (card) {
      await client.chat.postMessage({
        channel: card.channel,
        thread_ts: card.ts,
        text: `🛑 Abort requested by ${mention(user)}: ${escapeMrkdwn(reason)}. Rolling back.`,
      });
    }
    await respond({
      response_type: 'ephemeral',
      text: `🛑 \`${described.name}\` is rolling back (${escapeMrkdwn(reason)}).`,
    });
  };
