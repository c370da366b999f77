import { slackActor } from '../../context';
import { REJECT_REASON } from '../../modals';
import { fieldText, metaText, viewMeta } from '../../view-state';
import { castThroughClient, checkBeforeVote, reportVote } from '../../vote-outcome';
import { twoPhase } from '../legs';
import type { ViewArgs } from '../types';

/** The reject modal: a reason is required; then one vote that decides (any rejection rolls back). */
export const rejectSubmitted = twoPhase<ViewArgs>((ctx) => ({
  async answer({ ack, view }) {
    if (!fieldText(view, REJECT_REASON)) {
      await ack({ response_action: 'errors', errors: { [REJECT_REASON]: 'Say why: a rejection needs a reason.' } });
      return;
    }
    await ack();
    return 'work';
  },
  async work({ view, body, client }) {
    const reason = fieldText(view, REJECT_REASON) ?? '';
    const meta = viewMeta(view);
    const approvalId = metaText(meta, 'approvalId') ?? '';
    const channel = metaText(meta, 'channel');
    const ts = metaText(meta, 'ts');
    const origin = { user: body.user.id, ...(channel ? { channel } : {}), ...(ts ? { ts } : {}) };
    const { record, early } = await checkBeforeVote(ctx, approvalId, origin.user, 'reject');
    const outcome =
      early ??
      (await castThroughClient(ctx, record!, await slackActor(ctx, client, origin.user), {
        decision: 'reject',
        reason,
      }));
    await reportVote(ctx, client, approvalId, outcome, origin);
  },
}));
