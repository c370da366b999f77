import type { WebClient } from '@slack/web-api';
import { GoLiveClientError, type Actor, type VoteRequest } from '../core/client';
import type { ApprovalRecord } from '../core/ports';
import { checkVote } from '../core/steps/approval';
import { READINESS_VALUE, type ReadinessReport } from '../core/steps/readiness';
import {
  APPROVAL_MESSAGE_KEY,
  CARD_KEY,
  approvalBlocks,
  approvalText,
  type ApprovalMessageRef,
  type CardState,
} from '../providers/slack/messages';
import { escapeMrkdwn, mention } from '../providers/slack/mrkdwn';
import { coreText, type SlackAppContext } from './context';

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

/** What a voter is told: the core's outcome of a vote (VoteOutcome) or of a check before one (checkVote). */
export type VoteReport =
  | { kind: 'refused' | 'duplicate'; message: string }
  | { kind: 'closed'; message: string }
  | { kind: 'recorded'; message: string }
  | { kind: 'decided'; status: 'approved' | 'rejected'; message: string };

/**
 * Casts a vote on the sign-off behind `record` through GoLiveClient (which checks that the go-live
 * runs, who may vote, and what the vote attests), as what the voter is told.
 */
export async function castThroughClient(
  ctx: SlackAppContext,
  record: ApprovalRecord,
  actor: Actor,
  vote: VoteRequest,
): Promise<VoteReport> {
  try {
    const voted = await ctx.client.vote(actor, record.executionId, vote);
    return voted.kind === 'decided' && voted.status
      ? { kind: 'decided', status: voted.status, message: voted.message }
      : { kind: 'recorded', message: voted.message };
  } catch (err) {
    if (!(err instanceof GoLiveClientError)) throw err;
    if (err.code === 'Conflict') {
      // Counted already, or nothing to vote on any more: the record tells which.
      const now = await ctx.store.getApproval(record.approvalId);
      const counted = now?.status === 'pending' && now.votes.some((v) => v.voter === actor.user);
      return { kind: counted ? 'duplicate' : 'closed', message: err.message };
    }
    if (err.code === 'NotFound') return { kind: 'closed', message: err.message };
    return { kind: 'refused', message: err.message };
  }
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
  outcome: VoteReport,
  origin: VoteOrigin,
): Promise<void> {
  const record = approvalId ? await ctx.store.getApproval(approvalId) : undefined;
  const ephemeral = async (text: string) => {
    const stored =
      record && (await ctx.store.getExecutionValue<ApprovalMessageRef>(record.executionId, APPROVAL_MESSAGE_KEY));
    const channel = origin.channel ?? stored?.channel ?? ctx.config.slack.channel;
    await client.chat.postEphemeral({ channel, user: origin.user, text });
  };
  const said = (message: string) =>
    coreText(ctx, message, [...(record?.approvers ?? []), ...(record ? [record.requestedBy] : []), origin.user]);
  // The vote stands whatever happens to the message: a failed refresh is logged, not turned into an
  // error the voter would be told instead of their vote.
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
      await ephemeral(`ℹ️ The sign-off is closed: ${said(outcome.message)}.`);
      return;
    case 'recorded':
      await refresh();
      await ephemeral(`✅ Your ${said(outcome.message)}.`);
      return;
    case 'decided': {
      await refresh();
      if (!record) return;
      const card = await ctx.store.getExecutionValue<CardState>(record.executionId, CARD_KEY);
      const rejection = record.votes.find((v) => v.decision === 'reject');
      const text =
        outcome.status === 'approved'
          ? `✅ Sign-off approved by ${record.votes
              .filter((v) => v.decision === 'approve')
              .map((v) => mention(v.voter))
              .join(', ')}`
          : `❌ Sign-off rejected by ${mention(rejection?.voter ?? origin.user)}: ${escapeMrkdwn(rejection?.reason ?? '')}`;
      if (card) await client.chat.postMessage({ channel: card.channel, thread_ts: card.ts, text });
      return;
    }
  }
}

/**
 * The check of a click or form before anything is cast (checkVote: closed, not an approver, the
 * requester, counted already), reading the approval only. `early` is what to tell instead of going on.
 */
export async function checkBeforeVote(
  ctx: SlackAppContext,
  approvalId: string,
  user: string,
  decision: 'approve' | 'reject',
): Promise<{ record?: ApprovalRecord; early?: VoteReport }> {
  const record = approvalId ? await ctx.store.getApproval(approvalId) : undefined;
  if (!record) return { early: { kind: 'refused', message: 'this sign-off is unknown' } };
  const now = ctx.now();
  const early = checkVote(
    record,
    { voter: user, decision, ...(decision === 'reject' ? { reason: 'pending' } : {}), at: now.toISOString() },
    now,
  );
  if (!early) return { record };
  // checkVote only refuses, finds the sign-off closed, or the vote counted already.
  const kind = early.kind === 'closed' || early.kind === 'duplicate' ? early.kind : 'refused';
  return { record, early: { kind, message: early.message } };
}
