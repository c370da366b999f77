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
import {
  BREAK_GLASS_MESSAGE_KEY,
  breakGlassBlocks,
  breakGlassText,
  cardMessage,
  readBreakGlass,
  successBlocks,
  type BreakGlassMessageRef,
  type UndoOffer,
} from './release-controls';
import { BREAK_GLASS_VALUE, type BreakGlassRequest } from '../../core/steps/break-glass';

/** Where the notifier keeps its message refs (card ts, approval message ts): the golive store. */
export type SlackRefStore = Pick<Store, 'getExecutionValue' | 'putExecutionValue' | 'getApproval'> &
  /** The live version (the success message's Roll back button) and the audit trail (break-glass votes). */
  Partial<Pick<Store, 'getLiveVersion' | 'listAudit'>>;

export interface SlackNotifierOptions {
  /** Release channel (name or id) from golive.config.yaml `slack.channel`. */
  channel: string;
  /**
   * Keeps the card and approval message refs with the execution, so every function (each its
   * own Lambda on AWS) updates the same card. Without it refs live in this process only.
   */
  store?: SlackRefStore;
  now?: () => Date;
  /**
   * How long the success message offers its Roll back button (config controls.undoButtonSeconds);
   * it needs `store` with getLiveVersion. @default 0 (never)
   */
  undoButtonSeconds?: number;
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
  // With the release controls: who paused or promoted, and the buttons while it runs.
  const updateCard = async (card: CardState) => {
    await client.chat.update(await cardMessage(refs, card, now()));
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

  /** The break-glass request: a message of its own with Approve / Reject for the emergency role. */
  async function postBreakGlass(event: NotificationEvent): Promise<{ delivered: boolean; ref?: string }> {
    const details = event.details ?? {};
    const card = await getCard(event.executionId);
    const stored = await refs.getExecutionValue<BreakGlassRequest>(event.executionId, BREAK_GLASS_VALUE);
    const approvers = Array.isArray(details.approvers) ? details.approvers.map(String) : (stored?.approvers ?? []);
    const request = stored ?? {
      reason: String(details.reason ?? ''),
      requestedBy: card?.requestedBy ?? '',
      approvers,
      minApprovals: Number(details.minApprovals ?? 1),
      expiresAt: String(details.expiresAt ?? ''),
    };
    const execution = executionName(event.executionId);
    const view = { service: event.service, version: event.version, execution, request, votes: [] };
    const res = await client.chat.postMessage({
      channel: options.channel,
      // What Slack's notification shows: it names the emergency role, as mentions, so each is notified.
      text: mrkdwnWithMentions(event.text, approvers),
      blocks: breakGlassBlocks(view, now()),
    });
    if (res.ts) {
      const ref: BreakGlassMessageRef = { channel: res.channel ?? options.channel, ts: res.ts, execution };
      await refs.putExecutionValue(event.executionId, BREAK_GLASS_MESSAGE_KEY, ref);
    }
    await reply(card, event.text);
    return { delivered: Boolean(res.ok), ...(res.ts ? { ref: res.ts } : {}) };
  }

  /** Removes the buttons of a still-open break-glass message once the go-live has ended. */
  async function finaliseBreakGlass(event: NotificationEvent): Promise<void> {
    const ref = await refs.getExecutionValue<BreakGlassMessageRef>(event.executionId, BREAK_GLASS_MESSAGE_KEY);
    if (!ref || ref.final || !refs.listAudit) return;
    const state = await readBreakGlass(
      { getExecutionValue: refs.getExecutionValue, listAudit: refs.listAudit },
      event.executionId,
    );
    if (!state) return;
    const view = { service: event.service, version: event.version, execution: ref.execution, ...state, ended: true };
    await client.chat.update({
      channel: ref.channel,
      ts: ref.ts,
      text: breakGlassText(view),
      blocks: breakGlassBlocks(view, now()),
    });
    await refs.putExecutionValue(event.executionId, BREAK_GLASS_MESSAGE_KEY, { ...ref, final: true });
  }

  /** The Roll back offer of a go-live that just succeeded: while the service still runs what it made live. */
  async function undoOffer(event: NotificationEvent, card: CardState): Promise<UndoOffer | undefined> {
    const seconds = options.undoButtonSeconds ?? 0;
    if (event.kind !== 'succeeded' || seconds <= 0 || !refs.getLiveVersion) return undefined;
    const live = await refs.getLiveVersion(event.service);
    if (!live?.previous || live.executionId !== event.executionId) return undefined;
    const ended = Date.parse(card.endedAt ?? '') || now().getTime();
    return {
      execution: card.execution,
      service: event.service,
      previous: live.previous.version,
      until: new Date(ended + seconds * 1000).toISOString(),
    };
  }

  async function onNotify(event: NotificationEvent): Promise<{ delivered: boolean; ref?: string }> {
    if (event.kind === 'approval-requested') return postApproval(event);
    if (event.kind === 'break-glass-requested') return postBreakGlass(event);
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
      await finaliseBreakGlass(event).catch(() => undefined);
    }
    const took = final ? ` (took ${formatDuration(Date.parse(card.endedAt ?? '') - Date.parse(card.startedAt))})` : '';
    const text = `${escapeMrkdwn(event.text)}${took}`;
    // The offer is a convenience: without it (store unreachable) the success is still told.
    const offer = await undoOffer(event, card).catch(() => undefined);
    const res = await client.chat.postMessage({
      channel: card.channel,
      thread_ts: card.ts,
      text,
      ...(offer ? { blocks: successBlocks(text, offer) } : {}),
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
