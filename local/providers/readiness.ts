import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { listBackups } from '../demo/database';
import type { GoLiveConfig } from '../../lambdas/core/config';
import type {
  Endpoints,
  ObservedAlarm,
  ObservedArtifact,
  ObservedCapacity,
  ObservedDatabase,
  ObservedEnvironment,
  ObservedMetricFilter,
  ObservedRecoveryPoint,
  ObservedSecret,
  ReadinessProvider,
} from '../../lambdas/core/ports';

/**
 * What the local demo service "has" for the readiness checks. The recovery point is real (the
 * SQLite online backups under <home>/backups/<service>); the rest describes the demo host as an
 * operator would declare it. Any key of <home>/services/<service>/readiness-facts.json replaces
 * the default of the same key, which is how any check is made to fail locally.
 */
export interface LocalReadinessFacts {
  alarms: ObservedAlarm[];
  /** null = no log group declared. */
  metricFilters: ObservedMetricFilter[] | null;
  /** Replaces the real latest backup (null = no recovery point). */
  recoveryPoint?: ObservedRecoveryPoint | null;
  databases: ObservedDatabase[];
  environments: ObservedEnvironment[];
  secrets: ObservedSecret[];
  capacity: ObservedCapacity[];
  /** Versions whose build exists; absent = the demo builds every version on demand. */
  artifacts?: string[];
}

export const factsFile = (home: string, service: string) => join(home, 'services', service, 'readiness-facts.json');
/** Written by the running local runtime, so `golive readiness` in another process finds the demo. */
export const runtimeFile = (home: string, service: string) => join(home, 'services', service, 'runtime.json');

export interface LocalRuntimeRecord {
  pid: number;
  startedAt: string;
  endpoints: Endpoints;
}

export function defaultFacts(config: GoLiveConfig, service: string): LocalReadinessFacts {
  const page = ['local:page-on-call'];
  const alarm = (name: string, metrics: string[]): ObservedAlarm => ({
    name,
    metrics,
    actions: page,
    actionsEnabled: true,
  });
  return {
    alarms: [
      ...config.services[service].alerts.alarms.map((name) => alarm(name, ['5xxRate'])),
      alarm(`${service}-cpu-high`, ['CPUUtilization']),
      alarm(`${service}-memory-high`, ['MemoryUtilization']),
      alarm(`${service}-disk-low`, ['DiskSpaceUtilization']),
      alarm(`${service}-iops-high`, ['VolumeReadOps', 'VolumeWriteOps']),
    ],
    metricFilters: [
      {
        logGroup: `golive/${service}`,
        filterName: `${service}-errors`,
        pattern: 'ERROR',
        metricName: `${service}-log-errors`,
      },
      {
        logGroup: `golive/${service}`,
        filterName: `${service}-warnings`,
        pattern: 'WARN',
        metricName: `${service}-log-warnings`,
      },
    ],
    databases: [
      {
        id: `${service}.sqlite`,
        kind: 'sqlite',
        multiAz: false,
        replicas: [`${service}-replica`],
        publiclyAccessible: false,
      },
    ],
    environments: (['blue', 'green'] as const).map((slot) => ({
      component: `${service}-${slot}`,
      variables: [
        { name: 'DB_FILE', value: `${service}.sqlite` },
        { name: 'DB_PASSWORD', valueFrom: `arn:aws:secretsmanager:local:000000000000:secret:${service}/db` },
        { name: 'LOG_LEVEL', value: 'info' },
      ],
    })),
    secrets: [{ id: `${service}/db`, rotationEnabled: true, rotationDays: 30 }],
    capacity: (['blue', 'green'] as const).map((slot) => ({
      component: `${service}-${slot}`,
      limits: { maxConnections: 256, memoryMb: 256 },
    })),
  };
}

export interface LocalReadinessOptions {
  home: string;
  config: GoLiveConfig;
  /** The running runtime's services and their URLs, recorded in the state dir for other processes. */
  publish?: Record<string, Endpoints>;
}

export class LocalReadiness implements ReadinessProvider {
  constructor(private readonly options: LocalReadinessOptions) {
    for (const [service, endpoints] of Object.entries(options.publish ?? {})) this.publishRuntime(service, endpoints);
  }

  /** The facts in force: defaults with the facts file's keys on top (read on every check, so edits apply at once). */
  facts(service: string): LocalReadinessFacts {
    const defaults = defaultFacts(this.options.config, service);
    const file = factsFile(this.options.home, service);
    if (!existsSync(file)) return defaults;
    let overrides: Partial<LocalReadinessFacts>;
    try {
      overrides = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalReadinessFacts>;
    } catch (err) {
      throw new Error(`${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
    }
    return { ...defaults, ...overrides };
  }

  async alarms(service: string): Promise<ObservedAlarm[]> {
    return this.facts(service).alarms;
  }

  async metricFilters(service: string): Promise<ObservedMetricFilter[] | undefined> {
    return this.facts(service).metricFilters ?? undefined;
  }

  async latestRecoveryPoint(service: string): Promise<ObservedRecoveryPoint | undefined> {
    const facts = this.facts(service);
    if (facts.recoveryPoint !== undefined) return facts.recoveryPoint ?? undefined;
    const dir = join(this.options.home, 'backups', service);
    const latest = listBackups(dir).sort((a, b) => Date.parse(b.takenAt) - Date.parse(a.takenAt))[0];
    return latest ? { id: latest.id, at: latest.takenAt, source: `sqlite online backup in ${dir}` } : undefined;
  }

  async databases(service: string): Promise<ObservedDatabase[]> {
    return this.facts(service).databases;
  }

  async environments(service: string): Promise<ObservedEnvironment[]> {
    return this.facts(service).environments;
  }

  async secrets(service: string): Promise<ObservedSecret[]> {
    return this.facts(service).secrets;
  }

  async capacity(service: string): Promise<ObservedCapacity[]> {
    return this.facts(service).capacity;
  }

  async artifact(service: string, version: string): Promise<ObservedArtifact | undefined> {
    const { artifacts } = this.facts(service);
    if (!artifacts)
      return { exists: true, ref: `${service}:${version}`, detail: 'the demo builds every version on demand' };
    return { exists: artifacts.includes(version), ref: `${service}:${version}`, detail: { available: artifacts } };
  }

  /** Records where the running runtime serves the service (read by `golive readiness` in another process). */
  publishRuntime(service: string, endpoints: Endpoints): void {
    const file = runtimeFile(this.options.home, service);
    mkdirSync(dirname(file), { recursive: true });
    const record: LocalRuntimeRecord = { pid: process.pid, startedAt: new Date().toISOString(), endpoints };
    writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  }
}

/** The endpoints a running local runtime recorded for the service, if that runtime is still alive. */
export function readRuntimeRecord(home: string, service: string): LocalRuntimeRecord | undefined {
  const file = runtimeFile(home, service);
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as LocalRuntimeRecord;
    process.kill(record.pid, 0);
    return record;
  } catch {
    return undefined;
  }
}
