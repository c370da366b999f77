import { DescribeExecutionCommand, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { castVote } from '../../lambdas/core/steps/approval';
import { startTrafficGenerator } from '../../local/demo';
import { APPROVER, startHarness, testConfig, type Harness } from '../support/harness';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';
import type { Store } from '../../lambdas/core/ports';
import type { TaskName } from '../../lambdas/core/workflow/definition';

describe('rollback on the local engine', () => {
  let h: Harness;
  /** What the runtime told its `alert` channel (stderr in `golive local up`). */
  const alerted: string[] = [];

  beforeAll(async () => {
    h = await startHarness({
      config: testConfig({ approval: { timeoutSeconds: 30 } }),
      alert: (line) => alerted.push(line),
    });
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

  describe('RollbackFailed with a broken store', () => {
    /** Task hooks stay registered: each of these breaks the store for its own go-live only. */
    const once = (fn: () => void) => {
      let armed = true;
      return () => {
        if (armed) fn();
        armed = false;
      };
    };
    const realStore = () => h.rt.store;
    afterEach(() => {
      (h.rt.deps as { store: Store }).store = realStore();
      h.rt.store.db.pragma('query_only = OFF');
    });

    it('still restores alerts and notifies when the store fails from the rollback on (DynamoDB down)', async () => {
      const before = await alertsSnapshot(h);
      h.rt.faults.set('PreTrafficSmokeTests', 'SmokeTestFailed');
      h.rt.faults.set('Rollback', 'TrafficShiftFailed');
      // Every call of the store port fails from here on; CloudWatch (alerts) and Slack still work.
      h.rt.onTask(
        'Rollback',
        once(() => {
          (h.rt.deps as { store: Store }).store = new Proxy(realStore(), {
            get: (target, key) =>
              typeof target[key as keyof Store] === 'function'
                ? () => Promise.reject(new Error('ServiceUnavailable: the store is down'))
                : target[key as keyof Store],
          });
        }),
      );
      alerted.length = 0;

      const arn = await h.start();
      const exec = await h.finished(arn);

      expect({ status: exec.status, error: exec.error }).toEqual({ status: 'FAILED', error: 'RollbackFailed' });
      // The execution itself says what happened: no store or Slack needed to read it.
      expect(exec.cause).toBe(
        'The rollback did not complete: rolling back after SmokeTestFailed failed with TrafficShiftFailed. ' +
          'Traffic, alerts or the lock may need a human; the lock stays held. See the execution history and the audit trail.',
      );
      // People first: alerts restored from the mute record the state data carries.
      expect(await alertsSnapshot(h)).toEqual(before);
      const [told] = h.rt.notifier.list(arn).filter((n) => n.kind === 'rollback-failed');
      expect(told.text).toMatch(/^🚨 ROLLBACK FAILED for demo 2\.0\.0: SmokeTestFailed .* then TrafficShiftFailed: /);
      expect(told.text).toContain('Alerts are restored, but the audit trail could not record it');
      expect(told.text).toContain('the store is down');
      expect(alerted).toEqual([expect.stringMatching(/^🚨 ROLLBACK FAILED: test-.*: The rollback did not complete/)]);
      expect((await realStore().getLock('demo'))?.executionId).toBe(arn);
      await realStore().releaseLock('demo', arn);
    });

    it('ends RollbackFailed and says so on the alert channel when the whole local store turns read-only', async () => {
      h.rt.faults.set('PreTrafficSmokeTests', 'SmokeTestFailed');
      h.rt.faults.set('Rollback', 'TrafficShiftFailed');
      // Locally the mute rules and the release channel live in the same SQLite file: they fail too.
      h.rt.onTask(
        'Rollback',
        once(() => void h.rt.store.db.pragma('query_only = ON')),
      );
      alerted.length = 0;

      const arn = await h.start();
      const exec = await h.finished(arn);

      expect({ status: exec.status, error: exec.error }).toEqual({ status: 'FAILED', error: 'RollbackFailed' });
      expect(alerted).toEqual([
        expect.stringMatching(/^🚨 ROLLBACK FAILED: test-.*: .*after SmokeTestFailed failed with TrafficShiftFailed/),
      ]);
      h.rt.store.db.pragma('query_only = OFF');
      // Nothing could be written, not even the notification: the execution and stderr are what is left.
      expect(h.rt.notifier.list(arn).map((n) => n.kind)).not.toContain('rollback-failed');
      await h.rt.store.releaseLock('demo', arn);
      for (const rule of h.rt.alerts.muteRules())
        h.rt.store.db.prepare('DELETE FROM alarm_mute_rules WHERE name = ?').run(rule.name);
    });
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
