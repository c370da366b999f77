import { acquire, release, START_RECORD } from '../../../lambdas/core/steps/lock';
import {
  EXECUTION_ID,
  fakeDeps,
  holdLock,
  NOW,
  stepPayload,
  pendingApproval,
  type FakeDeps,
} from '../../support/fake-deps';

const OTHER = 'arn:aws:states:eu-west-1:123456789012:execution:golive-go-live:run-0';

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

describe('acquire (ValidateAndLock)', () => {
  it('takes the lock, plans from the stable slot the router reports and keeps request and plan', async () => {
    f.traffic.weights = { blue: 0, green: 100 };

    const result = await acquire(f.deps, stepPayload('ValidateAndLock'));

    expect(result.plan).toMatchObject({ stableSlot: 'green', candidateSlot: 'blue', steps: [10, 50] });
    expect(await f.store.getLock('demo')).toMatchObject({ executionId: EXECUTION_ID, version: '2.0.0' });
    expect(f.traffic.calls).toContainEqual({ op: 'prepareCandidate', service: 'demo', slot: 'blue', version: '2.0.0' });
    expect(await f.store.getExecutionValue(EXECUTION_ID, 'plan')).toEqual(result.plan);
    expect(await f.store.getExecutionValue(EXECUTION_ID, 'request')).toEqual(result.request);
  });

  describe('refuses a requester who is not a release manager of the service, touching nothing', () => {
    const refused = async (requestedBy: string) => {
      const event = stepPayload('ValidateAndLock');
      await expect(
        acquire(f.deps, { ...event, request: { ...(event.request as object), requestedBy } }),
      ).rejects.toMatchObject({
        name: 'Unauthorized',
        message: expect.stringContaining(`${requestedBy} is not a release manager of demo`),
      });
      expect(await f.store.getLock('demo')).toBeUndefined();
      expect(f.traffic.calls).toEqual([]);
      expect((await f.audit())[0]).toMatchObject({ step: 'ValidateAndLock', outcome: 'failed' });
    };

    it('a guest (a raw StartExecution, or the CLI with --as U_GUEST)', () => refused('U_GUEST'));

    it('an approver, who is no release manager', () => refused('U_APPROVER_ANA'));

    it("a global release manager the service's own roles leave out", async () => {
      const config = f.deps.config;
      f.deps.config = {
        ...config,
        services: {
          ...config.services,
          demo: { ...config.services.demo, roles: { releaseManagers: ['U_DEMO_OWNER'] } },
        },
      };
      await refused('U_RELEASE_MANAGER');

      const event = stepPayload('ValidateAndLock');
      const owner = await acquire(f.deps, {
        ...event,
        request: { ...(event.request as object), requestedBy: 'U_DEMO_OWNER' },
      });
      expect(owner.request).toMatchObject({ requestedBy: 'U_DEMO_OWNER', verifiedBy: 'local' });
    });
  });

  describe('takes the requester from the start record, never from the input', () => {
    const forged = () => {
      const event = stepPayload('ValidateAndLock');
      return {
        ...event,
        request: { ...(event.request as object), requestedBy: 'U_RELEASE_MANAGER', verifiedBy: 'iam' },
      };
    };

    it('refuses a raw StartExecution where starts must be recorded (AWS), whatever the input claims', async () => {
      f.deps.requireStartRecord = true;

      await expect(acquire(f.deps, forged())).rejects.toMatchObject({
        name: 'Unauthorized',
        message: expect.stringContaining('was started outside golive (no start record: a raw StartExecution)'),
      });
      expect(await f.store.getLock('demo')).toBeUndefined();
      expect(f.traffic.calls).toEqual([]);
    });

    it('uses the recorded requester and verification over the claimed ones', async () => {
      f.deps.requireStartRecord = true;
      await f.store.putExecutionValue(EXECUTION_ID, START_RECORD, {
        requestedBy: 'U_GUEST',
        verifiedBy: 'slack',
        at: NOW.toISOString(),
      });

      await expect(acquire(f.deps, forged())).rejects.toMatchObject({
        name: 'Unauthorized',
        message: expect.stringContaining('U_GUEST is not a release manager of demo'),
      });

      await f.store.putExecutionValue(EXECUTION_ID, START_RECORD, {
        requestedBy: 'U_RELEASE_MANAGER',
        verifiedBy: 'slack',
        at: NOW.toISOString(),
      });
      expect((await acquire(f.deps, forged())).request).toMatchObject({
        requestedBy: 'U_RELEASE_MANAGER',
        verifiedBy: 'slack',
      });
    });

    it('locally, records an unrecorded start as unverified, whatever the input claims', async () => {
      expect((await acquire(f.deps, forged())).request).toMatchObject({ verifiedBy: 'local' });
    });
  });

  it('refuses with LockHeld naming the holder, and leaves its lock alone', async () => {
    await holdLock(f.store, OTHER);

    await expect(acquire(f.deps, stepPayload('ValidateAndLock'))).rejects.toMatchObject({
      name: 'LockHeld',
      message: expect.stringContaining(
        `demo is already going live: run-0 (version 2.0.0, by U_RELEASE_MANAGER, since ${NOW.toISOString()})`,
      ),
    });
    expect((await f.store.getLock('demo'))?.executionId).toBe(OTHER);
    expect(f.traffic.calls.map((c) => c.op)).not.toContain('prepareCandidate');
    const [record] = await f.audit();
    expect(record).toMatchObject({
      step: 'ValidateAndLock',
      outcome: 'failed',
      evidence: { holder: { executionId: OTHER } },
    });
  });

  it('refuses traffic split outside any go-live with InvalidRequest and releases the lock it took', async () => {
    f.traffic.weights = { blue: 70, green: 30 };

    await expect(acquire(f.deps, stepPayload('ValidateAndLock'))).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringContaining('traffic of demo is split (blue 70% / green 30%) outside any go-live'),
    });
    expect(await f.store.getLock('demo')).toBeUndefined();
    expect(f.traffic.calls.map((c) => c.op)).toEqual(['readWeights']);
  });

  it('refuses an invalid request with InvalidRequest before touching the router or the lock', async () => {
    const event = stepPayload('ValidateAndLock', {
      request: { service: 'demo', version: 'latest', requestedBy: 'U1' },
    });

    await expect(acquire(f.deps, event)).rejects.toMatchObject({ name: 'InvalidRequest' });
    expect(f.traffic.calls).toEqual([]);
    expect(await f.store.getLock('demo')).toBeUndefined();
  });

  it('plans from the live version recorded by the last go-live', async () => {
    await f.store.setLiveVersion('demo', '1.9.0', 'blue', NOW);

    const { plan } = await acquire(f.deps, stepPayload('ValidateAndLock'));

    expect(plan.stableVersion).toBe('1.9.0');
  });
});

describe('release (ReleaseLock, ReleaseLockAfterRollback)', () => {
  it('records the candidate as live and releases the lock after a successful go-live', async () => {
    await holdLock(f.store);

    const result = await release(f.deps, stepPayload('ReleaseLock'));

    expect(result).toEqual({ released: true, liveVersion: '2.0.0' });
    expect(await f.store.getLiveVersion('demo')).toEqual({
      version: '2.0.0',
      slot: 'green',
      at: NOW.toISOString(),
      executionId: EXECUTION_ID,
    });
    expect(await f.store.getLock('demo')).toBeUndefined();
  });

  it('releases the lock after a rollback without recording a new live version', async () => {
    await holdLock(f.store);

    const result = await release(f.deps, stepPayload('ReleaseLockAfterRollback'));

    expect(result).toEqual({ released: true });
    expect(await f.store.getLiveVersion('demo')).toBeUndefined();
    expect(await f.store.getLock('demo')).toBeUndefined();
  });

  it("leaves another execution's lock and the live version alone", async () => {
    await holdLock(f.store, OTHER);

    const result = await release(f.deps, stepPayload('ReleaseLock'));

    expect(result).toEqual({ released: false });
    expect((await f.store.getLock('demo'))?.executionId).toBe(OTHER);
    expect(await f.store.getLiveVersion('demo')).toBeUndefined();
    expect((await f.audit())[0].summary).toBe('lock on demo not held by this execution: left as it is');
  });

  it('closes a pending sign-off as expired after a timeout and deletes the callback tokens left', async () => {
    await holdLock(f.store);
    await f.store.createApproval(pendingApproval({ expiresAt: NOW.toISOString() }));
    await f.store.putCallback({
      token: 'task-token-1',
      executionId: EXECUTION_ID,
      service: 'demo',
      kind: 'approval',
      alarms: [],
      approvalId: 'apr-1',
      createdAt: NOW.toISOString(),
    });
    const event = stepPayload('ReleaseLockAfterRollback', { error: { Error: 'States.Timeout' } });

    await release(f.deps, event);

    expect((await f.store.getApproval('apr-1'))?.status).toBe('expired');
    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID })).toEqual([]);
  });

  it('still releases after a rollback when an abort was requested, but ReleaseLock refuses with GoLiveAborted', async () => {
    await holdLock(f.store);
    await f.store.putExecutionValue(EXECUTION_ID, 'abort', { by: 'U_RM', reason: 'wrong build' });

    await expect(release(f.deps, stepPayload('ReleaseLock'))).rejects.toMatchObject({ name: 'GoLiveAborted' });
    expect(await f.store.getLock('demo')).toBeDefined();
    await expect(release(f.deps, stepPayload('ReleaseLockAfterRollback'))).resolves.toEqual({ released: true });
    expect(await f.store.getLock('demo')).toBeUndefined();
  });
});

describe('acquire refuses a bake that would pass blind', () => {
  it('names the slowest watched alarm and the minimum, and takes no lock', async () => {
    f.alerts.set('demo-5xx-rate', { evaluationSeconds: 180 });

    await expect(acquire(f.deps, stepPayload('ValidateAndLock'))).rejects.toMatchObject({
      name: 'InvalidRequest',
      message: expect.stringContaining(
        'strategy.bakeSeconds is 5 s but alarm demo-5xx-rate needs 180 s (period × datapoints to alarm)',
      ),
    });
    expect(await f.store.getLock('demo')).toBeUndefined();
    expect(f.traffic.calls.map((c) => c.op)).not.toContain('prepareCandidate');
  });

  it('goes on when every watched alarm can fire within a bake', async () => {
    f.alerts.set('demo-5xx-rate', { evaluationSeconds: 5 });

    const { lock } = await acquire(f.deps, stepPayload('ValidateAndLock'));

    expect(lock.service).toBe('demo');
  });
});
