import type { RestoreState } from '../../../lambdas/core/steps/backup';
import { SCRATCH_LEFT_WARNING_MS, sweepLeftoverScratch } from '../../../lambdas/core/steps/sweep';
import { EXECUTION_ID, fakeDeps, NOW, pendingRestore, type FakeDeps } from '../../support/fake-deps';

const OLDER = `${EXECUTION_ID}-older`;

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

/** A restore of `executionId` whose scratch target was left behind since `since`. */
async function leftBehind(executionId: string, since: Date): Promise<RestoreState> {
  const restoredTo = `golive-scratch-demo-${executionId.slice(-5)}`;
  const state = pendingRestore(f.backup.handle('demo', f.backup.point, restoredTo));
  await f.store.putExecutionValue(executionId, 'restore', state);
  await f.store.markScratchLeft(executionId, { service: 'demo', restoredTo, at: since.toISOString() });
  return state;
}

describe('sweepLeftoverScratch', () => {
  it('does nothing and says nothing when nothing was left behind', async () => {
    expect(await sweepLeftoverScratch(f.deps)).toEqual({ swept: 0, deleted: 0, alreadyGone: 0, stillLeft: 0 });
    expect(f.backup.cleanedUp).toEqual([]);
    expect(f.notifier.notifications).toEqual([]);
  });

  it('works through the index oldest first', async () => {
    const newer = await leftBehind(EXECUTION_ID, NOW);
    const older = await leftBehind(OLDER, new Date(NOW.getTime() - 60_000));

    await sweepLeftoverScratch(f.deps);

    expect(f.backup.cleanedUp).toEqual([older.handle, newer.handle]);
  });

  it('keeps the warning for the next sweep when Slack did not deliver it', async () => {
    await leftBehind(EXECUTION_ID, NOW);
    f.backup.cleanUpFails = new Error('InvalidDBInstanceStateFault');
    f.clock.advance(SCRATCH_LEFT_WARNING_MS + 60_000);
    f.notifier.notify = async () => ({ delivered: false });

    expect(await sweepLeftoverScratch(f.deps)).toMatchObject({ stillLeft: 1 });
    expect((await f.store.listScratchLeft())[0]).not.toHaveProperty('warnedAt');
  });

  it('does not warn about a target left for less than a day', async () => {
    await leftBehind(EXECUTION_ID, NOW);
    f.backup.cleanUpFails = new Error('InvalidDBInstanceStateFault');
    f.clock.advance(SCRATCH_LEFT_WARNING_MS - 60_000);

    await sweepLeftoverScratch(f.deps);

    expect(f.notifier.of('scratch')).toEqual([]);
    expect(f.backup.cleanedUp).toHaveLength(1);
  });
});
