import { startBake } from '../../../lambdas/core/steps/bake';
import { EXECUTION_ID, fakeDeps, NOW, stepPayload, type FakeDeps } from '../../support/fake-deps';
import { testPlan } from '../../support/payloads';

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

describe('startBake (Bake, PostPromotionBake)', () => {
  it('registers its task token against the watched alarms and returns the bake time', async () => {
    const result = await startBake(f.deps, stepPayload('Bake', { weight: 10 }));

    expect(result).toEqual({ watching: ['demo-5xx-rate'], seconds: 1 });
    expect(await f.store.findCallbacks({ alarmName: 'demo-5xx-rate', kind: 'bake' })).toEqual([
      expect.objectContaining({
        token: 'task-token-1',
        executionId: EXECUTION_ID,
        service: 'demo',
        kind: 'bake',
        alarms: ['demo-5xx-rate'],
        createdAt: NOW.toISOString(),
      }),
    ]);
    expect((await f.audit())[0].summary).toBe('baking 10% for 1s while watching demo-5xx-rate');
  });

  it('bakes for the post-promotion time after the switch', async () => {
    const plan = testPlan({ postPromotionBakeSeconds: 30 });

    const result = await startBake(f.deps, stepPayload('PostPromotionBake', { plan }));

    expect(result.seconds).toBe(30);
  });

  it('fails at once with AlarmTriggered when an alarm is already in ALARM, and removes its token', async () => {
    f.alerts.set('demo-5xx-rate', { state: 'ALARM' });

    await expect(startBake(f.deps, stepPayload('Bake'))).rejects.toMatchObject({
      name: 'AlarmTriggered',
      message: 'alarm demo-5xx-rate already in ALARM when the bake started',
    });
    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID })).toEqual([]);
    expect((await f.audit())[0]).toMatchObject({
      outcome: 'failed',
      evidence: { alarms: [expect.objectContaining({ name: 'demo-5xx-rate', state: 'ALARM' })] },
    });
  });

  it('does not fail on an alarm with insufficient data', async () => {
    f.alerts.set('demo-5xx-rate', { state: 'INSUFFICIENT_DATA' });

    await expect(startBake(f.deps, stepPayload('Bake'))).resolves.toMatchObject({ seconds: 1 });
    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID })).toHaveLength(1);
  });
});
