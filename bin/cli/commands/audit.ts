import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import {
  DescribeExecutionCommand,
  paginateListExecutions,
  type DescribeExecutionCommandOutput,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import {
  chainVerdictOf,
  PREFLIGHT_ANCHORS,
  trailKind,
  verdictLine,
  verifyAudit,
  type ArchiveEvidence,
  type ExecutionEvidence,
  type TrailKind,
  type Verification,
} from '../../../lambdas/core/audit-verify';
import type { AuditRecord } from '../../../lambdas/core/ports';
import type { ActorVerification } from '../../../lambdas/core/roles';
import { readArchivedRecord, type ArchiveReader } from '../../../lambdas/core/report/archive';
import { EXPORT_FORMATS, toCsv, toJson, type ExportFormat } from '../../../lambdas/core/report/formats';
import { finalHashFromHistory, finalHashFromOutput } from '../../../lambdas/core/report/history';
import { formatMs, judgedStepName, msText, pctText, renderHtml, verdictText } from '../../../lambdas/core/report/html';
import { actorText } from '../../../lambdas/core/report/people';
import { buildAuditReport, type AuditReport } from '../../../lambdas/core/report/report';
import { S3ArchiveReader } from '../../../lambdas/providers/aws/audit-archive-reader';
import { executionHistory } from '../../../lambdas/providers/sfn-history';
import { ExecutionsFile } from '../../../local/executions-file';
import { readSealLog, sealLogPath } from '../../../local/seal-log';
import { SqliteStore } from '../../../local/providers/sqlite-store';
import { endpointUrl, homeDir, Remote, type GlobalOptions } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import type { Command, Io } from '../main';
import { exportPack, type PackFormat } from './audit-pack';

type Values = GlobalOptions & Record<string, string | boolean | undefined>;

const USAGE = `golive audit list [--kind go-live|readiness] [--service <name>] [--status <status>]
                  [--since <ISO date | 30m | 24h | 7d>] [--until <ISO date>] [--requester <user>]
                  [--approver <user>] [--decision approved|rejected|expired] [--waiver] [--break-glass]
       golive audit show <execution | readiness:<service>:<version>>
       golive audit verify <execution | readiness:<service>:<version>>
       golive audit export <execution> --format html|json|csv [--out <file>]
       golive audit export --all [--since …] [--until …] [filters of list] --format html|json|csv --out <dir>
  --archive-bucket <name>  also compare each go-live with its record in the Object Lock bucket (AWS;
                           default GOLIVE_AUDIT_BUCKET)`;

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'];
const KINDS: TrailKind[] = ['go-live', 'readiness'];
const DECISIONS = ['approved', 'rejected', 'expired'];

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

/** Every trail the store holds records for: the audit trail outlives Step Functions' 90-day history. */
function storedTrailIds(store: SqliteStore): string[] {
  return (store.db.prepare('SELECT DISTINCT execution_id AS id FROM audit').all() as { id: string }[]).map((r) => r.id);
}

/** `2026-01-31`, an ISO timestamp, or a relative `45m`, `24h`, `7d`. */
export function parseSince(text: string, now = new Date(), flag = '--since'): Date {
  const relative = /^(\d+)([mhd])$/.exec(text);
  if (relative) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(relative[1]) * unit);
  }
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw usageError(`${flag} "${text}" is neither a date (2026-01-31) nor a duration (24h, 7d)`);
  return new Date(at);
}

/** `--until 2026-03-31` means the whole of that day; a timestamp means that instant. */
export function parseUntil(text: string): Date {
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw usageError(`--until "${text}" is not a date (2026-03-31) or an ISO timestamp`);
  return /^\d{4}-\d{2}-\d{2}$/.test(text) ? new Date(at + 86_400_000 - 1) : new Date(at);
}

interface Sources {
  executionArn: string;
  kind: TrailKind;
  records: AuditRecord[];
  execution?: DescribeExecutionCommandOutput;
  history?: HistoryEvent[];
  historyUnavailable?: string;
  /** What the execution-output anchor found. */
  executionEvidence: ExecutionEvidence;
}

const isUnreachable = (err: unknown) => err instanceof CliError && err.exitCode === EXIT.unreachable;

/**
 * Everything the audit commands read, and the one verification they all show. Step Functions
 * (DescribeExecution + every page of GetExecutionHistory) when the endpoint answers; otherwise
 * the local engine's own file, read-only; the seal log; the Object Lock archive when a bucket is
 * named. `list`, `show`, `verify` and `export` all go through `load` and `verify`, so they cannot
 * disagree.
 */
export class AuditSources {
  readonly remote: Remote;
  private readonly engine: ExecutionsFile | undefined;
  private readonly archive: ArchiveReader | undefined;
  private readonly sealLogFile: string;
  /** Decided by the first call: an endpoint that is down stays down for this command. */
  private online: boolean | undefined;
  offlineReason: string | undefined;

  constructor(
    v: Values,
    readonly store: SqliteStore,
    archive?: ArchiveReader,
  ) {
    this.remote = new Remote(endpointUrl(v));
    this.engine = ExecutionsFile.open(homeDir(v));
    this.sealLogFile = sealLogPath(homeDir(v));
    const bucket = (v['archive-bucket'] as string | undefined) ?? process.env.GOLIVE_AUDIT_BUCKET;
    this.archive = archive ?? (bucket ? new S3ArchiveReader(bucket, new S3Client({})) : undefined);
  }

  close(): void {
    this.remote.close();
    this.engine?.close();
  }

  /** Step Functions first; unreachable once means the engine's file for the rest of the command. */
  private async fromStepFunctions<T>(fn: () => Promise<T>): Promise<T | undefined> {
    if (this.online === false) return undefined;
    try {
      const result = await fn();
      this.online = true;
      return result;
    } catch (err) {
      if (!isUnreachable(err)) throw err;
      this.online = false;
      this.offlineReason = (err as Error).message.replace(/: is the local runtime running\?.*$/, '');
      return undefined;
    }
  }

  /** Every go-live and pre-flight: the store's trails plus executions that have no record (yet). */
  async ids(): Promise<string[]> {
    const ids = new Set(storedTrailIds(this.store));
    const listed = await this.fromStepFunctions(async () => {
      const stateMachineArn = await this.remote.stateMachineArn();
      const arns: string[] = [];
      for await (const page of this.remote.pages(
        paginateListExecutions({ client: this.remote.sfn }, { stateMachineArn }),
      )) {
        arns.push(...(page.executions ?? []).map((e) => e.executionArn!));
      }
      return arns;
    });
    for (const arn of listed ?? this.engine?.executions().map((e) => e.arn) ?? []) ids.add(arn);
    // A go-live deleted from both databases is still named by its seal: listed, and found ALTERED.
    for (const id of this.sealedIds()) ids.add(id);
    return [...ids];
  }

  /** The executions the seal log names (none when it is missing or unreadable: verify reports that). */
  private sealedIds(): string[] {
    const log = readSealLog(this.sealLogFile);
    return log.state === 'found' ? [...new Set(log.seals.map((s) => s.executionId))] : [];
  }

  /** The id of `ref`: a trail id, an execution name or ARN, a pre-flight's `readiness:<service>:<version>`. */
  async resolve(ref: string | undefined): Promise<string> {
    if (!ref) throw usageError(`name the execution (its name or ARN, see \`golive audit list\`)\nUsage: ${USAGE}`);
    const stored = storedTrailIds(this.store);
    const known =
      stored.find((id) => id === ref) ??
      stored.find((id) => trailKind(id) === 'go-live' && id.endsWith(`:${ref}`)) ??
      this.engine?.executions().find((e) => e.name === ref || e.arn === ref)?.arn ??
      this.sealedIds().find((id) => id === ref || id.endsWith(`:${ref}`));
    if (known) return known;
    if (ref.startsWith('readiness:') || ref.startsWith('arn:')) return ref;
    const arn = await this.fromStepFunctions(() => this.remote.executionArn(ref));
    if (!arn) throw usageError(`no audit trail for "${ref}" in the store, and Step Functions is unreachable`);
    return arn;
  }

  async load(id: string): Promise<Sources> {
    const kind = trailKind(id);
    const records = await this.store.listAudit(id);
    if (kind === 'readiness') {
      if (records.length === 0) throw usageError(`no readiness pre-flight "${id}" in the store`);
      return { executionArn: id, kind, records, executionEvidence: PREFLIGHT_ANCHORS.execution };
    }
    let execution: DescribeExecutionCommandOutput | undefined;
    let history: HistoryEvent[] | undefined;
    let source = 'Step Functions';
    let notFound: string | undefined;
    try {
      const fetched = await this.fromStepFunctions(async () => {
        const out = await this.remote.call(() =>
          this.remote.sfn.send(new DescribeExecutionCommand({ executionArn: id })),
        );
        return { out, events: await this.remote.call(() => executionHistory(this.remote.sfn, id)) };
      });
      if (fetched) ({ out: execution, events: history } = fetched);
    } catch (err) {
      if (!(err instanceof CliError) || err.exitCode !== EXIT.usage) throw err;
      notFound = `Step Functions does not know ${id}`;
    }
    if (!execution && this.engine) {
      const offline = this.offlineEngine(id);
      if (offline) {
        ({ execution, history } = offline);
        source = this.engine.file;
      } else
        notFound = `${this.engine.file} holds no execution ${id.split(':').pop()}: it was deleted, or never ran here`;
    }
    // Nothing left of it but its seal: verified all the same, so the deletion is reported (ALTERED).
    if (records.length === 0 && !execution && !this.sealedIds().includes(id))
      throw usageError(`no audit trail for "${id}"`);
    let executionEvidence: ExecutionEvidence;
    if (execution) {
      const historySeal = history ? finalHashFromHistory(history) : undefined;
      const outputSeal = finalHashFromOutput(execution.output);
      executionEvidence = {
        state: 'found',
        status: execution.status ?? 'UNKNOWN',
        source,
        ...(historySeal ? { historySeal } : {}),
        ...(outputSeal ? { outputSeal } : {}),
      };
    } else {
      executionEvidence = {
        state: 'missing',
        detail: notFound ?? `Step Functions is unreachable and there is no executions.sqlite to read`,
      };
    }
    const historyUnavailable = execution ? undefined : (notFound ?? this.offlineReason);
    return {
      executionArn: id,
      kind,
      records,
      executionEvidence,
      ...(execution ? { execution } : {}),
      ...(history ? { history } : {}),
      ...(historyUnavailable ? { historyUnavailable } : {}),
    };
  }

  /** The one verification of a loaded trail. */
  async verify(sources: Sources, report?: AuditReport): Promise<Verification> {
    if (sources.kind === 'readiness') {
      return verifyAudit({ executionId: sources.executionArn, records: sources.records, ...PREFLIGHT_ANCHORS });
    }
    const r = report ?? reportFrom(sources);
    let archive: ArchiveEvidence = {
      state: 'not-available',
      detail: 'no Object Lock archive here: pass --archive-bucket <name> to compare with the AWS one',
    };
    if (this.archive) {
      archive = await readArchivedRecord(this.archive, {
        service: r.execution.service,
        name: r.execution.name,
        startedAt: [r.execution.startedAt, sources.records[0]?.at],
      });
    }
    return verifyAudit({
      executionId: sources.executionArn,
      records: sources.records,
      execution: sources.executionEvidence,
      archive,
      sealLog: readSealLog(this.sealLogFile),
    });
  }

  /**
   * With the runtime stopped (after `npm start`), the local engine's own database still holds the
   * execution and its history in Step Functions shape: read it directly rather than give up.
   */
  private offlineEngine(
    executionArn: string,
  ): { execution: DescribeExecutionCommandOutput; history: HistoryEvent[] } | undefined {
    const row = this.engine?.execution(executionArn);
    if (!row) return undefined;
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
    return { execution, history: this.engine!.history(executionArn) };
  }
}

export function reportFrom(sources: Omit<Sources, 'kind' | 'executionEvidence'>): AuditReport {
  return buildAuditReport({
    executionArn: sources.executionArn,
    // A copy: the report must never change the records the verification reads.
    records: structuredClone(sources.records),
    ...(sources.execution ? { execution: sources.execution } : {}),
    ...(sources.history ? { history: sources.history } : {}),
    ...(sources.historyUnavailable ? { historyUnavailable: sources.historyUnavailable } : {}),
  });
}

/** A report carrying the verification: `chain` says what every anchor says, `verification` says which. */
export type VerifiedReport = AuditReport & { verification: Verification };

export function withVerification(report: AuditReport, verification: Verification): VerifiedReport {
  return { ...report, chain: chainVerdictOf(verification), verification };
}

/**
 * The verified report of an execution the caller's runtime just ran (golive demo): the same
 * sources and verification as `golive audit verify`.
 */
export async function verifiedReportFor(
  where: { home: string; endpoint: string },
  store: SqliteStore,
  executionArn: string,
): Promise<VerifiedReport> {
  const sources = new AuditSources({ home: where.home, endpoint: where.endpoint } as Values, store);
  try {
    const loaded = await sources.load(executionArn);
    const report = reportFrom(loaded);
    return withVerification(report, await sources.verify(loaded, report));
  } finally {
    sources.close();
  }
}

/** Evidence on one line, short enough for a terminal; `--json` has all of it. */
function compact(evidence: unknown, max = 160): string {
  if (evidence === undefined) return '';
  const text = JSON.stringify(evidence);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function printTimeline(report: VerifiedReport, io: Io): void {
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
  printVerification(report.verification, io);
}

const ANCHOR_MARK = { ok: '✓', mismatch: '✗', missing: '✗', 'not-available': '–' } as const;

/** The verdict, then each anchor checked and what it found. */
function printVerification(v: Verification, io: Io): void {
  io.out(
    `\nAudit chain: ${v.ok ? `verified, ${v.records} records, final hash ${v.finalHash}` : `ALTERED${v.firstBadSeq !== undefined ? ` at record ${v.firstBadSeq}` : ''}, caught by ${v.caughtBy.join(', ')}`}`,
  );
  for (const a of v.anchors)
    io.out(`  ${ANCHOR_MARK[a.status]} ${a.anchor.padEnd(19)} ${a.status.padEnd(13)} ${a.detail}`);
}

/** A readiness pre-flight: the answers given ahead of a go-live, who gave them, and its chain. */
function printPreflight(id: string, records: AuditRecord[], verification: Verification, io: Io): void {
  const [, service, version] = id.split(':');
  io.out(`${id}  readiness pre-flight of ${service} ${version} (not a go-live)`);
  for (const r of records)
    io.out(
      `  ${r.at}  ${actorText({ id: r.actor, name: r.actorName, verifiedBy: r.verifiedBy })}  ${r.action}: ${r.summary}`,
    );
  printVerification(verification, io);
}

/** One go-live or pre-flight as `audit list` shows it (and `--json` prints it). */
export interface ListedTrail {
  kind: TrailKind;
  name: string;
  executionArn: string;
  status: string;
  service?: string;
  version?: string;
  strategy?: string;
  requestedBy?: string;
  requestedByName?: string;
  startedAt?: string;
  endedAt?: string;
  error?: string;
  records: number;
  /** Who voted to approve. */
  approvers: string[];
  /** approved, rejected, expired or aborted: how the sign-off ended, when it did. */
  decision?: string;
  /** Checklist items waived, by whom and why. */
  waivers: { item: string; by: string; reason: string }[];
  /** The break-glass reason the request carried (ValidateAndLock's evidence). */
  breakGlass?: string;
  /** The verdict in one line (the same as `audit verify`'s). */
  chain: string;
  verification: Verification;
  /** The report behind the row, for export (not printed by --json). */
  report?: VerifiedReport;
}

const obj = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/** A listed row from the report and its verification: the same facts `show` prints. */
function goLiveRow(report: VerifiedReport): ListedTrail {
  const e = report.execution;
  const lock = report.records.find((r) => r.step === 'ValidateAndLock');
  const breakGlass = obj(obj(obj(lock?.evidence).request).breakGlass).reason;
  const waivers = (report.readiness?.items ?? []).flatMap((i) =>
    i.waiver ? [{ item: i.id, by: i.waiver.by, reason: i.waiver.reason }] : [],
  );
  return {
    kind: 'go-live',
    name: e.name,
    executionArn: e.executionArn,
    status: e.status,
    ...defined({
      service: e.service,
      version: e.version,
      strategy: e.strategy,
      requestedBy: e.requestedBy,
      requestedByName: e.requestedByName,
      startedAt: e.startedAt,
      endedAt: e.stoppedAt,
      error: e.error,
      decision: report.approval.outcome?.status,
      breakGlass: typeof breakGlass === 'string' ? breakGlass : undefined,
    }),
    records: report.records.length,
    approvers: [
      ...new Set(report.approval.votes.filter((vote) => vote.decision === 'approve').map((vote) => vote.voter)),
    ],
    waivers,
    chain: verdictLine(report.verification),
    verification: report.verification,
    report,
  };
}

/** A pre-flight row: `readiness:<service>:<version>`, the people who answered, what they waived. */
function preflightRow(id: string, records: AuditRecord[], verification: Verification): ListedTrail {
  const [, service, version] = id.split(':');
  const waivers = records.flatMap((r) => {
    const decision = obj(obj(r.evidence).decision);
    return r.action === 'waive'
      ? [{ item: String(decision.item ?? '?'), by: r.actor, reason: String(decision.reason ?? '') }]
      : [];
  });
  return {
    kind: 'readiness',
    name: id,
    executionArn: id,
    status: 'PRE-FLIGHT',
    ...defined({
      service,
      version,
      requestedBy: records[0]?.actor,
      startedAt: records[0]?.at,
      endedAt: records.at(-1)?.at,
    }),
    records: records.length,
    approvers: [],
    waivers,
    chain: verdictLine(verification),
    verification,
  };
}

function defined<T extends Record<string, unknown>>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, x]) => x !== undefined)) as Partial<T>;
}

/** The filters `audit list` and `audit export --all` share, checked before anything is read. */
export interface TrailFilter {
  kind: TrailKind;
  service?: string;
  status?: string;
  since?: Date;
  until?: Date;
  requester?: string;
  approver?: string;
  decision?: string;
  waiver: boolean;
  breakGlass: boolean;
}

export function filterFrom(v: Values): TrailFilter {
  const kind = ((v.kind as string | undefined) ?? 'go-live') as TrailKind;
  if (!KINDS.includes(kind)) throw usageError(`--kind must be one of ${KINDS.join(', ')}, got "${kind}"`);
  const status = (v.status as string | undefined)?.toUpperCase();
  if (status && !STATUSES.includes(status)) throw usageError(`--status must be one of ${STATUSES.join(', ')}`);
  const decision = (v.decision as string | undefined)?.toLowerCase();
  if (decision && !DECISIONS.includes(decision))
    throw usageError(`--decision must be one of ${DECISIONS.join(', ')}, got "${String(v.decision)}"`);
  const since = v.since ? parseSince(v.since as string) : undefined;
  const until = v.until ? parseUntil(v.until as string) : undefined;
  if (since && until && since > until)
    throw usageError(`--since ${String(v.since)} is after --until ${String(v.until)}`);
  return {
    kind,
    waiver: v.waiver === true,
    breakGlass: v['break-glass'] === true,
    ...defined({
      service: v.service as string | undefined,
      status,
      since,
      until,
      requester: v.requester as string | undefined,
      approver: v.approver as string | undefined,
      decision,
    }),
  };
}

export function matches(row: ListedTrail, f: TrailFilter): boolean {
  const started = row.startedAt ? Date.parse(row.startedAt) : NaN;
  return (
    row.kind === f.kind &&
    (!f.service || row.service === f.service) &&
    (!f.status || row.status === f.status) &&
    (!f.since || started >= f.since.getTime()) &&
    (!f.until || started <= f.until.getTime()) &&
    (!f.requester || row.requestedBy === f.requester) &&
    (!f.approver || row.approvers.includes(f.approver)) &&
    (!f.decision || row.decision === f.decision) &&
    (!f.waiver || row.waivers.length > 0) &&
    (!f.breakGlass || row.breakGlass !== undefined)
  );
}

/** Every trail matching the filter, newest first, each verified exactly as `audit verify` does. */
export async function listTrails(sources: AuditSources, filter: TrailFilter): Promise<ListedTrail[]> {
  const rows: ListedTrail[] = [];
  for (const id of await sources.ids()) {
    if (trailKind(id) !== filter.kind) continue;
    const loaded = await sources.load(id);
    if (loaded.kind === 'readiness') {
      rows.push(preflightRow(id, loaded.records, await sources.verify(loaded)));
      continue;
    }
    const report = reportFrom(loaded);
    rows.push(goLiveRow(withVerification(report, await sources.verify(loaded, report))));
  }
  return rows.filter((r) => matches(r, filter)).sort((a, b) => (b.startedAt ?? '').localeCompare(a.startedAt ?? ''));
}

async function list(v: Values, io: Io): Promise<number> {
  const filter = filterFrom(v);
  const store = openAuditStore(v);
  const sources = new AuditSources(v, store);
  try {
    const selected = await listTrails(sources, filter);
    if (v.json) io.out(JSON.stringify(selected.map(({ report: _report, ...row }) => row)));
    else {
      if (sources.offlineReason)
        io.err(
          `Step Functions not consulted (${sources.offlineReason}): read ${join(homeDir(v), 'executions.sqlite')}`,
        );
      if (selected.length === 0)
        io.out(filter.kind === 'readiness' ? 'no readiness pre-flight matches' : 'no go-live matches');
      for (const r of selected) {
        const by = r.requestedBy ? actorText({ id: r.requestedBy, name: r.requestedByName }) : '?';
        const marks = [
          r.decision ? `${r.decision}${r.approvers.length ? ` by ${r.approvers.join(', ')}` : ''}` : '',
          r.waivers.length ? `waived ${r.waivers.map((w) => w.item).join(', ')}` : '',
          r.breakGlass !== undefined ? 'BREAK-GLASS' : '',
          r.error ?? '',
        ].filter(Boolean);
        io.out(
          `${r.status.padEnd(10)} ${r.name}  ${r.service ?? '?'} ${r.version ?? '?'} by ${by}  ${r.startedAt ?? ''}  ${r.records} records` +
            `${marks.length ? `  [${marks.join('; ')}]` : ''}  ${r.chain}`,
        );
      }
    }
    return EXIT.ok;
  } finally {
    sources.close();
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
  summary:
    "For auditors: list and query go-lives, show one as a timeline, verify its trail against every anchor, export HTML/JSON/CSV or a period's evidence pack.",
  options: {
    service: { type: 'string' },
    since: { type: 'string' },
    until: { type: 'string' },
    status: { type: 'string' },
    kind: { type: 'string' },
    requester: { type: 'string' },
    approver: { type: 'string' },
    decision: { type: 'string' },
    waiver: { type: 'boolean' },
    'break-glass': { type: 'boolean' },
    all: { type: 'boolean' },
    'archive-bucket': { type: 'string' },
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
    if (sub === 'export' && v.all) {
      if (ref) throw usageError(`--all exports every go-live of the period: drop "${ref}", or drop --all`);
      if (!v.out) throw usageError('--all writes a folder: pass --out <dir>');
      const filter = filterFrom(v);
      const store = openAuditStore(v);
      const sources = new AuditSources(v, store);
      try {
        const rows = await listTrails(sources, filter);
        const written = exportPack({
          rows,
          format: format as PackFormat,
          dir: resolve(v.out as string),
          period: {
            since: (v.since as string | undefined) ?? 'the first go-live',
            until: (v.until as string | undefined) ?? 'now',
          },
          render: renderExport,
          now: new Date(),
        });
        io.out(
          `wrote ${written.index} (${rows.length} go-lives, ${rows.filter((r) => !r.verification.ok).length} failing verification)`,
        );
        return EXIT.ok;
      } finally {
        sources.close();
        store.close();
      }
    }
    const store = openAuditStore(v);
    const sources = new AuditSources(v, store);
    try {
      const loaded = await sources.load(await sources.resolve(ref));
      const name = loaded.kind === 'readiness' ? loaded.executionArn : loaded.executionArn.split(':').pop()!;
      if (loaded.kind === 'readiness' && sub !== 'verify') {
        const verification = await sources.verify(loaded);
        if (sub === 'export' && format !== 'json') {
          throw usageError(`a readiness pre-flight exports as --format json only (its records and verdict)`);
        }
        if (sub === 'show' && !v.json) printPreflight(loaded.executionArn, loaded.records, verification, io);
        else {
          const body = JSON.stringify(
            { kind: 'readiness', id: loaded.executionArn, records: loaded.records, verification },
            null,
            sub === 'show' ? undefined : 2,
          );
          if (sub === 'export' && v.out) io.out(`wrote ${writeReport(v.out as string, `${body}\n`, `${name}.json`)}`);
          else io.out(body);
        }
        return EXIT.ok;
      }
      const report = loaded.kind === 'readiness' ? undefined : reportFrom(loaded);
      const verification = await sources.verify(loaded, report);
      if (sub === 'verify') {
        if (v.json) {
          io.out(
            JSON.stringify({
              execution: name,
              // `intact` and `sealed` as before, now meaning every anchor agreed and one sealed it.
              intact: verification.ok,
              sealed: verification.anchors.some((a) => a.anchor !== 'chain' && a.status === 'ok'),
              ...verification,
            }),
          );
        } else if (verification.ok) {
          io.out(
            `intact: ${verification.records} records of ${name}, final hash ${verification.finalHash} (${verdictLine(verification)})`,
          );
          for (const a of verification.anchors)
            io.out(`  ${ANCHOR_MARK[a.status]} ${a.anchor.padEnd(19)} ${a.status.padEnd(13)} ${a.detail}`);
        } else {
          const first = verification.anchors.find((a) => a.status === 'mismatch' || a.status === 'missing')!;
          io.out(
            `ALTERED: ${verification.firstBadSeq !== undefined ? `record ${verification.firstBadSeq}` : 'the trail'} of ${name} — ${first.detail} (caught by ${verification.caughtBy.join(', ')})`,
          );
          for (const a of verification.anchors)
            io.out(`  ${ANCHOR_MARK[a.status]} ${a.anchor.padEnd(19)} ${a.status.padEnd(13)} ${a.detail}`);
        }
        return verification.ok ? EXIT.ok : EXIT.failed;
      }
      const verified = withVerification(report!, verification);
      if (sub === 'show') {
        if (v.json) io.out(JSON.stringify(verified));
        else printTimeline(verified, io);
        return EXIT.ok;
      }
      const content = renderExport(verified, format as ExportFormat);
      if (v.out) io.out(`wrote ${writeReport(v.out as string, content, `${name}.${format}`)}`);
      else io.out(content.replace(/\r?\n$/, ''));
      return EXIT.ok;
    } finally {
      sources.close();
      store.close();
    }
  },
};
