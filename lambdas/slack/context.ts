import type { SFNClient } from '@aws-sdk/client-sfn';
import type { GoLiveConfig } from '../core/config';
import type { Store, TaskCallbacks } from '../core/ports';

/** What the Slack listeners need: the config, the store, the task callbacks and Step Functions. */
export interface SlackAppContext {
  config: GoLiveConfig;
  store: Store;
  callbacks: TaskCallbacks;
  sfn: SFNClient;
  stateMachineArn: string;
  now: () => Date;
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

export function isReleaseManager(config: GoLiveConfig, user: string): boolean {
  return config.slack.releaseManagers.includes(user);
}

export function notReleaseManager(config: GoLiveConfig, user: string, what: string): string {
  return `🚫 <@${user}> cannot ${what}: only release managers (${config.slack.releaseManagers.map((u) => `<@${u}>`).join(', ')}) may. Nothing changed.`;
}
