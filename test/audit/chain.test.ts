import { canonicalJson, chainRecord, GENESIS_HASH, verifyChain, verifySealedChain } from '../../lambdas/core/audit';
import type { AuditEntry, AuditRecord } from '../../lambdas/core/ports';

const entry = (i: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  executionId: 'arn:aws:states:us-east-1:000000000000:execution:golive-go-live:e1',
  service: 'demo',
  step: ['ValidateAndLock', 'CheckReadiness', 'ShiftTraffic', 'SignOff', 'NotifySuccess'][i % 5],
  action: 'act',
  actor: i === 3 ? 'U_APPROVER_ANA' : 'system',
  outcome: 'succeeded',
  summary: `step ${i}`,
  evidence: { weights: { blue: 100 - i * 10, green: i * 10 }, note: 'a "quoted", multi\nline value' },
  at: new Date(Date.UTC(2026, 0, 1, 12, 0, i)).toISOString(),
  ...extra,
});

/** A chain built the way the store appends records. */
function chain(n = 5): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let i = 1; i <= n; i++) records.push(chainRecord(entry(i), i, records.at(-1)?.hash ?? GENESIS_HASH));
  return records;
}
const clone = (records: AuditRecord[]): AuditRecord[] => JSON.parse(JSON.stringify(records)) as AuditRecord[];

describe('audit hash chain', () => {
  it('hashes the canonical JSON, so key order does not change a record', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"e":0,"f":1}]},"b":1}',
    );
    const e = entry(1);
    const shuffled = Object.fromEntries(Object.entries(e).reverse()) as unknown as AuditEntry;

    expect(chainRecord(shuffled, 1, GENESIS_HASH).hash).toBe(chainRecord(e, 1, GENESIS_HASH).hash);
  });

  it('verifies an untouched chain, after a JSON round trip, and returns the last hash', () => {
    const records = chain();

    expect(verifyChain(clone(records))).toEqual({ intact: true, records: 5, finalHash: records[4].hash });
  });

  it.each([
    ['the summary', (r: AuditRecord) => (r.summary = 'nothing to see')],
    ['the actor', (r: AuditRecord) => (r.actor = 'U_SOMEONE_ELSE')],
    ['a nested evidence value', (r: AuditRecord) => ((r.evidence as { weights: { green: number } }).weights.green = 0)],
    ['the timestamp', (r: AuditRecord) => (r.at = '2026-01-01T00:00:00.000Z')],
    ['an added field', (r: AuditRecord) => Object.assign(r, { approvedBy: 'me' })],
  ])('detects a modified record (%s), naming it', (_what, tamper) => {
    const records = clone(chain());
    tamper(records[2]);

    expect(verifyChain(records)).toEqual({ intact: false, badSeq: 3, reason: 'content does not match its hash' });
  });

  it('detects a modified record even when its own hash was recomputed (the next link breaks)', () => {
    const records = clone(chain());
    const { hash: _h, seq, prevHash, ...rest } = records[1];
    records[1] = chainRecord({ ...rest, summary: 'rewritten' }, seq, prevHash);

    expect(verifyChain(records)).toMatchObject({ intact: false, badSeq: 3, reason: 'previous hash does not match' });
  });

  it('detects a deleted record', () => {
    const records = clone(chain());
    records.splice(1, 1);

    expect(verifyChain(records)).toMatchObject({ intact: false, badSeq: 2, reason: 'expected record 2, found 3' });
  });

  it('detects an inserted record, even a correctly hashed one renumbered into place', () => {
    const records = clone(chain());
    const forged = chainRecord(entry(9, { actor: 'U_FORGER' }), 3, records[1].hash);
    const renumbered = [...records.slice(0, 2), forged, ...records.slice(2).map((r) => ({ ...r, seq: r.seq + 1 }))];

    expect(verifyChain(renumbered)).toMatchObject({ intact: false, badSeq: 4 });
  });

  it('detects reordered records', () => {
    const records = clone(chain());
    [records[1], records[2]] = [records[2], records[1]];

    expect(verifyChain(records)).toMatchObject({ intact: false, badSeq: 2 });
  });

  it('detects records cut off the end, against the final hash the execution recorded', () => {
    const records = chain();
    const seal = { finalHash: records[4].hash, records: 5 };

    expect(verifyChain(records.slice(0, 3)).intact).toBe(true);
    expect(verifySealedChain(records.slice(0, 3), seal)).toMatchObject({ intact: false, badSeq: 4, sealed: true });
    expect(verifySealedChain(records, seal)).toMatchObject({ intact: true, sealed: true, finalHash: records[4].hash });
  });

  it('detects a record appended after the execution sealed its chain', () => {
    const records = chain();
    const seal = { finalHash: records[3].hash, records: 4 };

    expect(verifySealedChain(records, seal)).toMatchObject({ intact: false, badSeq: 5 });
  });
});
