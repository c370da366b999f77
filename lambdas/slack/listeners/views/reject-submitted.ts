import { castVote } from '../../../core/steps/approval';
import { REJECT_REASON, type RejectMeta } from '../../modals';
import { reportVote } from '../../vote-outcome';
import type { Listener, ViewArgs } from '../types';

/** The reject modal: a reason is required; then one vote that decides (any rejection rolls back). */
export const rejectSubmitted: Listener<ViewArgs> =
  (ctx) =>
  async ({ ack, view, body, client }) => {
    const reason = view.state.values[REJECT_REASON]?.[REJECT_REASON]?.value?.trim() ?? '';
    if (!reason) {
      await ack({ response_action: 'errors', errors: { [REJECT_REASON]: 'Say why: a rejection needs a reason.' } });
      return;
    }
    await ack();
    const meta = JSON.parse(view.private_metadata || '{}') as RejectMeta;
    const outcome = await castVote(
      ctx,
      { approvalId: meta.approvalId },
      { voter: body.user.id, decision: 'reject', reason },
    );
    await reportVote(ctx, client, meta.approvalId, outcome, {
      user: body.user.id,
      ...(meta.channel ? { channel: meta.channel } : {}),
      ...(meta.ts ? { ts: meta.ts } : {}),
    });
  };
