import { join } from 'node:path';
import { renderHtml } from '../../lambdas/core/report/html';
import { buildAuditReport, reportStatus, type AuditReport } from '../../lambdas/core/report/report';
import { castVote } from '../../lambdas/core/steps/approval';
import { requestAbort } from '../../lambdas/core/steps/abort';
import { runCli as run } from '../support/cli';
import { APPROVER, REPO_ROOT, REQUESTER, startHarness, type Harness } from '../support/harness';

const nameOf = (arn: string) => arn.split(':').pop()!;

describe('golive audit of an aborted go-live', () => {
  let h: Harness;
  let common: string[];
  let aborted: string;
  let rejected: string;

  beforeAll(async () => {
    h = await startHarness();
    common = ['--endpoint', h.rt.endpointUrl, '--home', h.home, '--config', join(REPO_ROOT, 'golive.config.yaml')];

    aborted = await h.start({ version: '3.0.0' }, `audit-aborted-${Date.now()}`);
    await h.waitForCallback(aborted, 'SignOff');
    await requestAbort(h.rt.deps, aborted, REQUESTER, 'error budget burnt', { verifiedBy: 'slack', name: 'Rita Rm' });
    await h.finished(aborted);

    rejected = await h.start({ version: '3.0.1' }, `audit-rejected-${Date.now()}`);
    await h.waitForCallback(rejected, 'SignOff');
    await castVote(h.rt.deps, { executionId: rejected }, { voter: APPROVER, decision: 'reject', reason: 'no' });
    await h.finished(rejected);
  });
  afterAll(() => h.close());

  const show = async (arn: string): Promise<AuditReport> => {
    const result = await run(['audit', 'show', nameOf(arn), '--json', ...common]);
    expect(result).toMatchObject({ code: 0, err: '' });
    return JSON.parse(result.out) as AuditReport;
  };

  it('files an abort as ABORTED in audit list, so --status ABORTED finds it and FAILED does not', async () => {
    const list = async (...args: string[]) => {
      const result = await run(['audit', 'list', '--json', ...args, ...common]);
      expect(result.code).toBe(0);
      return (JSON.parse(result.out) as { name: string; status: string }[]).map((r) => `${r.status} ${r.name}`);
    };

    const abortedOnly = await list('--status', 'aborted');
    const failedOnly = await list('--status', 'FAILED');
    const text = await run(['audit', 'list', ...common]);

    expect(abortedOnly).toEqual([`ABORTED ${nameOf(aborted)}`]);
    expect(failedOnly).toEqual([`FAILED ${nameOf(rejected)}`]);
    expect(text.out).toMatch(new RegExp(`^ABORTED\\s+${nameOf(aborted)} `, 'm'));
  });

  it('shows ABORTED in audit show, beside the FAILED Step Functions recorded, and who aborted', async () => {
    const report = await show(aborted);
    const text = await run(['audit', 'show', nameOf(aborted), ...common]);

    expect(report.execution).toMatchObject({
      status: 'ABORTED',
      stepFunctionsStatus: 'FAILED',
      error: 'GoLiveAborted',
    });
    expect(report.approval.outcome).toMatchObject({
      status: 'aborted',
      by: REQUESTER,
      byName: 'Rita Rm',
      verifiedBy: 'slack',
    });
    expect(text.out.split('\n')[0]).toContain(`${nameOf(aborted)}  ABORTED (Step Functions: FAILED)`);
    expect(text.out).toContain(`Rita Rm (${REQUESTER}) [verified by Slack]  Abort/abort: abort requested by`);
    expect((await show(rejected)).execution).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected' });
    expect((await show(rejected)).execution).not.toHaveProperty('stepFunctionsStatus');
  });

  it('tells the abort from the audit trail alone, past Step Functions’ history', async () => {
    const abortedTrail = await h.rt.store.listAudit(aborted);
    const rejectedTrail = await h.rt.store.listAudit(rejected);

    expect(reportStatus(abortedTrail)).toBe('ABORTED');
    // ListExecutions says FAILED and gives no error: the trail tells the abort.
    expect(reportStatus(abortedTrail, { status: 'FAILED' })).toBe('ABORTED');
    expect(reportStatus(rejectedTrail)).toBe('FAILED');
    expect(reportStatus(rejectedTrail, { status: 'FAILED' })).toBe('FAILED');
    expect(buildAuditReport({ executionArn: aborted, records: abortedTrail }).execution.status).toBe('ABORTED');
  });

  it('heads the HTML report with ABORTED', async () => {
    const report = await show(aborted);
    const html = renderHtml(report);

    expect(html).toMatch(/<h1>[^<]*<span class="badge warn">ABORTED<\/span><\/h1>/);
    expect(html).toContain('<td>Step Functions status</td><td>FAILED</td>');
  });
});
