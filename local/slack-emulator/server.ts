import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { parse as parseQuery } from 'node:querystring';
import { closeServer, listenLocal } from '../demo/net';
import { readBody, sendJson } from '../http';
import { signedHeaders } from './signing';

/** Anything Block Kit: the emulator stores and renders it, it does not validate it. */
type Json = Record<string, unknown>;

export interface EmulatorUser {
  id: string;
  /** Display name (users.info `profile.display_name`), shown for `<@id>`. */
  name: string;
  /** Full name (users.info `real_name`); default: the display name. */
  realName?: string;
  role: string;
}
export interface EmulatorMessage {
  ts: string;
  channel: string;
  user: string;
  text: string;
  blocks?: Json[];
  thread_ts?: string;
  edited?: boolean;
}
export interface EmulatorEphemeral {
  ts: string;
  channel: string;
  user: string;
  text: string;
  blocks?: Json[];
}
export interface EmulatorView {
  id: string;
  user: string;
  view: Json;
  errors?: Record<string, string>;
}
export type SubmittedValues = Record<string, string | string[]>;
export interface SentRequest {
  status: number;
  body: string;
}

export interface SlackEmulatorOptions {
  /** 0 = ephemeral (tests). */
  port: number;
  signingSecret: string;
  botToken: string;
  /** The release channel, e.g. "#releases". */
  channel: string;
  users: EmulatorUser[];
  /** Serves the app's request URL (`/slack/events`) on the emulator's own server. */
  app?: (req: IncomingMessage, res: ServerResponse) => void;
  /** Where signed requests go; default: this server's `/slack/events`. */
  requestUrl?: string;
  portFlag?: string;
}

export interface SlackEmulator {
  url: string;
  /** For WebClient's `slackApiUrl`. */
  apiUrl: string;
  channelId: string;
  messages(): EmulatorMessage[];
  ephemerals(user?: string): EmulatorEphemeral[];
  openView(user: string): EmulatorView | undefined;
  /** Types a slash command as `user`, signed like Slack; `retryNum` adds X-Slack-Retry-Num. */
  command(
    user: string,
    text: string,
    options?: { command?: string; triggerId?: string; retryNum?: number },
  ): Promise<SentRequest>;
  /** Clicks a button of a message as `user`. */
  click(user: string, messageTs: string, actionId: string, options?: { retryNum?: number }): Promise<SentRequest>;
  /**
   * Submits the user's open modal with `values` (block id → value; the ticked option values of a
   * checkbox group) as Slack's view_submission.
   */
  submit(user: string, values: SubmittedValues, options?: { retryNum?: number }): Promise<SentRequest>;
  /** A response_url for `user`, as Slack puts in a command or action payload. */
  responseUrl(user: string): string;
  /** Resolves with the predicate's value once it is truthy, re-checked after every change (no polling). */
  waitFor<T>(predicate: (emulator: SlackEmulator) => T | undefined | false, timeoutMs?: number): Promise<T>;
  close(): Promise<void>;
}

const TEAM = { id: 'T0GOLIVE', domain: 'golive-local' };
const APP_ID = 'A0GOLIVE';
const BOT_USER = 'U_GOLIVE';
const TRIGGER_TTL_MS = 10_000;

/** Web API arguments arrive form-encoded (objects as JSON strings) or as JSON. */
function parseApiArgs(raw: string, contentType: string | undefined): Json {
  if (contentType?.startsWith('application/json')) return raw ? (JSON.parse(raw) as Json) : {};
  const args: Json = {};
  for (const [key, value] of Object.entries(parseQuery(raw))) {
    const text = Array.isArray(value) ? value[0] : value;
    if (typeof text !== 'string') continue;
    args[key] = /^[[{]/.test(text) ? (JSON.parse(text) as unknown) : text;
  }
  return args;
}

/** Every `value` a modal's inputs hold, in Slack's `view.state.values` shape. */
function stateValues(view: Json, values: SubmittedValues): Json {
  const out: Json = {};
  for (const block of (view.blocks as Json[] | undefined) ?? []) {
    if (block.type !== 'input') continue;
    const element = block.element as Json;
    const blockId = String(block.block_id);
    const actionId = String(element.action_id);
    const given = values[blockId];
    if (element.type === 'checkboxes') {
      // Slack sends the ticked options themselves (text, value, description), in the order shown.
      const ticked = new Set(Array.isArray(given) ? given : given ? [given] : []);
      const options = ((element.options as Json[] | undefined) ?? []).filter((o) => ticked.has(String(o.value)));
      out[blockId] = { [actionId]: { type: 'checkboxes', selected_options: options } };
      continue;
    }
    const value = Array.isArray(given) ? (given[0] ?? '') : (given ?? '');
    out[blockId] = {
      [actionId]:
        element.type === 'static_select'
          ? {
              type: 'static_select',
              selected_option: value ? { text: { type: 'plain_text', text: value }, value } : null,
            }
          : { type: element.type, value: value || null },
    };
  }
  return out;
}

const LIMITS = {
  title: 24,
  optionText: 75,
  options: 10,
  modalBlocks: 100,
  messageBlocks: 50,
  section: 3000,
  metadata: 3000,
};
const textOf = (t: unknown) => (t && typeof t === 'object' ? String((t as Json).text ?? '') : '');

/** What Slack would refuse in blocks (invalid_blocks), so a layout that breaks on Slack breaks here too. */
function blockProblems(blocks: Json[], max: number): string[] {
  const problems: string[] = [];
  if (blocks.length > max) problems.push(`more than ${max} blocks (${blocks.length})`);
  blocks.forEach((b, i) => {
    if (b.type === 'section' && textOf(b.text).length > LIMITS.section)
      problems.push(`blocks[${i}].text longer than ${LIMITS.section} characters`);
    const element = b.element as Json | undefined;
    if (b.type === 'input' && (!b.block_id || !element?.action_id))
      problems.push(`blocks[${i}] input needs a block_id and an action_id`);
    if (element?.type === 'checkboxes') {
      const options = (element.options as Json[] | undefined) ?? [];
      if (options.length < 1 || options.length > LIMITS.options)
        problems.push(`blocks[${i}].element has ${options.length} options (1 to ${LIMITS.options})`);
      options.forEach((o, j) => {
        if (textOf(o.text).length > LIMITS.optionText)
          problems.push(`blocks[${i}].element.options[${j}].text longer than ${LIMITS.optionText} characters`);
        if (o.description && textOf(o.description).length > LIMITS.optionText)
          problems.push(`blocks[${i}].element.options[${j}].description longer than ${LIMITS.optionText} characters`);
      });
    }
  });
  return problems;
}

function viewProblems(view: Json): string[] {
  const problems = blockProblems((view.blocks as Json[] | undefined) ?? [], LIMITS.modalBlocks);
  if (textOf(view.title).length > LIMITS.title) problems.push(`title longer than ${LIMITS.title} characters`);
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > LIMITS.metadata)
    problems.push(`private_metadata longer than ${LIMITS.metadata} characters`);
  return problems;
}

const invalid = (error: string, problems: string[]) => ({
  ok: false,
  error,
  response_metadata: { messages: problems.map((p) => `[ERROR] ${p}`) },
});

export async function startSlackEmulator(options: SlackEmulatorOptions): Promise<SlackEmulator> {
  const channelName = options.channel.replace(/^#/, '');
  const channelId = `C0${channelName.toUpperCase().replace(/[^A-Z0-9]/g, '')}`.slice(0, 11);
  const messages: EmulatorMessage[] = [];
  const ephemerals: EmulatorEphemeral[] = [];
  const views = new Map<string, EmulatorView>();
  const triggers = new Map<string, { user: string; at: number }>();
  const responseUrls = new Map<string, { user: string; channel: string }>();
  let version = 0;
  let lastTs = 0;
  const watchers = new Set<() => void>();
  const changed = () => {
    version++;
    for (const watcher of [...watchers]) watcher();
  };
  const nextTs = () => {
    lastTs = Math.max(lastTs + 1, Date.now() * 1000);
    return `${Math.floor(lastTs / 1_000_000)}.${String(lastTs % 1_000_000).padStart(6, '0')}`;
  };
  const resolveChannel = (c: unknown) =>
    typeof c === 'string' && [channelId, channelName, `#${channelName}`].includes(c) ? channelId : undefined;
  const userOf = (id: string) => options.users.find((u) => u.id === id) ?? { id, name: id, role: 'guest' };
  const page = readFileSync(join(__dirname, 'page.html'), 'utf8');

  const server = createServer((req, res) => {
    void route(req, res).catch((err: Error) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: err.message });
      else res.end();
    });
  });
  const port = await listenLocal(server, options.port, options.portFlag ?? '--slack-port');
  const url = `http://127.0.0.1:${port}`;
  const requestUrl = options.requestUrl ?? `${url}/slack/events`;

  const newTrigger = (user: string) => {
    const id = `${Date.now()}.${randomUUID()}`;
    triggers.set(id, { user, at: Date.now() });
    return id;
  };
  const newResponseUrl = (user: string) => {
    const id = randomUUID();
    responseUrls.set(id, { user, channel: channelId });
    return `${url}/emulator/respond/${id}`;
  };

  /** Posts a signed request to the app, exactly as Slack would. */
  async function send(body: string, retryNum?: number): Promise<SentRequest> {
    const res = await fetch(requestUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...signedHeaders(options.signingSecret, body),
        ...(retryNum ? { 'x-slack-retry-num': String(retryNum), 'x-slack-retry-reason': 'http_timeout' } : {}),
      },
      body,
    });
    return { status: res.status, body: await res.text() };
  }

  const postEphemeral = (user: string, text: string, blocks?: Json[]) => {
    ephemerals.push({ ts: nextTs(), channel: channelId, user, text, ...(blocks ? { blocks } : {}) });
    changed();
  };

  /** A slash command's immediate response (the ack body) as Slack shows it. */
  const showResponse = (user: string, raw: string) => {
    if (!raw) return;
    let body: Json;
    try {
      body = JSON.parse(raw) as Json;
    } catch {
      body = { text: raw };
    }
    if (!body.text && !body.blocks) return;
    if (body.response_type === 'in_channel') {
      messages.push({
        ts: nextTs(),
        channel: channelId,
        user: BOT_USER,
        text: String(body.text ?? ''),
        ...(body.blocks ? { blocks: body.blocks as Json[] } : {}),
      });
      changed();
    } else postEphemeral(user, String(body.text ?? ''), body.blocks as Json[] | undefined);
  };

  const emulator: SlackEmulator = {
    url,
    apiUrl: `${url}/api/`,
    channelId,
    messages: () => messages.map((m) => ({ ...m })),
    ephemerals: (user) => ephemerals.filter((e) => !user || e.user === user),
    openView: (user) => [...views.values()].find((v) => v.user === user),
    responseUrl: (user) => newResponseUrl(user),
    async command(user, text, opts = {}) {
      const u = userOf(user);
      const body = new URLSearchParams({
        token: 'local-verification-token',
        team_id: TEAM.id,
        team_domain: TEAM.domain,
        channel_id: channelId,
        channel_name: channelName,
        user_id: u.id,
        user_name: u.name,
        command: opts.command ?? '/golive',
        text,
        api_app_id: APP_ID,
        is_enterprise_install: 'false',
        response_url: newResponseUrl(user),
        trigger_id: opts.triggerId ?? newTrigger(user),
      }).toString();
      const sent = await send(body, opts.retryNum);
      if (sent.status === 200) showResponse(user, sent.body);
      return sent;
    },
    async click(user, messageTs, actionId, opts = {}) {
      const message = messages.find((m) => m.ts === messageTs);
      if (!message) throw new Error(`no message ${messageTs}`);
      const block = (message.blocks ?? []).find(
        (b) => b.type === 'actions' && (b.elements as Json[]).some((e) => e.action_id === actionId),
      );
      const element = (block?.elements as Json[] | undefined)?.find((e) => e.action_id === actionId);
      if (!block || !element) throw new Error(`message ${messageTs} has no button ${actionId}`);
      const u = userOf(user);
      const payload = {
        type: 'block_actions',
        user: { id: u.id, username: u.name, name: u.name, team_id: TEAM.id },
        api_app_id: APP_ID,
        token: 'local-verification-token',
        container: { type: 'message', message_ts: message.ts, channel_id: channelId, is_ephemeral: false },
        trigger_id: newTrigger(user),
        team: TEAM,
        enterprise: null,
        is_enterprise_install: false,
        channel: { id: channelId, name: channelName },
        message: { type: 'message', user: BOT_USER, ts: message.ts, text: message.text, blocks: message.blocks },
        state: { values: {} },
        response_url: newResponseUrl(user),
        actions: [
          {
            action_id: actionId,
            block_id: block.block_id,
            text: element.text,
            value: element.value,
            ...(element.style ? { style: element.style } : {}),
            type: 'button',
            action_ts: String(Date.now() / 1000),
          },
        ],
      };
      return send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), opts.retryNum);
    },
    async submit(user, values, opts = {}) {
      const open = emulator.openView(user);
      if (!open) throw new Error(`${user} has no open modal`);
      const u = userOf(user);
      const payload = {
        type: 'view_submission',
        team: TEAM,
        user: { id: u.id, username: u.name, name: u.name, team_id: TEAM.id },
        api_app_id: APP_ID,
        token: 'local-verification-token',
        trigger_id: newTrigger(user),
        view: {
          ...open.view,
          id: open.id,
          team_id: TEAM.id,
          app_id: APP_ID,
          bot_id: 'B_GOLIVE',
          hash: `${open.id}-hash`,
          state: { values: stateValues(open.view, values) },
        },
        response_urls: [],
        is_enterprise_install: false,
        enterprise: null,
      };
      const sent = await send(new URLSearchParams({ payload: JSON.stringify(payload) }).toString(), opts.retryNum);
      if (sent.status !== 200) return sent;
      const response = sent.body ? (JSON.parse(sent.body) as Json) : {};
      if (response.response_action === 'errors') open.errors = response.errors as Record<string, string>;
      else if (response.response_action === 'update') {
        open.view = response.view as Json;
        delete open.errors;
      } else views.delete(open.id);
      changed();
      return sent;
    },
    waitFor(predicate, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const value = predicate(emulator);
          if (!value) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve(value);
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`the emulator did not reach the expected state within ${timeoutMs} ms`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
    close: () => closeServer(server),
  };

  /** The Web API methods golive calls. */
  const api: Record<string, (args: Json) => Json> = {
    'auth.test': () => ({
      url: `${url}/`,
      team: 'golive local',
      user: 'golive',
      team_id: TEAM.id,
      user_id: BOT_USER,
      bot_id: 'B_GOLIVE',
    }),
    'users.info': (args) => {
      const user = options.users.find((u) => u.id === args.user);
      if (!user) return { ok: false, error: 'user_not_found' };
      return {
        user: {
          id: user.id,
          team_id: TEAM.id,
          name: user.name,
          real_name: user.realName ?? user.name,
          is_bot: false,
          profile: { display_name: user.name, real_name: user.realName ?? user.name },
        },
      };
    },
    'chat.postMessage': (args) => {
      const channel = resolveChannel(args.channel);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      const problems = Array.isArray(args.blocks) ? blockProblems(args.blocks as Json[], LIMITS.messageBlocks) : [];
      if (problems.length) return invalid('invalid_blocks', problems);
      if (args.thread_ts && !messages.some((m) => m.ts === args.thread_ts && !m.thread_ts))
        return { ok: false, error: 'thread_not_found' };
      const message: EmulatorMessage = {
        ts: nextTs(),
        channel,
        user: BOT_USER,
        text: String(args.text ?? ''),
        ...(args.blocks ? { blocks: args.blocks as Json[] } : {}),
        ...(args.thread_ts ? { thread_ts: String(args.thread_ts) } : {}),
      };
      messages.push(message);
      changed();
      return { channel, ts: message.ts, message: { ...message, type: 'message', bot_id: 'B_GOLIVE' } };
    },
    'chat.update': (args) => {
      const channel = resolveChannel(args.channel);
      if (!channel) return { ok: false, error: 'channel_not_found' };
      const message = messages.find((m) => m.ts === args.ts && m.channel === channel);
      if (!message) return { ok: false, error: 'message_not_found' };
      const problems = Array.isArray(args.blocks) ? blockProblems(args.blocks as Json[], LIMITS.messageBlocks) : [];
      if (problems.length) return invalid('invalid_blocks', problems);
      if (args.text !== undefined) message.text = String(args.text);
      if (args.blocks !== undefined) message.blocks = args.blocks as Json[];
      message.edited = true;
      changed();
      return { channel, ts: message.ts, text: message.text };
    },
    'chat.postEphemeral': (args) => {
      if (!resolveChannel(args.channel)) return { ok: false, error: 'channel_not_found' };
      if (typeof args.user !== 'string') return { ok: false, error: 'user_not_found' };
      postEphemeral(args.user, String(args.text ?? ''), args.blocks as Json[] | undefined);
      return { message_ts: ephemerals[ephemerals.length - 1].ts };
    },
    'views.open': (args) => {
      const problems = viewProblems(args.view as Json);
      if (problems.length) return invalid('invalid_arguments', problems);
      const trigger = triggers.get(String(args.trigger_id));
      if (!trigger || Date.now() - trigger.at > TRIGGER_TTL_MS) return { ok: false, error: 'expired_trigger_id' };
      triggers.delete(String(args.trigger_id));
      const id = `V${randomUUID().replace(/-/g, '').slice(0, 10).toUpperCase()}`;
      views.set(id, { id, user: trigger.user, view: args.view as Json });
      changed();
      return { view: { ...(args.view as Json), id } };
    },
    'views.update': (args) => {
      const open = views.get(String(args.view_id));
      if (!open) return { ok: false, error: 'not_found' };
      const problems = viewProblems(args.view as Json);
      if (problems.length) return invalid('invalid_arguments', problems);
      open.view = args.view as Json;
      changed();
      return { view: { ...open.view, id: open.id } };
    },
  };

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { pathname, searchParams } = new URL(req.url ?? '/', url);
    if (pathname === '/slack/events' && options.app) return options.app(req, res);
    if (req.method === 'GET' && (pathname === '/' || pathname === '/index.html')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }).end(page);
      return;
    }
    if (req.method === 'GET' && pathname === '/emulator/state') {
      const user = searchParams.get('user') ?? '';
      const open = emulator.openView(user);
      sendJson(res, 200, {
        version,
        channel: { id: channelId, name: channelName },
        users: options.users,
        messages,
        ephemerals: ephemerals.filter((e) => e.user === user),
        view: open ?? null,
      });
      return;
    }
    if (req.method !== 'POST') return sendJson(res, 404, { ok: false, error: 'not_found' });
    const raw = await readBody(req);
    if (pathname.startsWith('/api/')) {
      const method = pathname.slice('/api/'.length);
      const args = parseApiArgs(raw, req.headers['content-type']);
      const auth = req.headers.authorization?.replace(/^Bearer /, '') ?? args.token;
      if (auth !== options.botToken) return sendJson(res, 200, { ok: false, error: 'invalid_auth' });
      const handler = api[method];
      if (!handler) return sendJson(res, 200, { ok: false, error: 'unknown_method' });
      const result = handler(args);
      return sendJson(res, 200, { ok: true, ...result });
    }
    if (pathname.startsWith('/emulator/respond/')) {
      const target = responseUrls.get(pathname.split('/').pop() ?? '');
      if (!target) return sendJson(res, 404, { ok: false, error: 'expired_url' });
      showResponse(target.user, raw);
      return sendJson(res, 200, { ok: true });
    }
    const input = raw ? (JSON.parse(raw) as Json) : {};
    const user = String(input.user ?? '');
    if (pathname === '/emulator/command')
      return sendJson(res, 200, await emulator.command(user, String(input.text ?? '')));
    if (pathname === '/emulator/click')
      return sendJson(res, 200, await emulator.click(user, String(input.ts), String(input.actionId)));
    if (pathname === '/emulator/submit')
      return sendJson(res, 200, await emulator.submit(user, (input.values ?? {}) as SubmittedValues));
    if (pathname === '/emulator/cancel') {
      const open = emulator.openView(user);
      if (open) views.delete(open.id);
      changed();
      return sendJson(res, 200, { ok: true });
    }
    if (pathname === '/emulator/dismiss') {
      for (let i = ephemerals.length - 1; i >= 0; i--) if (ephemerals[i].user === user) ephemerals.splice(i, 1);
      changed();
      return sendJson(res, 200, { ok: true });
    }
    sendJson(res, 404, { ok: false, error: 'not_found' });
  }

  return emulator;
}
