import { runInNewContext } from 'node:vm';
import { errorMessage, SmokeTestFailed } from '../../../lambdas/core/errors';
import type { ProgressEvent } from '../../../lambdas/core/ports';
import { describeCause, PROGRESS_BUDGET_MS, runStep } from '../../../lambdas/core/steps/step';
import { EXECUTION_ID, fakeDeps, NOW, stepPayload, type FakeDeps } from '../../support/fake-deps';

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => {
  jest.useRealTimers();
  f.close();
});

const event = stepPayload('ShiftTraffic', { weight: 10 });
const succeeds = async () => ({ result: 'shifted', summary: 'green takes 10%', evidence: { weights: { green: 10 } } });

describe('runStep', () => {
  it('audits a success with its summary and evidence, and returns the result', async () => {
    const result = await runStep(f.deps, event, 'ShiftTraffic', 'shift', succeeds);

    expect(result).toBe('shifted');
    expect(await f.audit()).toEqual([
      expect.objectContaining({
        executionId: EXECUTION_ID,
        service: 'demo',
        step: 'ShiftTraffic',
        action: 'shift',
        actor: 'system',
        outcome: 'succeeded',
        summary: 'green takes 10%',
        evidence: { weights: { green: 10 } },
        at: NOW.toISOString(),
      }),
    ]);
  });

  it('audits a failure with the error name, message and evidence, and rethrows it unchanged', async () => {
    const error = new SmokeTestFailed('1/3 smoke test(s) failed', { evidence: { target: 'http://green' } });

    const run = runStep(f.deps, event, 'ShiftTraffic', 'shift', () => Promise.reject(error), { actor: 'U_RM' });

    await expect(run).rejects.toBe(error);
    expect(await f.audit()).toEqual([
      expect.objectContaining({
        actor: 'U_RM',
        outcome: 'failed',
        summary: 'SmokeTestFailed: 1/3 smoke test(s) failed',
        evidence: { target: 'http://green' },
      }),
    ]);
  });

  it('says a step did its work when only its audit record failed, under its own error name', async () => {
    const fn = jest.fn(async () => {
      const done = await succeeds();
      f.store.close();
      return done;
    });

    await expect(runStep(f.deps, event, 'ShiftTraffic', 'shift', fn)).rejects.toMatchObject({
      name: 'AuditWriteFailed',
      message: expect.stringMatching(
        /^ShiftTraffic did its work \(green takes 10%\), but its audit record could not be written: .*not open/,
      ),
      evidence: { weights: { green: 10 } },
    });
    expect(f.notifier.progressEvents.at(-1)).toMatchObject({ state: 'failed' });
  });

  it("keeps a failed step's error name when its audit record cannot be written either", async () => {
    const error = new SmokeTestFailed('1/3 smoke test(s) failed');
    const fn = async () => {
      f.store.close();
      throw error;
    };

    await expect(runStep(f.deps, event, 'Rollback', 'rollback', fn, { checkAbort: false })).rejects.toMatchObject({
      name: 'SmokeTestFailed',
      message: expect.stringMatching(
        /^1\/3 smoke test\(s\) failed \(its audit record could not be written: .*not open/,
      ),
    });
  });

  it('keeps the name and message of an error from another realm (a native module), in the error and the audit', async () => {
    const foreign = runInNewContext(
      '(() => { const e = new Error("disk full"); e.name = "SqliteError"; return e; })()',
    );
    expect(foreign instanceof Error).toBe(false);

    await expect(runStep(f.deps, event, 'ShiftTraffic', 'shift', () => Promise.reject(foreign))).rejects.toMatchObject({
      name: 'SqliteError',
      message: 'disk full',
    });
    expect((await f.audit())[0]).toMatchObject({ outcome: 'failed', summary: 'SqliteError: disk full' });
    expect(errorMessage(foreign)).toBe('disk full');
  });

  it('refuses with GoLiveAborted, without running the step, once an abort was requested', async () => {
    await f.store.putExecutionValue(EXECUTION_ID, 'abort', { by: 'U_RM', reason: 'wrong build' });
    const fn = jest.fn(succeeds);

    await expect(runStep(f.deps, event, 'ShiftTraffic', 'shift', fn)).rejects.toMatchObject({
      name: 'GoLiveAborted',
      message: 'aborted by U_RM: wrong build',
    });
    expect(fn).not.toHaveBeenCalled();
    expect((await f.audit())[0]).toMatchObject({
      outcome: 'failed',
      summary: 'GoLiveAborted: aborted by U_RM: wrong build',
    });
  });

  it('runs a step that does not check for an abort (the rollback path)', async () => {
    await f.store.putExecutionValue(EXECUTION_ID, 'abort', { by: 'U_RM', reason: 'wrong build' });

    await expect(runStep(f.deps, event, 'Rollback', 'rollback', succeeds, { checkAbort: false })).resolves.toBe(
      'shifted',
    );
  });

  it('reports progress for the status card: started, then succeeded with the summary and the weight', async () => {
    await runStep(f.deps, event, 'ShiftTraffic', 'shift', succeeds);

    expect(f.notifier.progressEvents).toEqual([
      expect.objectContaining({ step: 'ShiftTraffic', state: 'started', strategy: 'canary', weight: 10 }),
      expect.objectContaining({ state: 'succeeded', summary: 'green takes 10%', requestedBy: 'U_RELEASE_MANAGER' }),
    ]);
  });

  it('goes on when the status card cannot be updated', async () => {
    f.notifier.progress = () => Promise.reject(new Error('Slack unavailable'));

    await expect(runStep(f.deps, event, 'ShiftTraffic', 'shift', succeeds)).resolves.toBe('shifted');
  });

  it('audits under "unknown" a request whose service is not a string', async () => {
    await runStep(
      f.deps,
      { executionId: EXECUTION_ID, request: { service: 42 } },
      'ValidateAndLock',
      'acquire',
      succeeds,
    );

    expect((await f.audit())[0].service).toBe('unknown');
  });

  it('does not wait past its budget for a status card update Slack never answers', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    const asked: ProgressEvent['state'][] = [];
    // Slack hangs: the update neither succeeds nor fails.
    f.notifier.progress = (e) => (asked.push(e.state), new Promise<void>(() => undefined));
    let done = false;

    const step = runStep(
      f.deps,
      { executionId: EXECUTION_ID, request: { service: 'orders' } },
      'MuteAlerts',
      'mute',
      async () => ({ result: 'muted', summary: 'muted 2 alarms' }),
    ).then((r) => ((done = true), r));

    await jest.advanceTimersByTimeAsync(PROGRESS_BUDGET_MS - 1);
    expect([done, asked]).toEqual([false, ['started']]);
    // Budget spent: the step does its work, is audited, and asks for the second update.
    await jest.advanceTimersByTimeAsync(1);
    expect([done, asked]).toEqual([false, ['started', 'succeeded']]);
    // Which gets its budget too; then the step returns.
    await jest.advanceTimersByTimeAsync(PROGRESS_BUDGET_MS);
    expect(done).toBe(true);
    expect(await step).toBe('muted');
    expect((await f.audit()).map((r) => `${r.step}:${r.outcome}`)).toEqual(['MuteAlerts:succeeded']);
  });
});

describe('describeCause', () => {
  it.each([
    [JSON.stringify({ errorType: 'X', errorMessage: 'green answers 500' }), 'green answers 500'],
    ['plain text', 'plain text'],
    [undefined, ''],
  ])('reads %j as %j', (cause, expected) => {
    expect(describeCause(cause)).toBe(expected);
  });
});
