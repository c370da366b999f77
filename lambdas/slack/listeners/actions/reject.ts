import { displayName } from '../../context';
import { rejectModal } from '../../modals';
import { checkBeforeVote, reportVote } from '../../vote-outcome';
import { twoPhase } from '../legs';
import type { ButtonArgs } from '../types';

const originOf = ({ body }: ButtonArgs) => ({
  user: body.user.id,
  ...(body.channel?.id ? { channel: body.channel.id } : {}),
  ...(body.message?.ts ? { ts: body.message.ts } : {}),
});

/** Reject: an approver gets the modal that asks the reason at once; anyone else hears why after the answer. */
export const reject = twoPhase<ButtonArgs>((ctx) => ({
  async answer(args) {
    const { ack, action, body, client } = args;
    await ack();
    const approvalId = action.value ?? '';
    const { record, early } = await checkBeforeVote(ctx, approvalId, body.user.id, 'reject');
    if (early || !record) return 'work';
    await client.views.open({
      trigger_id: body.trigger_id,
      view: rejectModal(
        { approvalId, ...originOf(args) },
        `${record.service} ${record.version}`,
        await displayName(ctx, client, record.requestedBy),
      ),
    });
  },
  async work(args) {
    const approvalId = args.action.value ?? '';
    const { early } = await checkBeforeVote(ctx, approvalId, args.body.user.id, 'reject');
    if (early) await reportVote(ctx, args.client, approvalId, early, originOf(args));
  },
}));
