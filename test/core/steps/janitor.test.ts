import { cleanUpEndedExecution } from '../../../lambdas/core/steps/janitor';
import {
  DEMO_REQUEST,
  EXECUTION_ID,
  fakeDeps,
  holdLock,
  NOW,
  pendingApproval,
  type FakeDeps,
} from '../../support/fake-deps';
import { testPlan } from '../../support/payloads';

let f: FakeDeps;
beforeEach(async () => {
  f = fakeDeps();
  await f.store.putExecutionValue(EXECUTION_ID, 'request', DEMO_REQUEST);
  await f.store.putExecutionValue(EXECUTION_ID, 'plan', testPlan());
  await holdLock(f.store);
  f.traffic.weights = { blue: 50, green: 50 };
});
afterEach(() => f.close());

describe('cleanUpEndedExecution', () => {
  it.each(['SUCCEEDED', 'RUNNING'])('leaves a %s execution alone', async (status) => {
    const result = await cleanUpEndedExecution(f.deps, { executionArn: EXECUTION_ID, status });

    expect(result).toEqual({ cleaned: false });
    expect(f.traffic.sets).toEqual([]);
    expect(await f.store.getLock('demo')).toBeDefined();
    expect(await f.audit()).toEqual([]);
  });

  it('does what the rollback path would have done for an ABORTED execution', async () => {
    await f.store.putExecutionValue(EXECUTION_ID, 'mute', {
      mode: 'mute-rule',
      ruleName: 'golive-demo-run-1',
      muted: ['demo-5xx-rate'],
      leftAlone: [],
      mutedAt: NOW.toISOString(),
      expiresAt: NOW.toISOString(),
    });

    const result = await cleanUpEndedExecution(f.deps, { executionArn: EXECUTION_ID, status: 'ABORTED' });

    expect(result).toEqual({ cleaned: true });
    expect(f.traffic.weights).toEqual({ blue: 100, green: 0 });
    expect(f.alerts.unmutes.map((r) => r.ruleName)).toEqual(['golive-demo-run-1']);
    expect(await f.store.getLock('demo')).toBeUndefined();
    expect(f.notifier.of('rolled-back').map((n) => n.text)).toEqual([
      '↩️ demo 2.0.0 rolled back after ExecutionAborted: ABORTED (requested by U_RELEASE_MANAGER).',
    ]);
    const rollbackPath = (await f.audit()).filter((r) => r.step !== 'Janitor');
    expect(rollbackPath.map((r) => `${r.step}:${r.outcome}`)).toEqual([
      'Rollback:succeeded',
      'UnmuteAfterRollback:succeeded',
      'ReleaseLockAfterRollback:succeeded',
      'NotifyRollback:succeeded',
    ]);
  });

  it('rolls back a TIMED_OUT execution as States.Timeout, expiring its pending sign-off', async () => {
    await f.store.createApproval(pendingApproval({ expiresAt: NOW.toISOString() }));

    await cleanUpEndedExecution(f.deps, { executionArn: EXECUTION_ID, status: 'TIMED_OUT', cause: 'ran 24 h' });

    const rollback = (await f.audit()).find((r) => r.step === 'Rollback');
    expect(rollback?.evidence).toMatchObject({ error: { Error: 'States.Timeout', Cause: 'ran 24 h' } });
    expect((await f.store.getApproval('apr-1'))?.status).toBe('expired');
  });

  it('leaves alone a FAILED execution whose rollback path completed (it holds nothing)', async () => {
    await f.store.releaseLock('demo', EXECUTION_ID);

    const result = await cleanUpEndedExecution(f.deps, {
      executionArn: EXECUTION_ID,
      status: 'FAILED',
      error: 'SmokeTestFailed',
    });

    expect(result).toEqual({ cleaned: false });
    expect(f.traffic.sets).toEqual([]);
    expect(f.notifier.notifications).toEqual([]);
    expect(await f.audit()).toEqual([]);
  });

  it('does nothing for an execution that never stored its request and plan (it failed validation)', async () => {
    const result = await cleanUpEndedExecution(f.deps, { executionArn: `${EXECUTION_ID}-x`, status: 'ABORTED' });

    expect(result).toEqual({ cleaned: false });
    expect(f.traffic.sets).toEqual([]);
    expect(await f.store.getLock('demo')).toBeDefined();
  });

  it('leaves traffic and the lock of another go-live alone when the ended one does not hold it', async () => {
    await f.store.releaseLock('demo', EXECUTION_ID);
    await holdLock(f.store, `${EXECUTION_ID}-next`);

    await cleanUpEndedExecution(f.deps, { executionArn: EXECUTION_ID, status: 'ABORTED' });

    expect(f.traffic.sets).toEqual([]);
    expect((await f.store.getLock('demo'))?.executionId).toBe(`${EXECUTION_ID}-next`);
  });
});
