import type { Actor, GoLiveClient } from '../core/client';
import type { GoLiveConfig } from '../core/config';
import type { Store } from '../core/ports';
import { hasRole, rolesFor, serviceConfig } from '../core/roles';
import { escapeMrkdwn, mention, mrkdwnWithMentions } from '../providers/slack/mrkdwn';
import { UserNames, type UsersInfoClient } from './user-names';

/**
 * What the Slack listeners need. Go-lives are started, listed, described, voted on and aborted
 * through `client` (the same GoLiveClient as the control API and the CLI); the store is read for
 * what only Slack shows (the approval record behind a button, the checklist, the status card) and
 * written only for Slack's own message references.
 */
export interface SlackAppContext {
  /** The client's config (`client.config`): roles and services, for answers within Slack's 3 s. */
  config: GoLiveConfig;
  client: GoLiveClient;
  store: Store;
  now: () => Date;
  /** Display names (users.info, cached); createSlackApp gives the app one when absent. */
  names?: UserNames;
}

/** The Slack app's context over a GoLiveClient: its config, and the store and clock it acts on. */
export function slackAppContext(
  client: GoLiveClient,
  store: Store,
  now: () => Date = () => new Date(),
): SlackAppContext {
  return { config: client.config, client, store, now };
}

export const USAGE = [
  '*Usage*',
  '`/golive <service> <version> [strategy]` start a go-live (release managers)',
  '`/golive` open the start form',
  '`/golive status <service|execution>` where a go-live stands',
  '`/golive abort <execution> [reason]` roll a running go-live back (release managers)',
  '`/golive history <service> [page]` past go-lives, newest first, ten at a time',
  '`/golive metrics [service]` the four DORA numbers of the last 30 days',
  '`/golive pause|resume <execution> [reason]` hold a go-live at its next step boundary, or let it go on (release managers)',
  '`/golive promote <execution> [reason]` skip the remaining canary steps (release managers)',
  '`/golive retry <execution> [reason]` resume a failed go-live from the phase that failed (release managers)',
  '`/golive rollback <service> [reason]` take the service back to the version live before (release managers)',
  '`/golive help` this help',
].join('\n');

/** A user's display name, or the id when Slack cannot tell (plain-text places: modals, the audit trail). */
export function displayName(ctx: SlackAppContext, client: UsersInfoClient, user: string): Promise<string> {
  ctx.names ??= new UserNames(() => ctx.now().getTime());
  return ctx.names.name(client, user);
}

/** The person clicking or typing, as GoLiveClient records them: verified by Slack's signature, with their display name. */
export async function slackActor(ctx: SlackAppContext, client: UsersInfoClient, user: string): Promise<Actor> {
  return { user, verifiedBy: 'slack', name: await displayName(ctx, client, user) };
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

/** Text from the core for Slack: escaped, the user ids it names (config, `also`) written as mentions. */
export function coreText(ctx: SlackAppContext, text: string, also: Iterable<string> = []): string {
  const ids = knownUsers(ctx.config);
  for (const id of also) ids.add(id);
  return mrkdwnWithMentions(text, ids);
}
