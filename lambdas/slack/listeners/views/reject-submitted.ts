import { castVote } from '../../../core/steps/approval';
import { displayName } from '../../context';
import { REJECT_REASON } from '../../modals';
import { fieldText, metaText, viewMeta } from '../../view-state';
import { reportVote } from '../../vote-outcome';
import type { Listener, ViewArgs } from '../types';

/** The reject modal: a reason is required; then one vote that decides (any rejection rolls back). */
export const rejectSubmitted: Listener<ViewArgs> =
  (ctx) =>
  async ({ ack, view, body, client }) => {
    const reason = fieldText(view, REJECT_REASON);
    if (!reason) {
      await ack({ response_action: 'errors', errors: { [REJECT_REASON]: 'Say why: a rejection needs a reason.' } });
      return;
    }
    await ack();
    const meta = viewMeta(view);
    const approvalId = metaText(meta, 'approvalId') ?? '';
    const origin = {
      user: body.user.id,
      ...(metaText(meta, 'channel') ? { channel: metaText(meta, 'channel') } : {}),
      ...(metaText(meta, 'ts') ? { ts: metaText(meta, 'ts') } : {}),
    };
    const outcome = approvalId
      ? await castVote(
          ctx,
          { approvalId },
          {
            voter: body.user.id,
            voterName: await displayName(ctx, client, body.user.id),
            verifiedBy: 'slack',
            decision: 'reject',
            reason,
          },
        )
      : ({ kind: 'refused', message: 'this sign-off is unknown' } as const);
    await reportVote(ctx, client, approvalId, outcome, origin);
  };
