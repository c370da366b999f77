import type { AuditRecord } from '../ports';
import type { AuditReport } from './report';

export const EXPORT_FORMATS = ['html', 'json', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** The complete audit record of one go-live: what the archive stores and `--format json` prints. */
export function toJson(report: AuditReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

export const CSV_COLUMNS = [
  'seq',
  'at',
  'executionId',
  'service',
  'step',
  'action',
  'actor',
  'outcome',
  'summary',
  'evidence',
  'prevHash',
  'hash',
] as const;

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * One row per audit record, evidence as JSON in its cell: enough to recompute the chain from the
 * spreadsheet alone (see `recordsFromCsv`).
 */
export function toCsv(records: AuditRecord[]): string {
  const rows = records.map((r) =>
    CSV_COLUMNS.map((c) => {
      if (c === 'evidence') return r.evidence === undefined ? '' : JSON.stringify(r.evidence);
      return String(r[c]);
    }),
  );
  return `${[[...CSV_COLUMNS], ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** RFC 4180: quoted cells may hold commas, quotes ("") and line breaks. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      row.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++;
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += ch;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  return rows;
}

/** The audit records back from `toCsv` output, ready for verifyChain. */
export function recordsFromCsv(text: string): AuditRecord[] {
  const [header, ...rows] = parseCsv(text);
  if (header?.join(',') !== CSV_COLUMNS.join(',')) throw new Error('not a golive audit CSV: unexpected header');
  return rows.map((cells) => {
    const v = Object.fromEntries(CSV_COLUMNS.map((c, i) => [c, cells[i] ?? '']));
    return {
      executionId: v.executionId,
      service: v.service,
      step: v.step,
      action: v.action,
      actor: v.actor,
      outcome: v.outcome as AuditRecord['outcome'],
      summary: v.summary,
      ...(v.evidence === '' ? {} : { evidence: JSON.parse(v.evidence) as unknown }),
      at: v.at,
      seq: Number(v.seq),
      prevHash: v.prevHash,
      hash: v.hash,
    };
  });
}
