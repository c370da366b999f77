import { Logger } from '@aws-lambda-powertools/logger';
import type { GoLiveConfig } from '../../core/config';
import type {
  AlertsProvider,
  BackupProvider,
  Deps,
  MetricsProvider,
  Executions,
  Notifier,
  ReadinessProvider,
  Store,
  TaskCallbacks,
  TrafficProvider,
} from '../../core/ports';
import type { DepsResolver } from '../../handler';
import { bundledConfig } from './config';
import { readEnv } from './env';
import { lazyProvider } from './lazy';

/** Structured JSON logs (service name from POWERTOOLS_SERVICE_NAME). Never log secrets or tokens. */
export const logger = new Logger();

/** Builds the AWS providers from the bundled config and the environment, failing fast by name. */
export function createAwsDeps(config: GoLiveConfig, env: NodeJS.ProcessEnv = process.env): Deps {
  const { table, slackSecretArn } = readEnv(['table', 'slackSecretArn'], env);
  // Each provider (and its SDK client package) loads on first use: see lazy.ts.
  const store = lazyProvider<Store>(() => import('./store').then((m) => new m.DynamoStore(table)));
  return {
    config,
    store,
    // The Lambda alias slots follow the release the service's lock was taken for.
    traffic: lazyProvider<TrafficProvider>(() =>
      import('./traffic').then(
        (m) =>
          new m.AwsTraffic(config, undefined, undefined, async (service) => (await store.getLock(service))?.version),
      ),
    ),
    alerts: lazyProvider<AlertsProvider>(() => import('./alerts').then((m) => new m.CloudWatchAlerts())),
    backup: lazyProvider<BackupProvider>(() => import('./backup').then((m) => new m.AwsBackup(config))),
    readiness: lazyProvider<ReadinessProvider>(() => import('./readiness').then((m) => new m.AwsReadiness({ config }))),
    notifier: lazyProvider<Notifier>(() =>
      import('./notifier').then((m) =>
        m.secretSlackNotifier(new m.SlackSecret(slackSecretArn), config.slack.channel, undefined, store, {
          undoButtonSeconds: config.controls.undoButtonSeconds,
        }),
      ),
    ),
    callbacks: lazyProvider<TaskCallbacks>(() =>
      Promise.all([import('@aws-sdk/client-sfn'), import('../sfn-callbacks'), import('./errors')]).then(
        ([sdk, m, e]) => new m.SfnTaskCallbacks(new sdk.SFNClient(e.CLIENT_CONFIG)),
      ),
    ),
    executions: lazyProvider<Executions>(() =>
      Promise.all([import('@aws-sdk/client-sfn'), import('../sfn-executions'), import('./errors')]).then(
        ([sdk, m, e]) => new m.SfnExecutions(new sdk.SFNClient(e.CLIENT_CONFIG)),
      ),
    ),
    metrics: lazyProvider<MetricsProvider>(() =>
      Promise.all([
        import('@aws-sdk/client-cloudwatch'),
        import('@aws-sdk/client-lambda'),
        import('./metrics'),
        import('./errors'),
      ]).then(
        ([cw, lambda, m, e]) =>
          new m.AwsMetrics(config, new cw.CloudWatchClient(e.CLIENT_CONFIG), new lambda.LambdaClient(e.CLIENT_CONFIG)),
      ),
    ),
    requireStartRecord: true,
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
