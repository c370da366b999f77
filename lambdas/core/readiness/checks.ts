import type { GoLiveConfig } from '../config';
import type { Endpoints, ObservedAlarm, ObservedEnvironment, ReadinessProvider } from '../ports';
import { SEMVER } from '../request';
import type { CheckKind } from './kinds';

/** What the checks may use: the config, the readiness facts, the service's URLs, HTTP and the clock. */
export interface ReadinessContext {
  config: GoLiveConfig;
  readiness: ReadinessProvider;
  endpoints(service: string): Promise<Endpoints>;
  fetch: typeof fetch;
  now: () => Date;
}

export interface CheckResult {
  status: 'pass' | 'fail' | 'n/a';
  /** One line of evidence for humans (CLI, Slack). */
  summary: string;
  evidence: unknown;
  /** What to do about a failure. */
  fix?: string;
}

type Check = (ctx: ReadinessContext, service: string, version: string) => Promise<CheckResult>;

const pass = (summary: string, evidence: unknown): CheckResult => ({ status: 'pass', summary, evidence });
const fail = (summary: string, evidence: unknown, fix: string): CheckResult => ({
  status: 'fail',
  summary,
  evidence,
  fix,
});
const notApplicable = (summary: string, evidence: unknown = {}): CheckResult => ({
  status: 'n/a',
  summary,
  evidence,
});

async function httpGet(ctx: ReadinessContext, url: string): Promise<Record<string, unknown> & { ok: boolean }> {
  const started = Date.now();
  try {
    const res = await ctx.fetch(url, { signal: AbortSignal.timeout(3000), redirect: 'follow' });
    const body = (await res.text()).slice(0, 200);
    return {
      ok: res.status >= 200 && res.status < 300,
      url,
      status: res.status,
      latencyMs: Date.now() - started,
      body,
    };
  } catch (err) {
    return { ok: false, url, error: (err as Error).message, latencyMs: Date.now() - started };
  }
}

function health(slot: 'blue' | 'green'): Check {
  return async (ctx, service) => {
    const cfg = ctx.config.services[service];
    const endpoints = await ctx.endpoints(service);
    const url = new URL(cfg.healthPath, endpoints[slot]).toString();
    const res = await httpGet(ctx, url);
    const { ok: _ok, ...evidence } = res;
    return res.status === 200
      ? pass(`GET ${url} → 200 in ${String(res.latencyMs)} ms`, evidence)
      : fail(
          `GET ${url} → ${res.status === undefined ? String(res.error) : String(res.status)}`,
          evidence,
          `make ${url} answer 200 (is ${slot} running and healthy?)`,
        );
  };
}

/** Resolves a configured link: an absolute URL, or a path on the service's live endpoint. */
async function link(ctx: ReadinessContext, service: string, value: string): Promise<string> {
  if (/^https?:\/\//.test(value)) return value;
  return new URL(value, (await ctx.endpoints(service)).live).toString();
}

function documentReachable(key: 'runbookUrl' | 'disasterRecoveryUrl', what: string): Check {
  return async (ctx, service) => {
    const configured = ctx.config.services[service].readiness[key];
    const field = `services.${service}.readiness.${key}`;
    if (!configured) return fail(`no ${what} linked`, { field }, `link the ${what}: set ${field}`);
    const url = await link(ctx, service, configured);
    const res = await httpGet(ctx, url);
    const { ok, body: _body, ...evidence } = res;
    return ok
      ? pass(`${what} ${url} → ${String(res.status)}`, evidence)
      : fail(
          `${what} ${url} → ${res.status === undefined ? String(res.error) : String(res.status)}`,
          evidence,
          `publish the ${what} at ${url} or fix ${field}`,
        );
  };
}

/** Alarm classes the checklist requires, matched on the watched metric names (then the alarm name). */
export const ALARM_CLASSES: Record<string, RegExp> = {
  cpu: /cpu/i,
  memory: /mem|FreeableMemory/i,
  disk: /disk|FreeStorageSpace|storage/i,
  iops: /iops|VolumeReadOps|VolumeWriteOps|ConsumedReadCapacity|ConsumedWriteCapacity/i,
  'error-rate': /5xx|error|fault/i,
};

export function classifyAlarm(alarm: ObservedAlarm): string[] {
  const byMetric = Object.keys(ALARM_CLASSES).filter((c) => alarm.metrics.some((m) => ALARM_CLASSES[c].test(m)));
  return byMetric.length > 0 ? byMetric : Object.keys(ALARM_CLASSES).filter((c) => ALARM_CLASSES[c].test(alarm.name));
}

const hasAction = (a: ObservedAlarm) => a.actionsEnabled && a.actions.length > 0;

const alarmsCoverage: Check = async (ctx, service) => {
  const alarms = await ctx.readiness.alarms(service);
  const coverage: Record<string, string[]> = {};
  for (const cls of Object.keys(ALARM_CLASSES)) {
    coverage[cls] = alarms.filter((a) => hasAction(a) && classifyAlarm(a).includes(cls)).map((a) => a.name);
  }
  const missing = Object.keys(coverage).filter((c) => coverage[c].length === 0);
  const withoutAction = alarms.filter((a) => !hasAction(a)).map((a) => a.name);
  const evidence = {
    coverage,
    withoutAction,
    alarms: alarms.map((a) => ({ name: a.name, metrics: a.metrics, actions: a.actions, enabled: a.actionsEnabled })),
  };
  if (missing.length === 0 && withoutAction.length === 0) {
    return pass(
      Object.entries(coverage)
        .map(([c, names]) => `${c}: ${names.join(', ')}`)
        .join('; '),
      evidence,
    );
  }
  const problems = [
    ...(missing.length ? [`no alarm with an action for ${missing.join(', ')}`] : []),
    ...(withoutAction.length ? [`no action on ${withoutAction.join(', ')}`] : []),
  ];
  return fail(
    problems.join('; '),
    evidence,
    [
      ...(missing.length ? [`create alarms with an action for ${missing.join(', ')}`] : []),
      ...(withoutAction.length ? [`give ${withoutAction.join(', ')} an alarm action and enable actions`] : []),
    ].join('; '),
  );
};

const alertsMuteable: Check = async (ctx, service) => {
  const { alarms: wanted, muteMode } = ctx.config.services[service].alerts;
  const found = new Set((await ctx.readiness.alarms(service)).map((a) => a.name));
  const missing = wanted.filter((n) => !found.has(n));
  const evidence = { alarms: wanted, muteMode, missing };
  return missing.length === 0
    ? pass(`golive mutes ${wanted.join(', ')} (${muteMode}) and unmutes them afterwards`, evidence)
    : fail(
        `alarm(s) ${missing.join(', ')} not found`,
        evidence,
        `create the alarms listed in services.${service}.alerts.alarms or fix their names`,
      );
};

const LEVELS = { ERROR: /\bERROR\b/i, WARN: /\bWARN(ING)?\b/i };

const logMetricFilters: Check = async (ctx, service) => {
  const filters = await ctx.readiness.metricFilters(service);
  const field = `services.${service}.readiness.resources.logGroups`;
  if (!filters) return fail('no log groups declared', { field }, `list the service's log groups in ${field}`);
  const groups = [...new Set(filters.map((f) => f.logGroup))];
  const missing: string[] = [];
  const perGroup: Record<string, Record<string, string[]>> = {};
  for (const group of groups) {
    perGroup[group] = {};
    for (const [level, re] of Object.entries(LEVELS)) {
      const names = filters.filter((f) => f.logGroup === group && re.test(f.pattern)).map((f) => f.filterName);
      perGroup[group][level] = names;
      if (names.length === 0) missing.push(`${level} on ${group}`);
    }
  }
  const evidence = { logGroups: perGroup, filters };
  if (groups.length === 0) return fail('no log groups found', evidence, `list the service's log groups in ${field}`);
  return missing.length === 0
    ? pass(
        groups
          .map((g) => `${g}: ERROR (${perGroup[g].ERROR.join(', ')}), WARN (${perGroup[g].WARN.join(', ')})`)
          .join('; '),
        evidence,
      )
    : fail(`no metric filter for ${missing.join(', ')}`, evidence, `add metric filters for ${missing.join(', ')}`);
};

const backupConfigured: Check = async (ctx, service) => {
  const backup = ctx.config.services[service].backup;
  return pass(`${backup.kind}, RPO ${backup.rpoMinutes} min`, backup);
};

const backupRecoveryPoint: Check = async (ctx, service) => {
  const { rpoMinutes, kind } = ctx.config.services[service].backup;
  const point = await ctx.readiness.latestRecoveryPoint(service);
  if (!point) {
    return fail(
      `no recovery point (${kind})`,
      { kind, rpoMinutes },
      `take a backup (${kind}) and keep them within ${rpoMinutes} min`,
    );
  }
  const ageMinutes = Math.round(((ctx.now().getTime() - Date.parse(point.at)) / 60_000) * 10) / 10;
  const evidence = { ...point, ageMinutes, rpoMinutes };
  return ageMinutes <= rpoMinutes
    ? pass(`${point.id} taken ${ageMinutes} min ago (RPO ${rpoMinutes} min)`, evidence)
    : fail(
        `latest recovery point ${point.id} is ${ageMinutes} min old, RPO is ${rpoMinutes} min`,
        evidence,
        `take a fresh backup and fix the schedule so one exists every ${rpoMinutes} min`,
      );
};

const dbReplication: Check = async (ctx, service) => {
  const dbs = await ctx.readiness.databases(service);
  if (dbs.length === 0) return notApplicable('no database declared', { databases: [] });
  const describe = dbs.map((db) => {
    const replicated =
      db.multiAz === true || db.replicas.length > 0 || (db.kind === 'dynamodb' && db.pointInTimeRecovery === true);
    const how = [
      ...(db.multiAz ? ['Multi-AZ'] : []),
      ...(db.replicas.length ? [`replicas ${db.replicas.join(', ')}`] : []),
      ...(db.kind === 'dynamodb' && db.pointInTimeRecovery ? ['PITR'] : []),
    ];
    return { id: db.id, kind: db.kind, replicated, how: how.join(', ') || 'single node, no replica' };
  });
  const bad = describe.filter((d) => !d.replicated);
  const summary = describe.map((d) => `${d.id}: ${d.how}`).join('; ');
  return bad.length === 0
    ? pass(summary, { databases: dbs })
    : fail(
        summary,
        { databases: dbs },
        `run ${bad.map((d) => d.id).join(', ')} Multi-AZ or with a replica (DynamoDB: global table replicas or PITR)`,
      );
};

const dbNotPublic: Check = async (ctx, service) => {
  const dbs = (await ctx.readiness.databases(service)).filter((d) => d.kind !== 'dynamodb');
  if (dbs.length === 0) return notApplicable('no network-reachable database declared', { databases: [] });
  const exposed = dbs.filter((d) => d.publiclyAccessible !== false).map((d) => d.id);
  const evidence = { databases: dbs.map((d) => ({ id: d.id, publiclyAccessible: d.publiclyAccessible ?? 'unknown' })) };
  return exposed.length === 0
    ? pass(`${dbs.map((d) => d.id).join(', ')}: not publicly accessible`, evidence)
    : fail(
        `publicly accessible: ${exposed.join(', ')}`,
        evidence,
        `turn PubliclyAccessible off on ${exposed.join(', ')} and keep them in private subnets`,
      );
};

const SECRET_NAME = /PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|(^|_)KEY($|_)/i;
const REFERENCE =
  /^(arn:aws:(secretsmanager|ssm|kms):|\{\{resolve:(secretsmanager|ssm)|ssm:|secretsmanager:|\/aws\/reference\/)/i;

/** Secret-looking variables holding a literal value; values are never copied into the evidence. */
export function plaintextSecrets(envs: ObservedEnvironment[]): { component: string; name: string; length: number }[] {
  return envs.flatMap((env) =>
    env.variables
      .filter((v) => SECRET_NAME.test(v.name) && v.valueFrom === undefined && !!v.value && !REFERENCE.test(v.value))
      .map((v) => ({ component: env.component, name: v.name, length: v.value!.length })),
  );
}

const noPlaintextSecrets: Check = async (ctx, service) => {
  const envs = await ctx.readiness.environments(service);
  if (envs.length === 0) return notApplicable('no Lambda function or ECS task definition declared');
  const found = plaintextSecrets(envs);
  const evidence = {
    components: envs.map((e) => ({
      component: e.component,
      variables: e.variables.map((v) => ({ name: v.name, ...(v.valueFrom ? { valueFrom: v.valueFrom } : {}) })),
    })),
    plaintext: found,
  };
  return found.length === 0
    ? pass(`${envs.length} component(s): no secret-looking literal values`, evidence)
    : fail(
        `plain-text secret-looking value(s): ${found.map((f) => `${f.component} ${f.name}`).join(', ')}`,
        evidence,
        `move ${found.map((f) => f.name).join(', ')} to Secrets Manager / SSM and reference them (ECS secrets, or the ARN)`,
      );
};

const secretsRotation: Check = async (ctx, service) => {
  const secrets = await ctx.readiness.secrets(service);
  if (secrets.length === 0) return notApplicable('no secret declared', { secrets: [] });
  const off = secrets.filter((s) => !s.rotationEnabled).map((s) => s.id);
  return off.length === 0
    ? pass(secrets.map((s) => `${s.id}: rotation every ${s.rotationDays ?? '?'} days`).join('; '), { secrets })
    : fail(`rotation off: ${off.join(', ')}`, { secrets }, `turn rotation on for ${off.join(', ')} (RotateSecret)`);
};

const capacityLimits: Check = async (ctx, service) => {
  const components = await ctx.readiness.capacity(service);
  if (components.length === 0) {
    return fail(
      'no component with limits declared',
      { components: [] },
      `declare the service's Lambda functions or ECS task definitions in services.${service}.readiness.resources`,
    );
  }
  const unset = components.flatMap((c) =>
    Object.entries(c.limits)
      .filter(([, v]) => v === undefined || v === null)
      .map(([k]) => `${c.component} ${k}`),
  );
  const summary = components
    .map(
      (c) =>
        `${c.component}: ${Object.entries(c.limits)
          .map(([k, v]) => `${k}=${v ?? 'unset'}`)
          .join(', ')}`,
    )
    .join('; ');
  return unset.length === 0
    ? pass(summary, { components })
    : fail(summary, { components, unset }, `set ${unset.join(', ')}`);
};

const artifactExists: Check = async (ctx, service, version) => {
  const artifact = await ctx.readiness.artifact(service, version);
  if (!artifact) {
    return fail(
      'no artifact source declared',
      {},
      `declare services.${service}.readiness.resources.ecrRepository or lambdaFunctions`,
    );
  }
  return artifact.exists
    ? pass(`${artifact.ref} exists`, artifact)
    : fail(`${artifact.ref} not found`, artifact, `build and publish ${version} (${artifact.ref}) before going live`);
};

const versionSemver: Check = async (_ctx, _service, version) =>
  SEMVER.test(version)
    ? pass(`${version} is semver`, { version })
    : fail(`${version} is not semver`, { version }, 'version releases as MAJOR.MINOR.PATCH');

const smokeTestsDefined: Check = async (ctx, service) => {
  const tests = ctx.config.services[service].smokeTests;
  return tests.length > 0
    ? pass(`${tests.length} smoke test(s): ${tests.map((t) => t.name).join(', ')}`, {
        count: tests.length,
        names: tests.map((t) => t.name),
      })
    : fail('no smoke test', { count: 0 }, `add smokeTests to services.${service} in golive.config.yaml`);
};

const deploymentAutomated: Check = async (ctx, service) => {
  const { traffic, strategy } = ctx.config.services[service];
  return pass(`golive shifts ${traffic.kind} traffic and rolls back automatically`, {
    traffic,
    strategies: ['all-at-once', 'blue-green', 'canary'],
    default: strategy.default,
  });
};

const releaseStrategy: Check = async (ctx, service) => {
  const { strategy } = ctx.config.services[service];
  return pass(
    `${strategy.default}${strategy.default === 'canary' ? ` ${strategy.canarySteps.join(' → ')} → 100` : ''}, bake ${strategy.bakeSeconds} s`,
    strategy,
  );
};

const signOffPolicy: Check = async (ctx) => {
  const { approval, slack } = ctx.config;
  const evidence = { approvers: slack.approvers, ...approval };
  return !approval.allowSelfApproval
    ? pass(`${approval.minApprovals} of ${slack.approvers.join(', ')}; requester excluded`, evidence)
    : fail('the requester may approve their own go-live', evidence, 'set approval.allowSelfApproval: false');
};

export const CHECKS: Record<CheckKind, Check> = {
  'health-blue': health('blue'),
  'health-green': health('green'),
  'alarms-coverage': alarmsCoverage,
  'alerts-muteable': alertsMuteable,
  'log-metric-filters': logMetricFilters,
  'backup-configured': backupConfigured,
  'backup-recovery-point': backupRecoveryPoint,
  'db-replication': dbReplication,
  'db-not-public': dbNotPublic,
  'no-plaintext-secrets': noPlaintextSecrets,
  'secrets-rotation': secretsRotation,
  'capacity-limits': capacityLimits,
  'artifact-exists': artifactExists,
  'version-semver': versionSemver,
  'runbook-reachable': documentReachable('runbookUrl', 'runbook'),
  'dr-plan-reachable': documentReachable('disasterRecoveryUrl', 'disaster recovery plan'),
  'smoke-tests-defined': smokeTestsDefined,
  'deployment-automated': deploymentAutomated,
  'release-strategy': releaseStrategy,
  'sign-off-policy': signOffPolicy,
};

/** Runs one check; a provider that cannot answer makes the item fail with what it said. */
export async function runCheck(
  kind: CheckKind,
  ctx: ReadinessContext,
  service: string,
  version: string,
): Promise<CheckResult> {
  try {
    return await CHECKS[kind](ctx, service, version);
  } catch (err) {
    const e = err as Error;
    return fail(
      `could not check: ${e.name}: ${e.message}`,
      { error: { name: e.name, message: e.message } },
      'make the resource readable by golive (permissions, names in services.<name>.readiness.resources)',
    );
  }
}
