import type { Actor } from '../../lambdas/core/client';
import { startTrafficGenerator } from '../../local/demo';
import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';

const manager: Actor = { user: REQUESTER, verifiedBy: 'local' };
const outsider: Actor = { user: APPROVER, verifiedBy: 'local' };

/** The workflow steps of a go-live's audit trail, in order, with their outcome. */
async function steps(h: Harness, arn: string): Promise<string[]> {
  return (await h.rt.store.listAudit(arn)).map((r) => `${r.step} ${r.action} ${r.outcome}`);
}

/** Resolves when the go-live holds at a step boundary (its Paused task waits for its token). */
async function held(h: Harness, arn: string, state: 'Paused' | 'PausedBeforePromotion' = 'Paused'): Promise<void> {
  await h.waitForCallback(arn, state);
}

describe('steering a running go-live: pause, resume, promote', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: testConfig({ demo: { strategy: { default: 'canary', canarySteps: [10, 50], bakeSeconds: 1 } } }),
    });
  });
  afterAll(() => h.close());
  afterEach(() => h.stopAutoApprove());

  it('holds a paused go-live at the next step boundary, traffic untouched, until a release manager resumes it', async () => {
    const { executionArn: arn } = await h.rt.client.start(manager, { service: 'demo', version: '2.0.0' });
    await expect(h.rt.client.control(outsider, arn, 'pause')).rejects.toMatchObject({ code: 'Unauthorized' });

    const paused = await h.rt.client.control(manager, arn, 'pause', 'waiting for the payments team');
    await held(h, arn);

    expect(paused.message).toContain('paused');
    const detail = await h.rt.client.describe(arn);
    expect(detail).toMatchObject({ status: 'RUNNING', paused: true, held: true, currentStep: 'Paused' });
    expect(h.rt.targets.get('demo')!.router.weights()).toEqual({ blue: 100, green: 0 });
    await expect(h.rt.client.control(manager, arn, 'pause')).rejects.toMatchObject({ code: 'Conflict' });

    h.autoApprove();
    await h.rt.client.control(manager, arn, 'resume', 'payments ready');
    const exec = await h.finished(arn);

    expect(exec.status).toBe('SUCCEEDED');
    expect((await h.rt.client.describe(arn)).paused).toBe(false);
    const trail = await steps(h, arn);
    expect(trail).toEqual(
      expect.arrayContaining([
        'Controls pause info',
        'Checkpoint hold succeeded',
        'Controls resume info',
        'Checkpoint checkpoint succeeded',
      ]),
    );
    const pause = (await h.rt.store.listAudit(arn)).find((r) => r.action === 'pause')!;
    expect(pause).toMatchObject({
      actor: REQUESTER,
      verifiedBy: 'local',
      summary: expect.stringContaining('payments'),
    });
  });

  it('skips the remaining canary steps when promoted, and still asks for the sign-off', async () => {
    h.rt.onTask('Bake', async () => {
      const running = (await h.rt.client.list({ status: 'RUNNING' })).goLives[0];
      if (running && !(await h.rt.client.describe(running.name)).promote)
        await h.rt.client.control(manager, running.executionArn, 'promote', 'the 10% canary is convincing');
    });
    h.autoApprove();

    const { executionArn: arn } = await h.rt.client.start(manager, { service: 'demo', version: '2.0.1' });
    const exec = await h.finished(arn);

    expect(exec.status).toBe('SUCCEEDED');
    const records = await h.rt.store.listAudit(arn);
    const shifts = records.filter((r) => r.step === 'ShiftTraffic' && r.outcome === 'succeeded');
    expect(shifts).toHaveLength(1);
    expect(shifts[0].summary).toContain('10%');
    expect(records.find((r) => r.step === 'Checkpoint' && r.outcome === 'succeeded')?.summary).toMatch(
      /promoted by U_RELEASE_MANAGER: canary step\(s\) 50% skipped, straight to the sign-off/,
    );
    expect(records.some((r) => r.step === 'SignOff' && r.action === 'approved')).toBe(true);
  });
});

describe('a hold is bounded and watched', () => {
  it('rolls back a pause that outlives controls.maxHoldSeconds (PauseExpired)', async () => {
    const base = testConfig();
    const h = await startHarness({ config: { ...base, controls: { ...base.controls, maxHoldSeconds: 1 } } });
    try {
      const before = await alertsSnapshot(h);
      h.rt.onTask('PreTrafficSmokeTests', async () => {
        const running = (await h.rt.client.list({ status: 'RUNNING' })).goLives[0];
        await h.rt.client.control(manager, running.executionArn, 'pause');
      });

      const { executionArn: arn } = await h.rt.client.start(manager, { service: 'demo', version: '2.0.0' });

      await expectRolledBack(h, arn, 'PauseExpired', before);
      const exec = await h.finished(arn);
      expect(exec.cause).toContain('controls.maxHoldSeconds is 1 s');
    } finally {
      await h.close();
    }
  });

  it('rolls back at once when a watched alarm fires while held with canary traffic on the candidate', async () => {
    const h = await startHarness({
      config: testConfig({ demo: { strategy: { default: 'canary', canarySteps: [20, 50], bakeSeconds: 1 } } }),
    });
    try {
      const before = await alertsSnapshot(h);
      const demo = h.rt.targets.get('demo')!;
      const traffic = startTrafficGenerator(demo.router.url, { ratePerSecond: 50 });
      h.rt.onTask('AnalyzeCanary', async () => {
        const running = (await h.rt.client.list({ status: 'RUNNING' })).goLives[0];
        if (!(await h.rt.client.describe(running.name)).paused)
          await h.rt.client.control(manager, running.executionArn, 'pause');
      });
      h.rt.onTask('Paused', () => demo.green.setFaults({ errorRate: 1 }));

      const { executionArn: arn } = await h.rt.client.start(manager, { service: 'demo', version: '2.0.0' });
      const exec = await h.finished(arn);
      await traffic.stop();
      demo.green.setFaults({ errorRate: 0 });

      expect(exec.error).toBe('AlarmTriggered');
      await expectRolledBack(h, arn, 'AlarmTriggered', before);
      expect((await h.rt.store.listAudit(arn)).find((r) => r.action === 'alarm')).toMatchObject({ step: 'Paused' });
    } finally {
      await h.close();
    }
  }, 60_000);
});
