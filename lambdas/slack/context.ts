import type { SFNClient } from '@aws-sdk/client-sfn';
import type { GoLiveConfig } from '../core/config';
import type { Store, TaskCallbacks } from '../core/ports';
import { hasRole, rolesFor, serviceConfig } from '../core/roles';
import { escapeMrkdwn, mention } from '../providers/slack/mrkdwn';
import { UserNames, type UsersInfoClient } from './user-names';

/** What the Slack listeners need: the config, the store, the task callbacks and Step Functions. */
export interface SlackAppContext {
  config: GoLiveConfig;
  store: Store;
  callbacks: TaskCallbacks;
  sfn: SFNClient;
  stateMachineArn: string;
  now: () => Date;
  /** Display names (users.info, cached); createSlackApp gives the app one when absent. */
  names?: UserNames;
}

export const USAGE = [
  '*Usage*',
  '`/golive <service> <version> [strategy]` start a go-live (release managers)',
  '`/golive` open the start form',
  '`/golive status <service|execution>` where a go-live stands',
  '`/golive abort <execution> [reason]` roll a running go-live back (release managers)',
  '`/golive history <service>` past go-lives, newest first',
  '`/golive help` this help',
].join('\n');

/** A user's display name, or the id when Slack cannot tell (plain-text places: modals, the audit trail). */
export function displayName(ctx: SlackAppContext, client: UsersInfoClient, user: string): Promise<string> {
  ctx.names ??= new UserNames(() => ctx.now().getTime());
  return ctx.names.name(client, user);
}

export function displayNames(
  ctx: SlackAppContext,
  client: UsersInfoClient,
  users: Iterable<string>,
): Promise<Map<string, string>> {
  ctx.names ??= new UserNames(() => ctx.now().getTime());
  return ctx.names.names(client, users);
}

/** Services `user` is a release manager of (the roles of each service, see core/roles.ts). */
export function servicesManagedBy(config: GoLiveConfig, user: string): string[] {
  return Object.keys(config.services).filter((s) => hasRole(config, s, 'releaseManagers', user));
}

export function isReleaseManager(config: GoLiveConfig, service: string, user: string): boolean {
  return hasRole(config, service, 'releaseManagers', user);
}

/** Why `user` may not do `what`: naming who may (of that service, or of any service). */
export function notReleaseManager(config: GoLiveConfig, user: string, what: string, service?: string): string {
  const managers = service
    ? rolesFor(config, service).releaseManagers
    : [...new Set(Object.keys(config.services).flatMap((s) => rolesFor(config, s).releaseManagers))];
  const whose = service ? `release managers of ${escapeMrkdwn(service)}` : 'release managers';
  return `🚫 ${mention(user)} cannot ${what}: only ${whose} (${managers.map(mention).join(', ') || 'nobody'}) may. Nothing changed.`;
}

/**
 * Why `service` names no configured service (own keys only: `constructor` is unknown), or undefined.
 * Plain text quoting what the user typed: escape it (escapeMrkdwn) before it goes into mrkdwn.
 */
export function unknownService(config: GoLiveConfig, service: string | undefined): string | undefined {
  if (service !== undefined && serviceConfig(config, service)) return undefined;
  const known = Object.keys(config.services).join(', ');
  return service ? `unknown service "${service}": use one of ${known}` : `name a service: one of ${known}`;
}

const SLACK_USER_ID = /^[UW][A-Z0-9_]{2,}$/;

/** Every user id golive's config names (for writing them as mentions in text from the core). */
export function knownUsers(config: GoLiveConfig): Set<string> {
  const ids = new Set<string>([
    ...config.slack.releaseManagers,
    ...config.slack.approvers,
    ...config.slack.auditors,
    ...config.identities.map((i) => i.user),
  ]);
  for (const service of Object.keys(config.services)) {
    const roles = rolesFor(config, service);
    for (const id of [...roles.releaseManagers, ...roles.approvers, ...roles.auditors]) ids.add(id);
  }
  for (const members of Object.values(config.readiness?.roles ?? {})) for (const id of members) ids.add(id);
  // Only what looks like a Slack user id: a role named "approvers" must stay a word.
  return new Set([...ids].filter((id) => SLACK_USER_ID.test(id)));
}
