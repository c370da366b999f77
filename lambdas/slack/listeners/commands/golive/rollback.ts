import { escapeMrkdwn } from '../../../../providers/slack/mrkdwn';
import { USAGE, isReleaseManager, notReleaseManager, slackActor, unknownService } from '../../../context';
import { throughClient } from '../../../release-controls';
import type { Subcommand } from '../../types';

/**
 * `/golive rollback <service> [reason]`: an undo go-live takes the service back to the version live
 * before the current one (GoLiveClient.undo). Release managers of that service only.
 */
export const rollback: Subcommand = (ctx) => ({
  async answer({ ack, command }, [service]) {
    const user = command.user_id;
    const unknown = unknownService(ctx.config, service);
    if (unknown) {
      await ack({ response_type: 'ephemeral', text: `⚠️ ${escapeMrkdwn(unknown)}.\n${USAGE}` });
      return;
    }
    if (!isReleaseManager(ctx.config, service, user)) {
      await ack({
        response_type: 'ephemeral',
        text: notReleaseManager(ctx.config, user, `roll back ${service}`, service),
      });
      return;
    }
    await ack();
    return 'work';
  },
  async work({ command, respond, client }, [service, ...reason]) {
    const actor = await slackActor(ctx, client, command.user_id);
    const started = await throughClient(ctx, service, () =>
      ctx.client.undo(actor, service, reason.join(' ') || undefined),
    );
    await respond({
      response_type: 'ephemeral',
      text: started.ok
        ? `↩️ Started \`${started.value.name}\`: ${escapeMrkdwn(service)} goes back to ${escapeMrkdwn(started.value.request.version)}. Follow its status card.`
        : started.text,
    });
  },
});
