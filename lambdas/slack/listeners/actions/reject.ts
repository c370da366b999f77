import { checkVote } from '../../../core/steps/approval';
import { displayName } from '../../context';
import { rejectModal } from '../../modals';
import { reportVote } from '../../vote-outcome';
import type { ButtonArgs, Listener } from '../types';

/** Reject: anyone not allowed hears why at once; an approver gets the modal that asks the reason. */
export const reject: Listener<ButtonArgs> =
  (ctx) =>
  async ({ ack, action, body, client }) => {
    await ack();
    const approvalId = action.value ?? '';
    const origin = {
      user: body.user.id,
      ...(body.channel?.id ? { channel: body.channel.id } : {}),
      ...(body.message?.ts ? { ts: body.message.ts } : {}),
    };
    const record = approvalId ? await ctx.store.getApproval(approvalId) : undefined;
    const early = record
      ? checkVote(
          record,
          { voter: body.user.id, decision: 'reject', reason: 'pending', at: ctx.now().toISOString() },
          ctx.now(),
        )
      : { kind: 'refused' as const, message: 'this sign-off is unknown' };
    if (early || !record) {
      await reportVote(
        ctx,
        client,
        approvalId,
        early ?? { kind: 'refused', message: 'this sign-off is unknown' },
        origin,
      );
      return;
    }
    await client.views.open({
      trigger_id: body.trigger_id,
      view: rejectModal(
        { approvalId, ...origin },
        `${record.service} ${record.version}`,
        await displayName(ctx, client, record.requestedBy),
      ),
    });
  };
