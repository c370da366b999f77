import { cleanUpEndedExecution, JANITOR_ACTOR, JANITOR_LEASE_MS } from '../../../lambdas/core/steps/janitor';
import { reconcile } from '../../../lambdas/core/steps/reconcile';
import { createHandler as janitorHandler } from '../../../lambdas/janitor';
import { DEMO_REQUEST, EXECUTION_ID, fakeDeps, holdLock, type FakeDeps } from '../../support/fake-deps';
import { testPlan } from '../../support/payloads';

const OTHER = 'arn:aws:states:eu-west-1:123456789012:execution:golive-go-live:run-2';
/** What Step Functions reports for an execution that ended with an error no Catch matches. */
const FAILED = { status: 'FAILED', error: 'States.Runtime', cause: 'TimeoutSecondsPath must be ≥ 1' };

let f: FakeDeps;
/** A go-live of `service` that took the lock and shifted half the traffic, as its steps record it. */
async function goLive(executionArn = EXECUTION_ID, service = 'demo'): Promise<void> {
  await f.store.putExecutionValue(executionArn, 'request', { ...DEMO_REQUEST, service });
  await f.store.putExecutionValue(executionArn, 'plan', testPlan());
  await holdLock(f.store, executionArn, service);
}
beforeEach(async () => {
  f = fakeDeps();
  await goLive();
  f.traffic.weights = { blue: 50, green: 50 };
});
afterEach(() => f.close());

const rolledBack = () => f.notifier.of('rolled-back');

describe('reconcile', () => {
  it('hands an ended execution still holding its lock to the janitor, with its real status, error and cause', async () => {
    f.executions.states.set(EXECUTION_ID, FAILED);

    const summary = await reconcile(f.deps);

    expect(summary).toMatchObject({
      locks: 1,
      cleaned: [{ service: 'demo', executionArn: EXECUTION_ID, status: 'FAILED' }],
    });
    expect(await f.store.getLock('demo')).toBeUndefined();
    expect(f.traffic.weights).toEqual({ blue: 100, green: 0 });
    const audit = await f.audit();
    expect(audit[0]).toMatchObject({
      step: 'Janitor',
      actor: JANITOR_ACTOR,
      evidence: { status: 'FAILED', error: 'States.Runtime', cause: FAILED.cause },
    });
    expect(audit.find((r) => r.step === 'Rollback')?.evidence).toMatchObject({ error: { Error: 'States.Runtime' } });
    expect(rolledBack()).toHaveLength(1);
  });

  it('never touches an execution that is still running', async () => {
    const summary = await reconcile(f.deps);

    expect(summary).toMatchObject({
      locks: 1,
      running: [{ executionArn: EXECUTION_ID, status: 'RUNNING' }],
      cleaned: [],
    });
    expect(f.executions.described).toEqual([EXECUTION_ID]);
    expect((await f.store.getLock('demo'))?.executionId).toBe(EXECUTION_ID);
    expect(f.traffic.sets).toEqual([]);
    expect(await f.audit()).toEqual([]);
  });

  it('does nothing for an execution the janitor already cleaned up', async () => {
    f.executions.states.set(EXECUTION_ID, { status: 'ABORTED', cause: 'operator pressed stop' });
    await cleanUpEndedExecution(f.deps, {
      executionArn: EXECUTION_ID,
      status: 'ABORTED',
      cause: 'operator pressed stop',
    });
    const audit = await f.audit();

    const summary = await reconcile(f.deps);

    expect(summary).toMatchObject({ locks: 0, cleaned: [], leftAlone: [] });
    expect(await f.audit()).toEqual(audit);
    expect(rolledBack()).toHaveLength(1);
  });

  it('leaves a clean-up the event-driven janitor has under way to it, and resumes one whose janitor died', async () => {
    f.executions.states.set(EXECUTION_ID, FAILED);
    // The janitor claimed the clean-up, then its function was killed before anything else.
    await f.store.claimExecutionValue(EXECUTION_ID, 'janitor', {
      status: 'FAILED',
      startedAt: f.clock.at.toISOString(),
    });

    expect(await reconcile(f.deps)).toMatchObject({ cleaned: [], leftAlone: [{ executionArn: EXECUTION_ID }] });
    expect((await f.store.getLock('demo'))?.executionId).toBe(EXECUTION_ID);

    f.clock.advance(JANITOR_LEASE_MS + 1);
    expect(await reconcile(f.deps)).toMatchObject({ cleaned: [{ executionArn: EXECUTION_ID }] });
    expect(await f.store.getLock('demo')).toBeUndefined();
    expect(rolledBack()).toHaveLength(1);
  });

  it('cleans up once when two reconcilers run at the same time', async () => {
    f.executions.states.set(EXECUTION_ID, { status: 'TIMED_OUT' });

    const [one, two] = await Promise.all([reconcile(f.deps), reconcile(f.deps)]);

    expect([one.cleaned, two.cleaned].flat()).toHaveLength(1);
    expect([one.leftAlone, two.leftAlone].flat()).toHaveLength(1);
    expect(rolledBack()).toHaveLength(1);
    expect(f.traffic.sets).toEqual([{ blue: 100, green: 0 }]);
    expect((await f.audit()).filter((r) => r.step === 'Janitor' || r.step === 'Rollback')).toHaveLength(2);
  });

  it('cleans up once when the reconciler and the event-driven janitor run at the same time', async () => {
    f.executions.states.set(EXECUTION_ID, FAILED);

    const [summary, event] = await Promise.all([
      reconcile(f.deps),
      cleanUpEndedExecution(f.deps, { executionArn: EXECUTION_ID, ...FAILED }),
    ]);

    expect(summary.cleaned.length + (event.cleaned ? 1 : 0)).toBe(1);
    expect(rolledBack()).toHaveLength(1);
    expect((await f.audit()).filter((r) => r.step === 'Rollback')).toHaveLength(1);
  });

  it('reports, and keeps, a lock whose execution Step Functions no longer knows', async () => {
    f.executions.gone.add(EXECUTION_ID);

    const summary = await reconcile(f.deps);

    expect(summary).toMatchObject({ unknown: [{ service: 'demo', executionArn: EXECUTION_ID }], cleaned: [] });
    expect((await f.store.getLock('demo'))?.executionId).toBe(EXECUTION_ID);
    expect(await f.audit()).toEqual([]);
  });

  it('leaves a RollbackFailed execution’s lock held for a human', async () => {
    f.executions.states.set(EXECUTION_ID, { status: 'FAILED', error: 'RollbackFailed', cause: 'router refused' });

    const summary = await reconcile(f.deps);

    expect(summary).toMatchObject({ leftAlone: [{ executionArn: EXECUTION_ID }], cleaned: [] });
    expect((await f.store.getLock('demo'))?.executionId).toBe(EXECUTION_ID);
  });

  it('goes on with the other locks when one cannot be described', async () => {
    await goLive(OTHER, 'orders');
    f.executions.states.set(OTHER, { status: 'ABORTED' });
    const describe = f.executions.describe.bind(f.executions);
    f.executions.describe = async (arn) => {
      if (arn === EXECUTION_ID) throw Object.assign(new Error('rate exceeded'), { name: 'ThrottlingException' });
      return describe(arn);
    };

    const summary = await reconcile(f.deps);

    expect(summary).toMatchObject({
      locks: 2,
      failed: [{ executionArn: EXECUTION_ID, detail: 'ThrottlingException: rate exceeded' }],
      cleaned: [{ service: 'orders', executionArn: OTHER, status: 'ABORTED' }],
    });
  });
});

describe('janitor function with {"reconcile": true}', () => {
  it('reconciles: what the reconcile schedule rule sends', async () => {
    f.executions.states.set(EXECUTION_ID, FAILED);

    const result = await janitorHandler(async () => f.deps)({ reconcile: true });

    expect(result).toMatchObject({ locks: 1, cleaned: [{ executionArn: EXECUTION_ID }] });
    expect(await f.store.getLock('demo')).toBeUndefined();
  });
});
