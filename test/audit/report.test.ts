import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeExecutionCommand, type HistoryEvent } from '@aws-sdk/client-sfn';
import { verifyChain } from '../../lambdas/core/audit';
import type { AuditRecord } from '../../lambdas/core/ports';
import { recordsFromCsv } from '../../lambdas/core/report/formats';
import { finalHashFromHistory } from '../../lambdas/core/report/history';
import type { AuditReport } from '../../lambdas/core/report/report';
import { castVote } from '../../lambdas/core/steps/approval';
import { executionHistory } from '../../lambdas/providers/sfn-history';
import { runCli as run } from '../support/cli';
import { APPROVER, REPO_ROOT, startHarness, type Harness } from '../support/harness';

const nameOf = (arn: string) => arn.split(':').pop()!;

describe('golive audit on real local executions', () => {
  let h: Harness;
  let common: string[];
  let approved: string;
  let rejected: string;
  let history: HistoryEvent[];
  let outDir: string;

  beforeAll(async () => {
    h = await startHarness();
    common = ['--endpoint', h.rt.endpointUrl, '--home', h.home, '--config', join(REPO_ROOT, 'golive.config.yaml')];
    outDir = mkdtempSync(join(tmpdir(), 'golive-audit-out-'));

    h.autoApprove();
    approved = await h.start({ version: '2.0.0' }, `audit-ok-${Date.now()}`);
    await h.finished(approved);
    h.stopAutoApprove();

    rejected = await h.start({ version: '2.0.1' }, `audit-rejected-${Date.now()}`);
    await h.waitForCallback(rejected, 'SignOff');
    await castVote(
      h.rt.deps,
      { executionId: rejected },
      { voter: APPROVER, decision: 'reject', reason: 'p99 too high' },
    );
    await h.finished(rejected);

    history = await executionHistory(h.rt.sfn, approved);
  });
  afterAll(async () => {
    await h.close();
    rmSync(outDir, { recursive: true, force: true });
  });

  const show = async (arn: string): Promise<AuditReport> => {
    const result = await run(['audit', 'show', nameOf(arn), '--json', ...common]);
    expect(result).toMatchObject({ code: 0, err: '' });
    return JSON.parse(result.out) as AuditReport;
  };

  it('shows the steps in the order they ran, with the durations the history recorded', async () => {
    const report = await show(approved);

    // Step boundaries that found nothing to do (no pause, promote or freeze) leave no record and no row.
    const silent = ['Checkpoint', 'CheckpointBeforePromotion'];
    const exitedAll = history.filter((e) => e.type === 'TaskStateExited');
    const pairs = history
      .filter((e) => e.type === 'TaskStateEntered')
      .map((e, i) => ({ e, x: exitedAll[i] }))
      .filter(({ e }) => !silent.includes(e.stateEnteredEventDetails!.name!));
    const entered = pairs.map((p) => p.e);
    const exited = pairs.map((p) => p.x);
    expect(history.some((e) => e.stateEnteredEventDetails?.name === 'Checkpoint')).toBe(true);
    expect(report.steps.map((s) => s.name)).toEqual(entered.map((e) => e.stateEnteredEventDetails!.name));
    // The go-live's phases in order (other Task states, e.g. backup polling, may run in between).
    const phases = [
      'ValidateAndLock',
      'CheckReadiness',
      'MuteAlerts',
      'VerifyBackup',
      'PreTrafficSmokeTests',
      'ShiftTraffic',
      'Bake',
      'ShiftTraffic',
      'Bake',
      'SignOff',
      'Promote',
      'PostPromotionSmokeTests',
      'UnmuteAlerts',
      'ReleaseLock',
      'NotifySuccess',
    ];
    expect(report.steps.map((s) => s.name).filter((n) => phases.includes(n))).toEqual(phases);
    report.steps.forEach((step, i) => {
      expect(step.startedAt).toBe(entered[i].timestamp!.toISOString());
      expect(step.durationMs).toBe(exited[i].timestamp!.getTime() - entered[i].timestamp!.getTime());
      if (i > 0) expect(Date.parse(step.startedAt!)).toBeGreaterThanOrEqual(Date.parse(report.steps[i - 1].endedAt!));
    });
    // The test config bakes 1 s: the bake's timeout is its pass (every strategy bakes after promotion too).
    const bakes = ['Bake', 'PostPromotionBake'];
    for (const bake of report.steps.filter((s) => bakes.includes(s.name))) {
      expect(bake).toMatchObject({ result: 'bake passed' });
      expect(bake.durationMs).toBeGreaterThanOrEqual(1000);
    }
    expect(report.steps.filter((s) => !bakes.includes(s.name)).every((s) => s.result === 'succeeded')).toBe(true);
  });

  it('carries the evidence of every check: smoke responses and latencies, backup figures, weights, alarms, votes', async () => {
    const report = await show(approved);
    const step = (name: string, nth = 0) => report.steps.filter((s) => s.name === name)[nth];

    expect(report.steps.every((s) => s.summary && s.records.length > 0)).toBe(true);
    expect(step('PreTrafficSmokeTests').evidence).toMatchObject({
      results: expect.arrayContaining([
        expect.objectContaining({ ok: true, status: 200, latencyMs: expect.any(Number) }),
      ]),
    });
    expect(step('VerifyBackup').evidence).toMatchObject({ recoveryPointId: expect.any(String) });
    expect(step('ShiftTraffic', 1).evidence).toEqual({ weights: { blue: 50, green: 50 } });
    expect(step('Bake').evidence).toMatchObject({ alarms: [expect.objectContaining({ name: 'demo-5xx-rate' })] });
    expect(report.readiness?.items.length).toBeGreaterThan(0);
    expect(report.traffic.points.map((p) => p.green)).toEqual([0, 10, 50, 100]);
    expect(report.approval.votes).toEqual([expect.objectContaining({ voter: APPROVER, decision: 'approve' })]);
    expect(report.approval.outcome).toMatchObject({ status: 'approved', by: APPROVER });
    expect(report.chain).toMatchObject({ intact: true, recordCount: report.records.length });
  });

  it('shows the rejection, who rejected and why, and the rollback of a rejected go-live', async () => {
    const report = await show(rejected);
    const text = await run(['audit', 'show', nameOf(rejected), ...common]);

    expect(report.execution).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected' });
    expect(report.approval.votes).toEqual([
      expect.objectContaining({ voter: APPROVER, decision: 'reject', reason: 'p99 too high' }),
    ]);
    expect(report.decisions).toEqual(
      expect.arrayContaining([expect.objectContaining({ actor: APPROVER, reason: 'p99 too high' })]),
    );
    expect(report.rollback).toMatchObject({ outcome: 'succeeded', error: 'ApprovalRejected' });
    // The first go-live made green stable, so this one's candidate is blue: back to 0 % after the rollback.
    expect(report.traffic.candidateSlot).toBe('blue');
    expect(report.traffic.points.at(-1)).toMatchObject({ step: 'Rollback', blue: 0, green: 100 });
    expect(text.code).toBe(0);
    expect(text.out).toMatch(/SignOff\s+[\d.]+ m?s\s+failed ApprovalRejected/);
    expect(text.out).toContain('U_APPROVER_ANA  SignOff/reject: U_APPROVER_ANA voted reject: p99 too high');
  });

  it('puts the final chain hash in the execution output, in a failed one’s history, and in golive status', async () => {
    const ok = await h.rt.sfn.send(new DescribeExecutionCommand({ executionArn: approved }));
    const failedHistory = await executionHistory(h.rt.sfn, rejected);
    const chainOf = async (arn: string) => verifyChain(await h.rt.store.listAudit(arn));
    const okChain = await chainOf(approved);
    const failedChain = await chainOf(rejected);
    const status = await run(['status', nameOf(rejected), '--json', ...common]);

    expect(okChain.intact && failedChain.intact).toBe(true);
    if (!okChain.intact || !failedChain.intact) return;
    expect(JSON.parse(ok.output!)).toMatchObject({
      notification: { value: { audit: { finalHash: okChain.finalHash } } },
    });
    expect(finalHashFromHistory(failedHistory)).toEqual({
      finalHash: failedChain.finalHash,
      records: (await h.rt.store.listAudit(rejected)).length,
    });
    expect(JSON.parse(status.out)).toMatchObject({ status: 'FAILED', auditHash: failedChain.finalHash });
  });

  it('verifies an intact chain with exit 0, and names the first altered record with exit 1', async () => {
    const db = h.rt.store.db;
    const row = (seq: number) =>
      db.prepare('SELECT record FROM audit WHERE execution_id = ? AND seq = ?').get(approved, seq) as {
        record: string;
      };
    const put = (seq: number, record: string) =>
      db.prepare('UPDATE audit SET record = ? WHERE execution_id = ? AND seq = ?').run(record, approved, seq);
    const original = row(4).record;
    const last = (await h.rt.store.listAudit(approved)).at(-1)!;

    const intact = await run(['audit', 'verify', nameOf(approved), ...common]);
    put(4, JSON.stringify({ ...(JSON.parse(original) as AuditRecord), summary: 'backup verified (trust me)' }));
    const modified = await run(['audit', 'verify', nameOf(approved), ...common]);
    put(4, original);
    db.prepare('DELETE FROM audit WHERE execution_id = ? AND seq = ?').run(approved, last.seq);
    const truncated = await run(['audit', 'verify', nameOf(approved), ...common]);
    db.prepare('INSERT INTO audit (execution_id, seq, record) VALUES (?, ?, ?)').run(
      approved,
      last.seq,
      JSON.stringify(last),
    );
    const restored = await run(['audit', 'verify', nameOf(approved), '--json', ...common]);

    expect(intact.code).toBe(0);
    expect(intact.out).toMatch(
      /^intact: \d+ records of .* final hash [0-9a-f]{64} \(verified \(chain, execution-output, seal-log\)\)\n/,
    );
    expect(modified).toMatchObject({ code: 1, out: expect.stringContaining('ALTERED: record 4') });
    expect(modified.out).toContain('content does not match its hash');
    expect(truncated).toMatchObject({ code: 1, out: expect.stringContaining(`ALTERED: record ${last.seq}`) });
    expect(restored.code).toBe(0);
    expect(JSON.parse(restored.out)).toMatchObject({ intact: true, sealed: true, finalHash: last.hash });
  });

  it('lists go-lives filtered by service, status and start time', async () => {
    const list = async (...args: string[]) => {
      const result = await run(['audit', 'list', '--json', ...args, ...common]);
      expect(result.code).toBe(0);
      return (JSON.parse(result.out) as { name: string; status: string; chain: string }[]).map((r) => r.name);
    };

    const all = await list();
    const failed = await list('--status', 'failed');
    const succeeded = await list('--status', 'SUCCEEDED', '--service', 'demo');
    const otherService = await list('--service', 'payments');
    const recent = await list('--since', '1h');
    const future = await list('--since', new Date(Date.now() + 60_000).toISOString());
    const badStatus = await run(['audit', 'list', '--status', 'DONE', ...common]);
    const badSince = await run(['audit', 'list', '--since', 'yesterday', ...common]);

    expect(all).toEqual([nameOf(rejected), nameOf(approved)]);
    expect(failed).toEqual([nameOf(rejected)]);
    expect(succeeded).toEqual([nameOf(approved)]);
    expect(otherService).toEqual([]);
    expect(recent).toEqual(all);
    expect(future).toEqual([]);
    expect(badStatus).toMatchObject({ code: 2, err: expect.stringContaining('--status must be one of') });
    expect(badSince).toMatchObject({ code: 2, err: expect.stringContaining('--since "yesterday"') });
  });

  it('exports JSON and CSV that parse back into a chain that still verifies', async () => {
    const records = await h.rt.store.listAudit(rejected);

    const json = await run(['audit', 'export', nameOf(rejected), '--format', 'json', ...common]);
    const csvFile = join(outDir, 'nested', 'rejected.csv');
    const csv = await run(['audit', 'export', nameOf(rejected), '--format', 'csv', '--out', csvFile, ...common]);
    const fromJson = (JSON.parse(json.out) as AuditReport).records;
    const fromCsv = recordsFromCsv(readFileSync(csvFile, 'utf8'));

    expect(json.code).toBe(0);
    expect(csv).toMatchObject({ code: 0, out: `wrote ${csvFile}` });
    expect(fromJson).toEqual(records);
    expect(fromCsv).toEqual(records);
    expect(verifyChain(fromCsv)).toMatchObject({ intact: true, records: records.length });
    // Evidence with commas, quotes and line breaks survives the CSV cells.
    expect(readFileSync(csvFile, 'utf8').split('\r\n')[0]).toBe(
      'seq,at,executionId,service,step,action,actor,actorName,verifiedBy,outcome,summary,evidence,prevHash,hash',
    );
  });

  it('exports a self-contained HTML report and refuses an unknown format with exit 2', async () => {
    const file = join(outDir, 'approved.html');

    const html = await run(['audit', 'export', nameOf(approved), '--format', 'html', '--out', file, ...common]);
    const pdf = await run(['audit', 'export', nameOf(approved), '--format', 'pdf', ...common]);
    const page = readFileSync(file, 'utf8');

    expect(html.code).toBe(0);
    expect(page).toContain('data-testid="timeline-chart"');
    expect(page).toContain('data-testid="traffic-chart"');
    // Self-contained: nothing fetched; its one inline script is allowed by hash, nothing else.
    expect(page).not.toMatch(/<script[^>]*\ssrc|<link|@import|url\(|(src|href)\s*=/i);
    expect(page).toContain('Content-Security-Policy" content="default-src &#39;none&#39;');
    expect(pdf).toMatchObject({ code: 2, err: expect.stringContaining('--format must be one of html, json, csv') });
  });

  it('names an execution without an audit trail, and a missing store, by exit code', async () => {
    const unknown = await run(['audit', 'show', 'no-such-go-live', ...common]);
    const noStore = await run(['audit', 'verify', 'x', '--home', join(outDir, 'empty')]);

    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no-such-go-live');
    expect(noStore).toMatchObject({ code: 3, err: expect.stringContaining('no audit store') });
  });
});
