import { rollbackTraffic, shiftTraffic } from '../../../lambdas/core/steps/traffic';
import {
  approvedSignOff,
  EXECUTION_ID,
  fakeDeps,
  holdLock,
  NOW,
  pendingApproval,
  stepPayload,
  type FakeDeps,
} from '../../support/fake-deps';
import { testPlan } from '../../support/payloads';

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

describe('shiftTraffic (ShiftTraffic, Promote)', () => {
  it('gives the candidate its canary share and records the weights the router reports', async () => {
    const result = await shiftTraffic(f.deps, stepPayload('ShiftTraffic', { weight: 50 }));

    expect(result).toEqual({ weight: 50, weights: { blue: 50, green: 50 } });
    expect(f.traffic.sets).toEqual([{ blue: 50, green: 50 }]);
    expect((await f.audit())[0]).toMatchObject({
      step: 'ShiftTraffic',
      outcome: 'succeeded',
      summary: 'green (2.0.0) now takes 50% of traffic',
      evidence: { weights: { blue: 50, green: 50 } },
    });
  });

  it('promotes with 100% on the candidate once the sign-off is proven, with the proof as evidence', async () => {
    await approvedSignOff(f.store);

    const result = await shiftTraffic(f.deps, stepPayload('Promote'));

    expect(result).toEqual({ weight: 100, weights: { blue: 0, green: 100 } });
    expect(f.traffic.weights).toEqual({ blue: 0, green: 100 });
    expect((await f.audit())[0].evidence).toMatchObject({
      signOff: { approvalId: 'apr-1', approvedBy: ['U_APPROVER_ANA'], required: 1 },
    });
  });

  describe('judges the canary during the sign-off wait before promoting', () => {
    const slow = (n: number, ms: number) => ({
      requests: n,
      errors: 0,
      latencyMs: Array.from({ length: n }, (_, i) => ms + (i % 5)),
    });

    it('measures from the sign-off opening to now, and promotes a canary that held', async () => {
      await approvedSignOff(f.store);
      f.metrics.next = { candidate: slow(200, 30), baseline: slow(200, 30), source: 'fake' };

      await shiftTraffic(f.deps, stepPayload('Promote'));

      expect(f.metrics.windows).toEqual([
        expect.objectContaining({ from: NOW, to: NOW, candidateSlot: 'green', stableSlot: 'blue' }),
      ]);
      expect(f.traffic.weights).toEqual({ blue: 0, green: 100 });
      const [record] = await f.audit();
      expect(record.summary).toMatch(/; the canary during the sign-off wait: pass \(score 100\), 200 vs 200 requests$/);
      expect(record.evidence).toMatchObject({ signOffWait: { weight: 50, judgement: { verdict: 'pass' } } });
    });

    it('refuses to promote a canary that got worse while the approvers decided: CanaryAnalysisFailed', async () => {
      await approvedSignOff(f.store);
      f.metrics.next = { candidate: slow(200, 120), baseline: slow(200, 30), source: 'fake' };

      await expect(shiftTraffic(f.deps, stepPayload('Promote'))).rejects.toMatchObject({
        name: 'CanaryAnalysisFailed',
        message: expect.stringMatching(/^the canary during the sign-off wait judged worse than the stable version/),
      });
      expect(f.traffic.sets).toEqual([]);
    });

    it('has nothing to judge when no canary traffic ran during the sign-off (blue-green)', async () => {
      await approvedSignOff(f.store);

      await shiftTraffic(
        f.deps,
        stepPayload('Promote', { plan: testPlan({ strategy: 'blue-green', steps: [], stepCount: 0 }) }),
      );

      expect(f.metrics.windows).toEqual([]);
    });
  });

  describe('never changes traffic after the sign-off without a sign-off decided in golive', () => {
    const refusesPromote = async (message: RegExp) => {
      await expect(shiftTraffic(f.deps, stepPayload('Promote'))).rejects.toMatchObject({
        name: 'Unauthorized',
        message: expect.stringMatching(message),
      });
      expect(f.traffic.sets).toEqual([]);
      expect((await f.audit())[0]).toMatchObject({ step: 'Promote', outcome: 'failed' });
    };

    it('no sign-off at all', () => refusesPromote(/no sign-off was ever requested/));

    it('a sign-off still pending (resumed with a leaked task token): refused, and the approval closed', async () => {
      await f.store.createApproval(pendingApproval());

      await refusesPromote(/the sign-off is pending, not approved/);
      expect((await f.store.getApproval('apr-1'))?.status).toBe('aborted');
    });

    it('approved by the requester, who may not approve their own go-live', async () => {
      await approvedSignOff(f.store, ['U_RELEASE_MANAGER'], { approvers: ['U_RELEASE_MANAGER', 'U_APPROVER_ANA'] });

      await refusesPromote(/0 eligible approval\(s\) recorded \(none\), 1 required/);
    });

    it('approved by someone who is not (or no longer) an approver of the service', async () => {
      await approvedSignOff(f.store, ['U_GUEST'], { approvers: ['U_GUEST'] });

      await refusesPromote(/0 eligible approval\(s\)/);
    });

    it('fewer distinct approvers than the policy asks for now', async () => {
      f.deps.config = { ...f.deps.config, approval: { ...f.deps.config.approval, minApprovals: 2 } };
      await approvedSignOff(f.store, ['U_APPROVER_ANA']);

      await refusesPromote(/1 eligible approval\(s\) recorded \(U_APPROVER_ANA\), 2 required/);
    });

    it('a required checklist item still unattested', async () => {
      await approvedSignOff(f.store);
      await f.store.putExecutionValue(EXECUTION_ID, 'readiness', {
        items: [{ id: 'release-tagged', level: 'required', status: 'to-attest' }],
      });

      await refusesPromote(/required item\(s\) still unattested: release-tagged/);
    });

    it('a checklist item the requester attested or waived for their own go-live', async () => {
      await approvedSignOff(f.store);
      await f.store.putExecutionValue(EXECUTION_ID, 'readiness', {
        items: [
          {
            id: 'release-tagged',
            level: 'required',
            status: 'waived',
            waiver: { by: 'U_RELEASE_MANAGER', reason: 'trust me', at: NOW.toISOString() },
          },
        ],
      });

      await refusesPromote(/item\(s\) attested or waived by the requester themselves: release-tagged/);
    });

    it('a canary step after a before-traffic sign-off is checked too; before the sign-off it is not', async () => {
      const before = stepPayload('ShiftTraffic', { weight: 10, plan: testPlan({ signOff: 'before-traffic' }) });
      await expect(shiftTraffic(f.deps, before)).rejects.toMatchObject({ name: 'Unauthorized' });

      await shiftTraffic(f.deps, stepPayload('ShiftTraffic', { weight: 10 }));
      expect(f.traffic.sets).toEqual([{ blue: 90, green: 10 }]);
    });
  });

  it('fails with TrafficShiftFailed when the router reports other weights than asked', async () => {
    f.traffic.stuckAt = { blue: 100, green: 0 };

    await expect(shiftTraffic(f.deps, stepPayload('ShiftTraffic', { weight: 10 }))).rejects.toMatchObject({
      name: 'TrafficShiftFailed',
      message: 'asked for blue 90% / green 10% but the router reports blue 100% / green 0%',
    });
    expect((await f.audit())[0]).toMatchObject({
      outcome: 'failed',
      evidence: { wanted: { blue: 90, green: 10 }, readBack: { blue: 100, green: 0 } },
    });
  });

  it("deletes this execution's leftover bake tokens so a later alarm cannot fail a passed bake", async () => {
    const bake = { service: 'demo', kind: 'bake' as const, alarms: ['demo-5xx-rate'], createdAt: NOW.toISOString() };
    await f.store.putCallback({ ...bake, token: 'passed-bake', executionId: EXECUTION_ID });
    await f.store.putCallback({ ...bake, token: 'other-bake', executionId: 'other-run' });

    await shiftTraffic(f.deps, stepPayload('ShiftTraffic', { weight: 50 }));

    const left = await f.store.findCallbacks({ alarmName: 'demo-5xx-rate', kind: 'bake' });
    expect(left.map((c) => c.token)).toEqual(['other-bake']);
  });
});

describe('rollbackTraffic (Rollback)', () => {
  it('puts 100% back on the stable slot when this execution holds the lock', async () => {
    await holdLock(f.store);
    f.traffic.weights = { blue: 50, green: 50 };

    const result = await rollbackTraffic(f.deps, stepPayload('Rollback'));

    expect(result).toEqual({ skipped: false, weights: { blue: 100, green: 0 } });
    expect(f.traffic.weights).toEqual({ blue: 100, green: 0 });
    expect((await f.audit())[0].summary).toBe('traffic 100% back on blue (stable) after SmokeTestFailed');
  });

  it('changes nothing when the execution does not hold the lock (another go-live does)', async () => {
    await holdLock(f.store, 'arn:aws:states:eu-west-1:123456789012:execution:golive-go-live:run-0');
    f.traffic.weights = { blue: 90, green: 10 };

    const result = await rollbackTraffic(f.deps, stepPayload('Rollback', { error: { Error: 'LockHeld' } }));

    expect(result).toMatchObject({ skipped: true, reason: expect.stringContaining('does not hold the lock') });
    expect(f.traffic.sets).toEqual([]);
    expect(f.traffic.weights).toEqual({ blue: 90, green: 10 });
  });

  it('changes nothing when ValidateAndLock failed before planning (empty plan)', async () => {
    await holdLock(f.store);

    const result = await rollbackTraffic(f.deps, stepPayload('Rollback', { plan: {} }));

    expect(result.skipped).toBe(true);
    expect(f.traffic.sets).toEqual([]);
  });

  it('rolls back even when an abort was requested', async () => {
    await holdLock(f.store);
    await f.store.putExecutionValue(EXECUTION_ID, 'abort', { by: 'U_RM', reason: 'stop' });

    await expect(rollbackTraffic(f.deps, stepPayload('Rollback'))).resolves.toMatchObject({ skipped: false });
    expect(f.traffic.sets).toEqual([{ blue: 100, green: 0 }]);
  });

  it('fails with TrafficShiftFailed when the read-back is not 100% stable', async () => {
    await holdLock(f.store);
    f.traffic.stuckAt = { blue: 50, green: 50 };

    await expect(rollbackTraffic(f.deps, stepPayload('Rollback'))).rejects.toMatchObject({
      name: 'TrafficShiftFailed',
    });
    expect((await f.audit())[0]).toMatchObject({ step: 'Rollback', outcome: 'failed' });
  });
});
