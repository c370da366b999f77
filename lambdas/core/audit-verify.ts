import { canonicalJson, verifyChain, type ChainVerdict } from './audit';
import type { AuditRecord } from './ports';

/**
 * One verification of an audit trail, computed once and shown everywhere (`audit list`, `show`,
 * `verify`, `export`, the report). The chain alone proves only that the records agree with each
 * other; each anchor is a copy of the final hash (or of the whole record) kept somewhere else, so
 * a trail cut short or re-hashed disagrees with it.
 */
export type AnchorName = 'chain' | 'execution-output' | 'object-lock-archive' | 'seal-log';
export type AnchorStatus = 'ok' | 'mismatch' | 'missing' | 'not-available';

export interface AnchorCheck {
  anchor: AnchorName;
  /** `not-available`: this anchor does not exist where the trail lives (no archive locally, a go-live still running). */
  status: AnchorStatus;
  detail: string;
  /** The first record this anchor finds wrong, where it can tell. */
  badSeq?: number;
}

/** A go-live (one execution) or a readiness pre-flight (`golive readiness --attest/--waive` ahead of one). */
export type TrailKind = 'go-live' | 'readiness';

export interface Verification {
  ok: boolean;
  kind: TrailKind;
  executionId: string;
  records: number;
  /** The last record's hash, when the chain itself verifies. */
  finalHash?: string;
  anchors: AnchorCheck[];
  /** The anchors that found a problem (mismatch or missing), in the order checked. */
  caughtBy: AnchorName[];
  /** The first record any anchor finds wrong. */
  firstBadSeq?: number;
}

/** The final hash as a seal recorded it: `records` is how many records it covered. */
export interface Seal {
  finalHash: string;
  records?: number;
}

/** What Step Functions (or the local engine's database) holds of the execution. */
export type ExecutionEvidence =
  | {
      state: 'found';
      status: string;
      /** From the last Notify step's output in the history (FAILED executions have no output of their own). */
      historySeal?: Seal;
      /** From the execution's output (SUCCEEDED). */
      outputSeal?: string;
      /** Where it was read: "Step Functions" or the engine's file. */
      source: string;
    }
  | { state: 'missing' | 'not-available'; detail: string };

/** The archived copy of the complete audit record (the Object Lock bucket on AWS). */
export type ArchiveEvidence =
  { state: 'found'; location: string; body: string } | { state: 'missing' | 'not-available'; detail: string };

/** One line of the local seal log. `finalHash` is null when the chain did not verify at the seal. */
export interface SealEntry {
  executionId: string;
  finalHash: string | null;
  records: number;
  at: string;
}

export type SealLogEvidence =
  { state: 'found'; file: string; seals: SealEntry[] } | { state: 'missing' | 'not-available'; detail: string };

export interface VerifyInput {
  executionId: string;
  records: AuditRecord[];
  kind?: TrailKind;
  execution: ExecutionEvidence;
  archive: ArchiveEvidence;
  sealLog: SealLogEvidence;
}

const READINESS_PREFIX = 'readiness:';

/** Pre-flight answers are kept under `readiness:<service>:<version>` (preDecisionKey), never an execution ARN. */
export function trailKind(executionId: string): TrailKind {
  return executionId.startsWith(READINESS_PREFIX) ? 'readiness' : 'go-live';
}

const short = (hash: string) => `${hash.slice(0, 16)}…`;
const TERMINAL = ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'];

/** Where a copy of the final hash says the trail ended, against where it ends now. */
function againstSeal(anchor: AnchorName, records: AuditRecord[], seal: Seal, source: string): AnchorCheck {
  const at = records.findIndex((r) => r.hash === seal.finalHash);
  if (at === -1) {
    const badSeq = seal.records !== undefined && seal.records <= records.length ? seal.records : records.length + 1;
    return {
      anchor,
      status: 'mismatch',
      badSeq,
      detail:
        `the final hash ${short(seal.finalHash)} in ${source}${seal.records !== undefined ? ` (${seal.records} records)` : ''} ` +
        `is not in the trail of ${records.length} records: records were removed or rewritten at its end`,
    };
  }
  if (at < records.length - 1) {
    return {
      anchor,
      status: 'mismatch',
      badSeq: records[at + 1].seq,
      detail: `record ${records[at + 1].seq} was appended after ${source} sealed the trail at record ${records[at].seq}`,
    };
  }
  if (seal.records !== undefined && seal.records !== at + 1) {
    return {
      anchor,
      status: 'mismatch',
      badSeq: Math.min(seal.records, at + 1),
      detail: `${source} sealed ${seal.records} records, but its final hash is record ${at + 1}'s`,
    };
  }
  return { anchor, status: 'ok', detail: `final hash ${short(seal.finalHash)} matches ${source} (record ${at + 1})` };
}

function chainCheck(records: AuditRecord[], verdict: ChainVerdict): AnchorCheck {
  if (verdict.intact) {
    return {
      anchor: 'chain',
      status: 'ok',
      detail: `${records.length} records, every hash and sequence number in order`,
    };
  }
  return {
    anchor: 'chain',
    status: 'mismatch',
    badSeq: verdict.badSeq,
    detail: `record ${verdict.badSeq}: ${verdict.reason}`,
  };
}

function executionCheck(records: AuditRecord[], evidence: ExecutionEvidence): AnchorCheck {
  const anchor = 'execution-output' as const;
  if (evidence.state !== 'found') return { anchor, status: evidence.state, detail: evidence.detail };
  const { historySeal, outputSeal, status, source } = evidence;
  if (historySeal && outputSeal && historySeal.finalHash !== outputSeal) {
    return {
      anchor,
      status: 'mismatch',
      detail: `the execution's output (${short(outputSeal)}) and its history (${short(historySeal.finalHash)}) disagree in ${source}`,
    };
  }
  const seal = historySeal ?? (outputSeal ? { finalHash: outputSeal } : undefined);
  if (seal) return againstSeal(anchor, records, seal, `the execution output (${source})`);
  if (status === 'RUNNING')
    return { anchor, status: 'not-available', detail: 'still running: it seals its trail when it ends' };
  // The janitor ends what the workflow could not (a stopped or timed-out execution): its seal is not in the output.
  return {
    anchor,
    status: 'not-available',
    detail: `the execution ended ${status} without a Notify step, so its output holds no final hash`,
  };
}

function archiveCheck(records: AuditRecord[], evidence: ArchiveEvidence): AnchorCheck {
  const anchor = 'object-lock-archive' as const;
  if (evidence.state !== 'found') return { anchor, status: evidence.state, detail: evidence.detail };
  let archived: { records?: unknown; chain?: { finalHash?: unknown } };
  try {
    archived = JSON.parse(evidence.body) as typeof archived;
  } catch {
    return { anchor, status: 'mismatch', detail: `${evidence.location} is not JSON` };
  }
  const copy = Array.isArray(archived.records) ? (archived.records as AuditRecord[]) : [];
  for (let i = 0; i < Math.max(copy.length, records.length); i++) {
    const [kept, stored] = [copy[i], records[i]];
    if (kept && stored && canonicalJson(kept) === canonicalJson(stored)) continue;
    const seq = stored?.seq ?? kept?.seq ?? i + 1;
    const why = !stored
      ? `the archive holds ${copy.length} records, the store ${records.length}: record ${seq} is gone from the store`
      : !kept
        ? `record ${seq} is not in the archive (${copy.length} records): it was added to the store afterwards`
        : `record ${seq} differs from its archived copy`;
    return { anchor, status: 'mismatch', badSeq: seq, detail: `${why} (${evidence.location})` };
  }
  const archivedHash = typeof archived.chain?.finalHash === 'string' ? archived.chain.finalHash : undefined;
  const finalHash = records.at(-1)?.hash;
  if (archivedHash !== undefined && archivedHash !== finalHash) {
    return {
      anchor,
      status: 'mismatch',
      detail: `the archived final hash ${short(archivedHash)} is not the trail's (${evidence.location})`,
    };
  }
  return {
    anchor,
    status: 'ok',
    detail: `${copy.length} records equal to the archived copy, final hash included (${evidence.location})`,
  };
}

function sealLogCheck(
  executionId: string,
  records: AuditRecord[],
  evidence: SealLogEvidence,
  execution: ExecutionEvidence,
): AnchorCheck {
  const anchor = 'seal-log' as const;
  if (evidence.state !== 'found') return { anchor, status: evidence.state, detail: evidence.detail };
  const seals = evidence.seals.filter((s) => s.executionId === executionId);
  if (seals.length === 0) {
    if (execution.state === 'found' && !TERMINAL.includes(execution.status)) {
      return { anchor, status: 'not-available', detail: 'still running: sealed in the log when it ends' };
    }
    return {
      anchor,
      status: 'missing',
      detail: `no seal for this go-live in ${evidence.file}: its seal line is gone, or it ended before the log existed`,
    };
  }
  // Every seal ever written must still hold: an earlier one (a go-live redriven after it ended)
  // must still be the hash at the record it sealed, and the last one must be the trail's end.
  const last = seals[seals.length - 1];
  for (const seal of seals) {
    const source = `the seal of ${seal.at}`;
    if (seal.finalHash === null) {
      return { anchor, status: 'mismatch', detail: `${source} says the chain did not verify when the go-live ended` };
    }
    const check =
      seal === last
        ? againstSeal(anchor, records, { finalHash: seal.finalHash, records: seal.records }, source)
        : records[seal.records - 1]?.hash === seal.finalHash
          ? undefined
          : againstSeal(
              anchor,
              records.slice(0, seal.records),
              { finalHash: seal.finalHash, records: seal.records },
              source,
            );
    if (check && (check.status !== 'ok' || seal === last))
      return { ...check, detail: `${check.detail} (${evidence.file})` };
  }
  return { anchor, status: 'missing', detail: `no seal could be read in ${evidence.file}` };
}

/** The single verification: the chain, then every anchor; ok only when none finds a problem. */
export function verifyAudit(input: VerifyInput): Verification {
  const { executionId, records } = input;
  const kind = input.kind ?? trailKind(executionId);
  const verdict = verifyChain(records);
  const anchors = [
    chainCheck(records, verdict),
    executionCheck(records, input.execution),
    archiveCheck(records, input.archive),
    sealLogCheck(executionId, records, input.sealLog, input.execution),
  ];
  const problems = anchors.filter((a) => a.status === 'mismatch' || a.status === 'missing');
  const badSeqs = problems.flatMap((a) => (a.badSeq === undefined ? [] : [a.badSeq]));
  return {
    ok: problems.length === 0 && records.length > 0,
    kind,
    executionId,
    records: records.length,
    ...(verdict.intact && records.length ? { finalHash: verdict.finalHash } : {}),
    anchors,
    caughtBy: problems.map((a) => a.anchor),
    ...(badSeqs.length ? { firstBadSeq: Math.min(...badSeqs) } : {}),
  };
}

/** Why a readiness pre-flight has only its chain: it is not an execution and nothing seals it. */
export const PREFLIGHT_ANCHORS = {
  execution: {
    state: 'not-available',
    detail: 'a readiness pre-flight is not an execution: no output to compare',
  } satisfies ExecutionEvidence,
  archive: { state: 'not-available', detail: 'readiness pre-flights are not archived' } satisfies ArchiveEvidence,
  sealLog: { state: 'not-available', detail: 'a readiness pre-flight has no end to seal' } satisfies SealLogEvidence,
};

/**
 * The verdict in the shape the report renders (`report.chain`): intact only when every anchor
 * agrees, otherwise the first bad record and which anchor caught it.
 */
export function chainVerdictOf(v: Verification): ChainVerdict & { recordCount: number } {
  if (v.ok && v.finalHash) return { intact: true, records: v.records, finalHash: v.finalHash, recordCount: v.records };
  const first = v.anchors.find((a) => a.status === 'mismatch' || a.status === 'missing');
  return {
    intact: false,
    badSeq: v.firstBadSeq ?? first?.badSeq ?? 0,
    reason: first ? `${first.anchor} ${first.status}: ${first.detail}` : 'no audit records',
    recordCount: v.records,
  };
}

/** One line for listings and terminals: "verified (chain, execution-output, seal-log)" or what caught it. */
export function verdictLine(v: Verification): string {
  const checked = v.anchors.filter((a) => a.status === 'ok').map((a) => a.anchor);
  if (v.ok) return `verified (${checked.join(', ')})`;
  const first = v.anchors.find((a) => a.status === 'mismatch' || a.status === 'missing');
  return `ALTERED${v.firstBadSeq !== undefined ? ` at #${v.firstBadSeq}` : ''} (caught by ${v.caughtBy.join(', ')})${first ? `: ${first.detail}` : ''}`;
}
