import type { WebClient } from '@slack/web-api';
import type { ApprovalRecord } from '../core/ports';
import type { VoteOutcome } from '../core/steps/approval';
import { READINESS_VALUE, type ReadinessReport } from '../core/steps/readiness';
import {
  APPROVAL_MESSAGE_KEY,
  CARD_KEY,
  approvalBlocks,
  approvalText,
  type ApprovalMessageRef,
  type CardState,
} from '../providers/slack/messages';
import { escapeMrkdwn, mention, mrkdwnWithMentions } from '../providers/slack/mrkdwn';
import { knownUsers, type SlackAppContext } from './context';

/** Where the click came from, when the store has no ref for the approval message. */
export interface VoteOrigin {
  user: string;
  channel?: string;
  ts?: string;
}

/** Re-renders the approval message from the store: votes, N of M, buttons only while it is open. */
export async function refreshApprovalMessage(
  ctx: SlackAppContext,
  client: WebClient,
  approvalId: string,
  origin: VoteOrigin,
): Promise<void> {
  const record = await ctx.store.getApproval(approvalId);
  if (!record) return;
  const stored = await ctx.store.getExecutionValue<ApprovalMessageRef>(record.executionId, APPROVAL_MESSAGE_KEY);
  const channel = stored?.channel ?? origin.channel;
  const ts = stored?.ts ?? origin.ts;
  if (!channel || !ts) return;
  const ref = stored ?? { execution: record.executionId.split(':').pop() ?? '', readiness: [] };
  const card = await ctx.store.getExecutionValue<CardState>(record.executionId, CARD_KEY);
  const now = ctx.now();
  const status =
    record.status === 'pending' && Date.parse(record.expiresAt) <= now.getTime() ? 'expired' : record.status;
  // Once decided, the message shows the checklist as it was signed off: who attested or waived what, and when.
  const checklist =
    status === 'pending'
      ? undefined
      : await ctx.store.getExecutionValue<ReadinessReport>(record.executionId, READINESS_VALUE);
  await client.chat.update({
    channel,
    ts,
    text: approvalText({ ...record, status }),
    blocks: approvalBlocks(
      { ...record, status },
      { ...ref, ...(card?.strategy ? { strategy: card.strategy } : {}) },
      now,
      checklist,
    ),
  });
  if (stored && status !== 'pending') {
    await ctx.store.putExecutionValue(record.executionId, APPROVAL_MESSAGE_KEY, { ...stored, final: true });
  }
}

/** Text from the core for Slack: escaped, the user ids it names (config, approval, `also`) written as mentions. */
export function coreText(
  ctx: SlackAppContext,
  text: string,
  record?: Pick<ApprovalRecord, 'approvers' | 'requestedBy'>,
  also: string[] = [],
): string {
  const ids = knownUsers(ctx.config);
  for (const id of [...(record?.approvers ?? []), ...(record ? [record.requestedBy] : []), ...also]) ids.add(id);
  return mrkdwnWithMentions(text, ids);
}

/**
 * Tells the voter what happened and keeps the channel true: a refused click changes nothing but
 * gets an ephemeral explanation; a closed approval (decided, expired, double click) says so and
 * loses its buttons; a decision is posted in the go-live's thread.
 */
export async function reportVote(
  ctx: SlackAppContext,
  client: WebClient,
  approvalId: string,
  outcome: VoteOutcome,
  origin: VoteOrigin,
): Promise<void> {
  const record = await ctx.store.getApproval(approvalId);
  const ephemeral = async (text: string) => {
    const stored =
      record && (await ctx.store.getExecutionValue<ApprovalMessageRef>(record.executionId, APPROVAL_MESSAGE_KEY));
    const channel = origin.channel ?? stored?.channel ?? ctx.config.slack.channel;
    await client.chat.postEphemeral({ channel, user: origin.user, text });
  };
  const said = (message: string) => coreText(ctx, message, record, [origin.user]);
  // The vote stands whatever happens to the message: a failed refresh is logged, not turned into an error
  // that Slack would show the voter (on Lambda the response waits for the listener).
  const refresh = () =>
    refreshApprovalMessage(ctx, client, approvalId, origin).catch((err: Error) =>
      console.error(`golive: could not update the approval message of ${approvalId}: ${err.message}`),
    );
  switch (outcome.kind) {
    case 'refused':
      await ephemeral(`🚫 ${said(outcome.message)}. Nothing changed.`);
      return;
    case 'duplicate':
      await ephemeral(`ℹ️ ${said(outcome.message)}.`);
      return;
    case 'closed':
      await refresh();
      await ephemeral(`ℹ️ The sign-off is already closed (${outcome.status}): ${said(outcome.message)}.`);
      return;
    case 'recorded':
      await refresh();
      await ephemeral(`✅ Your ${said(outcome.message)}.`);
      return;
    case 'decided': {
      await refresh();
      const card = await ctx.store.getExecutionValue<CardState>(outcome.record.executionId, CARD_KEY);
      const rejection = outcome.record.votes.find((v) => v.decision === 'reject');
      const text =
        outcome.status === 'approved'
          ? `✅ Sign-off approved by ${outcome.record.votes
              .filter((v) => v.decision === 'approve')
              .map((v) => mention(v.voter))
              .join(', ')}`
          : `❌ Sign-off rejected by ${mention(rejection?.voter ?? origin.user)}: ${escapeMrkdwn(rejection?.reason ?? '')}`;
      if (card) await client.chat.postMessage({ channel: card.channel, thread_ts: card.ts, text });
      return;
    }
  }
}
