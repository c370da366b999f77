import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { castVote } from '../../lambdas/core/steps/approval';
import { startTrafficGenerator } from '../../local/demo';
import { APPROVER, startHarness, testConfig, type Harness } from '../support/harness';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';
import type { TaskName } from '../../lambdas/core/workflow/definition';

describe('rollback on the local engine', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ config: testConfig({ approval: { timeoutSeconds: 30 } }) });
  });
  afterAll(() => h.close());
  afterEach(() => {
    h.stopAutoApprove();
    h.rt.faults.clear();
    h.rt.targets.get('demo')!.green.setFaults({ errorRate: 0, healthFailing: false });
    h.rt.backup.corrupt = false;
  });

  // Every forward Task state, failing with an error that is not retried, ends in the rollback path.
  const forwardStates: [TaskName, string][] = [
    ['ValidateAndLock', 'InvalidRequest'],
    ['CheckReadiness', 'ReadinessCheckFailed'],
    ['MuteAlerts', 'AccessDeniedException'],
    ['VerifyBackup', 'BackupVerificationFailed'],
    ['PreTrafficSmokeTests', 'SmokeTestFailed'],
    ['ShiftTraffic', 'TrafficShiftFailed'],
    ['Bake', 'AlarmTriggered'],
    ['SignOff', 'ApprovalRejected'],
    ['Promote', 'TrafficShiftFailed'],
    ['PostPromotionSmokeTests', 'SmokeTestFailed'],
    ['UnmuteAlerts', 'AccessDeniedException'],
    ['ReleaseLock', 'ConditionalCheckFailedException'],
  ];

  it.each(forwardStates)('rolls back every change when %s fails with %s', async (state, errorName) => {
    const before = await alertsSnapshot(h);
    h.rt.faults.set(state, errorName);
    h.autoApprove();

    const arn = await h.start();

    await expectRolledBack(h, arn, errorName, before);
  });

  it('rolls back a blue/green switch when its post-promotion bake fails', async () => {
    const before = await alertsSnapshot(h);
    h.rt.faults.set('PostPromotionBake', 'AlarmTriggered');
    h.autoApprove();

    const arn = await h.start({ strategy: 'blue-green' });

    await expectRolledBack(h, arn, 'AlarmTriggered', before);
  });

  it('fails the readiness gate before touching alerts, backups or traffic when green is unhealthy', async () => {
    const before = await alertsSnapshot(h);
    h.rt.targets.get('demo')!.green.setFaults({ healthFailing: true });

    const arn = await h.start();

    await expectRolledBack(h, arn, 'ReadinessCheckFailed', before);
    const audit = await h.rt.store.listAudit(arn);
    expect(audit.map((r) => r.step)).not.toContain('MuteAlerts');
    const failed = audit.find((r) => r.step === 'CheckReadiness')!;
    expect(failed.outcome).toBe('failed');
    expect(failed.summary).toContain('Health endpoint of green responds 200');
  });

  it('detects a damaged backup in the restore proof and rolls back', async () => {
    const before = await alertsSnapshot(h);
    h.rt.backup.corrupt = true;

    const arn = await h.start();

    await expectRolledBack(h, arn, 'BackupVerificationFailed', before);
    const failed = (await h.rt.store.listAudit(arn)).find((r) => r.step === 'VerifyBackup')!;
    expect(failed.summary).toMatch(/mismatching tables: \w+/);
    expect(failed.evidence).toMatchObject({ ok: false, scratchDeleted: true });
  });

  it('fails pre-traffic smoke tests against a broken green before it takes any traffic', async () => {
    const before = await alertsSnapshot(h);
    h.rt.targets.get('demo')!.green.setFaults({ errorRate: 1 });
    const greenBefore = h.rt.targets.get('demo')!.router.stats().green.requests;

    const arn = await h.start();

    await expectRolledBack(h, arn, 'SmokeTestFailed', before);
    expect(h.rt.targets.get('demo')!.router.stats().green.requests).toBe(greenBefore);
  });

  it('rolls back at once when the 5xx alarm fires during a canary bake', async () => {
    const h2 = await startHarness({
      config: testConfig({ demo: { strategy: { default: 'canary', canarySteps: [20, 50], bakeSeconds: 60 } } }),
    });
    try {
      const before = await alertsSnapshot(h2);
      const router = h2.rt.targets.get('demo')!.router;
      const traffic = startTrafficGenerator(router.url, { ratePerSecond: 50 });
      h2.rt.onTask('Bake', () => h2.rt.targets.get('demo')!.green.setFaults({ errorRate: 1 }));

      const arn = await h2.start();
      const exec = await h2.finished(arn);
      await traffic.stop();

      // The bake was 60 s: only the alarm can have ended it this early.
      expect(exec.stopDate!.getTime() - exec.startDate!.getTime()).toBeLessThan(30_000);
      await expectRolledBack(h2, arn, 'AlarmTriggered', before);
      const alarmRecord = (await h2.rt.store.listAudit(arn)).find((r) => r.action === 'alarm')!;
      expect(alarmRecord.actor).toBe('alarm:demo-5xx-rate');
      // Alerts were muted by golive during the bake: on-call was not paged.
      expect(h2.rt.alerts.pages()).toEqual([]);
    } finally {
      await h2.close();
    }
  });

  it('rolls back when an approver rejects with a reason, and a late click changes nothing', async () => {
    const before = await alertsSnapshot(h);
    const arn = await h.start();
    await h.waitForCallback(arn, 'SignOff');

    const outcome = await castVote(
      h.rt.deps,
      { executionId: arn },
      { voter: APPROVER, decision: 'reject', reason: 'Rückgängig – 回滚: error budget spent' },
    );

    expect(outcome).toMatchObject({ kind: 'decided', status: 'rejected' });
    await expectRolledBack(h, arn, 'ApprovalRejected', before);
    const exec = await h.rt.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(exec.cause).toContain('Rückgängig – 回滚');
    const late = await castVote(h.rt.deps, { executionId: arn }, { voter: 'U_APPROVER_BEN', decision: 'approve' });
    expect(late).toMatchObject({ kind: 'closed', status: 'rejected' });
  });

  it('rolls back when the sign-off expires, and marks the approval expired', async () => {
    const h2 = await startHarness({ config: testConfig({ approval: { timeoutSeconds: 1 } }) });
    try {
      const before = await alertsSnapshot(h2);
      const arn = await h2.start();

      await expectRolledBack(h2, arn, 'States.Timeout', before);
      const approval = await h2.rt.store.findApprovalByExecution(arn);
      expect(approval?.status).toBe('expired');
      const late = await castVote(h2.rt.deps, { executionId: arn }, { voter: APPROVER, decision: 'approve' });
      expect(late).toMatchObject({ kind: 'closed', status: 'expired' });
    } finally {
      await h2.close();
    }
  });

  it('ends with RollbackFailed, never a success, when the rollback itself fails', async () => {
    const before = await alertsSnapshot(h);
    h.rt.faults.set('PreTrafficSmokeTests', 'SmokeTestFailed');
    h.rt.faults.set('Rollback', 'TrafficShiftFailed');

    const arn = await h.start();
    const exec = await h.finished(arn);

    expect({ status: exec.status, error: exec.error }).toEqual({ status: 'FAILED', error: 'RollbackFailed' });
    expect(h.rt.notifier.list(arn).map((n) => n.kind)).toContain('rollback-failed');
    // People first: alerts are back exactly as before, so the failure pages whoever is on call.
    expect(await alertsSnapshot(h)).toEqual(before);
    expect((await h.rt.store.listAudit(arn)).find((r) => r.step === 'UnmuteAfterFailedRollback')).toMatchObject({
      outcome: 'succeeded',
    });
    // The lock stays held so nobody starts another go-live on a service in an unknown state.
    expect((await h.rt.store.getLock('demo'))?.executionId).toBe(arn);
    await h.rt.store.releaseLock('demo', arn);
  });

  it('ends a malformed execution input as InvalidRequest, changing nothing', async () => {
    const before = await alertsSnapshot(h);
    const { executionArn } = await h.rt.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: h.rt.stateMachineArn,
        name: `malformed-${Date.now()}`,
        input: '["demo", "2.0.0"]',
      }),
    );

    await expectRolledBack(h, executionArn!, 'InvalidRequest', before);
  });
});
