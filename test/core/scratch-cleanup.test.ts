import type { Deps, NotificationEvent, RestoreHandle } from '../../lambdas/core/ports';
import type { GoLiveRequest, RolloutPlan } from '../../lambdas/core/request';
import type { RestoreState } from '../../lambdas/core/steps/backup';
import { cleanUpEndedExecution } from '../../lambdas/core/steps/janitor';
import { SCRATCH_LEFT_WARNING_MS, sweepLeftoverScratch } from '../../lambdas/core/steps/sweep';
import { rollbackTraffic } from '../../lambdas/core/steps/traffic';
import { createHandler as janitorHandler } from '../../lambdas/janitor';
import type { SqliteStore } from '../../local/providers/sqlite-store';
import { fakeDeps, type FakeDeps } from '../support/fake-deps';

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

let f: FakeDeps;
let store: SqliteStore;
/** What the backup provider was asked to delete. */
let cleanUps: RestoreHandle[];
let notifications: NotificationEvent[];
const deps = (): Deps => f.deps;

const restoreState = () => store.getExecutionValue<RestoreState>(executionArn, 'restore');
const rollbackRecords = async () => (await store.listAudit(executionArn)).filter((r) => r.step === 'Rollback');

beforeEach(async () => {
  f = fakeDeps();
  store = f.store;
  cleanUps = f.backup.cleanedUp;
  notifications = f.notifier.notifications;
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
afterEach(() => f.close());

describe('janitor', () => {
  it('deletes the scratch target of a restore in progress exactly once when the execution was ABORTED', async () => {
    await store.putExecutionValue(executionArn, 'restore', pending);

    const first = await cleanUpEndedExecution(deps(), { executionArn, status: 'ABORTED', cause: 'stopped' });
    // EventBridge delivers at least once: the same event again must not delete anything twice.
    const again = await cleanUpEndedExecution(deps(), { executionArn, status: 'ABORTED', cause: 'stopped' });

    expect([first, again]).toEqual([{ cleaned: true }, { cleaned: false }]);
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
    f.backup.cleanUpFails = new Error(
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
      'Janitor:info',
      'Rollback:succeeded',
      'UnmuteAfterRollback:succeeded',
      'ReleaseLockAfterRollback:succeeded',
      'NotifyRollback:succeeded',
    ]);
    expect(await store.getLock('orders')).toBeUndefined();
    // The release manager hears what is left and what to do about it.
    expect(notifications.find((n) => n.kind === 'rolled-back')?.text).toContain(
      '⚠️ Backup check: scratch NOT fully deleted: rds:DeleteDBInstance golive-scratch-orders-0123456789 refused while it is busy: InvalidDBInstanceStateFault (Instance is creating); delete golive-scratch-orders-0123456789 by hand. golive retries the deletion every 15 minutes and says here when it is gone.',
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

describe('janitor and sweep of a go-live stopped while StartRestore ran', () => {
  /** As StartRestore leaves it when its function is stopped right after the provider's call. */
  const writtenAhead: RestoreState = {
    ...pending,
    status: 'starting',
    attempt: 0,
    detail: 'restore into golive-scratch-orders-0123456789 starting',
    settlesAt: new Date(NOW.getTime() + 6 * 60_000).toISOString(),
  };

  it('deletes what exists, keeps it listed until StartRestore cannot be running, then the sweep confirms it', async () => {
    await store.putExecutionValue(executionArn, 'restore', writtenAhead);
    await store.markScratchLeft(executionArn, {
      service: 'orders',
      restoredTo: handle.restoredTo,
      at: NOW.toISOString(),
    });

    await cleanUpEndedExecution(deps(), { executionArn, status: 'ABORTED', cause: 'stopped' });
    f.executions.states.set(executionArn, { status: 'ABORTED' });
    const [rollback] = await rollbackRecords();
    const listedAfterRollback = await store.listScratchLeft();
    f.clock.at = new Date(NOW.getTime() + 15 * 60_000);
    const summary = await sweepLeftoverScratch(deps());

    expect(rollback.evidence).toMatchObject({ scratch: { deleted: false } });
    expect(rollback.summary).toContain(
      'scratch NOT confirmed deleted: nothing of golive-scratch-orders-0123456789 was left, but the StartRestore that started it may still be running until 2026-11-26T10:06:00.000Z',
    );
    expect(listedAfterRollback).toEqual([expect.objectContaining({ executionId: executionArn })]);
    expect(summary).toMatchObject({ deleted: 1, stillLeft: 0 });
    expect(cleanUps).toEqual([handle, handle]);
    expect((await restoreState())?.cleanedUp).toMatchObject({ deleted: true, by: 'Sweep' });
    expect(await store.listScratchLeft()).toEqual([]);
  });
});

describe('Rollback', () => {
  const event = {
    executionId: executionArn,
    request,
    plan,
    state: 'Rollback' as const,
    action: 'rollback' as const,
    error: { Error: 'SmokeTestFailed', Cause: 'green answers 500' },
  };

  it('deletes the scratch target even when the traffic rollback fails, and fails under the traffic error’s name', async () => {
    await store.putExecutionValue(executionArn, 'restore', pending);
    f.traffic.stuckAt = { blue: 50, green: 50 };

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

describe('sweep of scratch targets left behind', () => {
  const refused = new Error(
    'rds:DeleteDBInstance golive-scratch-orders-0123456789 refused while it is busy: InvalidDBInstanceStateFault (Instance is creating)',
  );
  const minutesLater = (minutes: number) => new Date(NOW.getTime() + minutes * 60_000);
  const sweepNotices = () => notifications.filter((n) => n.details?.sweep);

  /** The go-live was stopped mid-restore and AWS refused the janitor's deletion. */
  async function leftBehindByJanitor() {
    await store.putExecutionValue(executionArn, 'restore', pending);
    f.backup.cleanUpFails = refused;
    await cleanUpEndedExecution(deps(), { executionArn, status: 'ABORTED' });
    f.backup.cleanUpFails = undefined;
    cleanUps.length = 0;
    notifications.length = 0;
  }

  it('lists a refused deletion, keeping when it was first refused, and takes it off once a cleaner deletes it', async () => {
    await leftBehindByJanitor();
    const entry = {
      executionId: executionArn,
      service: 'orders',
      restoredTo: 'golive-scratch-orders-0123456789',
      since: NOW.toISOString(),
    };
    expect(await store.listScratchLeft()).toEqual([entry]);

    // Refused again later (the sweep): still listed, still since the first refusal.
    f.clock.at = minutesLater(5);
    f.backup.cleanUpFails = refused;
    await sweepLeftoverScratch(deps());
    expect(await store.listScratchLeft()).toEqual([entry]);

    f.backup.cleanUpFails = undefined;
    await sweepLeftoverScratch(deps());
    expect(await store.listScratchLeft()).toEqual([]);
  });

  it('deletes it, records the deletion by Sweep in the restore state, takes it off and tells the release channel, without touching the sealed audit chain', async () => {
    await leftBehindByJanitor();
    const sealed = await store.listAudit(executionArn);
    f.clock.at = minutesLater(15);

    const summary = await sweepLeftoverScratch(deps());

    expect(summary).toEqual({ swept: 1, deleted: 1, alreadyGone: 0, stillLeft: 0, inUse: 0 });
    expect(cleanUps).toEqual([handle]);
    expect((await restoreState())?.cleanedUp).toEqual({
      restoredTo: 'golive-scratch-orders-0123456789',
      deleted: true,
      detail: 'scratch deleted',
      by: 'Sweep',
      at: f.clock.at.toISOString(),
    });
    expect(await store.listScratchLeft()).toEqual([]);
    expect(notifications).toEqual([
      expect.objectContaining({
        kind: 'scratch',
        executionId: executionArn,
        service: 'orders',
        text: `🧹 Backup check scratch copy golive-scratch-orders-0123456789 of orders (go-live run-9) deleted by the sweeper; it was left behind since ${NOW.toISOString()}.`,
      }),
    ]);
    expect(await store.listAudit(executionArn)).toEqual(sealed);
    // Nothing left: the next sweep has nothing to do and says nothing.
    expect(await sweepLeftoverScratch(deps())).toEqual({
      swept: 0,
      deleted: 0,
      alreadyGone: 0,
      stillLeft: 0,
      inUse: 0,
    });
    expect(notifications).toHaveLength(1);
  });

  it('keeps a target AWS still refuses listed, and warns the release channel once when it has been left for more than a day', async () => {
    await leftBehindByJanitor();
    f.backup.cleanUpFails = refused;

    f.clock.at = minutesLater(15);
    expect(await sweepLeftoverScratch(deps())).toEqual({
      swept: 1,
      deleted: 0,
      alreadyGone: 0,
      stillLeft: 1,
      inUse: 0,
    });
    expect((await restoreState())?.cleanedUp).toMatchObject({
      deleted: false,
      by: 'Sweep',
      at: f.clock.at.toISOString(),
    });
    expect(await store.listScratchLeft()).toEqual([expect.objectContaining({ since: NOW.toISOString() })]);
    expect(sweepNotices()).toEqual([]);

    // Exactly a day is not more than a day.
    f.clock.at = new Date(NOW.getTime() + SCRATCH_LEFT_WARNING_MS);
    await sweepLeftoverScratch(deps());
    expect(sweepNotices()).toEqual([]);

    f.clock.at = new Date(NOW.getTime() + SCRATCH_LEFT_WARNING_MS + 15 * 60_000);
    await sweepLeftoverScratch(deps());
    const warnedAt = f.clock.at.toISOString();
    f.clock.at = new Date(f.clock.at.getTime() + 15 * 60_000);
    await sweepLeftoverScratch(deps());

    expect(sweepNotices()).toEqual([
      expect.objectContaining({
        kind: 'scratch',
        text: expect.stringMatching(
          /^⚠️ Backup check scratch copy golive-scratch-orders-0123456789 of orders \(go-live run-9\) still exists, left behind since 2026-11-26T10:00:00.000Z: scratch NOT fully deleted: rds:DeleteDBInstance .*InvalidDBInstanceStateFault/,
        ),
      }),
    ]);
    expect(await store.listScratchLeft()).toEqual([
      expect.objectContaining({ executionId: executionArn, since: NOW.toISOString(), warnedAt }),
    ]);
    expect(cleanUps).toHaveLength(4);
  });

  it('warns again on the next sweep when the warning could not be delivered', async () => {
    await leftBehindByJanitor();
    f.backup.cleanUpFails = refused;
    f.clock.at = new Date(NOW.getTime() + SCRATCH_LEFT_WARNING_MS + 60_000);
    const d = deps();
    const notify = d.notifier.notify;
    d.notifier.notify = async () => {
      throw new Error('Slack unavailable');
    };

    expect(await sweepLeftoverScratch(d)).toMatchObject({ stillLeft: 1 });
    expect((await store.listScratchLeft())[0]).not.toHaveProperty('warnedAt');

    d.notifier.notify = notify;
    await sweepLeftoverScratch(d);
    expect(sweepNotices()).toHaveLength(1);
  });

  /** This execution's scratch target and another one's, both left behind (the other since `otherSince`). */
  async function twoLeftovers(otherSince: Date) {
    const other = 'arn:aws:states:eu-west-1:1:execution:golive-go-live:run-10';
    const otherHandle = { ...handle, restoredTo: 'golive-scratch-orders-9876543210' };
    await store.putExecutionValue(executionArn, 'restore', pending);
    await store.putExecutionValue(other, 'restore', { ...pending, handle: otherHandle });
    await store.markScratchLeft(executionArn, {
      service: 'orders',
      restoredTo: handle.restoredTo,
      at: NOW.toISOString(),
    });
    await store.markScratchLeft(other, {
      service: 'orders',
      restoredTo: otherHandle.restoredTo,
      at: otherSince.toISOString(),
    });
    // Both go-lives ended, their rollback never reached the restore.
    f.executions.states.set(executionArn, { status: 'TIMED_OUT' });
    f.executions.states.set(other, { status: 'TIMED_OUT' });
    return { other, otherHandle };
  }

  it('goes on with the other targets when one fails', async () => {
    const { other, otherHandle } = await twoLeftovers(minutesLater(1));
    const d = deps();
    const getExecutionValue = store.getExecutionValue.bind(store);
    d.store.getExecutionValue = async <T>(id: string, key: string) => {
      if (id === executionArn) throw new Error('store unavailable');
      return getExecutionValue<T>(id, key);
    };

    const summary = await sweepLeftoverScratch(d);

    expect(summary).toEqual({ swept: 2, deleted: 1, alreadyGone: 0, stillLeft: 1, inUse: 0 });
    expect(cleanUps).toEqual([otherHandle]);
    expect((await store.listScratchLeft()).map((e) => e.executionId)).toEqual([executionArn]);
    expect(await getExecutionValue<RestoreState>(other, 'restore')).toMatchObject({
      cleanedUp: { deleted: true, by: 'Sweep' },
    });
  });

  it('goes on with the other targets when a clean-up throws, recording that one as not deleted', async () => {
    const { otherHandle } = await twoLeftovers(NOW);
    f.backup.cleanUpFailsFor.set(
      handle.restoredTo,
      new Error('AccessDenied: not authorized to perform rds:DeleteDBInstance'),
    );

    const summary = await sweepLeftoverScratch(deps());

    expect(summary).toEqual({ swept: 2, deleted: 1, alreadyGone: 0, stillLeft: 1, inUse: 0 });
    expect(cleanUps.map((h) => h.restoredTo).sort()).toEqual([handle.restoredTo, otherHandle.restoredTo].sort());
    expect((await restoreState())?.cleanedUp).toMatchObject({
      deleted: false,
      by: 'Sweep',
      detail: expect.stringContaining('AccessDenied'),
    });
    expect((await store.listScratchLeft()).map((e) => e.executionId)).toEqual([executionArn]);
  });

  it('only takes off the index an entry whose target is already deleted, or whose restore state is gone', async () => {
    const gone = 'arn:aws:states:eu-west-1:1:execution:golive-go-live:run-11';
    await store.putExecutionValue(executionArn, 'restore', {
      ...pending,
      cleanedUp: { restoredTo: handle.restoredTo, deleted: true, detail: 'scratch deleted', by: 'Rollback', at: '' },
    });
    await store.markScratchLeft(executionArn, {
      service: 'orders',
      restoredTo: handle.restoredTo,
      at: NOW.toISOString(),
    });
    await store.markScratchLeft(gone, { service: 'orders', restoredTo: 'golive-scratch-x', at: NOW.toISOString() });

    const summary = await sweepLeftoverScratch(deps());

    expect(summary).toEqual({ swept: 2, deleted: 0, alreadyGone: 2, stillLeft: 0, inUse: 0 });
    expect(cleanUps).toEqual([]);
    expect(notifications).toEqual([]);
    expect(await store.listScratchLeft()).toEqual([]);
    expect((await restoreState())?.cleanedUp).toMatchObject({ by: 'Rollback' });
  });
});

describe('janitor function', () => {
  const resolve = jest.fn(async () => deps());
  beforeEach(() => resolve.mockClear());

  it.each([
    ['the constant input of the schedule rule', { sweep: true }],
    [
      'an EventBridge Scheduled Event',
      { source: 'aws.events', 'detail-type': 'Scheduled Event', resources: ['arn:aws:events:::rule/x'], detail: {} },
    ],
  ])('sweeps on %s', async (_name, event) => {
    await store.putExecutionValue(executionArn, 'restore', pending);
    f.executions.states.set(executionArn, { status: 'ABORTED' });
    await store.markScratchLeft(executionArn, {
      service: 'orders',
      restoredTo: handle.restoredTo,
      at: NOW.toISOString(),
    });

    const result = await janitorHandler(resolve)(event);

    expect(result).toEqual({ swept: 1, deleted: 1, alreadyGone: 0, stillLeft: 0, inUse: 0 });
    expect(cleanUps).toEqual([handle]);
    // A sweep is not an ended execution: no rollback ran.
    expect(await rollbackRecords()).toEqual([]);
  });

  it('still cleans up after an execution status change', async () => {
    const result = await janitorHandler(resolve)({
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { executionArn, status: 'ABORTED', error: null, cause: null },
    });

    expect(result).toEqual({ cleaned: true });
    expect(await rollbackRecords()).toHaveLength(1);
  });

  it.each([
    ['nothing', undefined],
    ['an empty object', {}],
    ['a sweep that is not true', { sweep: 'yes' }],
    ['another kind of event', { source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }],
    ['a Scheduled Event from elsewhere', { source: 'my.app', 'detail-type': 'Scheduled Event', detail: {} }],
  ])('refuses %s, naming what it expects', async (_name, event) => {
    await expect(janitorHandler(resolve)(event)).rejects.toThrow(
      /^the janitor expects a "Step Functions Execution Status Change" event \(detail\.executionArn, detail\.status\), a sweep \(\{"sweep": true\}, or an EventBridge "Scheduled Event" from source aws\.events\) or \{"reconcile": true\}; got /,
    );
    expect(resolve).not.toHaveBeenCalled();
  });

  it('refuses a status change without its execution', async () => {
    await expect(
      janitorHandler(resolve)({
        'detail-type': 'Step Functions Execution Status Change',
        detail: { status: 'ABORTED' },
      }),
    ).rejects.toThrow('execution status change without detail.executionArn');
  });
});
