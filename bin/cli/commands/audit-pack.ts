import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AnchorStatus } from '../../../lambdas/core/audit-verify';
import { csvTable, type ExportFormat } from '../../../lambdas/core/report/formats';
import { renderEvidencePack, type EvidencePackAnchor, type EvidencePackEntry } from '../../../lambdas/core/report/pack';
import type { AuditReport } from '../../../lambdas/core/report/report';
import { usageError } from '../errors';
import type { ListedTrail } from './audit';

export type PackFormat = ExportFormat;

const PACK_STATUS: Record<AnchorStatus, EvidencePackAnchor['status']> = {
  ok: 'ok',
  mismatch: 'failed',
  missing: 'missing',
  'not-available': 'skipped',
};

const safeName = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, '-');

/** What the index says of one go-live, in every format: the pack's HTML index takes it as is. */
function entryOf(row: ListedTrail, reportHref: string): EvidencePackEntry {
  const v = row.verification;
  return {
    execution: row.name,
    service: row.service ?? '?',
    ...(row.version ? { version: row.version } : {}),
    ...(row.requestedBy ? { requestedBy: row.requestedBy } : {}),
    ...(row.requestedByName ? { requestedByName: row.requestedByName } : {}),
    status: row.status,
    ...(row.startedAt ? { startedAt: row.startedAt } : {}),
    ...(row.endedAt ? { endedAt: row.endedAt } : {}),
    ...(row.error ? { error: row.error } : {}),
    flags: [
      ...(row.decision ? [`${row.decision}${row.approvers.length ? ` by ${row.approvers.join(', ')}` : ''}`] : []),
      ...row.waivers.map((w) => `waiver: ${w.item} by ${w.by} (${w.reason})`),
      ...(row.breakGlass !== undefined ? [`break-glass: ${row.breakGlass}`] : []),
    ],
    reportHref,
    verification: {
      ok: v.ok,
      summary: row.chain,
      anchors: v.anchors.map((a) => ({ name: a.anchor, status: PACK_STATUS[a.status], detail: a.detail })),
    },
  };
}

const INDEX_COLUMNS = [
  'execution',
  'service',
  'version',
  'requestedBy',
  'status',
  'startedAt',
  'endedAt',
  'error',
  'decision',
  'approvers',
  'waivers',
  'breakGlass',
  'verified',
  'caughtBy',
  'anchors',
  'report',
] as const;

/**
 * `golive audit export --all`: one folder for a period, self-contained and offline. Each go-live's
 * report (the same renderers as a single export) under `reports/`, and an index (`index.html`,
 * `index.json` or `index.csv`) with each go-live's verification verdict, linking to its report.
 */
export function exportPack(input: {
  rows: ListedTrail[];
  format: PackFormat;
  dir: string;
  period: { since: string; until: string };
  render: (report: AuditReport, format: ExportFormat) => string;
  now: Date;
}): { index: string; reports: string[] } {
  const { rows, format, dir } = input;
  try {
    mkdirSync(join(dir, 'reports'), { recursive: true });
  } catch (err) {
    throw usageError(`cannot write --out ${dir}: ${(err as Error).message}; choose a folder you can write to`);
  }
  const entries: EvidencePackEntry[] = [];
  const reports: string[] = [];
  for (const row of rows) {
    const href = `reports/${safeName(row.name)}.${format}`;
    if (row.report) {
      writeFileSync(join(dir, href), input.render(row.report, format));
      reports.push(join(dir, href));
    }
    entries.push(entryOf(row, href));
  }
  const generatedAt = input.now.toISOString();
  let index: string;
  if (format === 'html') {
    index = join(dir, 'index.html');
    writeFileSync(index, renderEvidencePack({ period: input.period, generatedAt, goLives: entries }));
  } else if (format === 'json') {
    index = join(dir, 'index.json');
    const goLives = rows.map((row, i) => {
      const { report: _report, ...listed } = row;
      return { ...listed, report: entries[i].reportHref };
    });
    writeFileSync(index, `${JSON.stringify({ period: input.period, generatedAt, goLives }, null, 2)}\n`);
  } else {
    index = join(dir, 'index.csv');
    writeFileSync(
      index,
      csvTable(
        INDEX_COLUMNS,
        rows.map((r, i) => [
          r.name,
          r.service ?? '',
          r.version ?? '',
          r.requestedBy ?? '',
          r.status,
          r.startedAt ?? '',
          r.endedAt ?? '',
          r.error ?? '',
          r.decision ?? '',
          r.approvers.join(' '),
          r.waivers.map((w) => `${w.item} by ${w.by}: ${w.reason}`).join('; '),
          r.breakGlass ?? '',
          r.verification.ok ? 'yes' : 'NO',
          r.verification.caughtBy.join(' '),
          r.verification.anchors.map((a) => `${a.anchor}=${a.status}`).join(' '),
          entries[i].reportHref,
        ]),
      ),
    );
  }
  return { index, reports };
}
