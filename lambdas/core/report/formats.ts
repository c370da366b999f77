import type { AuditRecord } from '../ports';
import type { ActorVerification } from '../roles';
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
  'actorName',
  'verifiedBy',
  'outcome',
  'summary',
  'evidence',
  'prevHash',
  'hash',
] as const;

/** Columns of CSVs written before actors' names and verification were recorded: still read back. */
const LEGACY_COLUMNS = CSV_COLUMNS.filter((c) => c !== 'actorName' && c !== 'verifiedBy');

/**
 * A spreadsheet runs a cell starting with one of these as a formula (`=HYPERLINK(…)` in a reject
 * reason, `@SUM(…)` as a name): OWASP's CSV injection guidance is to make it text with a leading
 * single quote. A cell already starting with a quote gets one more, so `recordsFromCsv` can take
 * exactly one off and the chain still verifies.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

function csvCell(value: string): string {
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function cellValue(cell: string): string {
  return cell.startsWith("'") ? cell.slice(1) : cell;
}

/**
 * One row per audit record, evidence as JSON in its cell: enough to recompute the chain from the
 * spreadsheet alone (see `recordsFromCsv`). No cell starts a formula.
 */
export function toCsv(records: AuditRecord[]): string {
  const rows = records.map((r) =>
    CSV_COLUMNS.map((c) => {
      if (c === 'evidence') return r.evidence === undefined ? '' : JSON.stringify(r.evidence);
      const value = r[c];
      return value === undefined ? '' : String(value);
    }),
  );
  return `${[[...CSV_COLUMNS], ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
}

/** Any table as CSV with the same cell rules as `toCsv` (quoting, no formula): the evidence pack's index. */
export function csvTable(header: readonly string[], rows: string[][]): string {
  return `${[[...header], ...rows].map((row) => row.map(csvCell).join(',')).join('\r\n')}\r\n`;
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

/** The audit records back from `toCsv` output (this version's or an earlier one's), ready for verifyChain. */
export function recordsFromCsv(text: string): AuditRecord[] {
  const [header, ...rows] = parseCsv(text);
  const columns = header?.join(',');
  if (columns !== CSV_COLUMNS.join(',') && columns !== LEGACY_COLUMNS.join(',')) {
    throw new Error('not a golive audit CSV: unexpected header');
  }
  return rows.map((cells) => {
    const v = Object.fromEntries(header.map((c, i) => [c, cellValue(cells[i] ?? '')]));
    return {
      executionId: v.executionId,
      service: v.service,
      step: v.step,
      action: v.action,
      actor: v.actor,
      // Optional fields: an empty cell means the record has none.
      ...(v.actorName ? { actorName: v.actorName } : {}),
      ...(v.verifiedBy ? { verifiedBy: v.verifiedBy as ActorVerification } : {}),
      outcome: v.outcome as AuditRecord['outcome'],
      summary: v.summary,
      ...(v.evidence ? { evidence: JSON.parse(v.evidence) as unknown } : {}),
      at: v.at,
      seq: Number(v.seq),
      prevHash: v.prevHash,
      hash: v.hash,
    };
  });
}
