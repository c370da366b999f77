import type { RestoreState } from '../../../lambdas/core/steps/backup';
import { SCRATCH_LEFT_WARNING_MS, sweepLeftoverScratch } from '../../../lambdas/core/steps/sweep';
import { EXECUTION_ID, fakeDeps, NOW, pendingRestore, type FakeDeps } from '../../support/fake-deps';

const OLDER = `${EXECUTION_ID}-older`;

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

/** A restore of `executionId` whose scratch target was left behind since `since` (its go-live ended). */
async function leftBehind(executionId: string, since: Date, fields: Partial<RestoreState> = {}): Promise<RestoreState> {
  const restoredTo = `golive-scratch-demo-${executionId.slice(-5)}`;
  const state = { ...pendingRestore(f.backup.handle('demo', f.backup.point, restoredTo)), ...fields };
  await f.store.putExecutionValue(executionId, 'restore', state);
  await f.store.markScratchLeft(executionId, { service: 'demo', restoredTo, at: since.toISOString() });
  f.executions.states.set(executionId, { status: 'FAILED', error: 'SmokeTestFailed' });
  return state;
}

describe('sweepLeftoverScratch', () => {
  it('does nothing and says nothing when nothing was left behind', async () => {
    expect(await sweepLeftoverScratch(f.deps)).toEqual({
      swept: 0,
      deleted: 0,
      alreadyGone: 0,
      stillLeft: 0,
      inUse: 0,
    });
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

  describe('a target StartRestore listed before starting its restore (write-ahead)', () => {
    /** As StartRestore leaves it when its function dies right after the provider's call. */
    const writtenAhead = (settlesAt: Date): Partial<RestoreState> => ({
      status: 'starting',
      attempt: 0,
      settlesAt: settlesAt.toISOString(),
    });

    it('is left to its go-live while that still runs and no cleaner has looked at it', async () => {
      await leftBehind(EXECUTION_ID, NOW, writtenAhead(NOW));
      f.executions.states.set(EXECUTION_ID, { status: 'RUNNING' });

      const summary = await sweepLeftoverScratch(f.deps);

      expect(summary).toEqual({ swept: 1, deleted: 0, alreadyGone: 0, stillLeft: 0, inUse: 1 });
      expect(f.backup.cleanedUp).toEqual([]);
      expect(await f.store.listScratchLeft()).toHaveLength(1);
    });

    it('is deleted once its go-live ended and the StartRestore can no longer be running', async () => {
      const state = await leftBehind(EXECUTION_ID, NOW, writtenAhead(NOW));
      f.clock.advance(15 * 60_000);

      const summary = await sweepLeftoverScratch(f.deps);

      expect(summary).toMatchObject({ deleted: 1, inUse: 0 });
      expect(f.backup.cleanedUp).toEqual([state.handle]);
      expect(await f.store.listScratchLeft()).toEqual([]);
      expect(f.notifier.of('scratch').map((n) => n.text)).toEqual([
        expect.stringMatching(/whose restore was never confirmed started, deleted \(or never created\) by the sweeper/),
      ]);
    });

    it('stays listed while the StartRestore that wrote it may still be running, even if its go-live ended', async () => {
      await leftBehind(EXECUTION_ID, NOW, writtenAhead(new Date(NOW.getTime() + 5 * 60_000)));

      const summary = await sweepLeftoverScratch(f.deps);

      expect(summary).toMatchObject({ deleted: 0, stillLeft: 1 });
      expect(f.backup.cleanedUp).toHaveLength(1);
      expect(await f.store.listScratchLeft()).toHaveLength(1);
    });

    it('is deleted when its execution is unknown (its history expired)', async () => {
      await leftBehind(EXECUTION_ID, NOW, writtenAhead(NOW));
      f.executions.gone.add(EXECUTION_ID);
      f.clock.advance(60_000);

      expect(await sweepLeftoverScratch(f.deps)).toMatchObject({ deleted: 1 });
    });

    it('stays listed when the execution cannot be described', async () => {
      await leftBehind(EXECUTION_ID, NOW, writtenAhead(NOW));
      f.executions.describe = async () => {
        throw new Error('ThrottlingException');
      };

      expect(await sweepLeftoverScratch(f.deps)).toMatchObject({ deleted: 0, stillLeft: 1 });
      expect(f.backup.cleanedUp).toEqual([]);
    });
  });
});
