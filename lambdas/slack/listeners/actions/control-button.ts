import type { ControlAction } from '../../../core/steps/controls';
import { slackActor } from '../../context';
import { controlFromSlack } from '../../release-controls';
import { tell, twoPhase } from '../legs';
import type { ButtonArgs, Listener } from '../types';

/**
 * A status card button (Pause, Resume, Promote): answered at once, then acted on through
 * GoLiveClient as the Slack-verified user, who is told privately what happened or why not (only
 * release managers of the service may). The card itself says who paused or promoted.
 */
export function controlButton(action: ControlAction): Listener<ButtonArgs> {
  return twoPhase<ButtonArgs>((ctx) => ({
    async answer({ ack }) {
      await ack();
      return 'work';
    },
    async work(args) {
      const { action: button, body, client } = args;
      const actor = await slackActor(ctx, client, body.user.id);
      const text = await controlFromSlack(ctx, client, actor, button.value ?? '', action);
      await tell(ctx, args, text);
    },
  }));
}
