import type { View } from '@slack/web-api';
import type { GoLiveConfig } from '../core/config';
import { STRATEGIES } from '../core/strategies';
import { REJECT_MODAL, START_MODAL } from '../providers/slack/messages';

const plain = (text: string) => ({ type: 'plain_text' as const, text, emoji: true });

/** Block and action ids of the start form (one action per block, both named after the field). */
export const START_FIELDS = { service: 'service', version: 'version', strategy: 'strategy', notes: 'notes' } as const;

export function startModal(config: GoLiveConfig, meta: { channel: string }): View {
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
          options: options(Object.keys(config.services)),
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

export interface RejectMeta {
  approvalId: string;
  channel?: string;
  ts?: string;
}
export const REJECT_REASON = 'reason';

export function rejectModal(meta: RejectMeta, what: string): View {
  return {
    type: 'modal',
    callback_id: REJECT_MODAL,
    private_metadata: JSON.stringify(meta),
    title: plain('Reject the go-live'),
    submit: plain('Reject'),
    close: plain('Cancel'),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `Rejecting *${what}* rolls it back. Say why.` } },
      {
        type: 'input',
        block_id: REJECT_REASON,
        label: plain('Reason'),
        element: { type: 'plain_text_input', action_id: REJECT_REASON, multiline: true, min_length: 1 },
      },
    ],
  };
}
