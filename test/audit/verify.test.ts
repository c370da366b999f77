import { GetObjectCommand, NoSuchKey, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { chainRecord, GENESIS_HASH } from '../../lambdas/core/audit';
import {
  chainVerdictOf,
  PREFLIGHT_ANCHORS,
  verifyAudit,
  type ArchiveEvidence,
  type ExecutionEvidence,
  type SealLogEvidence,
  type VerifyInput,
} from '../../lambdas/core/audit-verify';
import type { AuditEntry, AuditRecord } from '../../lambdas/core/ports';
import { readArchivedRecord } from '../../lambdas/core/report/archive';
import { S3ArchiveReader } from '../../lambdas/providers/aws/audit-archive-reader';

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:GoLive:checkout-2.4.0-20260115T101500Z';
const entry = (i: number): AuditEntry => ({
  executionId: ARN,
  service: 'checkout',
  step: `Step${i}`,
  action: 'run',
  actor: 'system',
  outcome: 'succeeded',
  summary: `step ${i} done`,
  evidence: { i },
  at: new Date(Date.UTC(2026, 0, 15, 10, 15, i)).toISOString(),
});

/** A chain appended the way the store appends it. */
function chainOf(entries: AuditEntry[]): AuditRecord[] {
  const records: AuditRecord[] = [];
  entries.forEach((e, i) => records.push(chainRecord(e, i + 1, records.at(-1)?.hash ?? GENESIS_HASH)));
  return records;
}
const original = chainOf([1, 2, 3, 4, 5, 6].map(entry));
const sealed = original.at(-1)!.hash;
const clone = (): AuditRecord[] => structuredClone(original);

const executionSealed = (finalHash = sealed): ExecutionEvidence => ({
  state: 'found',
  status: 'FAILED',
  source: 'Step Functions',
  historySeal: { finalHash, records: 6 },
});
const sealLog = (finalHash = sealed): SealLogEvidence => ({
  state: 'found',
  file: '/home/.golive/audit-seal.log',
  seals: [{ executionId: ARN, finalHash, records: 6, at: '2026-01-15T10:16:00.000Z' }],
});
const archiveOf = (records: AuditRecord[]): ArchiveEvidence => ({
  state: 'found',
  location: 's3://golive-audit/audit/checkout/2026/01/x.json',
  body: JSON.stringify({ records, chain: { intact: true, finalHash: records.at(-1)!.hash } }),
});

const verify = (records: AuditRecord[], overrides: Partial<VerifyInput> = {}) =>
  verifyAudit({
    executionId: ARN,
    records,
    execution: executionSealed(),
    archive: archiveOf(original),
    sealLog: sealLog(),
    ...overrides,
  });

const statusOf = (v: ReturnType<typeof verify>) => Object.fromEntries(v.anchors.map((a) => [a.anchor, a.status]));

/** Re-hash the chain from `from` on, as a forger with the store would. */
function rehashed(records: AuditRecord[]): AuditRecord[] {
  return chainOf(records.map(({ seq: _s, prevHash: _p, hash: _h, ...e }) => e as AuditEntry));
}

describe('verifyAudit (one verdict, every anchor named)', () => {
  it('verifies an untouched trail against every anchor', () => {
    const v = verify(clone());

    expect(v).toMatchObject({ ok: true, kind: 'go-live', records: 6, finalHash: sealed, caughtBy: [] });
    expect(statusOf(v)).toEqual({
      chain: 'ok',
      'execution-output': 'ok',
      'object-lock-archive': 'ok',
      'seal-log': 'ok',
    });
  });

  it('catches an edited record with the chain (and the archive, whose copy differs)', () => {
    const records = clone();
    records[2].summary = 'nothing to see';

    const v = verify(records);

    expect(v).toMatchObject({ ok: false, firstBadSeq: 3, caughtBy: ['chain', 'object-lock-archive'] });
    expect(v.anchors[0].detail).toBe('record 3: content does not match its hash');
    expect(v.anchors[2].detail).toContain('record 3 differs from its archived copy');
  });

  it('catches a record deleted in the middle with the chain', () => {
    const records = clone();
    records.splice(2, 1);

    const v = verify(records);

    expect(v.caughtBy).toContain('chain');
    expect(v.anchors[0]).toMatchObject({
      status: 'mismatch',
      badSeq: 3,
      detail: 'record 3: expected record 3, found 4',
    });
  });

  it('catches a truncated tail, which the chain alone accepts, with the execution output and the seal log', () => {
    const records = clone().slice(0, 4);

    const v = verify(records, { archive: { state: 'not-available', detail: 'local' } });

    expect(statusOf(v)).toMatchObject({ chain: 'ok', 'execution-output': 'mismatch', 'seal-log': 'mismatch' });
    expect(v).toMatchObject({ ok: false, caughtBy: ['execution-output', 'seal-log'], firstBadSeq: 5 });
    expect(v.anchors[1].detail).toContain(
      'is not in the trail of 4 records: records were removed or rewritten at its end',
    );
  });

  it('catches a re-hashed chain with the execution output when the output was left alone', () => {
    const records = clone();
    records[3].summary = 'rewritten';
    const forged = rehashed(records);

    const v = verify(forged, { archive: { state: 'not-available', detail: 'local' } });

    expect(statusOf(v)).toMatchObject({ chain: 'ok', 'execution-output': 'mismatch', 'seal-log': 'mismatch' });
    expect(v.caughtBy).toEqual(['execution-output', 'seal-log']);
  });

  it('catches a re-hashed chain whose execution output was rewritten too, with the seal log', () => {
    const records = clone();
    records[3].summary = 'rewritten';
    const forged = rehashed(records);

    const v = verify(forged, {
      execution: executionSealed(forged.at(-1)!.hash),
      archive: { state: 'not-available', detail: 'local' },
    });

    expect(statusOf(v)).toMatchObject({ chain: 'ok', 'execution-output': 'ok', 'seal-log': 'mismatch' });
    expect(v).toMatchObject({ ok: false, caughtBy: ['seal-log'] });
    expect(chainVerdictOf(v)).toMatchObject({ intact: false, reason: expect.stringMatching(/^seal-log mismatch: /) });
  });

  it('catches a rewrite of both databases with the archive on AWS, comparing content', () => {
    const records = clone();
    records[3].summary = 'rewritten';
    const forged = rehashed(records);

    const v = verify(forged, {
      execution: executionSealed(forged.at(-1)!.hash),
      sealLog: { state: 'not-available', detail: 'AWS' },
    });

    expect(v.caughtBy).toEqual(['object-lock-archive']);
    expect(v.anchors[2]).toMatchObject({ status: 'mismatch', badSeq: 4 });
  });

  it('reports a missing archive and a missing seal as failures, never as passes', () => {
    const v = verify(clone(), {
      archive: { state: 'missing', detail: 'no archived record at audit/checkout/2026/01/x.json' },
      sealLog: { state: 'found', file: '/h/audit-seal.log', seals: [] },
    });

    expect(v).toMatchObject({ ok: false, caughtBy: ['object-lock-archive', 'seal-log'] });
    expect(v.anchors[3].detail).toContain('no seal for this go-live');
  });

  it('catches records appended after the seal', () => {
    const records = chainOf([1, 2, 3, 4, 5, 6, 7].map(entry));

    const v = verify(records, { archive: { state: 'not-available', detail: 'local' } });

    expect(v.anchors[1]).toMatchObject({ status: 'mismatch', badSeq: 7 });
    expect(v.anchors[1].detail).toContain('record 7 was appended after');
  });

  it('accepts a later seal covering records added after an earlier one (a redrive), never a cut below it', () => {
    const longer = chainOf([1, 2, 3, 4, 5, 6, 7].map(entry));
    const seals: SealLogEvidence = {
      state: 'found',
      file: '/h/audit-seal.log',
      seals: [
        { executionId: ARN, finalHash: sealed, records: 6, at: '2026-01-15T10:16:00.000Z' },
        { executionId: ARN, finalHash: longer[6].hash, records: 7, at: '2026-01-15T11:00:00.000Z' },
      ],
    };
    const local = { archive: { state: 'not-available', detail: 'local' } as ArchiveEvidence, sealLog: seals };

    const redriven = verify(longer, { ...local, execution: executionSealed(longer[6].hash) });
    const cut = verify(clone().slice(0, 5), local);

    expect(redriven.anchors[3]).toMatchObject({ status: 'ok' });
    expect(cut.anchors[3]).toMatchObject({ status: 'mismatch', badSeq: 6 });
  });

  it('accepts a running go-live with anchors not yet sealed, and a pre-flight by its chain alone', () => {
    const preflight = verifyAudit({
      executionId: 'readiness:demo:2.1.0',
      records: chainOf([entry(1)].map((e) => ({ ...e, executionId: 'readiness:demo:2.1.0' }))),
      ...PREFLIGHT_ANCHORS,
    });

    const running = verify(clone(), {
      execution: { state: 'found', status: 'RUNNING', source: 'Step Functions' },
      archive: { state: 'not-available', detail: 'not archived before it ends' },
      sealLog: { state: 'found', file: '/h/audit-seal.log', seals: [] },
    });

    expect(running.ok).toBe(true);
    expect(preflight).toMatchObject({ ok: true, kind: 'readiness', caughtBy: [] });
    expect(statusOf(running)).toMatchObject({ 'execution-output': 'not-available', 'seal-log': 'not-available' });
  });
});

describe('the Object Lock archive through S3 GetObject', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());

  const started = '2026-01-15T10:15:00.000Z';
  const name = 'checkout-2.4.0-20260115T101500Z';

  it('reads the key the export writes, and compares its records and final hash', async () => {
    const body = JSON.stringify({ records: original, chain: { intact: true, finalHash: sealed } });
    s3.on(GetObjectCommand).resolves({
      Body: { transformToString: async () => body } as never,
      VersionId: 'v1',
    });
    const reader = new S3ArchiveReader('golive-audit-123', s3 as unknown as S3Client);

    const archive = await readArchivedRecord(reader, { service: 'checkout', name, startedAt: [started] });
    const v = verify(clone(), { archive });

    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'golive-audit-123', Key: `audit/checkout/2026/01/${name}.json` },
    ]);
    expect(v.anchors[2]).toMatchObject({ anchor: 'object-lock-archive', status: 'ok' });
    expect(v.anchors[2].detail).toContain(`s3://golive-audit-123/audit/checkout/2026/01/${name}.json?versionId=v1`);
  });

  it('reports a missing archived record as missing, naming every key tried', async () => {
    s3.on(GetObjectCommand).rejects(new NoSuchKey({ message: 'The specified key does not exist.', $metadata: {} }));
    const reader = new S3ArchiveReader('golive-audit-123', s3 as unknown as S3Client);

    const archive = await readArchivedRecord(reader, {
      service: 'checkout',
      name,
      startedAt: [started, '2026-02-01T00:00:01.000Z'],
    });
    const v = verify(clone(), { archive });

    expect(s3.commandCalls(GetObjectCommand).map((c) => c.args[0].input.Key)).toEqual([
      `audit/checkout/2026/01/${name}.json`,
      `audit/checkout/2026/02/${name}.json`,
    ]);
    expect(v).toMatchObject({ ok: false, caughtBy: ['object-lock-archive'] });
    expect(v.anchors[2]).toMatchObject({ status: 'missing' });
    expect(v.anchors[2].detail).toContain(`audit/checkout/2026/01/${name}.json`);
  });

  it('lets any other S3 error through, so a denied read is not mistaken for a missing record', async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }));
    const reader = new S3ArchiveReader('golive-audit-123', s3 as unknown as S3Client);

    await expect(reader.get('audit/checkout/2026/01/x.json')).rejects.toThrow('Access Denied');
  });
});
