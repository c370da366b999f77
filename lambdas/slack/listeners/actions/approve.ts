import { READINESS_VALUE, type ReadinessReport } from '../../../core/steps/readiness';
import { displayNames } from '../../context';
import { approveModal } from '../../modals';
import { checkBeforeVote, reportVote } from '../../vote-outcome';
import { twoPhase } from '../legs';
import type { ButtonArgs } from '../types';

const originOf = ({ body }: ButtonArgs) => ({
  user: body.user.id,
  ...(body.channel?.id ? { channel: body.channel.id } : {}),
  ...(body.message?.ts ? { ts: body.message.ts } : {}),
});

/**
 * Approve: an approver gets the approve form at once (its trigger expires after 3 s), with a
 * checkbox for each open checklist item they are named to attest (approving attests only what
 * they tick); anyone else hears why after the answer.
 */
export const approve = twoPhase<ButtonArgs>((ctx) => ({
  async answer(args) {
    const { ack, action, body, client } = args;
    await ack();
    const approvalId = action.value ?? '';
    const user = body.user.id;
    const { record, early } = await checkBeforeVote(ctx, approvalId, user, 'approve');
    if (early || !record) return 'work';
    const origin = originOf(args);
    const report = await ctx.store.getExecutionValue<ReadinessReport>(record.executionId, READINESS_VALUE);
    const open = (report?.items ?? []).filter((i) => i.status === 'to-attest');
    const attestable = open.filter((i) => i.attesters.includes(user));
    const awaiting = open.filter((i) => i.required && !i.attesters.includes(user));
    const names = await displayNames(ctx, client, [record.requestedBy, ...awaiting.flatMap((i) => i.attesters)]);
    await client.views.open({
      trigger_id: body.trigger_id,
      view: approveModal({
        meta: {
          approvalId,
          ...(origin.channel ? { channel: origin.channel } : {}),
          ...(origin.ts ? { ts: origin.ts } : {}),
        },
        record,
        requesterName: names.get(record.requestedBy) ?? record.requestedBy,
        attestable,
        awaitingOthers: awaiting.map((item) => ({
          item,
          attesters: item.attesters.map((id) => names.get(id) ?? id),
        })),
      }),
    });
  },
  // Why the click changes nothing (the check is made again: the sign-off may have closed since).
  async work(args) {
    const approvalId = args.action.value ?? '';
    const { early } = await checkBeforeVote(ctx, approvalId, args.body.user.id, 'approve');
    if (early) await reportVote(ctx, args.client, approvalId, early, originOf(args));
  },
}));
