import type { SFNClient } from '@aws-sdk/client-sfn';
import { WebClient } from '@slack/web-api';
import { GoLiveClient } from '../../lambdas/core/client';
import type { GoLiveConfig } from '../../lambdas/core/config';
import type { NotificationEvent, Notifier, ProgressEvent, Store, TaskCallbacks } from '../../lambdas/core/ports';
import { slackNotifier } from '../../lambdas/providers/slack/notifier';
import { rolesFor } from '../../lambdas/core/roles';
import { slackAppContext } from '../../lambdas/slack/context';
import { createLocalSlackApp } from './local-receiver';
import { localSlackCredentials } from './credentials';
import { PortInUseError } from '../demo/net';
import { startSlackEmulator, type EmulatorUser, type SlackEmulator, type SlackEmulatorOptions } from './server';

export const DEFAULT_SLACK_PORT = 3000;

export interface LocalSlack {
  /** The emulator page (and the app's request URL under /slack/events). */
  url: string;
  emulator: SlackEmulator;
  client: WebClient;
  /** Records locally (the CLI's log) and posts to the emulator's channel. */
  notifier(local: Notifier): Notifier;
  close(): Promise<void>;
}

/**
 * The people of the config as emulator users, labelled with their roles (global and per service):
 * U_APPROVER_ANA is "approver-ana" (display name) / "Approver Ana" (real name) to users.info.
 */
export function emulatorUsers(config: GoLiveConfig): EmulatorUser[] {
  const users = new Map<string, EmulatorUser>();
  const add = (id: string, role: string) => {
    const existing = users.get(id);
    if (existing?.role.split(', ').includes(role)) return;
    const words = id.replace(/^U_/, '').toLowerCase().split('_').filter(Boolean);
    users.set(id, {
      id,
      name: words.join('-'),
      realName: words.map((w) => w[0].toUpperCase() + w.slice(1)).join(' '),
      role: existing ? `${existing.role}, ${role}` : role,
    });
  };
  const services = Object.keys(config.services);
  for (const service of services) {
    const roles = rolesFor(config, service);
    // Global roles read plainly; a service's own list says which service it is for.
    const label = (role: string) => (config.services[service].roles?.[roleKey(role)] ? `${role} of ${service}` : role);
    roles.releaseManagers.forEach((id) => add(id, label('release manager')));
    roles.approvers.forEach((id) => add(id, label('approver')));
    roles.auditors.forEach((id) => add(id, label('auditor')));
  }
  config.slack.releaseManagers.forEach((id) => add(id, 'release manager'));
  config.slack.approvers.forEach((id) => add(id, 'approver'));
  config.slack.auditors.forEach((id) => add(id, 'auditor'));
  add('U_GUEST', 'guest');
  return [...users.values()];
}

const roleKey = (role: string) =>
  role === 'release manager' ? 'releaseManagers' : role === 'approver' ? 'approvers' : 'auditors';

/**
 * The Slack side of the local runtime on one port: the emulator (page + Web API) and the golive
 * Bolt app on its HTTP receiver at /slack/events. The app's WebClient talks to the emulator, and
 * the emulator signs what it sends with the same signing secret, so the app runs unchanged.
 */
export async function startLocalSlack(options: {
  home: string;
  config: GoLiveConfig;
  port: number;
  /** A busy port falls back to a free one (the one-shot demo) instead of failing (`local up`). */
  fallbackToFreePort?: boolean;
  store: Store;
  callbacks: TaskCallbacks;
  sfn: SFNClient;
  stateMachineArn: string;
  /**
   * The runtime's GoLiveClient, through which the app acts (as the control API does).
   * @default - one over the ports above
   */
  client?: GoLiveClient;
  log?: (line: string) => void;
}): Promise<LocalSlack> {
  const { signingSecret, botToken } = localSlackCredentials(options.home);
  const handler: { app?: ReturnType<typeof createLocalSlackApp> } = {};
  const log = options.log ?? (() => {});
  const emulatorOptions: SlackEmulatorOptions = {
    port: options.port,
    signingSecret,
    botToken,
    channel: options.config.slack.channel,
    users: emulatorUsers(options.config),
    app: (req, res) => handler.app?.handle(req, res),
  };
  const emulator = await startSlackEmulator(emulatorOptions).catch((err: Error) => {
    if (!(err instanceof PortInUseError && options.fallbackToFreePort)) throw err;
    log(`${err.message}; using a free port for the Slack emulator instead`);
    return startSlackEmulator({ ...emulatorOptions, port: 0 });
  });
  const goLives =
    options.client ??
    new GoLiveClient({
      config: options.config,
      sfn: options.sfn,
      stateMachineArn: options.stateMachineArn,
      store: options.store,
      callbacks: options.callbacks,
      now: () => new Date(),
    });
  handler.app = createLocalSlackApp(slackAppContext(goLives, options.store), {
    signingSecret,
    botToken,
    clientOptions: { slackApiUrl: emulator.apiUrl },
  });
  const client = new WebClient(botToken, { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 1 } });
  const slack = slackNotifier(client, {
    channel: options.config.slack.channel,
    store: options.store,
    undoButtonSeconds: options.config.controls.undoButtonSeconds,
  });
  return {
    url: emulator.url,
    emulator,
    client,
    notifier(local) {
      return {
        async notify(event: NotificationEvent) {
          const recorded = await local.notify(event);
          await slack.notify(event).catch((err: Error) => log(`slack notification failed: ${err.message}`));
          return recorded;
        },
        async progress(event: ProgressEvent) {
          await slack.progress?.(event);
        },
      };
    },
    close: () => emulator.close(),
  };
}
