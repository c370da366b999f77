import type { KnownBlock, View } from '@slack/web-api';
import type { ApprovalRecord } from '../core/ports';
import type { ReadinessItem } from '../core/readiness/evaluate';
import { STRATEGIES } from '../core/strategies';
import { APPROVE_MODAL, REJECT_MODAL, START_MODAL } from '../providers/slack/messages';
import { escapeMrkdwn } from '../providers/slack/mrkdwn';

/** Slack's limits (Block Kit reference): plain_text of an option, options of a checkbox group. */
const OPTION_TEXT_MAX = 75;
const CHECKBOXES_MAX = 10;
const SECTION_TEXT_MAX = 3000;

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });
const md = (text: string) => ({ type: 'mrkdwn' as const, text });
const clip = (text: string, max: number) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);

/** Block and action ids of the start form (one action per block, both named after the field). */
export const START_FIELDS = { service: 'service', version: 'version', strategy: 'strategy', notes: 'notes' } as const;

/** The start form, offering the services `services` (those the user is a release manager of). */
export function startModal(services: string[], meta: { channel: string }): View {
  const options = (values: readonly string[]) => values.map((v) => ({ text: plain(v), value: v }));
  return {
    type: 'modal',
    callback_id: START_MODAL,
    private_metadata: JSON.stringify(meta),
    title: plain('Start a go-live'),
    submit: plain('Start'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'input',
        block_id: START_FIELDS.service,
        label: plain('Service'),
        element: {
          type: 'static_select',
          action_id: START_FIELDS.service,
          options: options(services),
        },
      },
      {
        type: 'input',
        block_id: START_FIELDS.version,
        label: plain('Version'),
        hint: plain('Semantic version, e.g. 2.4.0'),
        element: { type: 'plain_text_input', action_id: START_FIELDS.version, placeholder: plain('2.4.0') },
      },
      {
        type: 'input',
        block_id: START_FIELDS.strategy,
        label: plain('Strategy'),
        optional: true,
        hint: plain("Empty: the service's default"),
        element: { type: 'static_select', action_id: START_FIELDS.strategy, options: options(STRATEGIES) },
      },
      {
        type: 'input',
        block_id: START_FIELDS.notes,
        label: plain('Notes'),
        optional: true,
        element: { type: 'plain_text_input', action_id: START_FIELDS.notes, multiline: true },
      },
    ],
  };
}

/** Where the button was clicked: the approval, and the message to update when the store has no ref. */
export interface VoteMeta {
  approvalId: string;
  channel?: string;
  ts?: string;
}
export type RejectMeta = VoteMeta;
export const REJECT_REASON = 'reason';

export function rejectModal(meta: RejectMeta, what: string, requesterName: string): View {
  return {
    type: 'modal',
    callback_id: REJECT_MODAL,
    private_metadata: JSON.stringify(meta),
    title: plain('Reject the go-live'),
    submit: plain('Reject'),
    close: plain('Cancel'),
    blocks: [
      {
        type: 'section',
        text: md(
          `Rejecting *${escapeMrkdwn(what)}* (requested by ${escapeMrkdwn(requesterName)}) rolls it back. Say why.`,
        ),
      },
      {
        type: 'input',
        block_id: REJECT_REASON,
        label: plain('Reason'),
        element: { type: 'plain_text_input', action_id: REJECT_REASON, multiline: true, min_length: 1 },
      },
    ],
  };
}

/** Checkbox groups are `attest:<n>` (at most 10 items each); the optional note is `note`. */
export const ATTEST_BLOCK = 'attest:';
export const APPROVE_NOTE = 'note';

export interface ApproveModalInput {
  meta: VoteMeta;
  record: Pick<ApprovalRecord, 'service' | 'version'>;
  requesterName: string;
  /** Open items this approver is named to attest. */
  attestable: ReadinessItem[];
  /** Required items still open that others must attest (shown, not offered). */
  awaitingOthers: { item: ReadinessItem; attesters: string[] }[];
}

/**
 * The approve step: what approving does, a checkbox per checklist item this approver may attest
 * (nothing ticked by default: approving attests only what is ticked), and an optional note.
 */
export function approveModal(input: ApproveModalInput): View {
  const { meta, record, requesterName, attestable, awaitingOthers } = input;
  const what = `${escapeMrkdwn(record.service)} ${escapeMrkdwn(record.version)}`;
  const blocks: KnownBlock[] = [
    {
      type: 'section',
      text: md(
        `Approving *${what}* (requested by ${escapeMrkdwn(requesterName)}) lets it be promoted to 100% of the traffic ` +
          'once enough approvers agree.',
      ),
    },
    {
      type: 'section',
      text: md(
        attestable.length
          ? '*Approving attests only the items you tick below.* Tick an item only if you have checked it yourself; ' +
              'what you leave unticked stays open, and required items must be attested or waived before the go-live goes on.'
          : '*You are named to attest none of the open checklist items: approving attests nothing.*',
      ),
    },
  ];
  const groups = groupByCategory(attestable);
  groups.forEach((group, n) => {
    blocks.push({
      type: 'input',
      block_id: `${ATTEST_BLOCK}${n}`,
      optional: true,
      label: plain(clip(`I attest — ${group.category}`, 150)),
      element: {
        type: 'checkboxes',
        action_id: 'attest',
        options: group.items.map((item) => ({
          text: plain(clip(item.title, OPTION_TEXT_MAX)),
          value: item.id,
          description: plain(clip(`${item.required ? 'required' : 'advisory'} · ${item.id}`, OPTION_TEXT_MAX)),
        })),
      },
    });
  });
  if (awaitingOthers.length) {
    const lines = awaitingOthers.map(
      ({ item, attesters }) => `• ${escapeMrkdwn(item.title)} — ${attesters.map(escapeMrkdwn).join(', ')}`,
    );
    blocks.push({
      type: 'context',
      elements: [md(clip(`Also awaiting attestation by others:\n${lines.join('\n')}`, SECTION_TEXT_MAX))],
    });
  }
  blocks.push({
    type: 'input',
    block_id: APPROVE_NOTE,
    optional: true,
    label: plain('Note'),
    element: { type: 'plain_text_input', action_id: APPROVE_NOTE, multiline: true },
  });
  return {
    type: 'modal',
    callback_id: APPROVE_MODAL,
    private_metadata: JSON.stringify(meta),
    title: plain('Approve the go-live'),
    submit: plain('Approve'),
    close: plain('Cancel'),
    blocks,
  };
}

/** Items by category (first seen first), split into groups Slack accepts (10 options each). */
function groupByCategory(items: ReadinessItem[]): { category: string; items: ReadinessItem[] }[] {
  const byCategory = new Map<string, ReadinessItem[]>();
  for (const item of items) byCategory.set(item.category, [...(byCategory.get(item.category) ?? []), item]);
  const groups: { category: string; items: ReadinessItem[] }[] = [];
  for (const [category, all] of byCategory) {
    for (let i = 0; i < all.length; i += CHECKBOXES_MAX)
      groups.push({ category, items: all.slice(i, i + CHECKBOXES_MAX) });
  }
  return groups;
}
