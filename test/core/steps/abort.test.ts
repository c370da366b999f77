import { requestAbort } from '../../../lambdas/core/steps/abort';
import { EXECUTION_ID, fakeDeps, NOW, pendingApproval, type FakeDeps } from '../../support/fake-deps';

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

const callback = { executionId: EXECUTION_ID, service: 'demo', alarms: [], createdAt: NOW.toISOString() };

describe('requestAbort', () => {
  it('records the abort for the next step to see, and audits who asked and why', async () => {
    await f.store.putExecutionValue(EXECUTION_ID, 'request', { service: 'demo' });

    const result = await requestAbort(f.deps, EXECUTION_ID, 'U_RM', 'wrong build');

    expect(result).toEqual({ signalledTasks: 0 });
    expect(await f.store.getExecutionValue(EXECUTION_ID, 'abort')).toEqual({
      by: 'U_RM',
      reason: 'wrong build',
      at: NOW.toISOString(),
    });
    expect(await f.audit()).toEqual([
      expect.objectContaining({
        service: 'demo',
        step: 'Abort',
        actor: 'U_RM',
        outcome: 'info',
        summary: 'abort requested by U_RM: wrong build',
      }),
    ]);
  });

  it('fails a waiting bake with GoLiveAborted and removes its token', async () => {
    await f.store.putCallback({ ...callback, token: 'bake-1', kind: 'bake' });

    const result = await requestAbort(f.deps, EXECUTION_ID, 'U_RM', 'wrong build');

    expect(result).toEqual({ signalledTasks: 1 });
    expect(f.callbacks.failed).toEqual([
      { token: 'bake-1', error: 'GoLiveAborted', cause: 'aborted by U_RM: wrong build' },
    ]);
    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID })).toEqual([]);
  });

  it('closes a pending sign-off as aborted', async () => {
    await f.store.createApproval(pendingApproval({ token: 'signoff-1' }));
    await f.store.putCallback({ ...callback, token: 'signoff-1', kind: 'approval', approvalId: 'apr-1' });

    await requestAbort(f.deps, EXECUTION_ID, 'U_RM', 'wrong build');

    expect(await f.store.getApproval('apr-1')).toMatchObject({ status: 'aborted', closedAt: NOW.toISOString() });
  });

  it('does not count a task that had already ended', async () => {
    await f.store.putCallback({ ...callback, token: 'bake-1', kind: 'bake' });
    f.callbacks.closed.add('bake-1');

    const result = await requestAbort(f.deps, EXECUTION_ID, 'U_RM', 'late');

    expect(result).toEqual({ signalledTasks: 0 });
    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID })).toEqual([]);
  });

  it('audits under "unknown" when the execution never stored its request', async () => {
    await requestAbort(f.deps, EXECUTION_ID, 'U_RM', 'early');

    expect((await f.audit())[0].service).toBe('unknown');
  });
});
