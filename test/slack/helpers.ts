import {
  createLambdaSlackHandler,
  type SlackLambdaHandler,
  type SlackWorkEvent,
} from '../../lambdas/slack/lambda-receiver';
import { slackAppContext } from '../../lambdas/slack/context';
import type { LocalRuntime } from '../../local/runtime';
import { signedHeaders } from '../../local/slack-emulator/signing';
import type { EmulatorMessage, SlackEmulator } from '../../local/slack-emulator/server';

/** Every text of a message: its fallback text and its blocks, flattened. */
export function messageText(m: EmulatorMessage): string {
  return `${m.text}\n${JSON.stringify(m.blocks ?? [])}`;
}

export function findApprovalMessage(e: SlackEmulator): EmulatorMessage | undefined {
  return e.messages().find((m) => !m.thread_ts && JSON.stringify(m.blocks ?? []).includes('golive_approve'));
}

export function findCard(e: SlackEmulator, service = 'demo'): EmulatorMessage | undefined {
  return e
    .messages()
    .find((m) => !m.thread_ts && (m.blocks ?? []).some((b) => JSON.stringify(b).includes(`Go-live: ${service}`)));
}

export function threadOf(e: SlackEmulator, ts: string): string[] {
  return e
    .messages()
    .filter((m) => m.thread_ts === ts)
    .map((m) => m.text);
}

/** A request as Slack sends it: form-encoded body plus the signature headers. */
export function slackRequest(
  signingSecret: string,
  body: string,
  options: { timestamp?: number; retryNum?: number } = {},
): Record<string, string> {
  return {
    'content-type': 'application/x-www-form-urlencoded',
    ...signedHeaders(signingSecret, body, options.timestamp),
    ...(options.retryNum
      ? { 'x-slack-retry-num': String(options.retryNum), 'x-slack-retry-reason': 'http_timeout' }
      : {}),
  };
}

export function commandBody(
  user: string,
  text: string,
  triggerId = `trigger-${Math.random()}`,
  responseUrl = 'http://127.0.0.1:9/unused',
): string {
  return new URLSearchParams({
    command: '/golive',
    text,
    user_id: user,
    user_name: user,
    team_id: 'T0GOLIVE',
    team_domain: 'golive-local',
    channel_id: 'C0RELEASES',
    channel_name: 'releases',
    api_app_id: 'A0GOLIVE',
    response_url: responseUrl,
    trigger_id: triggerId,
  }).toString();
}

/** A reject-modal submission (view_submission) for an approval. */
export function rejectSubmissionBody(user: string, approvalId: string, reason: string): string {
  const payload = {
    type: 'view_submission',
    team: { id: 'T0GOLIVE', domain: 'golive-local' },
    user: { id: user, username: user, name: user, team_id: 'T0GOLIVE' },
    api_app_id: 'A0GOLIVE',
    trigger_id: `trigger-${Math.random()}`,
    view: {
      id: 'V0REJECT',
      type: 'modal',
      callback_id: 'golive_reject_modal',
      private_metadata: JSON.stringify({ approvalId }),
      blocks: [],
      state: { values: { reason: { reason: { type: 'plain_text_input', value: reason } } } },
    },
    response_urls: [],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An approve click (block_actions) on an approval message. */
export function approveClickBody(user: string, approvalId: string, messageTs = '1.000001'): string {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user, name: user, team_id: 'T0GOLIVE' },
    api_app_id: 'A0GOLIVE',
    container: { type: 'message', message_ts: messageTs, channel_id: 'C0RELEASES', is_ephemeral: false },
    trigger_id: `trigger-${Math.random()}`,
    team: { id: 'T0GOLIVE', domain: 'golive-local' },
    channel: { id: 'C0RELEASES', name: 'releases' },
    message: { type: 'message', ts: messageTs, text: '' },
    response_url: 'http://127.0.0.1:9/unused',
    actions: [
      {
        action_id: 'golive_approve',
        block_id: `approval:${approvalId}`,
        value: approvalId,
        type: 'button',
        text: { type: 'plain_text', text: 'Approve' },
        action_ts: '1',
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** An approve-form submission (view_submission) ticking `attest` (item ids), with an optional note. */
export function approveSubmissionBody(user: string, approvalId: string, attest: string[], note?: string): string {
  const payload = {
    type: 'view_submission',
    team: { id: 'T0GOLIVE', domain: 'golive-local' },
    user: { id: user, username: user, name: user, team_id: 'T0GOLIVE' },
    api_app_id: 'A0GOLIVE',
    trigger_id: `trigger-${Math.random()}`,
    view: {
      id: 'V0APPROVE',
      type: 'modal',
      callback_id: 'golive_approve_modal',
      private_metadata: JSON.stringify({ approvalId }),
      blocks: [],
      state: {
        values: {
          'attest:0': {
            attest: {
              type: 'checkboxes',
              selected_options: attest.map((value) => ({ value, text: { type: 'plain_text', text: value } })),
            },
          },
          note: { note: { type: 'plain_text_input', value: note ?? null } },
        },
      },
    },
    response_urls: [],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

/** Every checkbox value of a modal (the items it offers to attest). */
export function offeredItems(view: Record<string, unknown> | undefined): string[] {
  const blocks = (view?.blocks ?? []) as { element?: { type?: string; options?: { value: string }[] } }[];
  return blocks.flatMap((b) => (b.element?.type === 'checkboxes' ? (b.element.options ?? []).map((o) => o.value) : []));
}

/** The checkbox groups of a modal, block id → values, with `pick` ticked (all offered by default). */
export function ticked(
  view: Record<string, unknown> | undefined,
  pick?: (item: string) => boolean,
): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const blocks = (view?.blocks ?? []) as {
    block_id?: string;
    element?: { type?: string; options?: { value: string }[] };
  }[];
  for (const b of blocks) {
    if (b.element?.type !== 'checkboxes' || !b.block_id) continue;
    out[b.block_id] = (b.element.options ?? []).map((o) => o.value).filter((v) => !pick || pick(v));
  }
  return out;
}

/** Clicks Approve as `user`, then submits the approve form with every offered item ticked (or `pick`ed). */
export async function approveInEmulator(
  e: SlackEmulator,
  user: string,
  messageTs: string,
  options: { pick?: (item: string) => boolean; note?: string } = {},
) {
  await e.click(user, messageTs, 'golive_approve');
  const open = await e.waitFor((em) => em.openView(user));
  return e.submit(user, { ...ticked(open.view, options.pick), ...(options.note ? { note: options.note } : {}) });
}

/**
 * The Lambda Slack handler over a local runtime, its hand-over run in-process as Lambda runs the
 * asynchronous invocation: the work event through JSON, not awaited by the answer. `settled()`
 * waits for the work handed over so far (and fails with what failed there).
 */
export function lambdaOverRuntime(
  rt: LocalRuntime,
  credentials: { signingSecret: string; botToken: string },
): { lambda: SlackLambdaHandler; handedOver: SlackWorkEvent[]; settled(): Promise<void> } {
  const handedOver: SlackWorkEvent[] = [];
  const running: Promise<void>[] = [];
  const lambda: SlackLambdaHandler = createLambdaSlackHandler(slackAppContext(rt.client, rt.store), {
    ...credentials,
    clientOptions: { slackApiUrl: rt.slack!.emulator.apiUrl },
    handOver: (work) => {
      const delivered = JSON.parse(JSON.stringify(work)) as SlackWorkEvent;
      handedOver.push(delivered);
      running.push(lambda(delivered));
      return Promise.resolve();
    },
  });
  return {
    lambda,
    handedOver,
    async settled() {
      await Promise.all(running);
    },
  };
}
