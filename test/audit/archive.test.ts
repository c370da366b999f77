import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { createHandler } from '../../lambdas/audit-export';
import { S3AuditArchive } from '../../lambdas/audit-export/s3-archive';
import { verifyChain } from '../../lambdas/core/audit';
import type { AuditEntry } from '../../lambdas/core/ports';
import { exportExecutionAudit, type AuditArchive, type ExecutionSource } from '../../lambdas/core/report/archive';
import type { AuditReport } from '../../lambdas/core/report/report';
import { SqliteStore } from '../../local/providers/sqlite-store';

const ARN = 'arn:aws:states:eu-west-1:123456789012:execution:GoLive:checkout-2.4.0-20260115T101500Z';
const at = (s: number) => new Date(Date.UTC(2026, 0, 15, 10, 15, s)).toISOString();
const entry = (step: string, s: number, extra: Partial<AuditEntry> = {}): AuditEntry => ({
  executionId: ARN,
  service: 'checkout',
  step,
  action: 'run',
  actor: 'system',
  outcome: 'succeeded',
  summary: `${step} done`,
  at: at(s),
  ...extra,
});

/** An archive in memory, keeping every version like a versioned bucket. */
class MemoryArchive implements AuditArchive {
  readonly objects: { key: string; body: string; contentType: string }[] = [];
  async put(key: string, body: string, contentType: string) {
    this.objects.push({ key, body, contentType });
    return { location: `memory://${key}`, versionId: String(this.objects.length) };
  }
}

const history: ExecutionSource = {
  describe: async () => ({
    executionArn: ARN,
    name: 'checkout-2.4.0-20260115T101500Z',
    status: 'SUCCEEDED',
    startDate: new Date(at(0)),
    stopDate: new Date(at(9)),
    input: JSON.stringify({ service: 'checkout', version: '2.4.0', strategy: 'canary', requestedBy: 'U_RM' }),
  }),
  history: async () => [
    { id: 1, type: 'ExecutionStarted', timestamp: new Date(at(0)) },
    {
      id: 2,
      type: 'TaskStateEntered',
      timestamp: new Date(at(1)),
      stateEnteredEventDetails: { name: 'ValidateAndLock' },
    },
    { id: 3, type: 'TaskScheduled', timestamp: new Date(at(1)) },
    { id: 4, type: 'TaskSucceeded', timestamp: new Date(at(2)) },
    {
      id: 5,
      type: 'TaskStateExited',
      timestamp: new Date(at(2)),
      stateExitedEventDetails: { name: 'ValidateAndLock' },
    },
    {
      id: 6,
      type: 'TaskStateEntered',
      timestamp: new Date(at(3)),
      stateEnteredEventDetails: { name: 'NotifySuccess' },
    },
    { id: 7, type: 'TaskScheduled', timestamp: new Date(at(3)) },
    { id: 8, type: 'TaskSucceeded', timestamp: new Date(at(8)) },
    { id: 9, type: 'TaskStateExited', timestamp: new Date(at(8)), stateExitedEventDetails: { name: 'NotifySuccess' } },
    { id: 10, type: 'ExecutionSucceeded', timestamp: new Date(at(9)) },
  ],
};

describe('audit export (the end-of-execution archive) with the SQLite store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'golive-archive-'));
  let store: SqliteStore;

  beforeEach(async () => {
    store = new SqliteStore(join(dir, `store-${Date.now()}-${Math.random()}.sqlite`));
    await store.appendAudit(entry('ValidateAndLock', 2, { evidence: { request: { version: '2.4.0' } } }));
    await store.appendAudit(entry('NotifySuccess', 8, { evidence: { delivered: true } }));
  });
  afterEach(() => store.close());
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('writes the complete audit record as JSON under audit/<service>/<yyyy>/<mm>/<execution>.json', async () => {
    const archive = new MemoryArchive();

    const result = await exportExecutionAudit(
      { store, archive, executions: history, now: () => new Date(at(30)) },
      { executionArn: ARN, status: 'SUCCEEDED' },
    );
    const [object] = archive.objects;
    const report = JSON.parse(object.body) as AuditReport;

    expect(result).toMatchObject({
      key: 'audit/checkout/2026/01/checkout-2.4.0-20260115T101500Z.json',
      location: 'memory://audit/checkout/2026/01/checkout-2.4.0-20260115T101500Z.json',
      versionId: '1',
      records: 2,
      intact: true,
      finalHash: (await store.listAudit(ARN))[1].hash,
    });
    expect(object.contentType).toBe('application/json');
    expect(report.records).toEqual(await store.listAudit(ARN));
    expect(verifyChain(report.records).intact).toBe(true);
    expect(report.steps.map((s) => [s.name, s.durationMs, s.result])).toEqual([
      ['ValidateAndLock', 1000, 'succeeded'],
      ['NotifySuccess', 5000, 'succeeded'],
    ]);
    expect(report.execution).toMatchObject({ status: 'SUCCEEDED', version: '2.4.0', requestedBy: 'U_RM' });
  });

  it('archives a tampered chain too, with the verdict naming the first bad record', async () => {
    const archive = new MemoryArchive();
    store.db.prepare("UPDATE audit SET record = json_set(record, '$.summary', 'edited') WHERE seq = 1").run();

    const result = await exportExecutionAudit(
      { store, archive, now: () => new Date() },
      { executionArn: ARN, status: 'FAILED' },
    );
    const report = JSON.parse(archive.objects[0].body) as AuditReport;

    expect(result).toMatchObject({ intact: false, records: 2 });
    expect(report.chain).toMatchObject({ intact: false, badSeq: 1 });
  });

  it('still exports from the store alone when the history cannot be read', async () => {
    const archive = new MemoryArchive();
    const gone: ExecutionSource = {
      describe: async () => {
        throw new Error('Execution Does Not Exist');
      },
      history: async () => [],
    };

    await exportExecutionAudit(
      { store, archive, executions: gone, now: () => new Date() },
      { executionArn: ARN, status: 'TIMED_OUT' },
    );
    const report = JSON.parse(archive.objects[0].body) as AuditReport;

    expect(report.sources).toEqual({
      auditRecords: 2,
      historyEvents: 0,
      historyUnavailable: 'Execution Does Not Exist',
    });
    expect(report.execution.status).toBe('TIMED_OUT');
    expect(report.steps.map((s) => s.name)).toEqual(['ValidateAndLock', 'NotifySuccess']);
  });

  it('fails as ProviderUnavailable when the archive refuses the write, so the event is retried', async () => {
    const failing: AuditArchive = {
      put: async () => {
        throw new Error('SlowDown');
      },
    };

    await expect(
      exportExecutionAudit(
        { store, archive: failing, now: () => new Date() },
        { executionArn: ARN, status: 'SUCCEEDED' },
      ),
    ).rejects.toMatchObject({ name: 'ProviderUnavailable', message: expect.stringContaining('SlowDown') });
  });

  it('handles the EventBridge status-change event and refuses one without an execution', async () => {
    const archive = new MemoryArchive();
    const handler = createHandler(async () => ({ store, archive, now: () => new Date() }));

    const result = await handler({
      source: 'aws.states',
      'detail-type': 'Step Functions Execution Status Change',
      detail: { executionArn: ARN, status: 'SUCCEEDED', stateMachineArn: 'arn:sm' },
    });

    expect(result).toMatchObject({ records: 2, intact: true });
    await expect(handler({ detail: { status: 'FAILED' } })).rejects.toThrow(/executionArn/);
  });
});

describe('S3AuditArchive', () => {
  const s3 = mockClient(S3Client);
  afterEach(() => s3.reset());

  it('puts a new object version with a SHA-256 checksum (Object Lock needs an integrity header)', async () => {
    s3.on(PutObjectCommand).resolves({ VersionId: 'v1' });
    const archive = new S3AuditArchive('golive-audit', new S3Client({ region: 'eu-west-1' }));

    const written = await archive.put('audit/checkout/2026/01/x.json', '{}', 'application/json');

    expect(written).toEqual({ location: 's3://golive-audit/audit/checkout/2026/01/x.json', versionId: 'v1' });
    expect(s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input)).toEqual([
      {
        Bucket: 'golive-audit',
        Key: 'audit/checkout/2026/01/x.json',
        Body: '{}',
        ContentType: 'application/json',
        ChecksumAlgorithm: 'SHA256',
      },
    ]);
  });
});
