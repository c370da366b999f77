import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { StopExecutionCommand } from '@aws-sdk/client-sfn';
import { ProviderUnavailable } from '../../lambdas/core/errors';
import type { RestoreState } from '../../lambdas/core/steps/backup';
import type { TaskName } from '../../lambdas/core/workflow/definition';
import { startHarness, testConfig, type Harness } from '../support/harness';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';

/** The restore proof's scratch files on disk (the local runtime restores into `<home>/scratch`). */
const scratchFiles = (h: Harness): string[] => {
  const dir = join(h.home, 'scratch');
  return existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.sqlite')) : [];
};

const waitingForRestore = (h: Harness, arn: string) =>
  h.waitForEvent(arn, (e) => e.type === 'WaitStateEntered' && e.stateEnteredEventDetails?.name === 'WaitForRestore');

async function rollbackRecord(h: Harness, arn: string) {
  const records = (await h.rt.store.listAudit(arn)).filter((r) => r.step === 'Rollback');
  expect(records).toHaveLength(1);
  return records[0];
}

describe('a restore abandoned between StartRestore and VerifyBackup', () => {
  let h: Harness;
  /** The scratch files present when the Rollback task started (set by its hook). */
  let atRollback: string[] | undefined;

  beforeAll(async () => {
    h = await startHarness({ config: testConfig() });
    h.rt.onTask('Rollback', () => {
      atRollback = scratchFiles(h);
    });
  });
  afterAll(() => h.close());
  afterEach(() => {
    atRollback = undefined;
    h.rt.faults.clear();
    h.rt.backup.restoreSeconds = 0;
    jest.restoreAllMocks();
  });

  it.each<[TaskName, string]>([
    ['CheckRestore', 'BackupVerificationFailed'],
    ['VerifyBackup', 'States.TaskFailed'],
  ])('is deleted by the rollback when %s fails with %s', async (state, errorName) => {
    const before = await alertsSnapshot(h);
    h.rt.faults.set(state, errorName);

    const arn = await h.start();

    await expectRolledBack(h, arn, errorName, before);
    // The restore had written its scratch file; the rollback deleted it.
    expect(atRollback).toEqual([expect.stringMatching(/^golive-scratch-demo-[0-9a-f]{10}\.sqlite$/)]);
    expect(scratchFiles(h)).toEqual([]);
    const restoredTo = join(h.home, 'scratch', atRollback![0]);
    const rollback = await rollbackRecord(h, arn);
    expect(rollback.outcome).toBe('succeeded');
    expect(rollback.summary).toContain(`abandoned restore into ${restoredTo}: scratch deleted`);
    expect(rollback.evidence).toMatchObject({
      weights: { blue: 100, green: 0 },
      scratch: { restoredTo, deleted: true, by: 'Rollback' },
    });
    const restore = await h.rt.store.getExecutionValue<RestoreState>(arn, 'restore');
    expect(restore?.cleanedUp).toMatchObject({ restoredTo, deleted: true, by: 'Rollback' });
  });

  it('is left alone by the rollback when VerifyBackup already deleted it', async () => {
    const before = await alertsSnapshot(h);
    h.rt.faults.set('PreTrafficSmokeTests', 'SmokeTestFailed');
    const cleanUp = jest.spyOn(h.rt.backup, 'cleanUp');

    const arn = await h.start();

    await expectRolledBack(h, arn, 'SmokeTestFailed', before);
    expect(atRollback).toEqual([]);
    // Once, by the validation (validateAndCleanUp); the rollback found it marked deleted.
    expect(cleanUp).toHaveBeenCalledTimes(1);
    const rollback = await rollbackRecord(h, arn);
    expect(rollback.summary).not.toContain('abandoned restore');
    expect(rollback.evidence).not.toHaveProperty('scratch');
    const restore = await h.rt.store.getExecutionValue<RestoreState>(arn, 'restore');
    expect(restore?.cleanedUp).toMatchObject({ deleted: true, by: 'VerifyBackup' });
  });

  it('is deleted by the janitor when the execution is stopped while WaitForRestore waits', async () => {
    h.rt.backup.restoreSeconds = 30;
    const cleanUp = jest.spyOn(h.rt.backup, 'cleanUp');
    const arn = await h.start();
    await waitingForRestore(h, arn);
    const [file] = scratchFiles(h);
    expect(file).toMatch(/^golive-scratch-demo-/);

    await h.rt.sfn.send(
      new StopExecutionCommand({ executionArn: arn, error: 'Manual', cause: 'operator pressed stop' }),
    );
    const exec = await h.finished(arn);

    expect(exec.status).toBe('ABORTED');
    expect(scratchFiles(h)).toEqual([]);
    expect(cleanUp).toHaveBeenCalledTimes(1);
    const rollback = await rollbackRecord(h, arn);
    expect(rollback.evidence).toMatchObject({
      error: { Error: 'ExecutionAborted' },
      scratch: { restoredTo: join(h.home, 'scratch', file), deleted: true },
    });
    expect(await h.rt.store.getLock('demo')).toBeUndefined();
    const restore = await h.rt.store.getExecutionValue<RestoreState>(arn, 'restore');
    expect(restore).toMatchObject({ status: 'pending', cleanedUp: { deleted: true, by: 'Rollback' } });
  });
});

describe('a restore whose StartRestore is retried', () => {
  it('restores the same backup into the same scratch file, and a go-live that succeeds leaves nothing listed', async () => {
    const h = await startHarness({ config: testConfig() });
    try {
      const start = h.rt.backup.startRestore.bind(h.rt.backup);
      // The first attempt restores, then its answer is lost (as a dropped connection would lose it).
      const startRestore = jest.spyOn(h.rt.backup, 'startRestore').mockImplementationOnce(async (...args) => {
        await start(...args);
        throw new ProviderUnavailable('connection reset after the restore started');
      });
      h.autoApprove();

      const arn = await h.start();
      const ended = await h.finished(arn);

      expect(ended.status).toBe('SUCCEEDED');
      expect(startRestore).toHaveBeenCalledTimes(2);
      expect(startRestore.mock.calls[1]).toEqual(startRestore.mock.calls[0]);
      expect(scratchFiles(h)).toEqual([]);
      expect(await h.rt.store.listScratchLeft()).toEqual([]);
      const restore = await h.rt.store.getExecutionValue<RestoreState>(arn, 'restore');
      expect(restore).toMatchObject({ status: 'ready', cleanedUp: { deleted: true, by: 'VerifyBackup' } });
      const steps = (await h.rt.store.listAudit(arn)).filter((r) => r.step === 'StartRestore').map((r) => r.outcome);
      expect(steps).toEqual(['failed', 'succeeded']);
    } finally {
      jest.restoreAllMocks();
      await h.close();
    }
  });
});

describe('a restore in progress when the local runtime dies', () => {
  it('is deleted when the next runtime cleans up the recovered execution', async () => {
    const first = await startHarness({ config: testConfig() });
    const home = first.home;
    first.rt.backup.restoreSeconds = 30;
    const arn = await first.start();
    await waitingForRestore(first, arn);
    await first.close({ keepHome: true, crash: true });
    const [file] = scratchFiles(first);
    expect(file).toMatch(/^golive-scratch-demo-/);

    const second = await startHarness({ home, config: testConfig() });
    try {
      await second.rt.bus.drain();

      expect(second.rt.engine.recoveredExecutionArns).toEqual([arn]);
      expect(scratchFiles(second)).toEqual([]);
      // The janitor's rollback and the sweep (StartRestore listed the target before starting it)
      // both run at start: whichever comes first deletes it and says so; the other finds it deleted.
      const restore = await second.rt.store.getExecutionValue<RestoreState>(arn, 'restore');
      expect(restore?.cleanedUp).toMatchObject({ deleted: true, by: expect.stringMatching(/^(Rollback|Sweep)$/) });
      const told =
        restore?.cleanedUp?.by === 'Rollback'
          ? (await rollbackRecord(second, arn)).summary
          : second.rt.notifier
              .list(arn)
              .map((n) => n.text)
              .join('\n');
      expect(told).toMatch(
        /abandoned restore into .*: scratch deleted|🧹 Backup check scratch copy .* deleted by the sweeper/,
      );
      expect(await second.rt.store.listScratchLeft()).toEqual([]);
    } finally {
      await second.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('a scratch target whose deletion was refused', () => {
  it('is deleted by the sweep of the next local runtime, which tells the release channel', async () => {
    const first = await startHarness({ config: testConfig() });
    const home = first.home;
    first.rt.backup.restoreSeconds = 30;
    const arn = await first.start();
    await waitingForRestore(first, arn);
    const [file] = scratchFiles(first);
    // As AWS refuses to delete a table still CREATING.
    jest.spyOn(first.rt.backup, 'cleanUp').mockRejectedValue(new Error('ResourceInUseException: table is CREATING'));
    await first.rt.sfn.send(new StopExecutionCommand({ executionArn: arn, cause: 'operator pressed stop' }));
    await first.finished(arn);
    expect(await first.rt.store.listScratchLeft()).toEqual([
      expect.objectContaining({ executionId: arn, restoredTo: join(home, 'scratch', file) }),
    ]);
    expect(scratchFiles(first)).toEqual([file]);
    await first.close({ keepHome: true });
    jest.restoreAllMocks();

    const second = await startHarness({ home, config: testConfig() });
    try {
      await second.rt.bus.drain();

      expect(scratchFiles(second)).toEqual([]);
      expect(await second.rt.store.listScratchLeft()).toEqual([]);
      const restore = await second.rt.store.getExecutionValue<RestoreState>(arn, 'restore');
      expect(restore?.cleanedUp).toMatchObject({ deleted: true, by: 'Sweep' });
      expect(second.rt.notifier.list(arn).map((n) => n.text)).toContainEqual(
        expect.stringMatching(/^🧹 Backup check scratch copy .* deleted by the sweeper/),
      );
    } finally {
      await second.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});
