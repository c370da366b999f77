import { rmSync } from 'node:fs';
import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { startHarness, testConfig } from '../support/harness';
import { JANITOR_ACTOR } from '../../lambdas/core/steps/janitor';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';

describe('executions that end outside the catch path', () => {
  it('are cleaned up by the janitor after StopExecution', async () => {
    const h = await startHarness({ config: testConfig() });
    try {
      const before = await alertsSnapshot(h);
      const arn = await h.start();
      await h.waitForCallback(arn, 'SignOff');
      expect(h.rt.targets.get('demo')!.router.weights()).toEqual({ blue: 50, green: 50 });

      await h.rt.sfn.send(
        new StopExecutionCommand({ executionArn: arn, error: 'Manual', cause: 'operator pressed stop' }),
      );
      const exec = await h.finished(arn);

      expect(exec.status).toBe('ABORTED');
      expect(await h.measureTraffic(10)).toEqual({ blue: 10, green: 0 });
      expect(await alertsSnapshot(h)).toEqual(before);
      expect(await h.rt.store.getLock('demo')).toBeUndefined();
      expect((await h.rt.store.findApprovalByExecution(arn))?.status).toBe('aborted');
      expect(h.rt.notifier.list(arn).map((n) => n.kind)).toContain('rolled-back');
      const rollback = (await h.rt.store.listAudit(arn)).find((r) => r.step === 'Rollback')!;
      expect(rollback.evidence).toMatchObject({ error: { Error: 'ExecutionAborted' } });
    } finally {
      await h.close();
    }
  });

  it('are rolled back by the janitor when they end FAILED with an error no Catch matches', async () => {
    const h = await startHarness({ config: testConfig() });
    try {
      const before = await alertsSnapshot(h);
      // A plan whose approval timeout Step Functions refuses (TimeoutSecondsPath must be ≥ 1): the
      // execution ends FAILED with States.Runtime at SignOff, which States.ALL does not catch, at
      // 50% canary traffic with the lock held and the alarms muted; its rollback path never runs.
      h.rt.config.approval.timeoutSeconds = 0;

      const arn = await h.start();

      await expectRolledBack(h, arn, 'States.Runtime', before);
      const audit = await h.rt.store.listAudit(arn);
      const janitor = audit.findIndex((r) => r.actor === JANITOR_ACTOR);
      expect(audit[janitor]).toMatchObject({ step: 'Janitor', summary: expect.stringContaining('ended FAILED') });
      expect(audit.findIndex((r) => r.step === 'Rollback')).toBeGreaterThan(janitor);
      expect(audit.find((r) => r.step === 'SignOff')).toBeUndefined();
      expect(h.rt.notifier.list(arn).filter((n) => n.kind === 'rolled-back')).toHaveLength(1);
    } finally {
      await h.close();
    }
  });

  it('are rolled back when the local runtime is stopped while they run', async () => {
    const first = await startHarness({ config: testConfig() });
    const home = first.home;
    const before = await alertsSnapshot(first);
    const arn = await first.start();
    await first.waitForCallback(arn, 'SignOff');

    await first.close({ keepHome: true });

    const second = await startHarness({ home, config: testConfig() });
    try {
      expect((await second.rt.sfn.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('ABORTED');
      expect(second.rt.engine.recoveredExecutionArns).toEqual([]);
      expect(await second.rt.store.getLock('demo')).toBeUndefined();
      expect(await alertsSnapshot(second)).toEqual(before);
    } finally {
      await second.close();
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('are cleaned up when the local runtime restarts after dying mid-run', async () => {
    const first = await startHarness({ config: testConfig() });
    const home = first.home;
    const before = await alertsSnapshot(first);
    const arn = await first.start();
    await first.waitForCallback(arn, 'SignOff');
    expect(first.rt.alerts.muteRules()).toHaveLength(1);
    await first.close({ keepHome: true, crash: true });

    const second = await startHarness({ home, config: testConfig() });
    try {
      await second.rt.bus.drain();

      expect(second.rt.engine.recoveredExecutionArns).toEqual([arn]);
      const exec = await second.rt.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
      expect(exec.status).toBe('ABORTED');
      expect(await second.rt.store.getLock('demo')).toBeUndefined();
      expect(await alertsSnapshot(second)).toEqual(before);
      expect((await second.rt.store.findApprovalByExecution(arn))?.status).toBe('aborted');
      expect(second.rt.notifier.list(arn).filter((n) => n.kind === 'rolled-back')).toHaveLength(1);
    } finally {
      await second.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
