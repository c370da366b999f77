import type { ApprovalRecord } from '../../../lambdas/core/ports';
import { answerChecklist, castVote, requestApproval } from '../../../lambdas/core/steps/approval';
import { EXECUTION_ID, fakeDeps, NOW, stepPayload, type FakeDeps } from '../../support/fake-deps';
import { testPlan } from '../../support/payloads';

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

const requested = async (): Promise<ApprovalRecord> => {
  const { approvalId } = await requestApproval(f.deps, stepPayload('SignOff'));
  const record = await f.store.getApproval(approvalId);
  if (!record) throw new Error('no approval recorded');
  return record;
};

describe('requestApproval (SignOff)', () => {
  it('records the approval with the configured policy and an expiry after the sign-off timeout', async () => {
    const record = await requested();

    expect(record).toMatchObject({
      executionId: EXECUTION_ID,
      service: 'demo',
      version: '2.0.0',
      requestedBy: 'U_RELEASE_MANAGER',
      approvers: ['U_APPROVER_ANA', 'U_APPROVER_BEN'],
      minApprovals: 1,
      allowSelfApproval: false,
      token: 'task-token-1',
      status: 'pending',
      expiresAt: new Date(NOW.getTime() + 900_000).toISOString(),
      votes: [],
    });
  });

  it('registers the task token as an approval callback of the execution', async () => {
    const record = await requested();

    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID, kind: 'approval' })).toEqual([
      expect.objectContaining({ token: 'task-token-1', approvalId: record.approvalId }),
    ]);
  });

  it('asks the approvers, with the readiness digest, and audits the request without the token', async () => {
    const record = await requested();

    expect(f.notifier.notifications).toEqual([
      expect.objectContaining({
        kind: 'approval-requested',
        text:
          'Sign-off needed: demo 2.0.0 (canary) requested by U_RELEASE_MANAGER. ' +
          `1 of 2 approver(s) needed before ${record.expiresAt}. Approvers: U_APPROVER_ANA, U_APPROVER_BEN. ` +
          'nothing recorded as live → 2.0.0; traffic now 0% candidate / 100% stable. Readiness: 0/0 readiness items passed.',
        details: expect.objectContaining({ approvalId: record.approvalId, execution: 'run-1' }),
      }),
    ]);
    const [audit] = await f.audit();
    expect(audit).toMatchObject({ step: 'SignOff', outcome: 'succeeded' });
    expect(audit.evidence).not.toHaveProperty('token');
  });

  it('gives the approvers the context: live → candidate, the split now, each canary verdict, notes and links', async () => {
    const demo = f.deps.config.services.demo;
    f.deps.config = {
      ...f.deps.config,
      services: {
        demo: { ...demo, links: { changelog: 'https://git.example/{service}/compare/v{previous}...v{version}' } },
      },
    };
    f.traffic.weights = { blue: 50, green: 50 };
    const judgement = { verdict: 'marginal', score: 88, requests: { candidate: 61, baseline: 540 }, metrics: [] };
    await f.store.appendAudit({
      executionId: EXECUTION_ID,
      service: 'demo',
      step: 'AnalyzeCanary',
      action: 'analyze',
      actor: 'system',
      outcome: 'succeeded',
      summary: 'canary at 50%: marginal',
      evidence: { weight: 50, flagged: false, judgement, measurement: { source: 'fake' } },
      at: NOW.toISOString(),
    });
    const plan = testPlan({ stableVersion: '1.4.2' });

    await requestApproval(
      f.deps,
      stepPayload('SignOff', { plan, request: { ...stepPayload('SignOff').request, notes: 'fixes <@U1> & more' } }),
    );

    const [asked] = f.notifier.notifications;
    expect(asked.text).toContain(
      '1.4.2 → 2.0.0; traffic now 50% candidate / 50% stable; canary: 50% marginal; notes: fixes <@U1> & more; ' +
        'changelog https://git.example/demo/compare/v1.4.2...v2.0.0.',
    );
    expect(asked.details).toMatchObject({
      context: {
        live: '1.4.2',
        candidate: '2.0.0',
        weights: { stable: 50, candidate: 50 },
        canary: [{ weight: 50, verdict: 'marginal', score: 88, requests: { candidate: 61, baseline: 540 } }],
        links: { changelog: 'https://git.example/demo/compare/v1.4.2...v2.0.0' },
      },
    });
  });

  it('watches the alarms while canary traffic is already on the candidate', async () => {
    await requestApproval(
      f.deps,
      stepPayload('SignOff', { plan: testPlan({ signOff: 'before-promotion', stepCount: 2 }) }),
    );

    expect(await f.store.findCallbacks({ alarmName: 'demo-5xx-rate' })).toEqual([
      expect.objectContaining({ token: 'task-token-1', kind: 'approval', state: 'SignOff' }),
    ]);
  });

  it('watches nothing before any traffic has moved', async () => {
    await requestApproval(f.deps, stepPayload('SignOff', { plan: testPlan({ signOff: 'before-traffic' }) }));
    await requestApproval(
      f.deps,
      stepPayload('SignOff', {
        taskToken: 'task-token-2',
        plan: testPlan({ strategy: 'blue-green', steps: [], stepCount: 0 }),
      }),
    );

    expect(await f.store.findCallbacks({ alarmName: 'demo-5xx-rate' })).toEqual([]);
    expect(f.alerts.described).toEqual([]);
  });

  it('fails with AlarmTriggered, asking nobody, when a watched alarm already fires as the sign-off opens', async () => {
    f.alerts.set('demo-5xx-rate', { state: 'ALARM' });

    await expect(requestApproval(f.deps, stepPayload('SignOff'))).rejects.toMatchObject({
      name: 'AlarmTriggered',
      message: 'alarm demo-5xx-rate already in ALARM when the sign-off opened',
    });
    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID })).toEqual([]);
    expect((await f.store.findApprovalByExecution(EXECUTION_ID))?.status).toBe('aborted');
    expect(f.notifier.notifications).toEqual([]);
  });
});

describe('castVote', () => {
  it('resumes the SignOff task once enough approvers approve, and closes the approval', async () => {
    const record = await requested();

    const outcome = await castVote(
      f.deps,
      { executionId: EXECUTION_ID },
      { voter: 'U_APPROVER_ANA', decision: 'approve' },
    );

    expect(outcome).toMatchObject({ kind: 'decided', status: 'approved' });
    expect(f.callbacks.succeeded).toEqual([
      { token: 'task-token-1', output: expect.objectContaining({ approvedBy: ['U_APPROVER_ANA'] }) },
    ]);
    expect((await f.store.getApproval(record.approvalId))?.status).toBe('approved');
    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID })).toEqual([]);
  });

  it('fails the SignOff task with ApprovalRejected and the reason on a rejection', async () => {
    await requested();

    await castVote(
      f.deps,
      { executionId: EXECUTION_ID },
      { voter: 'U_APPROVER_BEN', decision: 'reject', reason: ' no runbook ' },
    );

    expect(f.callbacks.failed).toEqual([
      { token: 'task-token-1', error: 'ApprovalRejected', cause: 'rejected by U_APPROVER_BEN: no runbook' },
    ]);
    expect((await f.audit()).map((r) => r.summary)).toContain('sign-off rejected by U_APPROVER_BEN: no runbook');
  });

  it('refuses the requester, signalling nothing', async () => {
    await requested();

    const outcome = await castVote(
      f.deps,
      { executionId: EXECUTION_ID },
      { voter: 'U_RELEASE_MANAGER', decision: 'approve' },
    );

    expect(outcome.kind).toBe('refused');
    expect([f.callbacks.succeeded, f.callbacks.failed]).toEqual([[], []]);
  });

  it('refuses the requester attesting or waiving their own go-live’s checklist, without voting', async () => {
    await requested();

    const outcome = await answerChecklist(f.deps, { executionId: EXECUTION_ID }, 'U_RELEASE_MANAGER', {
      attest: ['all'],
    });

    expect(outcome).toEqual({
      kind: 'refused',
      message:
        'U_RELEASE_MANAGER requested this go-live and cannot attest or waive its checklist items (allowSelfApproval is off)',
    });
  });

  it('answers that nothing changed, auditing no decision, when the task had already timed out', async () => {
    const record = await requested();
    f.callbacks.closed.add('task-token-1');

    const outcome = await castVote(
      f.deps,
      { approvalId: record.approvalId },
      { voter: 'U_APPROVER_ANA', decision: 'approve' },
    );

    expect(outcome).toEqual({
      kind: 'closed',
      status: 'expired',
      message: 'the sign-off had already timed out: nothing changed',
    });
    expect((await f.audit()).map((r) => r.action)).toEqual(['request-approval', 'approve']);
    // The record tells the truth: the workflow rolled back on the timeout, nothing was approved.
    expect((await f.store.getApproval(record.approvalId))?.status).toBe('expired');
  });
});
