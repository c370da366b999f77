import { checkVote } from '../../../core/steps/approval';
import { READINESS_VALUE, type ReadinessReport } from '../../../core/steps/readiness';
import { displayNames } from '../../context';
import { approveModal } from '../../modals';
import { reportVote } from '../../vote-outcome';
import type { ButtonArgs, Listener } from '../types';

/**
 * Approve: anyone not allowed hears why at once; an approver gets the approve form, with a checkbox
 * for each open checklist item they are named to attest (approving attests only what they tick).
 */
export const approve: Listener<ButtonArgs> =
  (ctx) =>
  async ({ ack, action, body, client }) => {
    await ack();
    const approvalId = action.value ?? '';
    const user = body.user.id;
    const origin = {
      user,
      ...(body.channel?.id ? { channel: body.channel.id } : {}),
      ...(body.message?.ts ? { ts: body.message.ts } : {}),
    };
    const record = approvalId ? await ctx.store.getApproval(approvalId) : undefined;
    const early = record
      ? checkVote(record, { voter: user, decision: 'approve', at: ctx.now().toISOString() }, ctx.now())
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
  };
