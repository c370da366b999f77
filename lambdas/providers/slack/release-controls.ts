/**
 * Block Kit for the release controls in Slack: the status card's Pause / Resume / Promote buttons
 * and what it says once someone used them, the break-glass message with its Approve / Reject
 * buttons, and the success message's Roll back button. Shared by the notifier (which posts them)
 * and the Bolt listeners (which update them after a click). The state shown is always read again
 * from the store (the records GoLiveClient writes), never carried in a button.
 */
import type { KnownBlock } from '@slack/web-api';
import type { AuditRecord, Store } from '../../core/ports';
import type { RolloutPlan } from '../../core/request';
import { BREAK_GLASS_VALUE, type BreakGlassRequest } from '../../core/steps/break-glass';
import {
  HOLD_VALUE,
  PAUSE_VALUE,
  PROMOTE_VALUE,
  type ControlWish,
  type HoldRecord,
  type PauseRecord,
} from '../../core/steps/controls';
import { cardBlocks, cardText, type CardState } from './messages';
import { escapeMrkdwn, mention } from './mrkdwn';

export const PAUSE_ACTION = 'golive_pause';
export const RESUME_ACTION = 'golive_resume';
export const PROMOTE_ACTION = 'golive_promote';
export const UNDO_ACTION = 'golive_undo';
export const BREAK_GLASS_APPROVE_ACTION = 'golive_break_glass_approve';
export const BREAK_GLASS_REJECT_ACTION = 'golive_break_glass_reject';
export const BREAK_GLASS_REJECT_MODAL = 'golive_break_glass_reject_modal';

/** Where the break-glass message is (Store.putExecutionValue next to the execution). */
export const BREAK_GLASS_MESSAGE_KEY = 'slack.break-glass';
export interface BreakGlassMessageRef {
  channel: string;
  ts: string;
  execution: string;
  /** Set once the buttons are gone. */
  final?: boolean;
}

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });
const md = (text: string) => ({ type: 'mrkdwn' as const, text });
const when = (at: string) => `${at.slice(0, 16).replace('T', ' ')} UTC`;

/** What the card shows of the controls: who paused or promoted, where it holds, what may be clicked. */
export interface CardControls {
  pause?: PauseRecord;
  promote?: ControlWish;
  /** Where a pause holds the go-live: a step boundary, or "the next step boundary" until it gets there. */
  holdingAt?: string;
  /** A canary with steps still to shift: Promote would skip them. */
  stepsLeft: boolean;
}

/** Canary steps the card saw shifted (each ShiftTraffic is one entry, updated in place). */
const shifted = (card: CardState) => card.steps.filter((s) => s.step === 'ShiftTraffic').length;

/** The controls of a card's go-live, from the records the workflow and GoLiveClient keep. */
export async function cardControls(refs: Pick<Store, 'getExecutionValue'>, card: CardState): Promise<CardControls> {
  const [pause, promote, hold, plan] = await Promise.all([
    refs.getExecutionValue<PauseRecord>(card.executionId, PAUSE_VALUE),
    refs.getExecutionValue<ControlWish>(card.executionId, PROMOTE_VALUE),
    refs.getExecutionValue<HoldRecord>(card.executionId, HOLD_VALUE),
    refs.getExecutionValue<RolloutPlan>(card.executionId, 'plan'),
  ]);
  const done = shifted(card);
  let holdingAt: string | undefined;
  if (pause?.paused) {
    // The Paused task is the last step the card saw while held; before promotion it is its own state.
    const held = hold?.since !== undefined && hold.why === 'pause';
    const last = [...card.steps].reverse().find((s) => s.step === 'Paused' || s.step === 'PausedBeforePromotion');
    const next = plan?.steps[done];
    holdingAt = !held
      ? 'the next step boundary'
      : last?.step === 'PausedBeforePromotion' || next === undefined
        ? 'CheckpointBeforePromotion (before promotion)'
        : `Checkpoint (before canary step ${done + 1}: ${next}%)`;
  }
  return {
    ...(pause ? { pause } : {}),
    ...(promote ? { promote } : {}),
    ...(holdingAt ? { holdingAt } : {}),
    stepsLeft: plan?.strategy === 'canary' && done < plan.stepCount,
  };
}

/** The lines and buttons the controls add to a card: buttons only while the go-live runs. */
export function controlBlocks(card: CardState, controls: CardControls): KnownBlock[] {
  const { pause, promote } = controls;
  const lines: string[] = [];
  const why = (w: ControlWish) => (w.reason ? `: ${escapeMrkdwn(w.reason)}` : '');
  if (promote)
    lines.push(`⏩ Promoted by ${mention(promote.by)} — the remaining canary steps are skipped${why(promote)}`);
  else if (pause?.paused)
    lines.push(
      `⏸️ Paused by ${mention(pause.by)} — holding at ${controls.holdingAt ?? 'the next step boundary'}${why(pause)}`,
    );
  else if (pause) lines.push(`▶️ Resumed by ${mention(pause.by)} at ${when(pause.at)}`);
  const blocks: KnownBlock[] = lines.length ? [{ type: 'section', text: md(lines.join('\n')) }] : [];
  if (card.status !== 'running') return blocks;
  const buttons = [];
  if (pause?.paused) {
    buttons.push({
      type: 'button' as const,
      action_id: RESUME_ACTION,
      text: plain('Resume'),
      style: 'primary' as const,
      value: card.execution,
    });
  } else {
    buttons.push({ type: 'button' as const, action_id: PAUSE_ACTION, text: plain('Pause'), value: card.execution });
  }
  if (controls.stepsLeft && !promote) {
    buttons.push({
      type: 'button' as const,
      action_id: PROMOTE_ACTION,
      text: plain('Promote'),
      value: card.execution,
      confirm: {
        title: plain('Promote now?'),
        text: md(
          `The remaining canary steps of *${escapeMrkdwn(card.service)} ${escapeMrkdwn(card.version)}* are skipped; the sign-off is still required.`,
        ),
        confirm: plain('Promote'),
        deny: plain('Cancel'),
      },
    });
  }
  blocks.push({ type: 'actions', block_id: `controls:${card.execution}`, elements: buttons });
  return blocks;
}

/** chat.update arguments of a card as it stands, controls included. */
export async function cardMessage(
  refs: Pick<Store, 'getExecutionValue'>,
  card: CardState,
  now: Date,
): Promise<{ channel: string; ts: string; text: string; blocks: KnownBlock[] }> {
  const controls = await cardControls(refs, card);
  return {
    channel: card.channel,
    ts: card.ts,
    text: cardText(card),
    blocks: cardBlocks(card, now, controlBlocks(card, controls)),
  };
}

/** What the success message offers: the Roll back button until `until`, to `previous`. */
export interface UndoOffer {
  execution: string;
  service: string;
  previous: string;
  until: string;
}

/** The success message: its text, and the Roll back button while the offer lasts. */
export function successBlocks(text: string, offer: UndoOffer): KnownBlock[] {
  return [
    { type: 'section', text: md(text) },
    {
      type: 'actions',
      block_id: `undo:${offer.execution}`,
      elements: [
        {
          type: 'button',
          action_id: UNDO_ACTION,
          text: plain(`Roll back to ${offer.previous}`),
          style: 'danger',
          value: offer.execution,
          confirm: {
            title: plain('Roll back?'),
            text: md(
              `${escapeMrkdwn(offer.service)} goes back to *${escapeMrkdwn(offer.previous)}* through an undo go-live ` +
                '(smoke-tested, alarm-watched, audited).',
            ),
            confirm: plain('Roll back'),
            deny: plain('Cancel'),
          },
        },
      ],
    },
    {
      type: 'context',
      elements: [
        md(
          `Roll back offered until ${when(offer.until)}; \`/golive rollback ${escapeMrkdwn(offer.service)}\` works any time.`,
        ),
      ],
    },
  ];
}

/** The success message once its button is gone: the text and what became of the offer. */
export function successClosedBlocks(text: string, outcome: string): KnownBlock[] {
  return [
    { type: 'section', text: md(text) },
    { type: 'context', elements: [md(outcome)] },
  ];
}

/** A break-glass as its message shows it: the request, each vote, the decision. */
export interface BreakGlassView {
  service: string;
  version: string;
  execution: string;
  request: Pick<BreakGlassRequest, 'reason' | 'requestedBy' | 'approvers' | 'minApprovals' | 'expiresAt'>;
  votes: { voter: string; decision: 'approve' | 'reject'; reason?: string }[];
  decision?: { status: 'approved' | 'rejected'; by: string[] };
  /** The go-live ended without a decision (expired, aborted, failed). */
  ended?: boolean;
}

/**
 * The break-glass request and its votes, from the store: the request record, and the votes and the
 * decision as the audit trail records them (step BreakGlass; the trail is what auditors read too).
 */
export async function readBreakGlass(
  refs: Pick<Store, 'getExecutionValue' | 'listAudit'>,
  executionId: string,
): Promise<
  { request: BreakGlassRequest; votes: BreakGlassView['votes']; decision?: BreakGlassView['decision'] } | undefined
> {
  const request = await refs.getExecutionValue<BreakGlassRequest>(executionId, BREAK_GLASS_VALUE);
  if (!request) return undefined;
  const records: AuditRecord[] = (await refs.listAudit(executionId)).filter((r) => r.step === 'BreakGlass');
  const votes = records
    .filter((r) => r.action === 'approve' || r.action === 'reject')
    .map((r) => {
      const reason = (r.evidence as { reason?: unknown } | undefined)?.reason;
      return {
        voter: r.actor,
        decision: r.action as 'approve' | 'reject',
        ...(typeof reason === 'string' && reason ? { reason } : {}),
      };
    });
  const decided = records.find((r) => r.action === 'approved' || r.action === 'rejected');
  const by = (decided?.evidence as { by?: unknown } | undefined)?.by;
  return {
    request,
    votes,
    ...(decided
      ? {
          decision: {
            status: decided.action as 'approved' | 'rejected',
            by: Array.isArray(by) ? by.map(String) : [decided.actor],
          },
        }
      : {}),
  };
}

export function breakGlassText(view: Pick<BreakGlassView, 'service' | 'version' | 'decision'>): string {
  return `Break-glass for ${view.service} ${view.version}: ${view.decision?.status ?? 'waiting for the emergency role'}`;
}

export function breakGlassBlocks(view: BreakGlassView, now = new Date()): KnownBlock[] {
  const { request, votes, decision } = view;
  const approvals = votes.filter((v) => v.decision === 'approve').length;
  const expired = !decision && Date.parse(request.expiresAt) <= now.getTime();
  const open = !decision && !expired && !view.ended;
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(`Break-glass: ${view.service} ${view.version}`) },
    {
      type: 'section',
      text: md(
        `🚨 *${escapeMrkdwn(view.service)} ${escapeMrkdwn(view.version)}* inside a change freeze, requested by ` +
          `${mention(request.requestedBy)}: ${escapeMrkdwn(request.reason)}. Nothing changes until the emergency role approves.`,
      ),
      fields: [
        md(`*Approvals*\n${approvals} of ${request.minApprovals} needed`),
        md(`*Emergency role*\n${request.approvers.map(mention).join(', ') || '—'}`),
        md(`*Expires*\n${request.expiresAt}`),
        md(`*Execution*\n\`${view.execution}\``),
      ],
    },
  ];
  if (votes.length) {
    const lines = votes.map(
      (v) =>
        `${v.decision === 'approve' ? '✅' : '❌'} ${mention(v.voter)}${v.reason ? `: ${escapeMrkdwn(v.reason)}` : ''}`,
    );
    blocks.push({ type: 'context', elements: [md(lines.join(' · '))] });
  }
  blocks.push({ type: 'divider' });
  if (open) {
    blocks.push({
      type: 'actions',
      block_id: `break-glass:${view.execution}`,
      elements: [
        {
          type: 'button',
          action_id: BREAK_GLASS_APPROVE_ACTION,
          text: plain('Approve'),
          style: 'primary',
          value: view.execution,
          confirm: {
            title: plain('Approve the break-glass?'),
            text: md(
              `*${escapeMrkdwn(view.service)} ${escapeMrkdwn(view.version)}* goes live inside a change freeze once ` +
                `${request.minApprovals} of the emergency role approve. It is reviewed afterwards.`,
            ),
            confirm: plain('Approve'),
            deny: plain('Cancel'),
          },
        },
        {
          type: 'button',
          action_id: BREAK_GLASS_REJECT_ACTION,
          text: plain('Reject'),
          style: 'danger',
          value: view.execution,
        },
      ],
    });
    return blocks;
  }
  const rejection = votes.find((v) => v.decision === 'reject');
  const outcome =
    decision?.status === 'approved'
      ? `*✅ Approved* by ${decision.by.map(mention).join(', ')}: the go-live goes ahead`
      : decision?.status === 'rejected'
        ? `*❌ Rejected* by ${mention(rejection?.voter ?? decision.by[0] ?? '')}${rejection?.reason ? `: ${escapeMrkdwn(rejection.reason)}` : ''}. Nothing was changed.`
        : expired
          ? `*⌛ Expired* at ${request.expiresAt}: nobody decided in time, nothing was changed`
          : '*🛑 Closed*: the go-live ended before the emergency role decided';
  blocks.push({ type: 'section', text: md(outcome) });
  return blocks;
}
