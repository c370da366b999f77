import type { ExecutionStatusChange } from '../../lambdas/core/execution-event';
import type { MuteRecord } from '../../lambdas/core/ports';
import type { RolloutPlan } from '../../lambdas/core/request';
import { muteAlerts, unmuteAlerts } from '../../lambdas/core/steps/alerts';
import { cleanUpEndedExecution, JANITOR_ACTOR } from '../../lambdas/core/steps/janitor';
import { acquire, release } from '../../lambdas/core/steps/lock';
import { notify } from '../../lambdas/core/steps/notify';
import { rollbackTraffic, shiftTraffic } from '../../lambdas/core/steps/traffic';
import { approvedSignOff, EXECUTION_ID, fakeDeps, holdLock, stepPayload, type FakeDeps } from '../support/fake-deps';

const OTHER = 'arn:aws:states:eu-west-1:123456789012:execution:golive-go-live:run-0';
/** What Step Functions reports when a state's output is over 256 KiB: States.ALL does not catch it. */
const DATA_LIMIT: ExecutionStatusChange = {
  executionArn: EXECUTION_ID,
  status: 'FAILED',
  error: 'States.DataLimitExceeded',
  cause: 'The state/task returned a result with a size exceeding the maximum number of bytes service limit.',
};

let f: FakeDeps;
let plan: RolloutPlan;
let mute: MuteRecord;

/** A go-live that took the lock, muted its alarms and shifted half the traffic, as its steps do it. */
beforeEach(async () => {
  f = fakeDeps();
  ({ plan } = await acquire(f.deps, stepPayload('ValidateAndLock')));
  mute = await muteAlerts(f.deps, stepPayload('MuteAlerts', { plan }));
  await shiftTraffic(f.deps, stepPayload('ShiftTraffic', { plan, weight: 50 }));
});
afterEach(() => f.close());

/** What the rollback path (its Catch) does before the execution ends FAILED with the first error. */
async function rollbackPathCompleted(): Promise<void> {
  await rollbackTraffic(f.deps, stepPayload('Rollback', { plan }));
  await unmuteAlerts(f.deps, stepPayload('UnmuteAfterRollback', { plan }));
  await release(f.deps, stepPayload('ReleaseLockAfterRollback', { plan }));
  await notify(f.deps, stepPayload('NotifyRollback', { plan }));
}

const steps = async () => (await f.audit()).map((r) => `${r.step}:${r.outcome}`);

/** What a clean-up changes: the audit trail, the lock, traffic, alerts and notifications. */
const observed = async () => ({
  audit: await f.audit(),
  lock: await f.store.getLock('demo'),
  trafficCalls: f.traffic.calls.length,
  unmutes: f.alerts.unmutes.length,
  notifications: [...f.notifier.notifications],
});

/** The janitor, given `ended`, cleans nothing and changes nothing. */
async function expectLeftAlone(ended: ExecutionStatusChange): Promise<void> {
  const before = await observed();

  const result = await cleanUpEndedExecution(f.deps, ended);

  expect(result).toEqual({ cleaned: false });
  expect(await observed()).toEqual(before);
}

describe('cleanUpEndedExecution (janitor) for FAILED executions', () => {
  it('rolls back a FAILED execution that still holds its lock, and records that the janitor did it', async () => {
    const before = (await f.audit()).length;

    const result = await cleanUpEndedExecution(f.deps, DATA_LIMIT);

    expect(result).toEqual({ cleaned: true });
    expect(f.traffic.weights).toEqual({ blue: 100, green: 0 });
    expect(f.alerts.unmutes).toEqual([mute]);
    expect(await f.store.getLock('demo')).toBeUndefined();
    expect(f.notifier.of('rolled-back')).toEqual([
      expect.objectContaining({ text: expect.stringContaining('rolled back after States.DataLimitExceeded') }),
    ]);
    expect((await steps()).slice(before)).toEqual([
      'Janitor:info',
      'Rollback:succeeded',
      'UnmuteAfterRollback:succeeded',
      'ReleaseLockAfterRollback:succeeded',
      'NotifyRollback:succeeded',
    ]);
    const [janitor] = (await f.audit()).slice(before);
    expect(janitor).toMatchObject({
      actor: JANITOR_ACTOR,
      summary: expect.stringContaining('ended FAILED (States.DataLimitExceeded) outside its rollback path'),
      evidence: { status: 'FAILED', error: 'States.DataLimitExceeded', leftBehind: ['the lock on demo'] },
    });
  });

  it('restores the alerts of a FAILED execution whose lock another go-live took since, leaving that go-live alone', async () => {
    await f.store.releaseLock('demo', EXECUTION_ID);
    await holdLock(f.store, OTHER);
    const trafficCalls = f.traffic.calls.length;

    const result = await cleanUpEndedExecution(f.deps, DATA_LIMIT);

    expect(result).toEqual({ cleaned: true });
    expect(f.alerts.unmutes).toEqual([mute]);
    expect(f.traffic.calls.slice(trafficCalls)).toEqual([]);
    expect((await f.store.getLock('demo'))?.executionId).toBe(OTHER);
    expect(f.notifier.of('rolled-back')).toHaveLength(1);
    expect((await f.audit()).find((r) => r.step === 'Janitor')?.evidence).toMatchObject({
      leftBehind: ['1 muted alarm(s)'],
    });
  });

  it('leaves a RollbackFailed execution alone: its lock stays held for a human, nothing is announced again', async () => {
    await expectLeftAlone({
      executionArn: EXECUTION_ID,
      status: 'FAILED',
      error: 'RollbackFailed',
      cause: 'The rollback did not complete',
    });

    expect((await f.store.getLock('demo'))?.executionId).toBe(EXECUTION_ID);
    expect(f.alerts.unmutes).toEqual([]);
  });

  it('does nothing for a FAILED execution whose rollback path completed: no second notification', async () => {
    await rollbackPathCompleted();

    await expectLeftAlone({
      executionArn: EXECUTION_ID,
      status: 'FAILED',
      error: 'SmokeTestFailed',
      cause: 'green answers 500',
    });

    expect(f.notifier.of('rolled-back')).toHaveLength(1);
  });

  it('does nothing for a FAILED execution that never took the lock (refused by ValidateAndLock)', async () => {
    await expectLeftAlone({ executionArn: OTHER, status: 'FAILED', error: 'LockHeld' });

    expect(await f.audit(OTHER)).toEqual([]);
  });
});

describe('cleanUpEndedExecution (janitor) on a redelivered event', () => {
  it.each<ExecutionStatusChange>([
    DATA_LIMIT,
    { executionArn: EXECUTION_ID, status: 'ABORTED', error: 'Manual', cause: 'operator pressed stop' },
    { executionArn: EXECUTION_ID, status: 'TIMED_OUT' },
  ])('does nothing the second time an execution ended $status is delivered', async (ended) => {
    expect(await cleanUpEndedExecution(f.deps, ended)).toEqual({ cleaned: true });

    await expectLeftAlone(ended);

    expect(f.notifier.of('rolled-back')).toHaveLength(1);
    expect(f.alerts.unmutes).toHaveLength(1);
  });

  it('finishes a clean-up that failed half-way when the event is retried, recording the janitor once', async () => {
    f.notifier.fails = new Error('Slack is down');
    await expect(cleanUpEndedExecution(f.deps, DATA_LIMIT)).rejects.toThrow('Slack is down');
    expect(await f.store.getLock('demo')).toBeUndefined();
    f.notifier.fails = undefined;

    const retried = await cleanUpEndedExecution(f.deps, DATA_LIMIT);

    expect(retried).toEqual({ cleaned: true });
    expect(f.notifier.of('rolled-back')).toHaveLength(1);
    expect((await f.audit()).filter((r) => r.actor === JANITOR_ACTOR)).toHaveLength(1);
    expect(await cleanUpEndedExecution(f.deps, DATA_LIMIT)).toEqual({ cleaned: false });
  });
});

describe('cleanUpEndedExecution (janitor) for an execution stopped after its work was done', () => {
  const aborted: ExecutionStatusChange = { executionArn: EXECUTION_ID, status: 'ABORTED', cause: 'stopped' };

  it('never reports a go-live stopped while announcing its success as rolled back', async () => {
    await approvedSignOff(f.store);
    await shiftTraffic(f.deps, stepPayload('Promote', { plan }));
    await unmuteAlerts(f.deps, stepPayload('UnmuteAlerts', { plan }));
    await release(f.deps, stepPayload('ReleaseLock', { plan }));

    await expectLeftAlone(aborted);
    expect(f.traffic.weights).toEqual({ blue: 0, green: 100 });
    expect((await f.store.getLiveVersion('demo'))?.version).toBe('2.0.0');
  });

  it('announces, once, a rollback that was stopped before it could say so', async () => {
    await rollbackTraffic(f.deps, stepPayload('Rollback', { plan }));
    await unmuteAlerts(f.deps, stepPayload('UnmuteAfterRollback', { plan }));
    await release(f.deps, stepPayload('ReleaseLockAfterRollback', { plan }));

    const first = await cleanUpEndedExecution(f.deps, aborted);
    const again = await cleanUpEndedExecution(f.deps, aborted);

    expect([first, again]).toEqual([{ cleaned: false }, { cleaned: false }]);
    expect(f.notifier.of('rolled-back')).toHaveLength(1);
    expect((await steps()).filter((s) => s.startsWith('Rollback'))).toEqual(['Rollback:succeeded']);
  });
});
