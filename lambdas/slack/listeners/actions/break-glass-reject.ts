import { GoLiveClientError } from '../../../core/client';
import { readBreakGlass } from '../../../providers/slack/release-controls';
import { slackActor } from '../../context';
import { breakGlassRejectModal, breakGlassVoteFromSlack, type BreakGlassOrigin } from '../../release-controls';
import { tell, twoPhase } from '../legs';
import type { ButtonArgs } from '../types';

const originOf = ({ action, body }: ButtonArgs): BreakGlassOrigin => ({
  execution: action.value ?? '',
  ...(body.channel?.id ? { channel: body.channel.id } : {}),
  ...(body.message?.ts ? { ts: body.message.ts } : {}),
});

/**
 * Reject on the break-glass message: a member of the emergency role gets the modal that asks the
 * reason at once (its trigger expires after 3 s); anyone else, or a request already closed, hears
 * GoLiveClient's refusal after the answer (a rejection without a reason is never cast).
 */
export const breakGlassReject = twoPhase<ButtonArgs>((ctx) => ({
  async answer(args) {
    const { ack, body, client } = args;
    await ack();
    const origin = originOf(args);
    let executionArn: string;
    try {
      executionArn = ctx.client.executionArn(origin.execution);
    } catch (err) {
      if (err instanceof GoLiveClientError) return 'work';
      throw err;
    }
    const state = await readBreakGlass(ctx.store, executionArn);
    const user = body.user.id;
    const open =
      state &&
      !state.decision &&
      Date.parse(state.request.expiresAt) > ctx.now().getTime() &&
      state.request.approvers.includes(user) &&
      user !== state.request.requestedBy &&
      !state.votes.some((v) => v.voter === user);
    if (!open) return 'work';
    const request = await ctx.store.getExecutionValue<{ service?: string; version?: string }>(executionArn, 'request');
    await client.views.open({
      trigger_id: body.trigger_id,
      view: breakGlassRejectModal(origin, `${request?.service ?? '?'} ${request?.version ?? ''}`.trim()),
    });
  },
  // Why the click changes nothing: the client says it (not in the role, closed, voted already).
  async work(args) {
    const { body, client } = args;
    const text = await breakGlassVoteFromSlack(
      ctx,
      client,
      await slackActor(ctx, client, body.user.id),
      originOf(args),
      {
        decision: 'reject',
      },
    );
    await tell(ctx, args, text);
  },
}));
