import type { WebClient } from '@slack/web-api';
import type { NotificationEvent, Notifier, ProgressEvent, Store } from '../../core/ports';
import { describeCause } from '../../core/steps/step';
import { executionName } from '../../core/request';
import { ROLLBACK_PATH } from '../../core/workflow/definition';
import { READINESS_VALUE, type ReadinessReport } from '../../core/steps/readiness';
import { escapeMrkdwn, mrkdwnWithMentions } from './mrkdwn';
import {
  APPROVAL_MESSAGE_KEY,
  CARD_KEY,
  approvalBlocks,
  approvalText,
  cardBlocks,
  cardText,
  formatDuration,
  isSignOffContext,
  type ApprovalMessageRef,
  type CardState,
} from './messages';

/** Where the notifier keeps its message refs (card ts, approval message ts): the golive store. */
export type SlackRefStore = Pick<Store, 'getExecutionValue' | 'putExecutionValue' | 'getApproval'>;

export interface SlackNotifierOptions {
  /** Release channel (name or id) from golive.config.yaml `slack.channel`. */
  channel: string;
  /**
   * Keeps the card and approval message refs with the execution, so every function (each its
   * own Lambda on AWS) updates the same card. Without it refs live in this process only.
   */
  store?: SlackRefStore;
  now?: () => Date;
}

const FINAL_KIND: Partial<Record<NotificationEvent['kind'], CardState['status']>> = {
  succeeded: 'succeeded',
  'rolled-back': 'rolled-back',
  'rollback-failed': 'rollback-failed',
};

const ROLLBACK_STEPS = new Set<string>(ROLLBACK_PATH);

function memoryRefs(): SlackRefStore {
  const values = new Map<string, unknown>();
  return {
    getExecutionValue: <T>(id: string, key: string) => Promise.resolve(values.get(`${id}\n${key}`) as T | undefined),
    putExecutionValue: (id, key, value) => {
      values.set(`${id}\n${key}`, value);
      return Promise.resolve();
    },
    getApproval: () => Promise.resolve(undefined),
  };
}

/**
 * Notifier over the Slack Web API: one live status card per go-live (posted at its first step,
 * updated in place with chat.update), thread replies on the card for notable events, and the
 * approval message with its buttons. The same client works against Slack and against the local
 * Slack emulator (WebClient's `slackApiUrl` pointed at it).
 */
export function slackNotifier(client: WebClient, options: SlackNotifierOptions): Notifier {
  const refs = options.store ?? memoryRefs();
  const now = options.now ?? (() => new Date());
  // Steps of one execution are sequential, but a card update must never overtake the previous one.
  const queues = new Map<string, Promise<unknown>>();
  const serial = <T>(executionId: string, fn: () => Promise<T>): Promise<T> => {
    const next = (queues.get(executionId) ?? Promise.resolve()).then(fn, fn);
    const settled = next.then(
      () => undefined,
      () => undefined,
    );
    queues.set(executionId, settled);
    void settled.then(() => {
      if (queues.get(executionId) === settled) queues.delete(executionId);
    });
    return next;
  };

  const getCard = (executionId: string) => refs.getExecutionValue<CardState>(executionId, CARD_KEY);
  const saveCard = (card: CardState) => refs.putExecutionValue(card.executionId, CARD_KEY, card);
  const updateCard = async (card: CardState) => {
    await client.chat.update({
      channel: card.channel,
      ts: card.ts,
      text: cardText(card),
      blocks: cardBlocks(card, now()),
    });
  };
  // Every text posted here comes from the core and may quote what someone typed (a reject or abort
  // reason): escaped, so `<!channel>` is shown, never triggered.
  const reply = async (card: CardState | undefined, text: string) => {
    if (card) await client.chat.postMessage({ channel: card.channel, thread_ts: card.ts, text: escapeMrkdwn(text) });
  };

  async function createCard(event: ProgressEvent | NotificationEvent): Promise<CardState> {
    const card: CardState = {
      channel: options.channel,
      ts: '',
      executionId: event.executionId,
      execution: executionName(event.executionId),
      service: event.service,
      version: event.version,
      ...('strategy' in event && event.strategy ? { strategy: event.strategy } : {}),
      ...('requestedBy' in event && event.requestedBy ? { requestedBy: event.requestedBy } : {}),
      startedAt: 'at' in event ? event.at : now().toISOString(),
      status: 'running',
      steps: [],
    };
    const res = await client.chat.postMessage({
      channel: options.channel,
      text: cardText(card),
      blocks: cardBlocks(card, now()),
    });
    card.channel = res.channel ?? options.channel;
    card.ts = res.ts ?? '';
    await saveCard(card);
    return card;
  }

  async function onProgress(event: ProgressEvent): Promise<void> {
    const card = (await getCard(event.executionId)) ?? (await createCard(event));
    if (event.version && !card.version) card.version = event.version;
    card.strategy ??= event.strategy;
    card.requestedBy ??= event.requestedBy;
    const last = card.steps[card.steps.length - 1];
    if (last && last.step === event.step && last.weight === event.weight && last.state === 'started') {
      last.state = event.state;
    } else {
      card.steps.push({
        step: event.step,
        state: event.state,
        ...(event.weight !== undefined ? { weight: event.weight } : {}),
        at: event.at,
      });
    }
    const rollbackStarts = event.step === 'Rollback' && event.state === 'started' && event.error;
    if (rollbackStarts) {
      // The step that failed may have failed outside its function (an alarm failing a bake, a timeout).
      const failed = [...card.steps].reverse().find((s) => !ROLLBACK_STEPS.has(s.step));
      if (failed) failed.state = 'failed';
    }
    await saveCard(card);
    await updateCard(card);
    if (rollbackStarts && event.error) {
      const cause = describeCause(event.error.Cause);
      await reply(
        card,
        event.error.Error === 'AlarmTriggered'
          ? `🚨 Alarm fired: ${cause}. Rolling back.`
          : `↩️ Rolling back after ${event.error.Error}: ${cause}`,
      );
    }
  }

  /** Removes the buttons of a still-open approval message once the go-live has ended. */
  async function finaliseApproval(executionId: string): Promise<void> {
    const ref = await refs.getExecutionValue<ApprovalMessageRef>(executionId, APPROVAL_MESSAGE_KEY);
    if (!ref || ref.final) return;
    const record = await refs.getApproval(ref.approvalId);
    if (!record) return;
    const status = record.status === 'pending' ? 'expired' : record.status;
    const checklist = await refs.getExecutionValue<ReadinessReport>(executionId, READINESS_VALUE);
    await client.chat.update({
      channel: ref.channel,
      ts: ref.ts,
      text: approvalText({ ...record, status }),
      blocks: approvalBlocks({ ...record, status }, ref, now(), checklist),
    });
    await refs.putExecutionValue(executionId, APPROVAL_MESSAGE_KEY, { ...ref, final: true });
  }

  async function postApproval(event: NotificationEvent): Promise<{ delivered: boolean; ref?: string }> {
    const details = event.details ?? {};
    const approvalId = String(details.approvalId ?? '');
    const readiness = (
      Array.isArray(details.readiness) ? (details.readiness as ApprovalMessageRef['readiness']) : []
    ).map((i) => ({ title: String(i.title), status: String(i.status) }));
    const execution = String(details.execution ?? executionName(event.executionId));
    const context = isSignOffContext(details.context) ? details.context : undefined;
    const card = await getCard(event.executionId);
    const record = approvalId ? await refs.getApproval(approvalId) : undefined;
    const blocks = record
      ? approvalBlocks(
          record,
          {
            execution,
            readiness,
            ...(context ? { context } : {}),
            ...(card?.strategy ? { strategy: card.strategy } : {}),
          },
          now(),
        )
      : undefined;
    // The text (what Slack's notification shows) names the approvers: written as mentions, it notifies them.
    const approvers = Array.isArray(details.approvers) ? details.approvers.map(String) : [];
    const res = await client.chat.postMessage({
      channel: options.channel,
      text: mrkdwnWithMentions(event.text, approvers),
      ...(blocks ? { blocks } : {}),
    });
    if (res.ts && approvalId) {
      const ref: ApprovalMessageRef = {
        channel: res.channel ?? options.channel,
        ts: res.ts,
        approvalId,
        execution,
        readiness,
        ...(context ? { context } : {}),
      };
      await refs.putExecutionValue(event.executionId, APPROVAL_MESSAGE_KEY, ref);
    }
    await reply(card, `🖊️ Sign-off requested: ${event.text}`);
    return { delivered: Boolean(res.ok), ...(res.ts ? { ref: res.ts } : {}) };
  }

  /**
   * A sign-off about to expire: a reply in the approval message's thread (where the buttons are),
   * mentioning the people it is for (`details.mention`), so Slack notifies each of them. Without
   * an approval message (it was never posted) the reminder is a message of its own in the channel.
   */
  async function remind(event: NotificationEvent): Promise<{ delivered: boolean; ref?: string }> {
    const mentioned = Array.isArray(event.details?.mention) ? event.details.mention.map(String) : [];
    const text = mrkdwnWithMentions(event.text, mentioned);
    const ref = await refs.getExecutionValue<ApprovalMessageRef>(event.executionId, APPROVAL_MESSAGE_KEY);
    const res = await client.chat.postMessage(
      ref ? { channel: ref.channel, thread_ts: ref.ts, text } : { channel: options.channel, text },
    );
    return { delivered: Boolean(res.ok), ...(res.ts ? { ref: res.ts } : {}) };
  }

  async function onNotify(event: NotificationEvent): Promise<{ delivered: boolean; ref?: string }> {
    if (event.kind === 'approval-requested') return postApproval(event);
    if (event.kind === 'approval-reminder') return remind(event);
    const card = await getCard(event.executionId);
    const final = FINAL_KIND[event.kind];
    if (!card) {
      // No card (the go-live never reported a step): the plain message is the notification.
      const res = await client.chat.postMessage({ channel: options.channel, text: escapeMrkdwn(event.text) });
      if (final) await finaliseApproval(event.executionId).catch(() => undefined);
      return { delivered: Boolean(res.ok), ...(res.ts ? { ref: res.ts } : {}) };
    }
    if (final) {
      card.status = final;
      card.endedAt = now().toISOString();
      card.outcome = event.text;
      await saveCard(card);
      await updateCard(card);
      await finaliseApproval(event.executionId).catch(() => undefined);
    }
    const took = final ? ` (took ${formatDuration(Date.parse(card.endedAt ?? '') - Date.parse(card.startedAt))})` : '';
    const res = await client.chat.postMessage({
      channel: card.channel,
      thread_ts: card.ts,
      text: `${escapeMrkdwn(event.text)}${took}`,
      // Days after the go-live its thread is out of sight: a scratch copy left behind is told in the channel too.
      reply_broadcast: event.kind === 'scratch',
    });
    return { delivered: Boolean(res.ok), ...(res.ts ? { ref: res.ts } : {}) };
  }

  return {
    notify: (event) => serial(event.executionId, () => onNotify(event)),
    progress: (event) => serial(event.executionId, () => onProgress(event)),
  };
}
