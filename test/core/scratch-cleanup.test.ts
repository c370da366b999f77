import type { Deps, NotificationEvent, RestoreHandle, Weights } from '../../lambdas/core/ports';
import type { GoLiveRequest, RolloutPlan } from '../../lambdas/core/request';
import type { RestoreState } from '../../lambdas/core/steps/backup';
import { cleanUpEndedExecution } from '../../lambdas/core/steps/janitor';
import { rollbackTraffic } from '../../lambdas/core/steps/traffic';
import { SqliteStore } from '../../lambdas/providers/local/sqlite-store';

const executionArn = 'arn:aws:states:eu-west-1:1:execution:golive-go-live:run-9';
const NOW = new Date('2026-11-26T10:00:00.000Z');
const request: GoLiveRequest = { service: 'orders', version: '2.4.0', strategy: 'canary', requestedBy: 'U_RM' };
const plan = { strategy: 'canary', stableSlot: 'blue', candidateSlot: 'green', steps: [10] } as RolloutPlan;
const handle: RestoreHandle = {
  kind: 'rds-snapshot',
  service: 'orders',
  recoveryPointId: 'snap-1',
  recoveryPointAt: '2026-11-26T03:00:00.000Z',
  restoredTo: 'golive-scratch-orders-0123456789',
  startedAt: '2026-11-26T09:58:00.000Z',
  detail: { instance: 'golive-scratch-orders-0123456789', engine: 'postgres' },
};
const pending: RestoreState = {
  handle,
  status: 'pending',
  attempt: 1,
  maxAttempts: 13,
  pollSeconds: 60,
  ageMinutes: 420,
  rpoMinutes: 1440,
  detail: 'instance golive-scratch-orders-0123456789: creating',
};

let store: SqliteStore;
let cleanUps: RestoreHandle[];
let cleanUpFails: Error | undefined;
let routerWeights: Weights | undefined;
let notifications: NotificationEvent[];

function deps(): Deps {
  return {
    store,
    traffic: {
      setWeights: async (_service: string, wanted: Weights) => routerWeights ?? wanted,
    },
    backup: {
      cleanUp: async (h: RestoreHandle) => {
        cleanUps.push(h);
        if (cleanUpFails) throw cleanUpFails;
        return true;
      },
    },
    notifier: {
      notify: async (n: NotificationEvent) => {
        notifications.push(n);
        return { delivered: true };
      },
    },
    now: () => NOW,
  } as unknown as Deps;
}

const restoreState = () => store.getExecutionValue<RestoreState>(executionArn, 'restore');
const rollbackRecords = async () => (await store.listAudit(executionArn)).filter((r) => r.step === 'Rollback');

beforeEach(async () => {
  store = new SqliteStore(':memory:');
  cleanUps = [];
  cleanUpFails = undefined;
  routerWeights = undefined;
  notifications = [];
  await store.putExecutionValue(executionArn, 'request', request);
  await store.putExecutionValue(executionArn, 'plan', plan);
  await store.acquireLock(
    {
      service: 'orders',
      executionId: executionArn,
      version: '2.4.0',
      requestedBy: 'U_RM',
      acquiredAt: NOW.toISOString(),
      expiresAt: new Date(NOW.getTime() + 3600_000).toISOString(),
    },
    NOW,
  );
});
afterEach(() => store.close());

describe('janitor', () => {
  it('deletes the scratch target of a restore in progress exactly once when the execution was ABORTED', async () => {
    await store.putExecutionValue(executionArn, 'restore', pending);

    const first = await cleanUpEndedExecution(deps(), { executionArn, status: 'ABORTED', cause: 'stopped' });
    // EventBridge delivers at least once: the same event again must not delete anything twice.
    const again = await cleanUpEndedExecution(deps(), { executionArn, status: 'ABORTED', cause: 'stopped' });

    expect([first, again]).toEqual([{ cleaned: true }, { cleaned: true }]);
    expect(cleanUps).toEqual([handle]);
    expect((await restoreState())?.cleanedUp).toEqual({
      restoredTo: 'golive-scratch-orders-0123456789',
      deleted: true,
      detail: 'scratch deleted',
      by: 'Rollback',
      at: NOW.toISOString(),
    });
    const [rollback] = await rollbackRecords();
    expect(rollback.evidence).toMatchObject({
      error: { Error: 'ExecutionAborted' },
      scratch: { restoredTo: 'golive-scratch-orders-0123456789', deleted: true },
    });
    expect(await store.getLock('orders')).toBeUndefined();
    // Nothing left behind, nothing to warn about.
    const told = notifications.filter((n) => n.kind === 'rolled-back').map((n) => n.text);
    expect(told.length).toBeGreaterThan(0);
    expect(told.filter((t) => t.includes('Backup check'))).toEqual([]);
  });

  it('records a scratch target AWS refused to delete and still unmutes, releases the lock and notifies', async () => {
    await store.putExecutionValue(executionArn, 'restore', pending);
    cleanUpFails = new Error(
      'rds:DeleteDBInstance golive-scratch-orders-0123456789 refused while it is busy: InvalidDBInstanceStateFault (Instance is creating)',
    );

    await cleanUpEndedExecution(deps(), { executionArn, status: 'TIMED_OUT' });

    const [rollback] = await rollbackRecords();
    expect(rollback.outcome).toBe('succeeded');
    expect(rollback.summary).toContain(
      'abandoned restore into golive-scratch-orders-0123456789: scratch NOT fully deleted: rds:DeleteDBInstance golive-scratch-orders-0123456789 refused while it is busy: InvalidDBInstanceStateFault (Instance is creating); delete golive-scratch-orders-0123456789 by hand',
    );
    expect(rollback.evidence).toMatchObject({ scratch: { deleted: false } });
    expect((await restoreState())?.cleanedUp).toMatchObject({ deleted: false, by: 'Rollback' });
    const steps = (await store.listAudit(executionArn)).map((r) => `${r.step}:${r.outcome}`);
    expect(steps).toEqual([
      'Rollback:succeeded',
      'UnmuteAfterRollback:succeeded',
      'ReleaseLockAfterRollback:succeeded',
      'NotifyRollback:succeeded',
    ]);
    expect(await store.getLock('orders')).toBeUndefined();
    // The release manager hears what is left and what to do about it.
    expect(notifications.find((n) => n.kind === 'rolled-back')?.text).toContain(
      '⚠️ Backup check: scratch NOT fully deleted: rds:DeleteDBInstance golive-scratch-orders-0123456789 refused while it is busy: InvalidDBInstanceStateFault (Instance is creating); delete golive-scratch-orders-0123456789 by hand.',
    );
  });

  it('tries again to delete a scratch target an earlier attempt could not delete', async () => {
    await store.putExecutionValue(executionArn, 'restore', {
      ...pending,
      cleanedUp: { restoredTo: handle.restoredTo, deleted: false, detail: 'refused', by: 'Rollback', at: '' },
    });

    await cleanUpEndedExecution(deps(), { executionArn, status: 'ABORTED' });

    expect(cleanUps).toEqual([handle]);
    expect((await restoreState())?.cleanedUp).toMatchObject({ deleted: true });
  });

  it('leaves alone a scratch target VerifyBackup already deleted', async () => {
    await store.putExecutionValue(executionArn, 'restore', {
      ...pending,
      status: 'ready',
      cleanedUp: {
        restoredTo: handle.restoredTo,
        deleted: true,
        detail: 'scratch deleted',
        by: 'VerifyBackup',
        at: '',
      },
    });

    await cleanUpEndedExecution(deps(), { executionArn, status: 'ABORTED' });

    expect(cleanUps).toEqual([]);
    const [rollback] = await rollbackRecords();
    expect(rollback.evidence).not.toHaveProperty('scratch');
  });
});

describe('Rollback', () => {
  const event = {
    executionId: executionArn,
    request,
    plan,
    action: 'rollback',
    error: { Error: 'SmokeTestFailed', Cause: 'green answers 500' },
  };

  it('deletes the scratch target even when the traffic rollback fails, and fails under the traffic error’s name', async () => {
    await store.putExecutionValue(executionArn, 'restore', pending);
    routerWeights = { blue: 50, green: 50 };

    const rollback = rollbackTraffic(deps(), event);

    await expect(rollback).rejects.toMatchObject({
      name: 'TrafficShiftFailed',
      message: expect.stringMatching(
        /^asked for blue 100% \/ green 0% but the router reports blue 50% \/ green 50%; abandoned restore into golive-scratch-orders-0123456789: scratch deleted$/,
      ),
      evidence: {
        wanted: { blue: 100, green: 0 },
        readBack: { blue: 50, green: 50 },
        scratch: { deleted: true },
      },
    });
    expect(cleanUps).toEqual([handle]);
    const [record] = await rollbackRecords();
    expect(record).toMatchObject({ outcome: 'failed', evidence: { scratch: { deleted: true } } });
  });

  it('deletes the scratch target of an execution that does not hold the lock, leaving traffic untouched', async () => {
    await store.releaseLock('orders', executionArn);
    await store.putExecutionValue(executionArn, 'restore', pending);

    const result = await rollbackTraffic(deps(), event);

    expect(result).toMatchObject({ skipped: true, scratch: { deleted: true } });
    expect(cleanUps).toEqual([handle]);
  });

  it('still rolls traffic back when the restore state cannot be read, and says the scratch was not checked', async () => {
    const d = deps();
    const getExecutionValue = store.getExecutionValue.bind(store);
    d.store.getExecutionValue = async <T>(id: string, key: string) => {
      if (key === 'restore') throw new Error('store unavailable');
      return getExecutionValue<T>(id, key);
    };

    const result = await rollbackTraffic(d, event);

    expect(result).toMatchObject({ skipped: false, scratch: { restoredTo: 'unknown', deleted: false } });
    const [record] = await rollbackRecords();
    expect(record.outcome).toBe('succeeded');
    expect(record.summary).toContain('scratch NOT checked: the restore state could not be read (store unavailable)');
  });

  it('changes nothing of its record when no restore was started', async () => {
    const result = await rollbackTraffic(deps(), event);

    expect(result).toEqual({ skipped: false, weights: { blue: 100, green: 0 } });
    expect(cleanUps).toEqual([]);
    const [record] = await rollbackRecords();
    expect(record.summary).toBe('traffic 100% back on blue (stable) after SmokeTestFailed');
  });
});
