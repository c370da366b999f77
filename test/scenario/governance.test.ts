import { RedriveExecutionCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import type { Actor } from '../../lambdas/core/client';
import type { GoLiveConfig } from '../../lambdas/core/config';
import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { runCli } from '../support/cli';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';

const manager: Actor = { user: REQUESTER, verifiedBy: 'local' };
const ana: Actor = { user: APPROVER, verifiedBy: 'local' };
const ben: Actor = { user: 'U_APPROVER_BEN', verifiedBy: 'local' };

const iso = (ms: number) => new Date(ms).toISOString();

function withGovernance(patch: Partial<GoLiveConfig>): GoLiveConfig {
  const base = testConfig();
  return {
    ...base,
    breakGlass: { approvers: [APPROVER, 'U_APPROVER_BEN', REQUESTER], minApprovals: 2, timeoutSeconds: 600 },
    ...patch,
  };
}

/** What a go-live inside a freeze must not have touched: traffic, alerts, the idle slot's version. */
async function untouched(h: Harness) {
  const demo = h.rt.targets.get('demo')!;
  return { weights: demo.router.weights(), alerts: await alertsSnapshot(h), green: demo.green.version };
}

describe('a change freeze', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: withGovernance({
        freezes: [
          { name: 'year-end', start: iso(Date.now() - 3_600_000), end: iso(Date.now() + 3_600_000), reason: 'close' },
        ],
      }),
    });
  });
  afterAll(() => h.close());
  afterEach(() => h.stopAutoApprove());

  it('refuses a go-live inside it, naming the window and its end, before anything starts or changes', async () => {
    const before = await untouched(h);

    const refused = h.rt.client.start(manager, { service: 'demo', version: '2.0.0' });

    await expect(refused).rejects.toMatchObject({
      code: 'FreezeWindow',
      message: expect.stringMatching(/inside change freeze "year-end" \(close\) until .*Z/),
    });
    expect(await untouched(h)).toEqual(before);
  });

  it('refuses it in the workflow too, for a start that went around the client (FreezeWindow, nothing changed)', async () => {
    const before = await alertsSnapshot(h);

    const arn = await h.start();

    await expectRolledBack(h, arn, 'FreezeWindow', before);
    const steps = (await h.rt.store.listAudit(arn)).map((r) => `${r.step} ${r.outcome}`);
    expect(steps).toContain('ValidateAndLock failed');
    expect(steps).not.toContain('MuteAlerts succeeded');
  });

  it('lets a break-glass through only once two emergency approvers (never the requester) approved, and opens a review', async () => {
    const before = await untouched(h);
    const { executionArn: arn } = await h.rt.client.start(manager, {
      service: 'demo',
      version: '2.0.0',
      breakGlass: { reason: 'checkout is down for every EU customer' },
    });
    await h.waitForCallback(arn, 'BreakGlass');

    // Waiting for the emergency role: nothing deployed, muted or shifted.
    expect(await untouched(h)).toEqual(before);
    await expect(h.rt.client.breakGlassVote(manager, arn, { decision: 'approve' })).rejects.toMatchObject({
      code: 'Unauthorized',
    });
    expect((await h.rt.client.breakGlassVote(ana, arn, { decision: 'approve' })).kind).toBe('recorded');
    await expect(h.rt.client.breakGlassVote(ana, arn, { decision: 'approve' })).rejects.toMatchObject({
      code: 'Conflict',
    });
    expect(await untouched(h)).toEqual(before);
    h.autoApprove('U_APPROVER_BEN');
    const decided = await h.rt.client.breakGlassVote(ben, arn, { decision: 'approve' });
    const exec = await h.finished(arn);

    expect(decided).toMatchObject({ kind: 'decided', status: 'approved' });
    expect(exec.status).toBe('SUCCEEDED');
    const lock = (await h.rt.store.listAudit(arn)).find((r) => r.step === 'ValidateAndLock')!;
    expect(lock.summary).toContain('BREAK-GLASS inside year-end: checkout is down for every EU customer');
    const [review] = await h.rt.client.reviews({ status: 'open' });
    expect(review).toMatchObject({ executionArn: arn, approvedBy: [APPROVER, 'U_APPROVER_BEN'], status: 'open' });
    // Flagged in the report and found by the auditors' query.
    const report = await runCli([
      'audit',
      'export',
      arn,
      '--format',
      'html',
      '--home',
      h.home,
      '--endpoint',
      h.rt.endpointUrl,
    ]);
    expect(report.out).toMatch(
      /data-testid="break-glass".*inside change freeze year-end: checkout is down for every EU customer\. approved by/s,
    );
    const flagged = await runCli([
      'audit',
      'list',
      '--break-glass',
      '--json',
      '--home',
      h.home,
      '--endpoint',
      h.rt.endpointUrl,
    ]);
    expect((JSON.parse(flagged.out) as { executionArn?: string; name: string }[]).map((r) => r.name)).toEqual([
      arn.split(':').pop(),
    ]);
    await h.rt.client.closeReview(manager, arn, 'post-mortem PM-12 filed');
    expect(await h.rt.client.reviews({ status: 'open' })).toEqual([]);
    expect((await h.rt.client.reviews({ status: 'closed' }))[0].closed).toMatchObject({ by: REQUESTER });
  });

  it('changes nothing for a break-glass resumed with the task token read from the history (Unauthorized)', async () => {
    const before = await untouched(h);
    const { executionArn: arn } = await h.rt.client.start(manager, {
      service: 'demo',
      version: '2.0.3',
      breakGlass: { reason: 'trying the back door' },
    });
    await h.waitForCallback(arn, 'BreakGlass');
    const entered = await h.waitForEvent(arn, (e) => e.stateEnteredEventDetails?.name === 'BreakGlass');
    const scheduled = await h.waitForEvent(arn, (e) => e.type === 'TaskScheduled' && e.id! > entered.id!);
    const token = (JSON.parse(scheduled.taskScheduledEventDetails!.parameters!) as { Payload: { taskToken: string } })
      .Payload.taskToken;

    await h.rt.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"approvedBy":["U_APPROVER_ANA"]}' }));
    const exec = await h.finished(arn);

    expect({ status: exec.status, error: exec.error }).toEqual({ status: 'FAILED', error: 'Unauthorized' });
    expect(exec.cause).toContain('inside a change freeze nothing changes without the break-glass approvals');
    expect(await untouched(h)).toEqual(before);
    const trail = (await h.rt.store.listAudit(arn)).map((r) => `${r.step} ${r.outcome}`);
    expect(trail).toContain('CheckReadiness failed');
    expect(trail).not.toContain('MuteAlerts succeeded');
  });

  it('ends a rejected break-glass having changed nothing (BreakGlassRejected)', async () => {
    const before = await alertsSnapshot(h);
    const { executionArn: arn } = await h.rt.client.start(manager, {
      service: 'demo',
      version: '2.0.2',
      breakGlass: { reason: 'a feature flag' },
    });
    await h.waitForCallback(arn, 'BreakGlass');

    await h.rt.client.breakGlassVote(ana, arn, { decision: 'reject', reason: 'it can wait for January' });

    await expectRolledBack(h, arn, 'BreakGlassRejected', before, 'green');
    expect(h.rt.targets.get('demo')!.blue.version).not.toBe('2.0.2');
  });
});

describe('a freeze that begins during a go-live', () => {
  it('holds it before promotion until the freeze ends (freezePolicy.duringRun: hold)', async () => {
    const config = withGovernance({ freezes: [] });
    const h = await startHarness({ config });
    try {
      const { executionArn: arn } = await h.rt.client.start(manager, { service: 'demo', version: '2.0.0' });
      await h.waitForCallback(arn, 'SignOff');
      // The freeze begins now, while the approvers decide (the runtime reads this very config).
      const end = Date.now() + 1_500;
      config.freezes.push({ name: 'flash', start: iso(Date.now() - 1), end: iso(end) });
      await h.rt.client.vote(ana, arn, { decision: 'approve', attest: 'all' });
      await h.waitForCallback(arn, 'PausedBeforePromotion');
      const weightsWhileHeld = h.rt.targets.get('demo')!.router.weights();

      const exec = await h.finished(arn);

      expect(weightsWhileHeld.green).toBeLessThan(100);
      expect(exec.status).toBe('SUCCEEDED');
      const hold = (await h.rt.store.listAudit(arn)).find((r) => r.step === 'CheckpointBeforePromotion')!;
      expect(hold.summary).toMatch(/held before promotion: inside change freeze "flash" .* began during the go-live/);
      const promoted = (await h.rt.store.listAudit(arn)).find(
        (r) => r.step === 'Promote' && r.outcome === 'succeeded',
      )!;
      expect(Date.parse(promoted.at)).toBeGreaterThanOrEqual(end);
    } finally {
      await h.close();
    }
  }, 60_000);
});

describe('golive retry (RedriveExecution)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: withGovernance({}) });
  });
  afterAll(() => h.close());
  afterEach(() => {
    h.stopAutoApprove();
    h.rt.targets.get('demo')!.green.setFaults({ errorRate: 0, healthFailing: false });
  });

  it('resumes a go-live rolled back by a failing pre-traffic smoke test at that test, once redriven', async () => {
    const before = await alertsSnapshot(h);
    // The candidate's health fails from its smoke tests on: the environment, not the release.
    let failing = true;
    h.rt.onTask('PreTrafficSmokeTests', () => h.rt.targets.get('demo')!.green.setFaults({ healthFailing: failing }));
    const { executionArn: arn } = await h.rt.client.start(manager, { service: 'demo', version: '2.0.0' });
    await expectRolledBack(h, arn, 'SmokeTestFailed', before);
    expect((await h.rt.client.describe(arn)).retryable).toMatchObject({ resumeAt: 'PreTrafficSmokeTests' });

    // A raw redrive, without golive retry's record: it fails again, the same way, changing nothing.
    await h.rt.sfn.send(new RedriveExecutionCommand({ executionArn: arn }));
    await expectRolledBack(h, arn, 'SmokeTestFailed', before);

    failing = false;
    h.autoApprove();
    await expect(h.rt.client.retry(ana, arn)).rejects.toMatchObject({ code: 'Unauthorized' });
    // An earlier `golive retry` recorded its ask, then died before RedriveExecution: asked again, it is sent.
    await h.rt.store.claimExecutionValue(arn, 'retry:1', { by: REQUESTER, verifiedBy: 'local', at: iso(Date.now()) });
    const retried = await h.rt.client.retry(manager, arn, 'the health endpoint is fixed');
    expect(retried.message).toContain('had not reached Step Functions: sent again');
    const exec = await h.finished(arn);

    expect(retried.resumeAt).toBe('PreTrafficSmokeTests');
    expect(exec.status).toBe('SUCCEEDED');
    const trail = (await h.rt.store.listAudit(arn)).map((r) => `${r.step} ${r.outcome}`);
    const retryAt = trail.indexOf('AwaitRetry succeeded');
    expect(retryAt).toBeGreaterThan(0);
    // Resumed at the failed phase: no second readiness gate or restore proof, alerts muted afresh.
    expect(trail.slice(retryAt)).not.toContain('CheckReadiness succeeded');
    expect(trail.slice(retryAt)).not.toContain('VerifyBackup succeeded');
    expect(trail.slice(retryAt)).toEqual(
      expect.arrayContaining(['MuteAlerts succeeded', 'PreTrafficSmokeTests succeeded']),
    );
    await expect(h.rt.client.retry(manager, arn)).rejects.toMatchObject({ code: 'Conflict' });
    // Sealed by the rollback, extended by the retry, sealed again: the auditor's verdict holds.
    const verified = await runCli(['audit', 'verify', arn, '--json', '--home', h.home, '--endpoint', h.rt.endpointUrl]);
    expect(verified.code).toBe(0);
    expect(JSON.parse(verified.out)).toMatchObject({ ok: true, caughtBy: [] });
  }, 60_000);

  it('refuses to retry a go-live its approvers rejected: a retry cannot cure it', async () => {
    const { executionArn: arn } = await h.rt.client.start(manager, { service: 'demo', version: '2.0.1' });
    await h.waitForCallback(arn, 'SignOff');
    await h.rt.client.vote(ana, arn, { decision: 'reject', reason: 'not this week' });
    await h.finished(arn);

    await expect(h.rt.client.retry(manager, arn)).rejects.toMatchObject({
      code: 'Conflict',
      message: expect.stringContaining('ApprovalRejected, which a retry cannot cure'),
    });
  });
});

describe('golive rollback (undo)', () => {
  it('takes the previous version back through the fast path, with one approver, even inside a freeze', async () => {
    const config = withGovernance({ freezes: [] });
    const h = await startHarness({ config });
    try {
      await expect(h.rt.client.undo(manager, 'demo')).rejects.toMatchObject({ code: 'Conflict' });
      h.autoApprove();
      const first = await h.rt.client.start(manager, { service: 'demo', version: '2.0.0' });
      expect((await h.finished(first.executionArn)).status).toBe('SUCCEEDED');
      const second = await h.rt.client.start(manager, { service: 'demo', version: '2.1.0' });
      expect((await h.finished(second.executionArn)).status).toBe('SUCCEEDED');
      expect((await h.rt.store.getLiveVersion('demo'))?.previous?.version).toBe('2.0.0');
      // A freeze begins: the way back to what ran before stays open, and is never held by it.
      config.freezes.push({ name: 'year-end', start: iso(Date.now() - 1), end: iso(Date.now() + 3_600_000) });

      const undo = await h.rt.client.undo(manager, 'demo', '2.1.0 breaks exports');
      const exec = await h.finished(undo.executionArn);

      expect(undo.request).toMatchObject({ version: '2.0.0', kind: 'undo' });
      expect(exec.status).toBe('SUCCEEDED');
      expect(await h.rt.store.getLiveVersion('demo')).toMatchObject({
        version: '2.0.0',
        previous: { version: '2.1.0' },
      });
      const served = await h.measureTraffic(10);
      const live = (await h.rt.store.getLiveVersion('demo'))!.slot;
      expect(served[live]).toBe(10);
      const trail = (await h.rt.store.listAudit(undo.executionArn)).map((r) => `${r.step} ${r.outcome}`);
      expect(trail).not.toContain('VerifyBackup succeeded');
      expect(trail).toEqual(
        expect.arrayContaining([
          'PreTrafficSmokeTests succeeded',
          'SignOff succeeded',
          'PostPromotionSmokeTests succeeded',
        ]),
      );
      const approval = await h.rt.store.findApprovalByExecution(undo.executionArn);
      expect(approval?.minApprovals).toBe(1);
      expect(trail).not.toContain('CheckpointBeforePromotion succeeded');

      // Undoing the undo would bring 2.1.0 back inside the freeze: a release like any other, refused.
      await expect(h.rt.client.undo(manager, 'demo')).rejects.toMatchObject({
        code: 'FreezeWindow',
        message: expect.stringContaining('2.0.0 was itself made live by an undo'),
      });
      const before = await alertsSnapshot(h);
      const redo = await h.start({ version: '2.1.0', kind: 'undo' });
      await expectRolledBack(h, redo, 'FreezeWindow', before, live);
    } finally {
      await h.close();
    }
  }, 90_000);
});
