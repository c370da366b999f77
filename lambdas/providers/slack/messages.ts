/**
 * Block Kit for golive's Slack messages: the live status card and the approval request. Shared by
 * the notifier (which posts them) and the Bolt listeners (which update them after a vote).
 */
import type { KnownBlock } from '@slack/web-api';
import type { ApprovalRecord, ApprovalStatus } from '../../core/ports';
import type { ReadinessItem, ReadinessReport } from '../../core/readiness/evaluate';
import type { SignOffContext } from '../../core/steps/approval';
import { escapeMrkdwn, mention } from './mrkdwn';

export const APPROVE_ACTION = 'golive_approve';
export const REJECT_ACTION = 'golive_reject';
export const START_MODAL = 'golive_start_modal';
export const REJECT_MODAL = 'golive_reject_modal';
/** The approve step: the checklist items to attest, ticked one by one, and an optional note. */
export const APPROVE_MODAL = 'golive_approve_modal';

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
  /** What the approvers decide on beside the checklist (lambdas/core/steps/approval.ts SignOffContext). */
  context?: SignOffContext;
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

/** `controls`: the release controls' lines and buttons (release-controls.ts controlBlocks), above the timing line. */
export function cardBlocks(card: CardState, now = new Date(), controls: KnownBlock[] = []): KnownBlock[] {
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
  if (card.outcome) blocks.push({ type: 'section', text: md(escapeMrkdwn(card.outcome)) });
  blocks.push(...controls);
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
const pctOf = (v: number | null) => (v === null ? '–' : `${Math.round(v * 10000) / 100}%`);
const msOf = (v: number | null) => (v === null ? '–' : `${v} ms`);
const VERDICT_MARK: Record<string, string> = { pass: '✅', marginal: '⚠️', fail: '❌', inconclusive: '❔' };

/** The sign-off context a notification carries, checked by shape before it is rendered. */
export function isSignOffContext(value: unknown): value is SignOffContext {
  const c = value as Partial<SignOffContext> | null;
  return (
    typeof c === 'object' &&
    c !== null &&
    typeof c.candidate === 'string' &&
    Array.isArray(c.canary) &&
    typeof c.links === 'object' &&
    c.links !== null
  );
}

/** The change, the split now, each canary step measured and judged, the notes and links: what an approver weighs. */
export function contextBlocks(c: SignOffContext): KnownBlock[] {
  const fields = [md(`*Change*\n\`${c.live ?? '(none recorded)'}\` → \`${c.candidate}\``)];
  if (c.weights) fields.push(md(`*Traffic now*\n${c.weights.candidate}% candidate · ${c.weights.stable}% stable`));
  const blocks: KnownBlock[] = [{ type: 'section', fields }];
  if (c.canary.length) {
    const rows = c.canary.map(
      (s) =>
        `${VERDICT_MARK[s.verdict] ?? '•'} *${s.weight}%*${s.phase === 'sign-off wait' ? ' (sign-off wait)' : ''} ${s.verdict}${s.score === null ? '' : ` (${s.score})`}${s.flagged ? ' *FLAGGED*' : ''}` +
        ` — requests ${s.requests.candidate} vs ${s.requests.baseline}, 5xx ${pctOf(s.errorRate.candidate)} vs ${pctOf(s.errorRate.baseline)},` +
        ` p99 ${msOf(s.p99Ms.candidate)} vs ${msOf(s.p99Ms.baseline)}`,
    );
    blocks.push({
      type: 'section',
      text: md(`*Canary analysis* (candidate vs stable)\n${rows.join('\n')}`.slice(0, 3000)),
    });
  }
  const extra: string[] = [];
  if (c.notes) extra.push(`*Notes* ${escapeMrkdwn(c.notes)}`.slice(0, 1500));
  const links = Object.entries(c.links).map(
    ([name, url]) => `<${url.replace(/[<>|]/g, encodeURIComponent)}|${escapeMrkdwn(name)}>`,
  );
  if (links.length) extra.push(`*Links* ${links.join(' · ')}`);
  if (extra.length) blocks.push({ type: 'context', elements: extra.map((e) => md(e)) });
  return blocks;
}

export function approvalBlocks(
  record: Pick<
    ApprovalRecord,
    'approvalId' | 'service' | 'version' | 'requestedBy' | 'approvers' | 'minApprovals' | 'expiresAt' | 'votes'
  > & { status: ApprovalStatus },
  ref: Pick<ApprovalMessageRef, 'execution' | 'readiness' | 'context'> & { strategy?: string },
  now = new Date(),
  /** The checklist with its answers, shown once the sign-off is decided. */
  checklist?: ReadinessReport,
): KnownBlock[] {
  const approvals = record.votes.filter((v) => v.decision === 'approve');
  const expired = record.status === 'pending' && Date.parse(record.expiresAt) <= now.getTime();
  const status: ApprovalStatus = expired ? 'expired' : record.status;
  const readiness = readinessSummary(ref.readiness);
  const votes = record.votes.map(
    (v) =>
      `${v.decision === 'approve' ? '✅' : '❌'} ${mention(v.voter)}${v.reason ? `: ${escapeMrkdwn(v.reason)}` : ''}`,
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
  ];
  if (ref.context) blocks.push(...contextBlocks(ref.context));
  // Once decided, the checklist as signed off (below) replaces the evidence as it stood when asked.
  const signedOff = checklist && status !== 'pending';
  if (!signedOff) blocks.push({ type: 'section', text: md(`*Readiness evidence*\n${readiness}`) });
  if (votes.length) blocks.push({ type: 'context', elements: [md(votes.join(' · '))] });
  blocks.push({ type: 'divider' });
  if (status === 'pending') {
    blocks.push({
      type: 'context',
      elements: [
        md(
          '🖊️ *Approving attests only what you tick:* Approve opens a form listing the checklist items you are named ' +
            'to attest; nothing is attested for you.',
        ),
      ],
    });
    blocks.push({
      type: 'actions',
      block_id: `approval:${record.approvalId}`,
      elements: [
        {
          type: 'button',
          action_id: APPROVE_ACTION,
          text: plain('Approve'),
          style: 'primary',
          // No confirm dialog: the click opens the approve form (the items to attest, ticked one by one).
          value: record.approvalId,
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
    const by = status === 'approved' ? ` by ${approvals.map((v) => mention(v.voter)).join(', ')}` : '';
    const rejection = record.votes.find((v) => v.decision === 'reject');
    const why =
      status === 'rejected' && rejection
        ? ` by ${mention(rejection.voter)}: ${escapeMrkdwn(rejection.reason ?? '')}`
        : '';
    blocks.push({ type: 'section', text: md(`*${DECIDED[status] ?? status}*${by}${why}`) });
    if (signedOff) blocks.push(...checklistBlocks(checklist));
  }
  return blocks;
}

const SECTION_MAX = 3000;
const when = (at: string) => `${at.slice(0, 16).replace('T', ' ')} UTC`;

/** One line per item a person answered or left open: attested or waived by whom and when. */
function checklistLine(i: ReadinessItem): string | undefined {
  const title = escapeMrkdwn(i.title);
  const level = i.required ? '' : ' (advisory)';
  if (i.status === 'attested' && i.attestation) {
    const note = i.attestation.note ? `: ${escapeMrkdwn(i.attestation.note)}` : '';
    return `🖊️ ${title}${level} — attested by ${mention(i.attestation.by)} at ${when(i.attestation.at)}${note}`;
  }
  if (i.status === 'waived' && i.waiver) {
    return `⚠️ ${title}${level} — waived by ${mention(i.waiver.by)} at ${when(i.waiver.at)}: ${escapeMrkdwn(i.waiver.reason)}`;
  }
  if (i.status === 'to-attest') return `⏳ ${title}${level} — not attested`;
  if (i.status === 'fail') return `❌ ${title}${level} — failed`;
  return undefined;
}

/**
 * The checklist at the sign-off (shown once it is decided or closed): counts, then every item that
 * people answered or left open, with who attested or waived it and when.
 */
export function checklistBlocks(report: ReadinessReport): KnownBlock[] {
  const count = (s: string) => report.items.filter((i) => i.status === s).length;
  const head =
    `*Checklist at the sign-off* — ${count('pass')} passed, ${count('attested')} attested, ${count('waived')} waived` +
    `${count('to-attest') ? `, ${count('to-attest')} not attested` : ''}${count('fail') ? `, ${count('fail')} failed` : ''}` +
    `${count('n/a') ? `, ${count('n/a')} not applicable` : ''}`;
  const lines = report.items.map(checklistLine).filter((l): l is string => l !== undefined);
  // Sections hold 3000 characters: the lines go into as many as they need.
  const sections: string[] = [head];
  for (const line of lines) {
    const text = line.length > SECTION_MAX ? `${line.slice(0, SECTION_MAX - 1)}…` : line;
    const last = sections[sections.length - 1];
    if (last.length + 1 + text.length <= SECTION_MAX) sections[sections.length - 1] = `${last}\n${text}`;
    else sections.push(text);
  }
  return sections.map((text) => ({ type: 'section', text: md(text) }));
}

export function approvalText(record: Pick<ApprovalRecord, 'service' | 'version' | 'status'>): string {
  return `Sign-off for ${record.service} ${record.version}: ${record.status}`;
}
