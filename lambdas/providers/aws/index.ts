import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import type { GoLiveConfig } from '../../core/config';
import type { Deps } from '../../core/ports';
import type { DepsResolver } from '../../handler';
import { SfnTaskCallbacks } from '../sfn-callbacks';
import { CloudWatchAlerts } from './alerts';
import { AwsBackup } from './backup';
import { bundledConfig } from './config';
import { readEnv } from './env';
import { CLIENT_CONFIG } from './errors';
import { secretSlackNotifier, SlackSecret } from './notifier';
import { AwsReadiness } from './readiness';
import { DynamoStore } from './store';
import { AwsTraffic } from './traffic';

/** Structured JSON logs (service name from POWERTOOLS_SERVICE_NAME). Never log secrets or tokens. */
export const logger = new Logger();

/** Builds the AWS providers from the bundled config and the environment, failing fast by name. */
export function createAwsDeps(config: GoLiveConfig, env: NodeJS.ProcessEnv = process.env): Deps {
  const { table, slackSecretArn } = readEnv(['table', 'slackSecretArn'], env);
  const store = new DynamoStore(table);
  return {
    config,
    store,
    traffic: new AwsTraffic(config),
    alerts: new CloudWatchAlerts(),
    backup: new AwsBackup(config),
    readiness: new AwsReadiness({ config }),
    notifier: secretSlackNotifier(new SlackSecret(slackSecretArn), config.slack.channel, undefined, store),
    callbacks: new SfnTaskCallbacks(new SFNClient(CLIENT_CONFIG)),
    now: () => new Date(),
    fetch: (...args) => fetch(...args),
  };
}

let deps: Promise<Deps> | undefined;

/** Built once per container, on the first invocation (module scope would fail the init phase less clearly). */
export const awsDeps: DepsResolver = () => {
  deps ??= Promise.resolve().then(() => {
    const built = createAwsDeps(bundledConfig());
    logger.info('golive providers ready', { services: Object.keys(built.config.services) });
    return built;
  });
  return deps;
};
