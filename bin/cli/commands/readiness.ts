import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Endpoints, ReadinessProvider } from '../../../lambdas/core/ports';
import { SEMVER } from '../../../lambdas/core/request';
import {
  applyDecision,
  evaluateChecklist,
  preDecisionKey,
  validateDecision,
  type ReadinessDecision,
} from '../../../lambdas/core/readiness/evaluate';
import { renderReport } from '../../../lambdas/core/readiness/render';
import { AwsReadiness } from '../../../lambdas/providers/aws/readiness';
import { LocalReadiness, readRuntimeRecord } from '../../../local/providers/readiness';
import { SqliteStore } from '../../../local/providers/sqlite-store';
import { homeDir, readConfig, type GlobalOptions } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import type { Command } from '../main';

type Values = GlobalOptions & Record<string, string | boolean | undefined>;

const USAGE =
  'golive readiness <service> [--version <semver>] [--json] [--waive <item> --reason <text> --as <user>] [--attest <item> --as <user>]';

/**
 * Where the checked service answers: `services.<name>.endpoints` when all three are configured,
 * otherwise (a local-router service) the URLs the running `golive local up` recorded in the state dir.
 */
function resolveEndpoints(v: Values, service: string, configured: Partial<Endpoints>, local: boolean): Endpoints {
  if (configured.live && configured.blue && configured.green) return configured as Endpoints;
  const record = local ? readRuntimeRecord(homeDir(v), service) : undefined;
  if (!record) {
    throw new CliError(
      local
        ? `the local runtime is not running for ${service} (nothing live in ${homeDir(v)}): start it with \`golive local up\` (or pass --home)`
        : `set services.${service}.endpoints.{live,blue,green} in the config to check ${service}`,
      EXIT.unreachable,
    );
  }
  return { ...record.endpoints, ...configured };
}

async function versionOnGreen(green: string): Promise<string | undefined> {
  try {
    const res = await fetch(new URL('/version', green), { signal: AbortSignal.timeout(3000) });
    const body = (await res.json()) as { version?: unknown };
    return typeof body.version === 'string' ? body.version : undefined;
  } catch {
    return undefined;
  }
}

export const readinessCommand: Command = {
  usage: USAGE,
  summary:
    'Dry-run the production-readiness checklist of a service (no go-live): ✓ / ✗ / waived / to attest, with evidence. ' +
    'Exit 0 when every required item passes, 1 when one fails. --waive / --attest record an answer for that version ahead of the go-live.',
  options: {
    version: { type: 'string' },
    waive: { type: 'string' },
    attest: { type: 'string' },
    reason: { type: 'string' },
    as: { type: 'string' },
  },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const [service, extra] = positionals;
    if (!service) throw usageError(`name the service\nUsage: ${USAGE}`);
    if (extra) throw usageError(`unexpected argument "${extra}"\nUsage: ${USAGE}`);
    const config = readConfig(v);
    const svc = config.services[service];
    if (!svc) {
      throw usageError(`unknown service "${service}" (services: ${Object.keys(config.services).join(', ')})`);
    }
    if (v.version !== undefined && !SEMVER.test(String(v.version))) {
      throw usageError(`--version "${String(v.version)}" is not a semantic version (e.g. 2.4.0)`);
    }
    const answer = v.waive ?? v.attest;
    if (v.waive && v.attest) throw usageError('give --waive or --attest, one at a time');
    if (answer && !v.as) throw usageError('say who you are with --as <user-id>');
    if (v.waive && !String(v.reason ?? '').trim()) throw usageError('a waiver needs a reason: --reason "why"');

    const local = svc.traffic.kind === 'local-router';
    const endpoints = resolveEndpoints(v, service, svc.endpoints, local);
    const version = (v.version as string | undefined) ?? (await versionOnGreen(endpoints.green));
    if (!version) throw usageError(`cannot tell which version green serves: pass --version`);
    const home = homeDir(v);
    const provider: ReadinessProvider = local ? new LocalReadiness({ home, config }) : new AwsReadiness({ config });
    const storeFile = join(home, 'store.sqlite');
    const store = local && existsSync(storeFile) ? new SqliteStore(storeFile) : undefined;
    try {
      const key = preDecisionKey(service, version);
      const decisions = (await store?.getExecutionValue<ReadinessDecision[]>(key, 'decisions')) ?? [];
      const ctx = { config, readiness: provider, endpoints: async () => endpoints, fetch, now: () => new Date() };
      const report = await evaluateChecklist(ctx, service, version, decisions);
      if (answer) {
        if (!store) throw usageError(`answers are kept in the local store: none in ${home} (run \`golive local up\`)`);
        const decision: ReadinessDecision = {
          item: String(answer),
          kind: v.waive ? 'waiver' : 'attestation',
          by: String(v.as),
          ...(v.reason ? { reason: String(v.reason).trim() } : {}),
          at: new Date().toISOString(),
        };
        const problem = validateDecision(report, decision);
        if (problem) throw usageError(problem);
        applyDecision(report, decision);
        await store.putExecutionValue(key, 'decisions', [...decisions, decision]);
        await store.appendAudit({
          executionId: key,
          service,
          step: 'Readiness',
          action: decision.kind === 'waiver' ? 'waive' : 'attest',
          actor: decision.by,
          outcome: 'info',
          summary: `${decision.by} ${decision.kind === 'waiver' ? `waived ${decision.item}: ${decision.reason}` : `attested ${decision.item}`} for ${service} ${version}`,
          evidence: { decision, item: report.items.find((i) => i.id === decision.item) },
          at: decision.at,
        });
      }
      io.out(v.json ? JSON.stringify(report, null, 2) : renderReport(report));
      return report.passed ? EXIT.ok : EXIT.failed;
    } finally {
      store?.close();
    }
  },
};
