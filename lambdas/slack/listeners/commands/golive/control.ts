import type { ControlAction } from '../../../../core/steps/controls';
import { USAGE, notReleaseManager, servicesManagedBy, slackActor } from '../../../context';
import { controlFromSlack } from '../../../release-controls';
import type { Subcommand } from '../../types';

/**
 * `/golive pause|resume|promote <execution> [reason]`: release managers of the go-live's service.
 * Someone who manages no service is refused at once; GoLiveClient checks the rest after the answer.
 */
export function controlCommand(action: ControlAction): Subcommand {
  return (ctx) => ({
    async answer({ ack, command }, words) {
      const user = command.user_id;
      if (servicesManagedBy(ctx.config, user).length === 0) {
        await ack({ response_type: 'ephemeral', text: notReleaseManager(ctx.config, user, `${action} a go-live`) });
        return;
      }
      if (!words[0]) {
        await ack({ response_type: 'ephemeral', text: `⚠️ name the execution to ${action}.\n${USAGE}` });
        return;
      }
      await ack();
      return 'work';
    },
    async work({ command, respond, client }, [target, ...reason]) {
      const actor = await slackActor(ctx, client, command.user_id);
      const text = await controlFromSlack(ctx, client, actor, target, action, reason.join(' ') || undefined);
      await respond({ response_type: 'ephemeral', text });
    },
  });
}
