import { join } from 'node:path';
import { AlarmEvaluator, type AlarmSpec } from './alarm-evaluator';
import { createDemoDatabase } from './database';
import { startDemoApp, type DemoApp } from './demo-app';
import { startRouter, validateWeights, type Router, type Weights } from './router';

export * from './alarm-evaluator';
export * from './database';
export * from './demo-app';
export * from './router';
export { PortInUseError } from './net';

export const DEMO_SERVICE = 'demo';
export const DEFAULT_DEMO_ALARM: AlarmSpec = {
  name: 'demo-5xx-rate',
  description: 'demo: share of 5xx responses through the router above 5% over 10 s',
  upstream: 'any',
  threshold: 0.05,
  windowMs: 10_000,
  minRequests: 5,
};

export interface DemoTargetOptions {
  /** Working directory: holds the demo database (demo.sqlite). */
  dir: string;
  stableVersion?: string;
  candidateVersion?: string;
  /** The version each slot serves; a slot left out serves stableVersion (blue) or candidateVersion (green). */
  versions?: { blue?: string; green?: string };
  /** The router's weights at boot (default 100% blue): the local runtime restores what its store recorded. */
  weights?: Weights;
  /** Replaces the default alarm set ([DEFAULT_DEMO_ALARM]). */
  alarms?: AlarmSpec[];
  /** 0 (the default) picks ephemeral ports; `golive local up` passes 8080/8081/8082. */
  ports?: { router?: number; blue?: number; green?: number };
}

export interface DemoTarget {
  db: { file: string };
  blue: DemoApp;
  green: DemoApp;
  router: Router;
  alarms: AlarmEvaluator;
  stop(): Promise<void>;
}

/**
 * Boots the demo database, blue (stable) and green (candidate), the router (100% blue) and the
 * alarms; `versions` and `weights` boot another state (the stable version on green, a canary).
 */
export async function startDemoTarget(options: DemoTargetOptions): Promise<DemoTarget> {
  const { dir, stableVersion = '1.4.2', candidateVersion = '2.0.0', ports = {} } = options;
  const versions = { blue: stableVersion, green: candidateVersion, ...options.versions };
  const weights = validateWeights(options.weights ?? { blue: 100, green: 0 });
  const file = join(dir, 'demo.sqlite');
  createDemoDatabase(file);

  // Whatever started before a failure (typically a busy port) is stopped again, so nothing leaks.
  const started: Array<{ stop(): Promise<void> | void }> = [];
  try {
    const blue = await startDemoApp({ slot: 'blue', version: versions.blue, dbFile: file, port: ports.blue ?? 0 });
    started.push(blue);
    const green = await startDemoApp({
      slot: 'green',
      version: versions.green,
      dbFile: file,
      port: ports.green ?? 0,
    });
    started.push(green);
    const router = await startRouter({
      upstreams: { blue: blue.url, green: green.url },
      weights,
      port: ports.router ?? 0,
    });
    started.push(router);
    const alarms = new AlarmEvaluator({ alarms: options.alarms ?? [DEFAULT_DEMO_ALARM] });
    started.push(alarms);
    const unsubscribe = router.onResponse((event) => alarms.record(event));

    let stopped: Promise<void> | undefined;
    return {
      db: { file },
      blue,
      green,
      router,
      alarms,
      stop() {
        stopped ??= (async () => {
          unsubscribe();
          alarms.stop();
          await router.stop();
          await Promise.all([blue.stop(), green.stop()]);
        })();
        return stopped;
      },
    };
  } catch (err) {
    await Promise.allSettled(started.reverse().map(async (s) => s.stop()));
    throw err;
  }
}

export interface TrafficGeneratorOptions {
  ratePerSecond?: number;
  paths?: string[];
  /** Hard stop, so a forgotten generator cannot run for ever. */
  maxDurationMs?: number;
  /** Per-request timeout. */
  requestTimeoutMs?: number;
}

export interface TrafficStats {
  sent: number;
  completed: number;
  failed: number;
  skipped: number;
  byStatus: Record<string, number>;
}

export interface TrafficGenerator {
  stop(): Promise<void>;
  sent(): number;
  stats(): TrafficStats;
  /** Resolves once the generator has stopped (by stop() or on reaching maxDurationMs) and drained. */
  readonly done: Promise<void>;
}

const MAX_RATE = 1000;

/**
 * Steady, bounded GET traffic to the local router (feeds the alarms during a canary bake).
 * Only ever targets the given http://127.0.0.1 origin.
 */
export function startTrafficGenerator(routerUrl: string, options: TrafficGeneratorOptions = {}): TrafficGenerator {
  const {
    ratePerSecond = 20,
    paths = ['/api/orders', '/api/orders/1', '/health'],
    maxDurationMs = 10 * 60_000,
    requestTimeoutMs = 5_000,
  } = options;
  const base = new URL(routerUrl);
  if (base.protocol !== 'http:' || base.hostname !== '127.0.0.1') {
    throw new RangeError(`traffic generator only targets http://127.0.0.1, not ${base.origin}`);
  }
  if (!(Number.isFinite(ratePerSecond) && ratePerSecond > 0 && ratePerSecond <= MAX_RATE)) {
    throw new RangeError(`ratePerSecond must be between 0 (exclusive) and ${MAX_RATE}`);
  }
  if (!(Number.isFinite(maxDurationMs) && maxDurationMs > 0)) throw new RangeError('maxDurationMs must be positive');
  if (paths.length === 0) throw new RangeError('paths must not be empty');
  const targets = paths.map((p) => {
    const url = new URL(p, base);
    // Rejects absolute and protocol-relative paths ('//host/x') that would escape the router origin.
    if (!p.startsWith('/') || p.startsWith('//') || url.origin !== base.origin) {
      throw new RangeError(`path ${JSON.stringify(p)} must be a path on ${base.origin}`);
    }
    return url.href;
  });

  const stats: TrafficStats = { sent: 0, completed: 0, failed: 0, skipped: 0, byStatus: {} };
  const inFlight = new Set<Promise<void>>();
  // Caps concurrency so a stalled router cannot make the generator pile up requests.
  const maxInFlight = Math.max(10, Math.ceil(ratePerSecond));
  let next = 0;

  const fire = (): void => {
    if (inFlight.size >= maxInFlight) {
      stats.skipped++;
      return;
    }
    const url = targets[next++ % targets.length];
    stats.sent++;
    const p = (async () => {
      try {
        const res = await fetch(url, {
          signal: AbortSignal.timeout(requestTimeoutMs),
        });
        await res.arrayBuffer();
        stats.completed++;
        stats.byStatus[res.status] = (stats.byStatus[res.status] ?? 0) + 1;
      } catch {
        stats.failed++;
      }
    })();
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  };

  const interval = setInterval(fire, 1000 / ratePerSecond);
  const deadline = setTimeout(() => void stop(), maxDurationMs);
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let stopping: Promise<void> | undefined;

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      clearInterval(interval);
      clearTimeout(deadline);
      // In-flight requests finish (bounded by requestTimeoutMs) so every request sent gets its outcome.
      await Promise.allSettled([...inFlight]);
      resolveDone();
    })();
    return stopping;
  };

  fire(); // first request right away, not one interval later
  return { stop, sent: () => stats.sent, stats: () => ({ ...stats, byStatus: { ...stats.byStatus } }), done };
}
