/**
 * Block Kit for golive's Slack messages: the live status card and the approval request. Shared by
 * the notifier (which posts them) and the Bolt listeners (which update them after a vote).
 */
import type { KnownBlock } from '@slack/web-api';
import type { ApprovalRecord, ApprovalStatus } from '../../core/ports';

export const APPROVE_ACTION = 'golive_approve';
export const REJECT_ACTION = 'golive_reject';
export const START_MODAL = 'golive_start_modal';
export const REJECT_MODAL = 'golive_reject_modal';

export type CardStatus = 'running' | 'succeeded' | 'rolled-back' | 'rollback-failed';
export interface CardStep {
  step: string;
  state: 'started' | 'succeeded' | 'failed';
  weight?: number;
  at: string;
}
/** What golive remembers about a status card (in the store, next to the execution). */
export interface CardState {
  channel: string;
  ts: string;
  executionId: string;
  execution: string;
  service: string;
  version: string;
  strategy?: string;
  requestedBy?: string;
  startedAt: string;
  endedAt?: string;
  status: CardStatus;
  /** One line of the outcome (error name and cause, or "live"). */
  outcome?: string;
  steps: CardStep[];
}
/** Where the approval message is, plus what it showed that the approval record does not keep. */
export interface ApprovalMessageRef {
  channel: string;
  ts: string;
  approvalId: string;
  execution: string;
  readiness: { title: string; status: string }[];
  /** Set once the buttons are gone. */
  final?: boolean;
}

/** Keys under which the refs are kept with the execution (Store.putExecutionValue). */
export const CARD_KEY = 'slack.card';
export const APPROVAL_MESSAGE_KEY = 'slack.approval';

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });
const md = (text: string) => ({ type: 'mrkdwn' as const, text });

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m ${s % 60}s` : `${Math.floor(m / 60)}h ${m % 60}m`;
}

const STATUS_LINE: Record<CardStatus, string> = {
  running: '⏳ In progress',
  succeeded: '✅ Live',
  'rolled-back': '↩️ Rolled back',
  'rollback-failed': '🚨 ROLLBACK FAILED',
};

function stepLabel(s: CardStep): string {
  return s.weight !== undefined && /ShiftTraffic|Bake/.test(s.step) ? `${s.step} ${s.weight}%` : s.step;
}

/** A step that a later step followed is done; the last one is current unless the go-live ended. */
function stepIcon(steps: CardStep[], i: number, status: CardStatus): string {
  const s = steps[i];
  if (s.state === 'failed') return '❌';
  const last = i === steps.length - 1;
  if (!last || status === 'succeeded') return '✅';
  return status === 'running' ? '⏳' : '✅';
}

export function cardText(card: CardState): string {
  return `${STATUS_LINE[card.status]}: ${card.service} ${card.version} (${card.execution})`;
}

export function cardBlocks(card: CardState, now = new Date()): KnownBlock[] {
  const took = formatDuration((card.endedAt ? Date.parse(card.endedAt) : now.getTime()) - Date.parse(card.startedAt));
  const steps = card.steps.map((s, i) => `${stepIcon(card.steps, i, card.status)} ${stepLabel(s)}`);
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(`Go-live: ${card.service} ${card.version}`) },
    {
      type: 'section',
      fields: [
        md(`*Status*\n${STATUS_LINE[card.status]}`),
        md(`*Strategy*\n${card.strategy ?? '—'}`),
        md(`*Requested by*\n${card.requestedBy ? `<@${card.requestedBy}>` : '—'}`),
        md(`*Execution*\n\`${card.execution}\``),
      ],
    },
    { type: 'divider' },
    { type: 'section', text: md(steps.length ? steps.join('\n') : '⏳ starting…') },
  ];
  if (card.outcome) blocks.push({ type: 'section', text: md(card.outcome) });
  blocks.push({
    type: 'context',
    elements: [md(`${card.endedAt ? 'Took' : 'Running for'} ${took} · started ${card.startedAt}`)],
  });
  return blocks;
}

const READINESS_ICON: Record<string, string> = { pass: '✅', passed: '✅', waived: '⚠️', 'to-attest': '🖊️' };
const READINESS_SHOWN = 12;

/** Counts per status, then the items that did not simply pass (what an approver should look at). */
export function readinessSummary(items: { title: string; status: string }[]): string {
  if (items.length === 0) return '(no readiness evidence was attached)';
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item.status, (counts.get(item.status) ?? 0) + 1);
  const line = [...counts].map(([status, n]) => `${READINESS_ICON[status] ?? '❌'} ${n} ${status}`).join(' · ');
  const open = items.filter((i) => i.status !== 'pass' && i.status !== 'passed');
  const shown = open
    .slice(0, READINESS_SHOWN)
    .map((i) => `${READINESS_ICON[i.status] ?? '❌'} ${i.title} (${i.status})`);
  if (open.length > READINESS_SHOWN) shown.push(`… and ${open.length - READINESS_SHOWN} more`);
  return [line, ...shown].join('\n');
}

const DECIDED: Partial<Record<ApprovalStatus, string>> = {
  approved: '✅ Approved',
  rejected: '❌ Rejected',
  expired: '⌛ Expired: nobody decided in time, the go-live rolled back',
  aborted: '🛑 Aborted by a release manager',
};

/** What an approval looks like now: who voted, N of M, and the buttons while it is still open. */
export function approvalBlocks(
  record: Pick<
    ApprovalRecord,
    'approvalId' | 'service' | 'version' | 'requestedBy' | 'approvers' | 'minApprovals' | 'expiresAt' | 'votes'
  > & { status: ApprovalStatus },
  ref: Pick<ApprovalMessageRef, 'execution' | 'readiness'> & { strategy?: string },
  now = new Date(),
): KnownBlock[] {
  const approvals = record.votes.filter((v) => v.decision === 'approve');
  const expired = record.status === 'pending' && Date.parse(record.expiresAt) <= now.getTime();
  const status: ApprovalStatus = expired ? 'expired' : record.status;
  const readiness = readinessSummary(ref.readiness);
  const votes = record.votes.map(
    (v) => `${v.decision === 'approve' ? '✅' : '❌'} <@${v.voter}>${v.reason ? `: ${v.reason}` : ''}`,
  );
  const blocks: KnownBlock[] = [
    { type: 'header', text: plain(`Sign-off: ${record.service} ${record.version}`) },
    {
      type: 'section',
      text: md(
        `*${record.service} ${record.version}* is ready to go live${ref.strategy ? ` (${ref.strategy})` : ''}, requested by <@${record.requestedBy}>.`,
      ),
      fields: [
        md(`*Approvals*\n${approvals.length} of ${record.minApprovals} needed`),
        md(`*Approvers*\n${record.approvers.map((a) => `<@${a}>`).join(', ')}`),
        md(`*Expires*\n${record.expiresAt}`),
        md(`*Execution*\n\`${ref.execution}\``),
      ],
    },
    { type: 'section', text: md(`*Readiness evidence*\n${readiness}`) },
  ];
  if (votes.length) blocks.push({ type: 'context', elements: [md(votes.join(' · '))] });
  blocks.push({ type: 'divider' });
  if (status === 'pending') {
    blocks.push({
      type: 'actions',
      block_id: `approval:${record.approvalId}`,
      elements: [
        {
          type: 'button',
          action_id: APPROVE_ACTION,
          text: plain('Approve'),
          style: 'primary',
          value: record.approvalId,
          confirm: {
            title: plain('Approve this go-live?'),
            text: md(`${record.service} ${record.version} will be promoted to 100% of the traffic.`),
            confirm: plain('Approve'),
            deny: plain('Cancel'),
          },
        },
        {
          type: 'button',
          action_id: REJECT_ACTION,
          text: plain('Reject'),
          style: 'danger',
          value: record.approvalId,
        },
      ],
    });
  } else {
    const by = status === 'approved' ? ` by ${approvals.map((v) => `<@${v.voter}>`).join(', ')}` : '';
    const rejection = record.votes.find((v) => v.decision === 'reject');
    const why = status === 'rejected' && rejection ? ` by <@${rejection.voter}>: ${rejection.reason ?? ''}` : '';
    blocks.push({ type: 'section', text: md(`*${DECIDED[status] ?? status}*${by}${why}`) });
  }
  return blocks;
}

export function approvalText(record: Pick<ApprovalRecord, 'service' | 'version' | 'status'>): string {
  return `Sign-off for ${record.service} ${record.version}: ${record.status}`;
}
