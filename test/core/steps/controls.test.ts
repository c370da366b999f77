import type { GoLiveConfig } from '../../../lambdas/core/config';
import { castBreakGlassVote, requestBreakGlass, verifyBreakGlass } from '../../../lambdas/core/steps/break-glass';
import { checkpoint } from '../../../lambdas/core/steps/checkpoint';
import { HOLD_VALUE, requestControl, startHold } from '../../../lambdas/core/steps/controls';
import { acquire } from '../../../lambdas/core/steps/lock';
import { awaitRetry, retryVerdict } from '../../../lambdas/core/steps/retry';
import { demoConfigFile, EXECUTION_ID, fakeDeps, NOW, stepPayload, type FakeDeps } from '../../support/fake-deps';
import { testPlan } from '../../support/payloads';

const manager = { by: 'U_RELEASE_MANAGER', verifiedBy: 'slack' as const, reason: '' };
const freezeNow = { name: 'flash', start: '2026-11-26T09:00:00Z', end: '2026-11-26T11:00:00Z', reason: 'audit' };

function withConfig(patch: Partial<GoLiveConfig>): FakeDeps {
  return fakeDeps({ config: { ...demoConfigFile(), ...patch } });
}

let f: FakeDeps;
afterEach(() => f.close());

describe('checkpoint (Checkpoint, CheckpointBeforePromotion)', () => {
  it('goes on without an audit record when nothing is asked', async () => {
    f = fakeDeps();

    expect(await checkpoint(f.deps, stepPayload('Checkpoint'))).toEqual({ action: 'continue' });
    expect(await f.audit()).toEqual([]);
  });

  it('holds a paused go-live for the hold budget left, and counts the time held once resumed', async () => {
    f = fakeDeps();
    await requestControl(f.deps, EXECUTION_ID, 'pause', manager);

    const held = await checkpoint(f.deps, stepPayload('Checkpoint'));
    f.clock.advance(600_000);
    await requestControl(f.deps, EXECUTION_ID, 'resume', manager);
    const after = await checkpoint(f.deps, stepPayload('Checkpoint'));

    expect(held).toMatchObject({ action: 'hold', holdSeconds: 3600, reason: 'paused by U_RELEASE_MANAGER' });
    expect(after).toEqual({ action: 'continue' });
    expect(await f.store.getExecutionValue(EXECUTION_ID, HOLD_VALUE)).toEqual({ heldSeconds: 600 });
    const summaries = (await f.audit()).map((r) => `${r.step} ${r.action}: ${r.summary}`);
    expect(summaries).toContain('Checkpoint checkpoint: resumed after 600 s held; going on');
  });

  it('rolls back (PauseExpired) once all holds together used controls.maxHoldSeconds', async () => {
    f = fakeDeps();
    await requestControl(f.deps, EXECUTION_ID, 'pause', manager);
    await checkpoint(f.deps, stepPayload('Checkpoint'));
    f.clock.advance(3_600_000);

    await expect(checkpoint(f.deps, stepPayload('Checkpoint'))).rejects.toMatchObject({
      name: 'PauseExpired',
      message: expect.stringContaining('controls.maxHoldSeconds is 3600 s'),
    });
  });

  it('promotes only at a canary boundary with steps left, never past the boundary before promotion', async () => {
    f = fakeDeps();
    await requestControl(f.deps, EXECUTION_ID, 'promote', manager);

    expect(await checkpoint(f.deps, stepPayload('Checkpoint', { canaryIndex: 1 }))).toEqual({ action: 'promote' });
    expect(await checkpoint(f.deps, stepPayload('Checkpoint', { canaryIndex: 2 }))).toEqual({ action: 'continue' });
    expect(await checkpoint(f.deps, stepPayload('CheckpointBeforePromotion'))).toEqual({ action: 'continue' });
  });

  it('lets a go-live a freeze overtook finish when freezePolicy.duringRun is finish, and says so', async () => {
    f = withConfig({ freezes: [freezeNow], freezePolicy: { duringRun: 'finish' } });

    expect(await checkpoint(f.deps, stepPayload('CheckpointBeforePromotion'))).toEqual({ action: 'continue' });
    expect((await f.audit())[0].summary).toContain('began during the go-live: it finishes');
  });

  it('holds before promotion until the freeze ends (hold), and never holds an approved break-glass', async () => {
    f = withConfig({ freezes: [freezeNow] });

    const held = await checkpoint(f.deps, stepPayload('CheckpointBeforePromotion'));
    const breakGlass = await checkpoint(
      f.deps,
      stepPayload('CheckpointBeforePromotion', { plan: testPlan({ breakGlass: 'required' }) }),
    );

    expect(held).toMatchObject({ action: 'hold', holdSeconds: 3600 });
    expect(breakGlass).toEqual({ action: 'continue' });
  });
});

describe('startHold (Paused)', () => {
  it('ends at once (HoldEnded) when the resume came between the Checkpoint and the registration', async () => {
    f = fakeDeps();
    await requestControl(f.deps, EXECUTION_ID, 'pause', manager);
    await checkpoint(f.deps, stepPayload('Checkpoint'));
    await requestControl(f.deps, EXECUTION_ID, 'resume', manager);

    await expect(startHold(f.deps, stepPayload('Paused'))).rejects.toMatchObject({ name: 'HoldEnded' });
    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID })).toEqual([]);
  });

  it('watches the alarms once traffic has moved, and fails at once on one already firing', async () => {
    f = fakeDeps();
    f.alerts.set('demo-5xx-rate', { state: 'ALARM' });

    await expect(startHold(f.deps, stepPayload('Paused', { canaryIndex: 1 }))).rejects.toMatchObject({
      name: 'AlarmTriggered',
    });
    expect(await startHold(f.deps, stepPayload('Paused', { canaryIndex: 0 }))).toEqual({ watching: [] });
  });
});

/** A go-live paused and holding: its Paused task registered under `hold-token`. */
async function pausedAndHeld(): Promise<void> {
  await requestControl(f.deps, EXECUTION_ID, 'pause', manager);
  await f.store.putCallback({
    token: 'hold-token',
    executionId: EXECUTION_ID,
    service: 'demo',
    kind: 'hold',
    alarms: [],
    createdAt: NOW.toISOString(),
  });
}

describe('requestControl', () => {
  it('records each wish once and audits who asked, verified how', async () => {
    f = fakeDeps();

    const first = await requestControl(f.deps, EXECUTION_ID, 'pause', { ...manager, reason: 'lunch' });
    const again = await requestControl(f.deps, EXECUTION_ID, 'pause', manager);
    const promoted = await requestControl(f.deps, EXECUTION_ID, 'promote', manager);
    const twice = await requestControl(f.deps, EXECUTION_ID, 'promote', manager);

    expect([first.changed, again.changed, promoted.changed, twice.changed]).toEqual([true, false, true, false]);
    // Promoting a paused go-live lets it go on.
    expect(await f.store.getExecutionValue(EXECUTION_ID, 'control:pause')).toMatchObject({ paused: false });
    expect((await f.audit()).map((r) => [r.action, r.actor, r.verifiedBy])).toEqual([
      ['pause', 'U_RELEASE_MANAGER', 'slack'],
      ['promote', 'U_RELEASE_MANAGER', 'slack'],
    ]);
  });

  it('finishes a resume that was recorded but never reached the held go-live, when asked again', async () => {
    f = fakeDeps();
    await pausedAndHeld();
    // The first resume dies between its record and SendTaskSuccess (here: throttled).
    const succeed = f.callbacks.succeed.bind(f.callbacks);
    f.callbacks.succeed = async () => {
      throw new Error('ThrottlingException');
    };
    await expect(requestControl(f.deps, EXECUTION_ID, 'resume', manager)).rejects.toThrow('ThrottlingException');
    f.callbacks.succeed = succeed;

    const again = await requestControl(f.deps, EXECUTION_ID, 'resume', manager);

    expect(again).toMatchObject({
      changed: true,
      message: expect.stringContaining('had not reached the held go-live'),
    });
    expect(f.callbacks.succeeded.map((s) => s.token)).toEqual(['hold-token']);
    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID, kind: 'hold' })).toEqual([]);
  });

  it('ends a hold in progress at once when resumed', async () => {
    f = fakeDeps();
    await pausedAndHeld();

    await requestControl(f.deps, EXECUTION_ID, 'resume', manager);

    expect(f.callbacks.succeeded.map((s) => s.token)).toEqual(['hold-token']);
    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID, kind: 'hold' })).toEqual([]);
  });
});

describe('freeze and break-glass at ValidateAndLock', () => {
  it('refuses a go-live inside a freeze before taking the lock, naming the window', async () => {
    f = withConfig({ freezes: [freezeNow] });

    await expect(acquire(f.deps, stepPayload('ValidateAndLock'))).rejects.toMatchObject({
      name: 'FreezeWindow',
      message: expect.stringMatching(/inside change freeze "flash" \(audit\) until 2026-11-26T11:00:00.000Z/),
    });
    expect(await f.store.getLock('demo')).toBeUndefined();
    expect(f.traffic.calls).toEqual([]);
  });

  it('plans a break-glass that deploys nothing until the emergency role approved', async () => {
    f = withConfig({
      freezes: [freezeNow],
      breakGlass: { approvers: ['U_APPROVER_ANA', 'U_APPROVER_BEN'], minApprovals: 2, timeoutSeconds: 600 },
    });
    const payload = stepPayload('ValidateAndLock');

    const { plan } = await acquire(f.deps, {
      ...payload,
      request: { ...(payload.request as object), breakGlass: { reason: 'outage' } },
    });

    expect(plan).toMatchObject({ breakGlass: 'required', breakGlassTimeoutSeconds: 600 });
    expect(f.traffic.calls.filter((c) => c.op === 'prepareCandidate')).toEqual([]);
  });

  it('records a break-glass asked outside any freeze as the ordinary go-live it is', async () => {
    f = fakeDeps();
    const payload = stepPayload('ValidateAndLock');

    const { request, plan } = await acquire(f.deps, {
      ...payload,
      request: { ...(payload.request as object), breakGlass: { reason: 'just in case' } },
    });

    expect(plan.breakGlass).toBe('no');
    expect(request.breakGlass).toBeUndefined();
    expect(await f.store.getExecutionValue(EXECUTION_ID, 'request')).not.toHaveProperty('breakGlass');
    expect((await f.audit())[0]).toMatchObject({
      summary: expect.stringContaining('break-glass asked but not needed here'),
      evidence: expect.objectContaining({ breakGlassNotNeeded: { reason: 'just in case' } }),
    });
  });

  it('refuses a break-glass with too few emergency approvers besides the requester', async () => {
    f = withConfig({
      breakGlass: { approvers: ['U_RELEASE_MANAGER', 'U_APPROVER_ANA'], minApprovals: 2, timeoutSeconds: 600 },
    });

    await expect(
      requestBreakGlass(f.deps, stepPayload('BreakGlass', { plan: testPlan({ breakGlass: 'required' }) })),
    ).rejects.toMatchObject({ name: 'FreezeWindow', message: expect.stringContaining('1 are configured') });
  });

  it('counts only members of the emergency role as configured now', async () => {
    f = withConfig({
      breakGlass: { approvers: ['U_APPROVER_ANA', 'U_APPROVER_BEN'], minApprovals: 2, timeoutSeconds: 600 },
    });
    await f.store.putExecutionValue(EXECUTION_ID, 'request', { service: 'demo', requestedBy: 'U_RELEASE_MANAGER' });
    const plan = testPlan({ breakGlass: 'required', breakGlassTimeoutSeconds: 600 });
    await requestBreakGlass(f.deps, stepPayload('BreakGlass', { plan }));
    await castBreakGlassVote(f.deps, EXECUTION_ID, { voter: 'U_APPROVER_ANA', decision: 'approve' });
    await castBreakGlassVote(f.deps, EXECUTION_ID, { voter: 'U_APPROVER_BEN', decision: 'approve' });
    const request = { service: 'demo', requestedBy: 'U_RELEASE_MANAGER' };

    await expect(verifyBreakGlass(f.deps, EXECUTION_ID, request, plan)).resolves.toBeUndefined();
    // BEN left the emergency role since: one eligible approval is not enough any more.
    const later = {
      ...f.deps,
      config: { ...f.deps.config, breakGlass: { ...f.deps.config.breakGlass, approvers: ['U_APPROVER_ANA', 'U_X'] } },
    };
    await expect(verifyBreakGlass(later, EXECUTION_ID, request, plan)).rejects.toMatchObject({ name: 'Unauthorized' });
  });
});

describe('castBreakGlassVote after a crash', () => {
  const emergency = { approvers: ['U_APPROVER_ANA', 'U_APPROVER_BEN'], minApprovals: 2, timeoutSeconds: 600 };
  const plan = testPlan({ breakGlass: 'required', breakGlassTimeoutSeconds: 600 });
  async function requested(): Promise<void> {
    f = withConfig({ breakGlass: emergency });
    await f.store.putExecutionValue(EXECUTION_ID, 'request', {
      service: 'demo',
      version: '2.0.0',
      requestedBy: 'U_RELEASE_MANAGER',
    });
    await requestBreakGlass(f.deps, stepPayload('BreakGlass', { plan }));
  }

  it("decides on the deciding voter's repeat when the first call died after counting the vote", async () => {
    await requested();
    await castBreakGlassVote(f.deps, EXECUTION_ID, { voter: 'U_APPROVER_ANA', decision: 'approve' });
    // BEN's vote was written, then the process died before deciding.
    await f.store.claimExecutionValue(EXECUTION_ID, 'break-glass:vote:U_APPROVER_BEN', {
      voter: 'U_APPROVER_BEN',
      decision: 'approve',
      at: NOW.toISOString(),
    });

    const again = await castBreakGlassVote(f.deps, EXECUTION_ID, { voter: 'U_APPROVER_BEN', decision: 'approve' });

    expect(again).toMatchObject({ kind: 'decided', status: 'approved' });
    expect(f.callbacks.succeeded.map((c) => c.token)).toEqual(['task-token-1']);
  });

  it('opens the review and answers the task on any repeat when the first call died after deciding', async () => {
    await requested();
    await castBreakGlassVote(f.deps, EXECUTION_ID, { voter: 'U_APPROVER_ANA', decision: 'approve' });
    const succeed = f.callbacks.succeed.bind(f.callbacks);
    f.callbacks.succeed = async () => {
      throw new Error('the process died here');
    };
    await expect(
      castBreakGlassVote(f.deps, EXECUTION_ID, { voter: 'U_APPROVER_BEN', decision: 'approve' }),
    ).rejects.toThrow('died');
    f.callbacks.succeed = succeed;

    const repeat = await castBreakGlassVote(f.deps, EXECUTION_ID, { voter: 'U_APPROVER_ANA', decision: 'approve' });

    expect(repeat).toMatchObject({ kind: 'refused', message: expect.stringContaining('already approved') });
    expect(f.callbacks.succeeded.map((c) => c.token)).toEqual(['task-token-1']);
    expect(await f.store.getExecutionValue(EXECUTION_ID, 'review')).toMatchObject({
      status: 'open',
      approvedBy: ['U_APPROVER_ANA', 'U_APPROVER_BEN'],
    });
  });
});

describe('awaitRetry, redriven', () => {
  it('refuses (changing nothing) a retry redriven after another version went live', async () => {
    f = fakeDeps();
    const failure = { Error: 'SmokeTestFailed', Cause: 'green answers 503' };
    await f.store.putExecutionValue(EXECUTION_ID, 'retryable', {
      attempt: 1,
      failedAt: 'PreTrafficSmokeTests',
      resumeAt: 'PreTrafficSmokeTests',
      error: failure,
      at: NOW.toISOString(),
    });
    await f.store.claimExecutionValue(EXECUTION_ID, 'retry:1', { by: 'U_RELEASE_MANAGER', at: NOW.toISOString() });
    f.clock.advance(60_000);
    await f.store.setLiveVersion('demo', '2.1.0', 'green', f.clock.advance(1_000));

    await expect(awaitRetry(f.deps, stepPayload('AwaitRetry', { error: failure }))).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: 'retry refused: demo 2.1.0 went live after this go-live failed',
    });
    expect(await f.store.getLock('demo')).toBeUndefined();
    // A later golive retry finds a fresh retry point (and is refused again by the client, for the same reason).
    expect(await f.store.getExecutionValue(EXECUTION_ID, 'retryable')).toMatchObject({ attempt: 2 });
  });
});

describe('retryVerdict', () => {
  const rolledBack = { completed: true };
  it.each([
    ['PreTrafficSmokeTests', 'SmokeTestFailed', 'PreTrafficSmokeTests'],
    ['VerifyBackup', 'BackupVerificationFailed', 'MuteAlerts'],
    ['CheckReadiness', 'ProviderUnavailable', 'CheckReadiness'],
    ['ShiftTraffic', 'TrafficShiftFailed', 'PreTrafficSmokeTests'],
  ])('resumes %s failing with %s at %s', (step, error, resumeAt) => {
    expect(retryVerdict(step, { Error: error }, rolledBack)).toEqual({ resumeAt });
  });

  it.each([
    ['Bake', 'AlarmTriggered'],
    ['SignOff', 'ApprovalRejected'],
    ['AnalyzeCanary', 'CanaryAnalysisFailed'],
    ['ValidateAndLock', 'Unauthorized'],
    ['PostPromotionSmokeTests', 'SmokeTestFailed'],
    ['Checkpoint', 'PauseExpired'],
  ])('never retries %s failing with %s', (step, error) => {
    expect(retryVerdict(step, { Error: error }, rolledBack)).toMatchObject({ refused: expect.any(String) });
  });

  it('never retries a failure whose rollback did not complete', () => {
    expect(retryVerdict('PreTrafficSmokeTests', { Error: 'SmokeTestFailed' }, { completed: false })).toEqual({
      refused: 'its rollback did not complete: a human must look first',
    });
  });
});
