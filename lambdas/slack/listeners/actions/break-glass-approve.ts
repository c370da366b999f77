import { slackActor } from '../../context';
import { breakGlassVoteFromSlack } from '../../release-controls';
import { tell, twoPhase } from '../legs';
import type { ButtonArgs } from '../types';

/** Approve on the break-glass message: a vote of the emergency role, cast after the answer. */
export const breakGlassApprove = twoPhase<ButtonArgs>((ctx) => ({
  async answer({ ack }) {
    await ack();
    return 'work';
  },
  async work(args) {
    const { action, body, client } = args;
    const text = await breakGlassVoteFromSlack(
      ctx,
      client,
      await slackActor(ctx, client, body.user.id),
      {
        execution: action.value ?? '',
        ...(body.channel?.id ? { channel: body.channel.id } : {}),
        ...(body.message?.ts ? { ts: body.message.ts } : {}),
      },
      { decision: 'approve' },
    );
    await tell(ctx, args, text);
  },
}));
