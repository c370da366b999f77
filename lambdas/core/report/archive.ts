import type { ArchiveEvidence } from '../audit-verify';
import { ProviderUnavailable } from '../errors';
import type { Store } from '../ports';
import { toJson } from './formats';
import type { ExecutionLike, HistoryEventLike } from './history';
import { buildAuditReport, type AuditReport } from './report';

/** Write-once storage for audit records (S3 with Object Lock on AWS). */
export interface AuditArchive {
  put(key: string, body: string, contentType: string): Promise<{ location: string; versionId?: string }>;
}

/** Step Functions as the report reads it: DescribeExecution and every page of GetExecutionHistory. */
export interface ExecutionSource {
  describe(executionArn: string): Promise<ExecutionLike>;
  history(executionArn: string): Promise<HistoryEventLike[]>;
}

export interface ArchiveDeps {
  store: Pick<Store, 'listAudit'>;
  archive: AuditArchive;
  executions?: ExecutionSource;
  now: () => Date;
}

export interface EndedExecution {
  executionArn: string;
  status: string;
}

/** `audit/<service>/<yyyy>/<mm>/<execution name>.json`: auditors browse by service and month. */
export function archiveKey(report: AuditReport): string {
  return archiveKeyFor({
    service: report.execution.service,
    name: report.execution.name,
    startedAt: report.execution.startedAt ?? report.generatedAt,
  });
}

/** The key of one execution's archived record, from what any reader knows of it. */
export function archiveKeyFor(execution: { service?: string; name: string; startedAt: string }): string {
  const started = new Date(execution.startedAt);
  const month = `${started.getUTCFullYear()}/${String(started.getUTCMonth() + 1).padStart(2, '0')}`;
  const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, '-');
  return `audit/${safe(execution.service ?? 'unknown')}/${month}/${safe(execution.name)}.json`;
}

/** Reads archived records back (S3 GetObject on AWS): undefined when no object has the key. */
export interface ArchiveReader {
  get(key: string): Promise<{ body: string; location: string } | undefined>;
}

/**
 * The archived record of one execution, as the verification compares it. The export keys by the
 * execution's start month, or the first record's when Step Functions had forgotten it: both are
 * tried. Not finding it is reported as missing, never passed over.
 */
export async function readArchivedRecord(
  reader: ArchiveReader,
  execution: { service?: string; name: string; startedAt: (string | undefined)[] },
): Promise<ArchiveEvidence> {
  const keys = [
    ...new Set(
      execution.startedAt
        .filter((at): at is string => !!at && !Number.isNaN(Date.parse(at)))
        .map((startedAt) => archiveKeyFor({ service: execution.service, name: execution.name, startedAt })),
    ),
  ];
  for (const key of keys) {
    const found = await reader.get(key);
    if (found) return { state: 'found', ...found };
  }
  return {
    state: 'missing',
    detail: `no archived record at ${keys.join(' or ') || 'any key (no start date known)'}: the export did not run, or the object is gone`,
  };
}

/**
 * At the end of an execution: the complete audit record (store + history, chain verdict) as JSON
 * into the archive. A broken chain is archived too, verdict included: that is what auditors need
 * to see. A history that cannot be read no longer stops the export: the store is the record.
 */
export async function exportExecutionAudit(
  deps: ArchiveDeps,
  ended: EndedExecution,
): Promise<{
  key: string;
  location: string;
  versionId?: string;
  records: number;
  intact: boolean;
  finalHash?: string;
}> {
  const records = await deps.store.listAudit(ended.executionArn);
  let execution: ExecutionLike | undefined;
  let history: HistoryEventLike[] | undefined;
  let historyUnavailable: string | undefined;
  if (deps.executions) {
    try {
      execution = await deps.executions.describe(ended.executionArn);
      history = await deps.executions.history(ended.executionArn);
    } catch (err) {
      historyUnavailable = (err as Error).message;
    }
  }
  const report = buildAuditReport({
    executionArn: ended.executionArn,
    records,
    execution: execution ?? { executionArn: ended.executionArn, status: ended.status },
    ...(history ? { history } : {}),
    ...(historyUnavailable ? { historyUnavailable } : {}),
    now: deps.now(),
  });
  const key = archiveKey(report);
  let written;
  try {
    written = await deps.archive.put(key, toJson(report), 'application/json');
  } catch (err) {
    // Transient for the caller: EventBridge's async invoke retries, and the record is not lost.
    throw new ProviderUnavailable(`could not write ${key} to the audit archive: ${(err as Error).message}`, {
      cause: err,
    });
  }
  return {
    key,
    ...written,
    records: records.length,
    intact: report.chain.intact,
    ...(report.chain.intact ? { finalHash: report.chain.finalHash } : {}),
  };
}
