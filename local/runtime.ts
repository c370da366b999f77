import './engine/polyfills';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SFNClient } from '@aws-sdk/client-sfn';
import { EVENT_ROUTES, functionName, localIntervalMs, routePattern, workflowSubstitutions } from '../lambdas/catalog';
import type { GoLiveConfig } from '../lambdas/core/config';
import { GoLiveError } from '../lambdas/core/errors';
import type { Deps, Slot } from '../lambdas/core/ports';
import type { TaskName } from '../lambdas/core/workflow/definition';
import { LocalAlerts } from './providers/alerts';
import { LocalNotifier } from './providers/notifier';
import { LocalReadiness } from './providers/readiness';
import { LocalRouterTraffic, type LocalServiceTarget } from './providers/router-traffic';
import { LocalSqliteBackup } from './providers/sqlite-backup';
import type { SqliteStore } from './providers/sqlite-store';
import { SfnTaskCallbacks } from '../lambdas/providers/sfn-callbacks';
import { SfnExecutions } from '../lambdas/providers/sfn-executions';
import {
  listBackups,
  startDemoTarget,
  startTrafficGenerator,
  takeBackup,
  type DemoTarget,
  type TrafficGenerator,
} from './demo';
import { GoLiveClient } from '../lambdas/core/client';
import { startControlServer, type ControlServer } from './control-server';
import { LocalEngine } from './engine/engine';
import { startSfnEndpoint } from './engine/sfn-endpoint';
import { LocalEventBus, matchesPattern, type BusEvent } from './event-bus';
import { alertRollbackFailures, logFailedSteps } from './failure-log';
import { LocalRouterMetrics } from './providers/router-metrics';
import { localFunctions } from './functions';
import { openLocalStore } from './store-guard';
import { describeTarget, storedTargetState } from './stored-state';
import { sealingNotifier, sealLogPath } from './seal-log';
import { DEFAULT_SLACK_PORT, startLocalSlack, type LocalSlack } from './slack-emulator/local-slack';

export const ASL_FILE = join(__dirname, '..', 'state-machines', 'go-live.asl.json');
export const STATE_MACHINE_NAME = 'golive-go-live';
export const DEFAULT_PORTS = { sfn: 8083, router: 8080, blue: 8081, green: 8082 } as const;

export interface LocalRuntimeOptions {
  /** State directory (.golive): store, executions, backups, demo databases. */
  home: string;
  config: GoLiveConfig;
  /** 0 = ephemeral (tests). The first local service gets router/blue/green; others are ephemeral. */
  ports?: { sfn?: number; router?: number; blue?: number; green?: number };
  stableVersion?: string;
  /** Steady synthetic traffic through each local router, so alarms watch real requests. */
  trafficPerSecond?: number;
  /** Fault injection for tests: Task state name → error name raised when that state runs. */
  failStates?: Partial<Record<TaskName, string>>;
  /**
   * The control API the CLI acts through (local/control-server.ts). Its port defaults to a free one;
   * `golive local up` and `golive demo` ask for 8084. The URL is recorded in `home` for the CLI.
   */
  control?: { port?: number; fallbackToFreePort?: boolean };
  /** The Slack emulator and the golive Slack app on one port (default 3000; 0 = ephemeral). Off when absent. */
  slack?: { port?: number; fallbackToFreePort?: boolean };
  log?: (line: string) => void;
  /** Where a go-live that ended RollbackFailed is told (stderr for `golive local up`); default: `log`. */
  alert?: (line: string) => void;
}

export interface LocalRuntime {
  home: string;
  config: GoLiveConfig;
  engine: LocalEngine;
  endpointUrl: string;
  sfn: SFNClient;
  stateMachineArn: string;
  targets: Map<string, DemoTarget>;
  store: SqliteStore;
  alerts: LocalAlerts;
  backup: LocalSqliteBackup;
  notifier: LocalNotifier;
  deps: Deps;
  bus: LocalEventBus;
  /** Start, list, describe, vote on and abort go-lives (what the control API serves). */
  client: GoLiveClient;
  /** The control API on 127.0.0.1. */
  control: ControlServer;
  /** The Slack emulator + app, when started with `slack`. */
  slack?: LocalSlack;
  /** Fault injection: Task state name → error name raised when that state runs. Mutable. */
  faults: Map<TaskName, string>;
  /** Runs `fn` right before the named Task state runs (demo fault injection). */
  onTask(stateName: TaskName, fn: () => void | Promise<void>): void;
  close(): Promise<void>;
}

export function sfnClient(endpoint: string): SFNClient {
  return new SFNClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 2,
  });
}

/** Services the local runtime hosts itself (demo blue/green apps + weighted router + alarms + SQLite). */
export function localServices(config: GoLiveConfig): string[] {
  return Object.entries(config.services)
    .filter(([, svc]) => svc.traffic.kind === 'local-router')
    .map(([name]) => name);
}

export async function startLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { home, config } = options;
  const log = options.log ?? (() => {});
  const ports = { ...DEFAULT_PORTS, ...options.ports };
  mkdirSync(home, { recursive: true });
  const cleanups: Array<() => Promise<void> | void> = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  try {
    // Refused (StoreMissing) when the store is gone but executions remain: never replaced by defaults.
    const store = openLocalStore(home);
    cleanups.push(() => store.close());
    const targets = new Map<string, DemoTarget>();
    // Every request each router proxies, per slot: what the canary analysis judges.
    const metrics = new LocalRouterMetrics();
    cleanups.push(() => metrics.stop());
    const generators: TrafficGenerator[] = [];
    cleanups.push(async () => {
      await Promise.all(generators.map((g) => g.stop()));
    });
    const names = localServices(config);
    for (const [i, service] of names.entries()) {
      const dir = join(home, 'services', service);
      mkdirSync(dir, { recursive: true });
      // What the store says (live version on its slot; a go-live that was running: its candidate and
      // weights), before the janitor and the reconciler act on it.
      const restored = await storedTargetState(store, service, {
        stableVersion: options.stableVersion ?? '1.4.2',
        candidateVersion: '2.0.0',
      });
      if (restored.goLive) log(`${service}: restored ${describeTarget(restored)} as ${restored.goLive} left it`);
      const target = await startDemoTarget({
        dir,
        versions: restored.versions,
        weights: restored.weights,
        alarms: config.services[service].alerts.alarms.map((name) => ({
          name,
          description: `${service}: share of 5xx responses through the router above 5% over 10 s`,
          upstream: 'any' as const,
          threshold: 0.05,
          windowMs: 10_000,
          minRequests: 5,
        })),
        ports: i === 0 ? { router: ports.router, blue: ports.blue, green: ports.green } : {},
      });
      cleanups.push(() => target.stop());
      targets.set(service, target);
      metrics.track(service, target.router);
      // A real online backup, as the nightly job would have taken; kept unless one within RPO exists.
      const backupDir = join(home, 'backups', service);
      const [latest] = listBackups(backupDir);
      const rpoMs = config.services[service].backup.rpoMinutes * 60_000;
      if (!latest || Date.now() - Date.parse(latest.takenAt) > rpoMs) await takeBackup(target.db.file, backupDir);
      if (options.trafficPerSecond) {
        generators.push(startTrafficGenerator(target.router.url, { ratePerSecond: options.trafficPerSecond }));
      }
    }
    const targetOf = (service: string): LocalServiceTarget => {
      const target = targets.get(service);
      if (!target) throw new GoLiveError('InvalidRequest', `service ${service} is not hosted by the local runtime`);
      const configured = config.services[service].endpoints;
      return {
        endpoints: {
          live: configured.live ?? target.router.url,
          blue: configured.blue ?? target.blue.url,
          green: configured.green ?? target.green.url,
        },
        deploy: (slot: Slot, version: string) => target[slot].setVersion(version),
      };
    };

    const alarmSource = {
      describe: () => [...targets.values()].flatMap((t) => t.alarms.describe()),
    };
    const alerts = new LocalAlerts(store.db, alarmSource);
    const notifier = new LocalNotifier(store.db);
    const backup = new LocalSqliteBackup(
      (service) => join(home, 'backups', service),
      join(home, 'scratch'),
      (service) => targets.get(service)?.db.file,
    );

    // The engine needs the functions, the functions need the SFN client, the client needs the endpoint.
    const ref: { deps?: Deps } = {};
    const hooks = new Map<string, Array<() => void | Promise<void>>>();
    const faults = new Map(Object.entries(options.failStates ?? {}) as [TaskName, string][]);
    const engine = new LocalEngine({
      dbFile: join(home, 'executions.sqlite'),
      functions: localFunctions(async () => {
        if (!ref.deps) throw new Error('local runtime is not started yet');
        return ref.deps;
      }),
      beforeTask: async ({ stateName }) => {
        for (const hook of hooks.get(stateName) ?? []) await hook();
        const failWith = faults.get(stateName as TaskName);
        if (failWith) throw new GoLiveError(failWith, `fault injected at ${stateName}`);
      },
    });
    cleanups.push(() => engine.close());
    logFailedSteps(engine, log);
    alertRollbackFailures(engine, options.alert ?? log);
    const endpoint = await startSfnEndpoint(engine, { port: ports.sfn });
    cleanups.push(() => endpoint.close());
    const sfn = sfnClient(endpoint.url);
    cleanups.push(() => sfn.destroy());
    const { stateMachineArn } = engine.createStateMachine({
      name: STATE_MACHINE_NAME,
      definition: readFileSync(ASL_FILE, 'utf8'),
      substitutions: workflowSubstitutions(functionName),
    });
    // Slack: emulator + Bolt app on one port; its task callbacks are the runtime's, once deps exist.
    const slack = options.slack
      ? await startLocalSlack({
          home,
          config,
          port: options.slack.port ?? DEFAULT_SLACK_PORT,
          fallbackToFreePort: options.slack.fallbackToFreePort ?? false,
          store,
          sfn,
          stateMachineArn,
          callbacks: {
            succeed: (token, output) => deps.callbacks.succeed(token, output),
            fail: (token, error, cause) => deps.callbacks.fail(token, error, cause),
          },
          log,
        })
      : undefined;
    if (slack) cleanups.push(() => slack.close());
    const deps: Deps = {
      config,
      store,
      traffic: new LocalRouterTraffic(targetOf),
      alerts,
      backup,
      readiness: new LocalReadiness({
        home,
        config,
        publish: Object.fromEntries(names.map((service) => [service, targetOf(service).endpoints])),
      }),
      // The final hash of each go-live also goes to the append-only seal log, outside the store.
      notifier: sealingNotifier(slack ? slack.notifier(notifier) : notifier, sealLogPath(home)),
      callbacks: new SfnTaskCallbacks(sfn),
      executions: new SfnExecutions(sfn),
      metrics,
      now: () => new Date(),
      fetch,
    };
    ref.deps = deps;
    const client = new GoLiveClient({ config, sfn, stateMachineArn, store, callbacks: deps.callbacks, now: deps.now });
    const control = await startControlServer({
      client,
      port: options.control?.port ?? 0,
      fallbackToFreePort: options.control?.fallbackToFreePort ?? false,
      home,
      log,
    });
    cleanups.push(() => control.close());

    // EventBridge stand-in: the routes the AWS stack turns into rules (lambdas/catalog.ts), plus
    // the alarms' own actions (paging), which CloudWatch does on AWS.
    const functions = localFunctions(async () => deps);
    const bus = new LocalEventBus((rule, err) => log(`event rule ${rule} failed: ${(err as Error).message}`));
    const deployment = {
      alarmNames: [...new Set(Object.values(config.services).flatMap((s) => s.alerts.alarms))],
      stateMachineArn,
    };
    const schedules: Array<{ rule: string; everyMs: number }> = [];
    for (const [name, route] of Object.entries(EVENT_ROUTES)) {
      if (!route.local) continue;
      const rule = `golive-${name}`;
      const target = functions[functionName(route.target)];
      if ('pattern' in route) {
        const pattern = routePattern(route, deployment);
        bus.addRule({ name: rule, matches: (e) => matchesPattern(pattern, e), target: (e) => target(e) });
      } else {
        // A schedule rule's target gets the rule's fixed input, as with RuleTargetInput.fromObject.
        const scheduled = { source: ['aws.events'], 'detail-type': ['Scheduled Event'], resources: [rule] };
        bus.addRule({ name: rule, matches: (e) => matchesPattern(scheduled, e), target: () => target(route.input) });
        schedules.push({ rule, everyMs: localIntervalMs(route) });
      }
    }
    bus.addRule({
      name: 'alarm-actions',
      matches: (e) =>
        e['detail-type'] === 'CloudWatch Alarm State Change' && (e.detail.state as { value: string }).value === 'ALARM',
      target: (e) => {
        const state = e.detail.state as { value: string; reason: string };
        return alerts.page(String(e.detail.alarmName), state.value, state.reason);
      },
    });
    for (const target of targets.values()) {
      target.alarms.on('stateChange', (event) => bus.publish(event as unknown as BusEvent));
    }
    // Executions a previous runtime left RUNNING were marked ABORTED when the engine opened the
    // database (before this listener existed): clean them up here, once, like the janitor rule would.
    const recovered = new Set(engine.recoveredExecutionArns);
    engine.on('executionStatusChange', (detail) => {
      if (recovered.has(detail.executionArn)) return;
      bus.publish({
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        detail: { ...detail },
      });
    });
    for (const executionArn of recovered) {
      const described = engine.describeExecution({ executionArn });
      log(`cleaning up ${described.name}: it was running when the previous local runtime stopped`);
      bus.publish({
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        detail: {
          executionArn,
          stateMachineArn: described.stateMachineArn,
          status: described.status,
          error: described.error ?? null,
          cause: described.cause ?? null,
        },
      });
    }
    cleanups.push(() => bus.drain());
    // Scheduled routes fire once now (what a previous runtime left behind), in the background like
    // every bus delivery, then on their schedule while the runtime runs (unref'd timers: they never
    // keep the process alive).
    for (const { rule, everyMs } of schedules) {
      const fire = () =>
        bus.publish({ 'detail-type': 'Scheduled Event', source: 'aws.events', resources: [rule], detail: {} });
      fire();
      const timer = setInterval(fire, everyMs);
      timer.unref();
      cleanups.push(() => clearInterval(timer));
    }

    log(`local Step Functions endpoint ${endpoint.url}`);
    log(`control API ${control.url}`);
    if (slack) log(`Slack emulator ${slack.url}`);
    return {
      home,
      config,
      engine,
      endpointUrl: endpoint.url,
      sfn,
      stateMachineArn,
      targets,
      store,
      alerts,
      backup,
      notifier,
      deps,
      bus,
      client,
      control,
      slack,
      faults,
      onTask(stateName, fn) {
        hooks.set(stateName, [...(hooks.get(stateName) ?? []), fn]);
      },
      // A stopped runtime aborts its running go-lives; the janitor rolls them back before anything closes.
      async close() {
        await engine.stopAll('the local runtime was stopped');
        await bus.drain();
        await closeAll();
      },
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}
