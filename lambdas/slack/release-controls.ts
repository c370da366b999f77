import type { View, WebClient } from '@slack/web-api';
import { GoLiveClientError, type Actor, type GoLiveClientErrorCode } from '../core/client';
import type { ControlAction } from '../core/steps/controls';
import { CARD_KEY, type CardState } from '../providers/slack/messages';
import { escapeMrkdwn, mention } from '../providers/slack/mrkdwn';
import {
  BREAK_GLASS_MESSAGE_KEY,
  BREAK_GLASS_REJECT_MODAL,
  breakGlassBlocks,
  breakGlassText,
  cardMessage,
  readBreakGlass,
  type BreakGlassMessageRef,
} from '../providers/slack/release-controls';
import { coreText, type SlackAppContext } from './context';

/**
 * What the release controls do from Slack (buttons and /golive subcommands alike): act through
 * GoLiveClient as the Slack-verified user, then keep the card and the break-glass message true.
 */

/** A refusal of GoLiveClient as the person is told it: 🚫 when they may not, ⚠️ otherwise. */
export function refusalText(ctx: SlackAppContext, err: GoLiveClientError, target: string): string {
  if (err.code === 'NotFound') return `⚠️ no go-live named "${escapeMrkdwn(target)}". Nothing changed.`;
  return `${err.code === 'Unauthorized' ? '🚫' : '⚠️'} ${coreText(ctx, err.message)}`;
}

/** Runs `act`; a GoLiveClientError becomes the text to tell (any other error is thrown on). */
export async function throughClient<T>(
  ctx: SlackAppContext,
  target: string,
  act: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; code: GoLiveClientErrorCode; text: string }> {
  try {
    return { ok: true, value: await act() };
  } catch (err) {
    if (!(err instanceof GoLiveClientError)) throw err;
    return { ok: false, code: err.code, text: refusalText(ctx, err, target) };
  }
}

/** Re-renders a go-live's status card from the store (controls included); nothing when it has none. */
export async function refreshCard(
  ctx: SlackAppContext,
  client: WebClient,
  executionArn: string,
): Promise<CardState | undefined> {
  const card = await ctx.store.getExecutionValue<CardState>(executionArn, CARD_KEY);
  if (card?.ts) await client.chat.update(await cardMessage(ctx.store, card, ctx.now()));
  return card;
}

const CONTROL_REPLY: Record<ControlAction, (user: string) => string> = {
  pause: (u) => `⏸️ Paused by ${mention(u)}: it holds at the next step boundary, alarms stay watched`,
  resume: (u) => `▶️ Resumed by ${mention(u)}`,
  promote: (u) =>
    `⏩ Promoted by ${mention(u)}: the remaining canary steps are skipped, the sign-off is still required`,
};

/**
 * Pause, resume or promote `target` (an execution name or ARN) as `actor`: the client refuses
 * whoever is not a release manager of the service, and what changes nothing. On success the card is
 * updated and its thread says who did what. Returns the text to tell the person privately.
 */
export async function controlFromSlack(
  ctx: SlackAppContext,
  client: WebClient,
  actor: Actor,
  target: string,
  action: ControlAction,
  reason?: string,
): Promise<string> {
  const done = await throughClient(ctx, target, () => ctx.client.control(actor, target, action, reason));
  if (!done.ok) return done.text;
  const card = await refreshCard(ctx, client, done.value.executionArn);
  if (card?.ts) {
    await client.chat.postMessage({
      channel: card.channel,
      thread_ts: card.ts,
      text: `${CONTROL_REPLY[action](actor.user)}${reason ? ` (${escapeMrkdwn(reason)})` : ''}.`,
    });
  }
  return `✅ ${coreText(ctx, done.value.message)}.`;
}

/**
 * Re-renders the break-glass message of a go-live from the store: the request, each vote, the
 * decision (buttons only while it is open). `origin` is the clicked message, when the store has no ref.
 */
export async function refreshBreakGlassMessage(
  ctx: SlackAppContext,
  client: WebClient,
  executionArn: string,
  origin: { channel?: string; ts?: string } = {},
): Promise<void> {
  const ref = await ctx.store.getExecutionValue<BreakGlassMessageRef>(executionArn, BREAK_GLASS_MESSAGE_KEY);
  const channel = ref?.channel ?? origin.channel;
  const ts = ref?.ts ?? origin.ts;
  const state = await readBreakGlass(ctx.store, executionArn);
  if (!channel || !ts || !state) return;
  const card = await ctx.store.getExecutionValue<CardState>(executionArn, CARD_KEY);
  const request = await ctx.store.getExecutionValue<{ service?: string; version?: string }>(executionArn, 'request');
  const execution = ref?.execution ?? executionArn.split(':').pop() ?? '';
  const view = {
    service: card?.service ?? request?.service ?? '?',
    version: card?.version ?? request?.version ?? '',
    execution,
    ...state,
    ...(ref?.final || (card && card.status !== 'running') ? { ended: true } : {}),
  };
  await client.chat.update({ channel, ts, text: breakGlassText(view), blocks: breakGlassBlocks(view, ctx.now()) });
}

/** Where a break-glass button was clicked, carried through the reject modal. */
export interface BreakGlassOrigin {
  execution: string;
  channel?: string;
  ts?: string;
}
export const BREAK_GLASS_REASON = 'reason';

/** The reason a break-glass rejection needs, asked like the sign-off's reject. */
export function breakGlassRejectModal(origin: BreakGlassOrigin, what: string): View {
  return {
    type: 'modal',
    callback_id: BREAK_GLASS_REJECT_MODAL,
    private_metadata: JSON.stringify(origin),
    title: { type: 'plain_text', text: 'Reject break-glass' },
    submit: { type: 'plain_text', text: 'Reject' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: `Rejecting the break-glass of *${escapeMrkdwn(what)}* stops it before anything changes. Say why.`,
        },
      },
      {
        type: 'input',
        block_id: BREAK_GLASS_REASON,
        label: { type: 'plain_text', text: 'Reason' },
        element: { type: 'plain_text_input', action_id: BREAK_GLASS_REASON, multiline: true, min_length: 1 },
      },
    ],
  };
}

/**
 * A vote of the emergency role through GoLiveClient.breakGlassVote (which refuses anyone outside
 * the role, the requester, a second vote, a closed request). The message is re-rendered after a
 * vote or a refusal that says it is closed; a decision is told in the card's thread. Returns the
 * text to tell the voter privately.
 */
export async function breakGlassVoteFromSlack(
  ctx: SlackAppContext,
  client: WebClient,
  actor: Actor,
  origin: BreakGlassOrigin,
  vote: { decision: 'approve' | 'reject'; reason?: string },
): Promise<string> {
  const voted = await throughClient(ctx, origin.execution, () =>
    ctx.client.breakGlassVote(actor, origin.execution, vote),
  );
  if (!voted.ok) {
    // Closed meanwhile (decided, expired, ended): the message catches up.
    if (voted.code === 'Conflict') {
      await refreshBreakGlassMessage(ctx, client, ctx.client.executionArn(origin.execution), origin);
    }
    return voted.text;
  }
  const { executionArn, kind, status, message } = voted.value;
  await refreshBreakGlassMessage(ctx, client, executionArn, origin);
  if (kind === 'decided') {
    const card = await ctx.store.getExecutionValue<CardState>(executionArn, CARD_KEY);
    const text =
      status === 'approved'
        ? `✅ Break-glass approved (last vote by ${mention(actor.user)}): the go-live goes ahead.`
        : `❌ Break-glass rejected by ${mention(actor.user)}: ${escapeMrkdwn(vote.reason ?? '')}. Nothing was changed.`;
    if (card?.ts) await client.chat.postMessage({ channel: card.channel, thread_ts: card.ts, text });
  }
  return `✅ ${coreText(ctx, message)}.`;
}
