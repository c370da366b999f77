import { castVote } from '../../../core/steps/approval';
import { reportVote } from '../../vote-outcome';
import type { ButtonArgs, Listener } from '../types';

/** Approve (after Slack's confirm dialog): one vote; N of M decides. */
export const approve: Listener<ButtonArgs> =
  (ctx) =>
  async ({ ack, action, body, client }) => {
    await ack();
    const approvalId = action.value ?? '';
    const outcome = await castVote(ctx, { approvalId }, { voter: body.user.id, decision: 'approve' });
    await reportVote(ctx, client, approvalId, outcome, {
      user: body.user.id,
      ...(body.channel?.id ? { channel: body.channel.id } : {}),
      ...(body.message?.ts ? { ts: body.message.ts } : {}),
    });
  };
