import { slackActor } from '../../context';
import { BREAK_GLASS_REASON, breakGlassVoteFromSlack } from '../../release-controls';
import { fieldText, metaText, viewMeta } from '../../view-state';
import { tell, twoPhase } from '../legs';
import type { ViewArgs } from '../types';

/** The break-glass reject modal: a reason is required; then one vote that decides (a rejection stops the go-live). */
export const breakGlassRejectSubmitted = twoPhase<ViewArgs>((ctx) => ({
  async answer({ ack, view }) {
    if (!fieldText(view, BREAK_GLASS_REASON)) {
      await ack({
        response_action: 'errors',
        errors: { [BREAK_GLASS_REASON]: 'Say why: a rejection needs a reason.' },
      });
      return;
    }
    await ack();
    return 'work';
  },
  async work(args) {
    const { view, body, client } = args;
    const meta = viewMeta(view);
    const channel = metaText(meta, 'channel');
    const ts = metaText(meta, 'ts');
    const text = await breakGlassVoteFromSlack(
      ctx,
      client,
      await slackActor(ctx, client, body.user.id),
      { execution: metaText(meta, 'execution') ?? '', ...(channel ? { channel } : {}), ...(ts ? { ts } : {}) },
      { decision: 'reject', reason: fieldText(view, BREAK_GLASS_REASON) ?? '' },
    );
    await tell(ctx, args, text);
  },
}));
