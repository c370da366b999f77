import { createHash } from 'node:crypto';
import type { AuditEntry, AuditRecord } from './ports';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every level, so the same record always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** hash = sha256(prevHash + canonical JSON of the record without its hash). */
export function chainRecord(entry: AuditEntry, seq: number, prevHash: string): AuditRecord {
  const body = { ...entry, seq, prevHash };
  const hash = createHash('sha256').update(prevHash).update(canonicalJson(body)).digest('hex');
  return { ...body, hash };
}

export type ChainVerdict =
  { intact: true; records: number; finalHash: string } | { intact: false; badSeq: number; reason: string };

export function verifyChain(records: AuditRecord[]): ChainVerdict {
  let prevHash = GENESIS_HASH;
  for (let i = 0; i < records.length; i++) {
    const { hash, ...rest } = records[i];
    if (rest.seq !== i + 1)
      return { intact: false, badSeq: i + 1, reason: `expected record ${i + 1}, found ${rest.seq}` };
    if (rest.prevHash !== prevHash) return { intact: false, badSeq: rest.seq, reason: 'previous hash does not match' };
    const { seq, prevHash: p, ...entry } = rest;
    if (chainRecord(entry as AuditEntry, seq, p).hash !== hash) {
      return { intact: false, badSeq: rest.seq, reason: 'content does not match its hash' };
    }
    prevHash = hash;
  }
  return { intact: true, records: records.length, finalHash: prevHash };
}

/**
 * The chain checked against the final hash the execution recorded in its own output (its seal).
 * The chain alone cannot see records cut off its end, nor records appended after the end; the
 * seal can.
 */
export function verifySealedChain(
  records: AuditRecord[],
  seal: { finalHash: string; records?: number } | undefined,
): ChainVerdict & { sealed: boolean } {
  const verdict = verifyChain(records);
  if (!verdict.intact || !seal) return { ...verdict, sealed: false };
  const at = records.findIndex((r) => r.hash === seal.finalHash);
  if (at === -1) {
    // Fewer records than sealed: the first missing one; otherwise the sealed record was rewritten.
    const sealedSeq = seal.records !== undefined && seal.records <= records.length ? seal.records : records.length + 1;
    return {
      intact: false,
      badSeq: sealedSeq,
      reason: `the execution's final hash ${seal.finalHash.slice(0, 16)}… is not in the chain: records were removed or rewritten at its end`,
      sealed: true,
    };
  }
  if (at < records.length - 1) {
    return {
      intact: false,
      badSeq: records[at + 1].seq,
      reason: `record ${records[at + 1].seq} was appended after the execution sealed its chain at record ${records[at].seq}`,
      sealed: true,
    };
  }
  return { ...verdict, sealed: true };
}
