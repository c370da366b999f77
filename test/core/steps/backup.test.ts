import { ProviderUnavailable } from '../../../lambdas/core/errors';
import type { RestoreHandle, Store } from '../../../lambdas/core/ports';
import {
  checkRestore,
  deleteAbandonedScratch,
  scratchName,
  startRestore,
  verifyBackup,
  type RestoreState,
} from '../../../lambdas/core/steps/backup';
import { EXECUTION_ID, fakeDeps, pendingRestore, stepPayload, type FakeDeps } from '../../support/fake-deps';

const handle: RestoreHandle = {
  kind: 'sqlite',
  service: 'demo',
  recoveryPointId: 'rp-1',
  recoveryPointAt: '2026-11-26T09:30:00.000Z',
  restoredTo: 'golive-scratch-demo-1',
  startedAt: '2026-11-26T09:50:00.000Z',
  detail: {},
};
const pending = pendingRestore(handle);

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

const restoreState = (executionId = EXECUTION_ID) => f.store.getExecutionValue<RestoreState>(executionId, 'restore');
/** A store that answers like f.store, except for the methods given. */
const storeWith = (methods: Partial<Store>): Store => Object.assign(Object.create(f.store) as Store, methods);

describe('startRestore (StartRestore)', () => {
  it('restores the latest recovery point into a scratch target named after the execution, and keeps its state', async () => {
    const view = await startRestore(f.deps, stepPayload('StartRestore'));

    expect(f.backup.started).toEqual([
      { service: 'demo', point: f.backup.point, scratchName: scratchName('demo', EXECUTION_ID) },
    ]);
    expect(view).toMatchObject({
      status: 'pending',
      attempt: 0,
      pollSeconds: 30,
      restoredTo: scratchName('demo', EXECUTION_ID),
    });
    expect(await restoreState()).toMatchObject({ ageMinutes: 30, rpoMinutes: 60, status: 'pending' });
  });

  it('refuses a recovery point older than the RPO with BackupVerificationFailed, starting no restore', async () => {
    f.backup.point = { id: 'rp-old', at: '2026-11-26T08:59:00.000Z' };

    await expect(startRestore(f.deps, stepPayload('StartRestore'))).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining('is 61 min old, beyond the RPO of 60 min'),
    });
    expect(f.backup.started).toEqual([]);
  });
});

describe('verifyBackup (VerifyBackup)', () => {
  it('validates the ready restore and records its scratch target as deleted by VerifyBackup', async () => {
    await f.store.putExecutionValue(EXECUTION_ID, 'restore', { ...pending, status: 'ready' });

    const evidence = await verifyBackup(f.deps, stepPayload('VerifyBackup'));

    expect(evidence).toMatchObject({ ok: true, ageMinutes: 5, rpoMinutes: 60, checks: 1 });
    expect(f.backup.validated).toEqual([handle]);
    expect((await restoreState())?.cleanedUp).toMatchObject({ deleted: true, by: 'VerifyBackup' });
  });

  it('fails with BackupVerificationFailed naming the tables that do not match', async () => {
    await f.store.putExecutionValue(EXECUTION_ID, 'restore', { ...pending, status: 'ready' });
    const validate = f.backup.validateAndCleanUp.bind(f.backup);
    f.backup.validateAndCleanUp = async (h) => ({
      ...(await validate(h)),
      ok: false,
      tables: [{ name: 'orders', expectedRows: 3, restoredRows: 2, match: false }],
    });

    await expect(verifyBackup(f.deps, stepPayload('VerifyBackup'))).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining('mismatching tables: orders (2/3 rows)'),
    });
  });

  it('abandons a restore still pending when the checks ran out: scratch deleted, BackupVerificationFailed', async () => {
    await f.store.putExecutionValue(EXECUTION_ID, 'restore', pending);

    await expect(verifyBackup(f.deps, stepPayload('VerifyBackup'))).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining('was not ready after 1 check(s)'),
    });
    expect(f.backup.cleanedUp).toEqual([handle]);
    expect(f.backup.validated).toEqual([]);
  });
});

describe('CheckRestore when the restore cannot go on', () => {
  beforeEach(async () => {
    await f.store.putExecutionValue(EXECUTION_ID, 'restore', pending);
  });

  it('deletes the scratch target and fails with GoLiveAborted when an abort was requested', async () => {
    await f.store.putExecutionValue(EXECUTION_ID, 'abort', { by: 'U_RM', reason: 'wrong build' });
    f.backup.checkRestore = async () => ({ status: 'pending', handle, detail: '' });

    await expect(checkRestore(f.deps, stepPayload('CheckRestore'))).rejects.toMatchObject({
      name: 'GoLiveAborted',
      message: expect.stringContaining('restore abandoned, scratch deleted'),
    });
    expect(f.backup.cleanedUp).toEqual([handle]);
    expect((await f.audit()).at(-1)).toMatchObject({ step: 'CheckRestore', outcome: 'failed' });
    // Marked, so the rollback that follows does not delete it again.
    expect((await restoreState())?.cleanedUp).toMatchObject({
      restoredTo: 'golive-scratch-demo-1',
      deleted: true,
      by: 'CheckRestore',
    });
  });

  it('keeps the real failure when the store cannot record the clean-up', async () => {
    f.backup.checkRestore = async () => {
      throw new Error('RestoreTableToPointInTime failed: table limit reached');
    };
    const put = f.store.putExecutionValue.bind(f.store);
    const store = storeWith({
      putExecutionValue: async (id, key, value) => {
        if (key === 'restore') throw new Error('ProvisionedThroughputExceededException');
        return put(id, key, value);
      },
    });

    await expect(checkRestore({ ...f.deps, store }, stepPayload('CheckRestore'))).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining('table limit reached'),
    });
    expect(f.backup.cleanedUp).toEqual([handle]);
  });

  it('deletes the scratch target and fails with BackupVerificationFailed when the restore itself failed', async () => {
    f.backup.checkRestore = async () => {
      throw new Error('RestoreTableToPointInTime failed: table limit reached');
    };

    await expect(checkRestore(f.deps, stepPayload('CheckRestore'))).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining('table limit reached'),
    });
    expect(f.backup.cleanedUp).toEqual([handle]);
    expect((await restoreState())?.cleanedUp).toMatchObject({ deleted: true, by: 'CheckRestore' });
  });

  it('says what is left, and marks it not deleted, when the scratch target cannot be deleted', async () => {
    f.backup.checkRestore = async () => {
      throw new Error('restore failed');
    };
    f.backup.cleanUpFails = new Error('dynamodb:DeleteTable golive-scratch-demo-1 refused while it is busy');

    await expect(checkRestore(f.deps, stepPayload('CheckRestore'))).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining(
        'scratch NOT fully deleted: dynamodb:DeleteTable golive-scratch-demo-1 refused while it is busy; delete golive-scratch-demo-1 by hand',
      ),
    });
    expect((await restoreState())?.cleanedUp).toMatchObject({ deleted: false });
  });

  it('leaves a transient provider fault to the ASL retry, deleting nothing', async () => {
    f.backup.checkRestore = async () => {
      throw new ProviderUnavailable('throttled');
    };

    await expect(checkRestore(f.deps, stepPayload('CheckRestore'))).rejects.toMatchObject({
      name: 'ProviderUnavailable',
    });
    expect(f.backup.cleanedUp).toEqual([]);
  });

  describe('a restore step still running when the rollback or the janitor cleans up', () => {
    it('StartRestore that stores its restore after the janitor looked deletes the scratch target itself', async () => {
      const fresh = `${EXECUTION_ID}-2`;
      // The janitor found nothing to delete: StartRestore had not stored its restore yet.
      const before = await deleteAbandonedScratch(f.deps, fresh, 'Rollback');
      f.backup.startRestore = async () => ({ handle, pollSeconds: 30 });

      await expect(startRestore(f.deps, stepPayload('StartRestore', { executionId: fresh }))).rejects.toMatchObject({
        name: 'BackupVerificationFailed',
        message: expect.stringContaining('Rollback began cleaning up this go-live while StartRestore ran'),
      });
      expect(before).toBeUndefined();
      expect(f.backup.cleanedUp).toEqual([handle]);
      expect((await restoreState(fresh))?.cleanedUp).toMatchObject({ deleted: true, by: 'StartRestore' });
    });

    it('CheckRestore that rewrites the restore after the janitor deleted it keeps it recorded as deleted', async () => {
      f.backup.checkRestore = async () => ({ status: 'pending', handle, detail: 'CREATING' });
      // The janitor deletes the scratch target while a status check is in flight...
      await deleteAbandonedScratch(f.deps, EXECUTION_ID, 'Rollback');
      expect((await restoreState())?.cleanedUp?.deleted).toBe(true);
      // ...which then writes the state it read before, without the clean-up.
      const get = f.store.getExecutionValue.bind(f.store);
      const stale = storeWith({
        getExecutionValue: async <T>(id: string, key: string) => (key === 'restore' ? (pending as T) : get<T>(id, key)),
      });

      await expect(checkRestore({ ...f.deps, store: stale }, stepPayload('CheckRestore'))).rejects.toMatchObject({
        name: 'BackupVerificationFailed',
      });
      expect((await restoreState())?.cleanedUp).toMatchObject({ deleted: true, by: 'CheckRestore' });
    });
  });
});

it('names scratch targets every backend accepts, unique per execution', () => {
  const name = scratchName('Demo_Service.v2', EXECUTION_ID);

  expect(name).toMatch(/^golive-scratch-demo-service-v2-[0-9a-f]{10}$/);
  expect(scratchName('Demo_Service.v2', `${EXECUTION_ID}-2`)).not.toBe(name);
});
