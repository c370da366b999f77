import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { GoLiveClient } from '../../../lambdas/core/client';
import {
  doraMetrics,
  goLiveFact,
  metricTexts,
  durationText,
  renderDoraHtml,
  trailsSince,
  type DoraMetrics,
  type DoraReport,
  type GoLiveFact,
  type Trail,
} from '../../../lambdas/core/dora';
import type { TaskCallbacks } from '../../../lambdas/core/ports';
import { SqliteStore } from '../../../local/providers/sqlite-store';
import { endpointUrl, homeDir, readConfig, Remote, type GlobalOptions } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import type { Command, Io } from '../main';
import { writeReport } from './audit';

type Values = GlobalOptions & Record<string, string | boolean | undefined>;

const USAGE = `golive metrics [--service <name>] [--since <ISO date | 30d | 24h>] [--until <ISO date | 7d>] [--json]
       golive metrics --html [--out <file>]`;

/** The default period: the last 30 days. */
const DEFAULT_DAYS = 30;

/** `2026-01-31`, an ISO timestamp, or a relative `45m`, `24h`, `30d` (that long before now). */
export function parseWhen(text: string, option: '--since' | '--until', now: Date): Date {
  const relative = /^(\d+)([mhd])$/.exec(text);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(relative[1]) * unit);
  }
  const at = Date.parse(text);
  if (Number.isNaN(at))
    throw usageError(`${option} "${text}" is neither a date (2026-01-31) nor a duration before now (24h, 30d)`);
  return new Date(at);
}

/** The audit store; locally the runtime's SQLite file. Only read here. */
function openAuditStore(v: Values): SqliteStore {
  const file = join(homeDir(v), 'store.sqlite');
  if (!existsSync(file)) {
    throw new CliError(
      `no audit store in ${homeDir(v)}: run a go-live first (npm start), or pass --home <dir>`,
      EXIT.unreachable,
    );
  }
  return new SqliteStore(file);
}

/** The metrics only read: the client they list through can answer no task. */
const READ_ONLY_CALLBACKS: TaskCallbacks = {
  succeed: () => Promise.reject(new Error('golive metrics never acts on a go-live')),
  fail: () => Promise.reject(new Error('golive metrics never acts on a go-live')),
};

/**
 * Every trail the store holds (as `golive audit list` finds them: the audit trail outlives Step
 * Functions' history), with Step Functions' status where the endpoint answers: it tells an execution
 * stopped before the janitor wrote its records. Without the endpoint, the trails alone answer.
 */
async function loadTrails(v: Values, store: SqliteStore, since: Date, io: Io): Promise<Trail[]> {
  const ids = store.db.prepare('SELECT DISTINCT execution_id AS id FROM audit').all() as { id: string }[];
  const trails = new Map<string, Trail>();
  for (const { id } of ids) trails.set(id, { executionId: id, records: await store.listAudit(id) });
  const remote = new Remote(endpointUrl(v));
  try {
    const client = new GoLiveClient({
      config: readConfig(v),
      sfn: remote.sfn,
      stateMachineArn: await remote.stateMachineArn(),
      store,
      callbacks: READ_ONLY_CALLBACKS,
      now: () => new Date(),
    });
    for (const t of await remote.call(() => trailsSince(client, store, { since }))) {
      const known = trails.get(t.executionId);
      trails.set(t.executionId, known ? { ...t, records: known.records } : t);
    }
  } catch (err) {
    if (!(err instanceof CliError)) throw err;
    io.err(
      `Step Functions not consulted (${err.message.replace(/: is the local runtime running\?.*$/s, '')}): go-lives judged from the audit trail alone`,
    );
  } finally {
    remote.close();
  }
  return [...trails.values()];
}

function printTable(report: DoraReport, io: Io): void {
  const p = report.period;
  io.out(`DORA metrics of go-lives ended ${p.since} – ${p.until} (${Math.round(p.days * 100) / 100} days)`);
  const header = ['service', 'deployment frequency', 'change failure rate', 'time to restore', 'lead time'];
  const rows: string[][] = [];
  const row = (name: string, m: DoraMetrics) => {
    const t = metricTexts(m);
    rows.push([name, t.deploymentFrequency, t.changeFailureRate, t.timeToRestore, t.leadTime]);
  };
  row('all', report);
  for (const [name, m] of Object.entries(report.services)) row(name, m);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  io.out('');
  io.out(line(header));
  for (const r of rows) io.out(line(r));
  const name = (id: string) => id.split(':').pop() ?? id;
  if (report.changeFailureRate.failures.length) {
    io.out('\nFailures in production');
    const restored = new Map(report.timeToRestore.restored.map((r) => [r.failure.executionId, r]));
    for (const f of report.changeFailureRate.failures) {
      const r = restored.get(f.executionId);
      const open = report.timeToRestore.open.find((o) => o.failure.executionId === f.executionId);
      io.out(
        `  ${name(f.executionId)}  ${f.service} ${f.version ?? '?'}  ${f.outcome}${f.undoneBy ? ` by ${name(f.undoneBy)}` : ''}  ended ${f.endedAt}` +
          (r
            ? `  restored after ${durationText(r.ms)} by ${name(r.restoredBy.executionId)}`
            : open
              ? `  OPEN for ${durationText(open.openMs)}`
              : ''),
      );
    }
  }
}

async function run(v: Values, io: Io): Promise<number> {
  const now = new Date();
  const until = v.until ? parseWhen(v.until as string, '--until', now) : now;
  const since = v.since
    ? parseWhen(v.since as string, '--since', now)
    : new Date(until.getTime() - DEFAULT_DAYS * 86_400_000);
  if (until.getTime() <= since.getTime()) {
    throw usageError(
      `--until (${until.toISOString()}) must be after --since (${since.toISOString()}): widen the period`,
    );
  }
  if (v.out && !v.html) throw usageError('--out writes the dashboard: add --html');
  const store = openAuditStore(v);
  let facts: GoLiveFact[];
  try {
    const trails = await loadTrails(v, store, since, io);
    facts = trails.map(goLiveFact).filter((f): f is GoLiveFact => f !== undefined);
  } finally {
    store.close();
  }
  const report = doraMetrics(facts, {
    since,
    until,
    ...(v.service ? { service: v.service as string } : {}),
    services: Object.keys(readConfig(v).services),
  });
  if (v.html) {
    const html = renderDoraHtml(report, now);
    if (v.out) io.out(`wrote ${writeReport(v.out as string, html, 'dora.html')}`);
    else io.out(html.replace(/\r?\n$/, ''));
  } else if (v.json) io.out(JSON.stringify(report));
  else printTable(report, io);
  return EXIT.ok;
}

export const metricsCommand: Command = {
  usage: USAGE,
  summary: 'DORA metrics from the audit trail: deployment frequency, change failure rate, restore and lead time.',
  options: {
    service: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    html: { type: 'boolean' },
    out: { type: 'string' },
  },
  async run({ positionals, values }, io) {
    if (positionals.length) throw usageError(`unexpected argument "${positionals[0]}"\nUsage: ${USAGE}`);
    return run(values as Values, io);
  },
};
