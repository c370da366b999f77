import { BackupVerificationFailed, ProviderUnavailable } from '../../../lambdas/core/errors';
import type { RestoreHandle, ScratchLeft, Store } from '../../../lambdas/core/ports';
import { RESTORE_BUDGETS } from '../../../lambdas/core/workflow/budget';
import {
  checkRestore,
  deleteAbandonedScratch,
  scratchName,
  startRestore,
  verifyBackup,
  type RestoreState,
} from '../../../lambdas/core/steps/backup';
import { EXECUTION_ID, fakeDeps, NOW, pendingRestore, stepPayload, type FakeDeps } from '../../support/fake-deps';

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

describe('startRestore: write-ahead and retries', () => {
  const scratch = scratchName('demo', EXECUTION_ID);

  it('records the scratch target, in the restore state and the sweep index, before the provider is called', async () => {
    let seen: { state?: RestoreState; listed: ScratchLeft[] } | undefined;
    const start = f.backup.startRestore.bind(f.backup);
    f.backup.startRestore = async (...args) => {
      seen = { state: await restoreState(), listed: await f.store.listScratchLeft() };
      return start(...args);
    };

    await startRestore(f.deps, stepPayload('StartRestore'));

    expect(seen?.state).toMatchObject({
      status: 'starting',
      handle: { restoredTo: scratch, recoveryPointId: 'rp-1' },
      settlesAt: new Date(NOW.getTime() + 360_000).toISOString(),
    });
    expect(seen?.listed).toEqual([
      { executionId: EXECUTION_ID, service: 'demo', restoredTo: scratch, since: NOW.toISOString() },
    ]);
    // Once started, the state says so; the index keeps it until a clean-up deletes it.
    expect(await restoreState()).toMatchObject({ status: 'pending' });
    expect(await restoreState()).not.toHaveProperty('settlesAt');
    expect(await f.store.listScratchLeft()).toHaveLength(1);
  });

  it('restores the same recovery point into the same name when retried, and reports an adopted target', async () => {
    f.backup.startRestore = async () => {
      throw new ProviderUnavailable('dynamodb:RestoreTableToPointInTime: InternalServerError; retried');
    };
    await expect(startRestore(f.deps, stepPayload('StartRestore'))).rejects.toMatchObject({
      name: 'ProviderUnavailable',
    });
    // By the retry, a newer recovery point exists and the first one has aged past the RPO.
    f.backup.point = { id: 'rp-2', at: '2026-11-26T09:59:00.000Z' };
    f.clock.advance(60 * 60_000);
    const calls: unknown[][] = [];
    f.backup.startRestore = async (service, point, name) => {
      calls.push([service, point, name]);
      return { handle: f.backup.handle(service, point, name), pollSeconds: 30, adopted: true };
    };

    const view = await startRestore(f.deps, stepPayload('StartRestore'));

    expect(calls).toEqual([['demo', { id: 'rp-1', at: '2026-11-26T09:30:00.000Z' }, scratch]]);
    expect(view).toMatchObject({ status: 'pending', restoredTo: scratch, recoveryPointId: 'rp-1' });
    expect(await restoreState()).toMatchObject({
      ageMinutes: 30,
      detail: 'restore adopted (an earlier attempt started it)',
    });
    expect((await f.audit()).map((r) => [r.step, r.outcome])).toEqual([
      ['StartRestore', 'failed'],
      ['StartRestore', 'succeeded'],
    ]);
    expect((await f.audit()).at(-1)?.summary).toContain('adopted the restore an earlier attempt started of rp-1');
  });

  it('settles the write-ahead record when the call fails: the rollback then deletes what it left, for good', async () => {
    f.backup.startRestore = async () => {
      throw new Error('InvalidParameterValue');
    };
    await expect(startRestore(f.deps, stepPayload('StartRestore'))).rejects.toThrow('InvalidParameterValue');

    const cleaned = await deleteAbandonedScratch(f.deps, EXECUTION_ID, 'Rollback');

    expect(cleaned).toMatchObject({ restoredTo: scratch, deleted: true, detail: 'scratch deleted' });
    expect(f.backup.cleanedUp.map((h) => h.restoredTo)).toEqual([scratch]);
    expect(await f.store.listScratchLeft()).toEqual([]);
  });

  it('keeps a target listed when the function died right after the call: the rollback cannot know it is gone yet', async () => {
    // The provider's call went through; the function died before it wrote the outcome.
    const put = f.store.putExecutionValue.bind(f.store);
    const store = storeWith({
      putExecutionValue: async (id, key, value) => {
        if (key === 'restore' && (value as RestoreState).status === 'pending') throw new Error('Task timed out');
        return put(id, key, value);
      },
    });
    await expect(startRestore({ ...f.deps, store }, stepPayload('StartRestore'))).rejects.toThrow('Task timed out');

    const cleaned = await deleteAbandonedScratch(f.deps, EXECUTION_ID, 'Rollback');

    // The rollback deletes it, but a StartRestore still running could create it after this look.
    expect(f.backup.cleanedUp.map((h) => h.restoredTo)).toEqual([scratch]);
    expect(cleaned).toMatchObject({
      deleted: false,
      detail: expect.stringContaining('may still be running until 2026-11-26T10:06:00.000Z'),
    });
    expect(await f.store.listScratchLeft()).toEqual([expect.objectContaining({ restoredTo: scratch })]);
  });

  it('never deletes a target of that name that is not golive’s: the record is closed, nothing is listed', async () => {
    f.backup.startRestore = async () => {
      throw new BackupVerificationFailed(`DynamoDB table ${scratch} already exists and is not this go-live's restore`, {
        evidence: { scratchTaken: scratch },
      });
    };

    await expect(startRestore(f.deps, stepPayload('StartRestore'))).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
    });
    const cleaned = await deleteAbandonedScratch(f.deps, EXECUTION_ID, 'Rollback');

    expect(cleaned).toBeUndefined();
    expect(f.backup.cleanedUp).toEqual([]);
    expect(await restoreState()).toMatchObject({
      handle: { leaveAlone: [scratch] },
      cleanedUp: { deleted: true, detail: `nothing to delete: ${scratch} is not golive's and was left alone` },
    });
    expect(await f.store.listScratchLeft()).toEqual([]);
  });

  it('returns the restore an earlier attempt started and recorded, starting nothing again', async () => {
    await startRestore(f.deps, stepPayload('StartRestore'));

    const again = await startRestore(f.deps, stepPayload('StartRestore'));

    expect(f.backup.started).toHaveLength(1);
    expect(again).toMatchObject({ status: 'pending', restoredTo: scratch });
  });

  it('sizes its checks to the budget of the service’s backup kind', async () => {
    f.backup.pollSeconds = 0;

    const view = await startRestore(f.deps, stepPayload('StartRestore'));

    // The demo's SQLite budget (900 s), each check costing 5 s on top of its wait.
    expect(view.maxAttempts).toBe(RESTORE_BUDGETS.sqlite.seconds / 5);
    expect(await restoreState()).toMatchObject({ budgetSeconds: RESTORE_BUDGETS.sqlite.seconds });
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
      message: expect.stringContaining('was not ready after 1 check(s) (900 s budget for a local SQLite backup;'),
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
    it('StartRestore after the janitor looked starts nothing, and deletes what an earlier attempt created', async () => {
      const fresh = `${EXECUTION_ID}-2`;
      // The janitor found nothing to delete: StartRestore had not written anything yet.
      const before = await deleteAbandonedScratch(f.deps, fresh, 'Rollback');

      await expect(startRestore(f.deps, stepPayload('StartRestore', { executionId: fresh }))).rejects.toMatchObject({
        name: 'BackupVerificationFailed',
        message: expect.stringContaining('Rollback began cleaning up this go-live while StartRestore ran'),
      });
      expect(before).toBeUndefined();
      expect(f.backup.started).toEqual([]);
      expect(f.backup.cleanedUp.map((h) => h.restoredTo)).toEqual([scratchName('demo', fresh)]);
      expect((await restoreState(fresh))?.cleanedUp).toMatchObject({ deleted: true, by: 'StartRestore' });
    });

    it('StartRestore whose call returns after the janitor looked deletes the scratch target itself', async () => {
      const fresh = `${EXECUTION_ID}-2`;
      f.backup.startRestore = async () => {
        // The janitor runs while the provider's call is in flight...
        await deleteAbandonedScratch(f.deps, fresh, 'Rollback');
        return { handle, pollSeconds: 30 };
      };

      await expect(startRestore(f.deps, stepPayload('StartRestore', { executionId: fresh }))).rejects.toMatchObject({
        name: 'BackupVerificationFailed',
        message: expect.stringContaining('Rollback began cleaning up this go-live while StartRestore ran'),
      });
      // ...and the step, which then writes what the call started, deletes it.
      expect(f.backup.cleanedUp.at(-1)).toEqual(handle);
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
