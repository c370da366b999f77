import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ProviderUnavailable } from '../../lambdas/core/errors';
import type { BackupProvider, Deps, RestoreHandle } from '../../lambdas/core/ports';
import { testPlan } from '../support/payloads';
import { checkRestore, deleteAbandonedScratch, startRestore, type RestoreState } from '../../lambdas/core/steps/backup';
import { SqliteStore } from '../../local/providers/sqlite-store';

describe('CheckRestore when the restore cannot go on', () => {
  const executionId = 'arn:aws:states:us-east-1:000000000000:execution:golive:check-restore';
  const handle: RestoreHandle = {
    kind: 'dynamodb',
    service: 'demo',
    recoveryPointId: 'rp-1',
    recoveryPointAt: '2026-01-01T00:00:00Z',
    restoredTo: 'golive-scratch-demo-1',
    startedAt: '2026-01-01T00:00:01Z',
    detail: {},
  };
  const state: RestoreState = {
    handle,
    status: 'pending',
    attempt: 1,
    maxAttempts: 10,
    pollSeconds: 30,
    ageMinutes: 5,
    rpoMinutes: 60,
    detail: 'CREATING',
  };
  let dir: string;
  let store: SqliteStore;
  let cleaned: RestoreHandle[];
  const base = {
    executionId,
    request: { service: 'demo', version: '2.0.0', strategy: 'canary' as const, requestedBy: 'U1' },
    plan: testPlan(),
  };
  const event = { ...base, state: 'CheckRestore' as const, action: 'check' as const };
  const deps = (check: BackupProvider['checkRestore']) =>
    ({
      store,
      backup: { checkRestore: check, cleanUp: async (h: RestoreHandle) => (cleaned.push(h), true) },
      notifier: { notify: async () => ({ delivered: true }) },
      now: () => new Date('2026-01-01T00:10:00Z'),
    }) as unknown as Deps;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golive-check-restore-'));
    store = new SqliteStore(join(dir, 'store.sqlite'));
    cleaned = [];
    await store.putExecutionValue(executionId, 'restore', state);
  });
  afterEach(() => {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deletes the scratch target and fails with GoLiveAborted when an abort was requested', async () => {
    await store.putExecutionValue(executionId, 'abort', { by: 'U_RM', reason: 'wrong build' });

    await expect(
      checkRestore(
        deps(async () => ({ status: 'pending', handle, detail: '' })),
        event,
      ),
    ).rejects.toMatchObject({
      name: 'GoLiveAborted',
      message: expect.stringContaining('restore abandoned, scratch deleted'),
    });
    expect(cleaned).toEqual([handle]);
    expect((await store.listAudit(executionId)).at(-1)).toMatchObject({ step: 'CheckRestore', outcome: 'failed' });
    // Marked, so the rollback that follows does not delete it again.
    expect((await store.getExecutionValue<RestoreState>(executionId, 'restore'))?.cleanedUp).toMatchObject({
      restoredTo: 'golive-scratch-demo-1',
      deleted: true,
      by: 'CheckRestore',
    });
  });

  it('keeps the real failure when the store cannot record the clean-up', async () => {
    const d = deps(async () => {
      throw new Error('RestoreTableToPointInTime failed: table limit reached');
    });
    const put = store.putExecutionValue.bind(store);
    (d as { store: unknown }).store = Object.assign(Object.create(store) as SqliteStore, {
      putExecutionValue: async (id: string, key: string, value: unknown) => {
        if (key === 'restore') throw new Error('ProvisionedThroughputExceededException');
        return put(id, key, value);
      },
    });

    await expect(checkRestore(d, event)).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining('table limit reached'),
    });
    expect(cleaned).toEqual([handle]);
  });

  it('deletes the scratch target and fails with BackupVerificationFailed when the restore itself failed', async () => {
    await expect(
      checkRestore(
        deps(async () => {
          throw new Error('RestoreTableToPointInTime failed: table limit reached');
        }),
        event,
      ),
    ).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining('table limit reached'),
    });
    expect(cleaned).toEqual([handle]);
    expect((await store.getExecutionValue<RestoreState>(executionId, 'restore'))?.cleanedUp).toMatchObject({
      deleted: true,
      by: 'CheckRestore',
    });
  });

  it('says what is left, and marks it not deleted, when the scratch target cannot be deleted', async () => {
    const refusing = {
      ...deps(async () => {
        throw new Error('restore failed');
      }),
    } as Deps;
    refusing.backup = {
      ...refusing.backup,
      cleanUp: async () => {
        throw new Error('dynamodb:DeleteTable golive-scratch-demo-1 refused while it is busy');
      },
    };

    await expect(checkRestore(refusing, event)).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining(
        'scratch NOT fully deleted: dynamodb:DeleteTable golive-scratch-demo-1 refused while it is busy; delete golive-scratch-demo-1 by hand',
      ),
    });
    expect((await store.getExecutionValue<RestoreState>(executionId, 'restore'))?.cleanedUp).toMatchObject({
      deleted: false,
    });
  });

  it('leaves a transient provider fault to the ASL retry, deleting nothing', async () => {
    await expect(
      checkRestore(
        deps(async () => {
          throw new ProviderUnavailable('throttled');
        }),
        event,
      ),
    ).rejects.toMatchObject({ name: 'ProviderUnavailable' });
    expect(cleaned).toEqual([]);
  });

  describe('a restore step still running when the rollback or the janitor cleans up', () => {
    it('StartRestore that stores its restore after the janitor looked deletes the scratch target itself', async () => {
      const fresh = `${executionId}-2`;
      // The janitor found nothing to delete: StartRestore had not stored its restore yet.
      const before = await deleteAbandonedScratch(
        deps(async () => ({ status: 'pending', handle, detail: '' })),
        fresh,
        'Rollback',
      );
      const starting = {
        ...deps(async () => ({ status: 'pending', handle, detail: '' })),
        config: { services: { demo: { backup: { rpoMinutes: 60 } } } },
      } as unknown as Deps;
      starting.backup.latestRecoveryPoint = async () => ({ id: 'rp-1', at: '2026-01-01T00:05:00Z' });
      starting.backup.startRestore = async () => ({ handle, pollSeconds: 30 });

      await expect(
        startRestore(starting, { ...base, state: 'StartRestore', action: 'start', executionId: fresh }),
      ).rejects.toMatchObject({
        name: 'BackupVerificationFailed',
        message: expect.stringContaining('Rollback began cleaning up this go-live while StartRestore ran'),
      });
      expect(before).toBeUndefined();
      expect(cleaned).toEqual([handle]);
      expect((await store.getExecutionValue<RestoreState>(fresh, 'restore'))?.cleanedUp).toMatchObject({
        deleted: true,
        by: 'StartRestore',
      });
    });

    it('CheckRestore that rewrites the restore after the janitor deleted it keeps it recorded as deleted', async () => {
      const d = deps(async () => ({ status: 'pending', handle, detail: 'CREATING' }));
      // The janitor deletes the scratch target while a status check is in flight...
      await deleteAbandonedScratch(d, executionId, 'Rollback');
      expect((await store.getExecutionValue<RestoreState>(executionId, 'restore'))?.cleanedUp?.deleted).toBe(true);
      // ...which then writes the state it read before, without the clean-up.
      const stale = { ...d, store: Object.create(store) as SqliteStore } as Deps;
      (stale.store as { getExecutionValue: unknown }).getExecutionValue = async (id: string, key: string) =>
        key === 'restore' ? state : store.getExecutionValue(id, key);

      await expect(checkRestore(stale, event)).rejects.toMatchObject({ name: 'BackupVerificationFailed' });
      expect((await store.getExecutionValue<RestoreState>(executionId, 'restore'))?.cleanedUp).toMatchObject({
        deleted: true,
        by: 'CheckRestore',
      });
    });
  });
});
