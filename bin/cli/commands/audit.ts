import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DescribeExecutionCommand, type DescribeExecutionCommandOutput, type HistoryEvent } from '@aws-sdk/client-sfn';
import { verifySealedChain } from '../../../lambdas/core/audit';
import { GoLiveClient, type GoLivePage } from '../../../lambdas/core/client';
import type { AuditRecord, Store, TaskCallbacks } from '../../../lambdas/core/ports';
import type { ActorVerification } from '../../../lambdas/core/roles';
import { EXPORT_FORMATS, toCsv, toJson, type ExportFormat } from '../../../lambdas/core/report/formats';
import { finalHashFromHistory } from '../../../lambdas/core/report/history';
import { formatMs, judgedStepName, msText, pctText, renderHtml, verdictText } from '../../../lambdas/core/report/html';
import { actorText } from '../../../lambdas/core/report/people';
import {
  buildAuditReport,
  reportStatus,
  statusFromRecords,
  type AuditReport,
} from '../../../lambdas/core/report/report';
import { executionHistory } from '../../../lambdas/providers/sfn-history';
import { SqliteStore } from '../../../local/providers/sqlite-store';
import { toHistoryEvent } from '../../../local/engine/history';
import { EngineStore } from '../../../local/engine/store';
import { endpointUrl, homeDir, readConfig, Remote, type GlobalOptions } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import type { Command, Io } from '../main';

type Values = GlobalOptions & Record<string, string | boolean | undefined>;

const USAGE = `golive audit list [--service <name>] [--since <ISO date | 30m | 24h | 7d>] [--status <status>]
       golive audit show <execution>
       golive audit verify <execution>
       golive audit export <execution> --format html|json|csv [--out <file>]`;

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'];

/** The audit store; locally the runtime's SQLite file (the DynamoDB table on AWS). */
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

/** Executions the store holds records for: the audit trail outlives Step Functions' 90-day history. */
function storedExecutions(store: SqliteStore): { executionArn: string; first: AuditRecord; records: AuditRecord[] }[] {
  const ids = store.db.prepare('SELECT DISTINCT execution_id AS id FROM audit').all() as { id: string }[];
  return ids.map(({ id }) => {
    const records = (
      store.db.prepare('SELECT record FROM audit WHERE execution_id = ? ORDER BY seq').all(id) as { record: string }[]
    ).map((r) => JSON.parse(r.record) as AuditRecord);
    return { executionArn: id, first: records[0], records };
  });
}

/** `2026-01-31`, an ISO timestamp, or a relative `45m`, `24h`, `7d`. */
export function parseSince(text: string, now = new Date()): Date {
  const relative = /^(\d+)([mhd])$/.exec(text);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(relative[1]) * unit);
  }
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw usageError(`--since "${text}" is neither a date (2026-01-31) nor a duration (24h, 7d)`);
  return new Date(at);
}

interface Sources {
  executionArn: string;
  records: AuditRecord[];
  execution?: DescribeExecutionCommandOutput;
  history?: HistoryEvent[];
  historyUnavailable?: string;
}

/**
 * The audit store merged with Step Functions (DescribeExecution + every page of
 * GetExecutionHistory). Without a reachable endpoint, or past the history's retention, the store
 * alone still answers.
 */
async function loadSources(v: Values, ref: string | undefined, store: SqliteStore): Promise<Sources> {
  if (!ref) throw usageError(`name the execution (its name or ARN, see \`golive audit list\`)\nUsage: ${USAGE}`);
  const known = storedExecutions(store).find((e) => e.executionArn === ref || e.executionArn.endsWith(`:${ref}`));
  const remote = new Remote(endpointUrl(v));
  try {
    let executionArn = known?.executionArn ?? (ref.startsWith('arn:') ? ref : undefined);
    let execution: DescribeExecutionCommandOutput | undefined;
    let history: HistoryEvent[] | undefined;
    let historyUnavailable: string | undefined;
    try {
      executionArn ??= await remote.executionArn(ref);
      const arn = executionArn;
      execution = await remote.call(() => remote.sfn.send(new DescribeExecutionCommand({ executionArn: arn })));
      history = await fetchHistory(remote, arn);
    } catch (err) {
      if (!(err instanceof CliError) || !known) throw err;
      const offline = executionArn ? localEngineHistory(v, executionArn) : undefined;
      if (offline) ({ execution, history } = offline);
      else historyUnavailable = err.message.replace(/: is the local runtime running\?.*$/, '');
    }
    const records = await store.listAudit(executionArn!);
    if (records.length === 0 && !execution) throw usageError(`no audit trail for "${ref}"`);
    return {
      executionArn: executionArn!,
      records,
      ...(execution ? { execution } : {}),
      ...(history ? { history } : {}),
      ...(historyUnavailable ? { historyUnavailable } : {}),
    };
  } finally {
    remote.close();
  }
}

export function reportFrom(sources: Sources): AuditReport {
  return buildAuditReport({
    executionArn: sources.executionArn,
    records: sources.records,
    ...(sources.execution ? { execution: sources.execution } : {}),
    ...(sources.history ? { history: sources.history } : {}),
    ...(sources.historyUnavailable ? { historyUnavailable: sources.historyUnavailable } : {}),
  });
}

/**
 * With the runtime stopped (after `npm start`), the local engine's own database still holds the
 * execution and its history in Step Functions shape: read it directly rather than give up timings.
 */
function localEngineHistory(
  v: Values,
  executionArn: string,
): { execution: DescribeExecutionCommandOutput; history: HistoryEvent[] } | undefined {
  const file = join(homeDir(v), 'executions.sqlite');
  if (!existsSync(file)) return undefined;
  const engine = new EngineStore(file);
  try {
    const row = engine.getExecution(executionArn);
    if (!row) return undefined;
    const history: HistoryEvent[] = [];
    for (let cursor: number | undefined; ;) {
      const page = engine.listEvents(executionArn, cursor, 1000, false);
      history.push(...page.map((e) => toHistoryEvent(e)));
      if (page.length < 1000) break;
      cursor = page[page.length - 1].id;
    }
    const execution = {
      $metadata: {},
      executionArn: row.arn,
      stateMachineArn: row.stateMachineArn,
      name: row.name,
      status: row.status,
      input: row.input,
      startDate: new Date(row.startDate),
      ...(row.stopDate === null ? {} : { stopDate: new Date(row.stopDate) }),
      ...(row.output === null ? {} : { output: row.output }),
      ...(row.error === null ? {} : { error: row.error }),
      ...(row.cause === null ? {} : { cause: row.cause }),
    } as DescribeExecutionCommandOutput;
    return { execution, history };
  } finally {
    engine.close();
  }
}

/** Every page of an execution's history through the CLI's client. */
function fetchHistory(remote: Remote, executionArn: string): Promise<HistoryEvent[]> {
  return remote.call(() => executionHistory(remote.sfn, executionArn));
}

/** The report of an execution the caller's runtime just ran (golive demo). */
export async function auditReportFor(
  remote: Remote,
  store: Pick<Store, 'listAudit'>,
  executionArn: string,
): Promise<AuditReport> {
  const execution = await remote.call(() => remote.sfn.send(new DescribeExecutionCommand({ executionArn })));
  const history = await fetchHistory(remote, executionArn);
  return reportFrom({ executionArn, records: await store.listAudit(executionArn), execution, history });
}

/** Evidence on one line, short enough for a terminal; `--json` has all of it. */
function compact(evidence: unknown, max = 160): string {
  if (evidence === undefined) return '';
  const text = JSON.stringify(evidence);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function printTimeline(report: AuditReport, io: Io): void {
  const e = report.execution;
  // A name the trail recorded for this id elsewhere (a vote, another step) names it here too.
  const who = (id: string, name?: string, verifiedBy?: ActorVerification) =>
    actorText({ id, name: name ?? (Object.hasOwn(report.people, id) ? report.people[id] : undefined), verifiedBy });
  const requester = e.requestedBy ? who(e.requestedBy, e.requestedByName, e.requestedByVerification) : '?';
  io.out(
    `${e.name}  ${e.status}${e.stepFunctionsStatus ? ` (Step Functions: ${e.stepFunctionsStatus})` : ''}  ${e.service ?? '?'} ${e.version ?? ''} (${e.strategy ?? '?'}) requested by ${requester}`,
  );
  io.out(`started ${e.startedAt ?? '?'}, ended ${e.stoppedAt ?? '—'} (${formatMs(e.durationMs)})`);
  if (e.error) io.out(`error ${e.error}: ${e.cause ?? ''}`);
  if (report.sources.historyUnavailable)
    io.out(`(history unavailable: ${report.sources.historyUnavailable}; timings from the audit store)`);
  io.out('\nTimeline');
  const t0 = Date.parse(e.startedAt ?? '') || undefined;
  for (const s of report.steps) {
    const start = s.startedAt ?? s.endedAt ?? '';
    const offset = t0 && start ? `+${formatMs(Date.parse(start) - t0)}` : '';
    const result = `${s.result}${s.error ? ` ${s.error}` : ''}${s.attempts > 1 ? ` (${s.attempts} attempts)` : ''}`;
    io.out(
      `  ${start.slice(11, 23).padEnd(12)} ${offset.padEnd(10)} ${s.name.padEnd(26)} ${formatMs(s.durationMs).padStart(9)}  ${result}`,
    );
    if (s.summary) {
      const by = s.actor && s.actor !== 'system' ? ` (by ${who(s.actor, s.actorName, s.verifiedBy)})` : '';
      io.out(`${' '.repeat(16)}${s.summary}${by}`);
    }
    const evidence = compact(s.evidence);
    if (evidence) io.out(`${' '.repeat(16)}evidence ${evidence}`);
  }
  if (report.readiness) {
    const r = report.readiness;
    const answered = r.items.filter((i) => i.attestation || i.waiver);
    io.out(
      `\nChecklist: ${r.passed ? 'ready' : 'not ready'}` +
        (r.awaitingAttestation.length ? `; never attested nor waived: ${r.awaitingAttestation.join(', ')}` : ''),
    );
    for (const i of answered) {
      const answer = (i.waiver ?? i.attestation)!;
      const decidedBy = i.decidedBy?.id === answer.by ? i.decidedBy : undefined;
      io.out(
        `  ${i.id.padEnd(28)} ${i.status} by ${who(answer.by, decidedBy?.name, decidedBy?.verifiedBy)} at ${answer.at}` +
          (i.waiver ? `: ${i.waiver.reason}` : ''),
      );
    }
  }
  io.out('\nDecisions');
  if (report.decisions.length === 0) io.out('  none');
  for (const d of report.decisions)
    io.out(`  ${d.at}  ${who(d.actor, d.actorName, d.verifiedBy)}  ${d.step}/${d.action}: ${d.summary}`);
  if (report.traffic.points.length) {
    io.out('\nTraffic');
    for (const p of report.traffic.points) io.out(`  ${p.at}  blue ${p.blue}% / green ${p.green}%  (${p.step})`);
    for (const a of report.traffic.alarms) io.out(`  ${a.at}  ⚠ ${a.name}: ${a.summary}`);
  }
  if (report.canary.length) {
    io.out('\nCanary analysis (candidate vs baseline)');
    for (const c of report.canary) {
      io.out(
        `  ${judgedStepName(c).padEnd(13)}  ${`${c.weight}%`.padEnd(4)}  ${verdictText(c).padEnd(20)} requests ${c.requests.candidate} vs ${c.requests.baseline}` +
          `, 5xx ${pctText(c.errorRate.candidate)} vs ${pctText(c.errorRate.baseline)}, p99 ${msText(c.p99Ms.candidate)} vs ${msText(c.p99Ms.baseline)}` +
          (c.outcome === 'failed' ? '  → rolled back' : ''),
      );
    }
  }
  if (report.rollback)
    io.out(`\nRollback (${report.rollback.outcome}) at ${report.rollback.at}: ${report.rollback.summary}`);
  const c = report.chain;
  io.out(
    `\nAudit chain: ${c.intact ? `intact, ${c.recordCount} records, final hash ${c.finalHash}` : `ALTERED at record ${c.badSeq}: ${c.reason}`}`,
  );
}

/** The audit commands only read: the client they list through can answer no task. */
const READ_ONLY_CALLBACKS: TaskCallbacks = {
  succeed: () => Promise.reject(new Error('the audit commands never act on a go-live')),
  fail: () => Promise.reject(new Error('the audit commands never act on a go-live')),
};

async function list(v: Values, io: Io): Promise<number> {
  const since = v.since ? parseSince(v.since as string) : undefined;
  const status = (v.status as string | undefined)?.toUpperCase();
  if (status && !STATUSES.includes(status)) throw usageError(`--status must be one of ${STATUSES.join(', ')}`);
  const store = openAuditStore(v);
  const remote = new Remote(endpointUrl(v));
  try {
    type Row = {
      name: string;
      executionArn: string;
      status: string;
      service?: string;
      version?: string;
      requestedBy?: string;
      requestedByName?: string;
      startedAt?: string;
      records: number;
      chain: string;
    };
    const rows = new Map<string, Row>();
    const trails = new Map<string, AuditRecord[]>();
    for (const s of storedExecutions(store)) {
      const lock = s.records.find((r) => r.step === 'ValidateAndLock');
      const request = (lock?.evidence as { request?: Record<string, string> } | undefined)?.request ?? {};
      const verdict = verifySealedChain(s.records, undefined);
      const requestedByName =
        request.requestedByName ?? s.records.find((r) => r.actor === request.requestedBy && r.actorName)?.actorName;
      trails.set(s.executionArn, s.records);
      rows.set(s.executionArn, {
        name: s.executionArn.split(':').pop() ?? s.executionArn,
        executionArn: s.executionArn,
        status: statusFromRecords(s.records),
        service: s.first?.service,
        ...(request.version ? { version: request.version } : {}),
        ...(request.requestedBy ? { requestedBy: request.requestedBy } : {}),
        ...(requestedByName ? { requestedByName } : {}),
        startedAt: s.first?.at,
        records: s.records.length,
        chain: verdict.intact ? 'intact' : `ALTERED at #${verdict.badSeq}`,
      });
    }
    // Step Functions knows the exact status and the executions that have no record yet.
    let historyNote: string | undefined;
    try {
      // Listing and summaries exist once, in GoLiveClient (read-only here: it lists, never acts).
      const client = new GoLiveClient({
        config: readConfig(v),
        sfn: remote.sfn,
        stateMachineArn: await remote.stateMachineArn(),
        store,
        callbacks: READ_ONLY_CALLBACKS,
        now: () => new Date(),
      });
      let nextToken: string | undefined;
      do {
        const page: GoLivePage = await remote.call(() =>
          client.list({ limit: 100, ...(nextToken ? { nextToken } : {}) }),
        );
        for (const g of page.goLives) {
          const row = rows.get(g.executionArn);
          if (row) {
            // Step Functions ends an aborted go-live FAILED: the client and the trail tell the abort.
            row.status = reportStatus(trails.get(g.executionArn) ?? [], { status: g.status });
            row.startedAt = g.startDate ?? row.startedAt;
          } else {
            rows.set(g.executionArn, {
              name: g.name,
              executionArn: g.executionArn,
              status: g.status,
              ...(g.service ? { service: g.service } : {}),
              ...(g.version ? { version: g.version } : {}),
              ...(g.requestedBy ? { requestedBy: g.requestedBy } : {}),
              ...(g.startDate ? { startedAt: g.startDate } : {}),
              records: 0,
              chain: 'no records',
            });
          }
        }
        nextToken = page.nextToken;
      } while (nextToken);
    } catch (err) {
      if (!(err instanceof CliError)) throw err;
      historyNote = `Step Functions not consulted (${err.message.split(':')[0]}): statuses inferred from the audit trail`;
    }
    const selected = [...rows.values()]
      .filter((r) => !v.service || r.service === v.service)
      .filter((r) => !status || r.status === status)
      .filter((r) => !since || (r.startedAt !== undefined && Date.parse(r.startedAt) >= since.getTime()))
      .sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
    if (v.json) io.out(JSON.stringify(selected));
    else {
      if (historyNote) io.err(historyNote);
      if (selected.length === 0) io.out('no go-live matches');
      for (const r of selected) {
        io.out(
          `${r.status.padEnd(9)} ${r.name}  ${r.service ?? '?'} ${r.version ?? ''} by ${r.requestedBy ? actorText({ id: r.requestedBy, name: r.requestedByName }) : '?'}  ${r.startedAt ?? ''}  ${r.records} records, chain ${r.chain}`,
        );
      }
    }
    return EXIT.ok;
  } finally {
    remote.close();
    store.close();
  }
}

export function renderExport(report: AuditReport, format: ExportFormat): string {
  if (format === 'html') return renderHtml(report);
  if (format === 'csv') return toCsv(report.records);
  return toJson(report);
}

/**
 * Writes the report where asked, creating missing folders; returns the absolute path. A path that
 * cannot be written is bad input (exit 2) saying which path, why, and what to do instead.
 */
export function writeReport(file: string, content: string, suggestedName = 'report'): string {
  const path = resolve(file);
  const refuse = (why: string, fix: string) => usageError(`cannot write --out ${path}: ${why}; ${fix}`);
  if (existsSync(path) && statSync(path).isDirectory()) {
    throw refuse('it is a directory', `name a file in it, e.g. --out ${join(path, suggestedName)}`);
  }
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'EACCES' || e.code === 'EPERM') {
      throw refuse('permission denied', 'choose a folder you can write to, or fix its permissions');
    }
    if (e.code === 'EROFS') throw refuse('the file system is read-only', 'choose a folder on a writable disk');
    if (e.code === 'ENOTDIR' || e.code === 'EEXIST') {
      throw refuse('a part of the path is a file, not a folder', 'choose a path whose folders are folders');
    }
    if (e.code === 'EISDIR')
      throw refuse('it is a directory', `name a file in it, e.g. --out ${join(path, suggestedName)}`);
    throw refuse(`${e.code ?? 'error'}: ${e.message}`, 'choose another path');
  }
  return path;
}

/**
 * `golive audit export … | head -1` closes the pipe before everything is written. The CLI's
 * process wiring has no policy for that, so the audit commands keep their own: a broken pipe on
 * stdout ends the output quietly (nothing more is written) and the command exits as it would
 * have. Any other stdout error stays fatal.
 */
let stdoutGone = false;
let stdoutGuarded = false;
function quietOnClosedPipe(io: Io): Io {
  if (!stdoutGuarded) {
    stdoutGuarded = true;
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && !stdoutGone) throw err;
      stdoutGone = true;
    });
  }
  return {
    ...io,
    out: (line) => {
      if (!stdoutGone) io.out(line);
    },
  };
}

export const auditCommand: Command = {
  usage: USAGE,
  summary: 'For auditors: list go-lives, show one as a timeline, verify its hash chain, export HTML/JSON/CSV.',
  options: {
    service: { type: 'string' },
    since: { type: 'string' },
    status: { type: 'string' },
    format: { type: 'string' },
    out: { type: 'string' },
  },
  async run({ positionals, values }, terminal) {
    const io = quietOnClosedPipe(terminal);
    const v = values as Values;
    const [sub, ref, extra] = positionals;
    if (extra) throw usageError(`unexpected argument "${extra}"\nUsage: ${USAGE}`);
    if (sub === 'list') return list(v, io);
    if (sub !== 'show' && sub !== 'verify' && sub !== 'export') {
      throw usageError(`${sub ? `unknown audit command "${sub}"` : 'say what to do'}\nUsage: ${USAGE}`);
    }
    const format = (v.format as string | undefined) ?? 'json';
    if (sub === 'export' && !(EXPORT_FORMATS as readonly string[]).includes(format)) {
      throw usageError(`--format must be one of ${EXPORT_FORMATS.join(', ')}, got "${format}"`);
    }
    const store = openAuditStore(v);
    try {
      const sources = await loadSources(v, ref, store);
      if (sub === 'verify') {
        const seal = sources.history ? finalHashFromHistory(sources.history) : undefined;
        const verdict = verifySealedChain(sources.records, seal);
        const name = sources.executionArn.split(':').pop();
        if (v.json) io.out(JSON.stringify({ execution: name, records: sources.records.length, ...verdict }));
        else if (verdict.intact)
          io.out(
            `intact: ${sources.records.length} records of ${name}, final hash ${verdict.finalHash}` +
              (verdict.sealed ? ' (matches the execution output)' : ''),
          );
        else io.out(`ALTERED: record ${verdict.badSeq} of ${name} — ${verdict.reason}`);
        return verdict.intact ? EXIT.ok : EXIT.failed;
      }
      const report = reportFrom(sources);
      if (sub === 'show') {
        if (v.json) io.out(JSON.stringify(report));
        else printTimeline(report, io);
        return EXIT.ok;
      }
      const content = renderExport(report, format as ExportFormat);
      if (v.out)
        io.out(`wrote ${writeReport(v.out as string, content, `${sources.executionArn.split(':').pop()}.${format}`)}`);
      else io.out(content.replace(/\r?\n$/, ''));
      return EXIT.ok;
    } finally {
      store.close();
    }
  },
};
