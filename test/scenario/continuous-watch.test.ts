import type { TaskName } from '../../lambdas/core/workflow/definition';
import type { Strategy } from '../../lambdas/core/strategies';
import { startTrafficGenerator } from '../../local/demo';
import { startHarness, testConfig } from '../support/harness';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';

/**
 * From the first traffic change until alerts are unmuted, a watched alarm rolls back: each bake,
 * the sign-off once traffic has moved, and the post-promotion bake (every strategy has one; a
 * canary's is the same state, and its plan is asserted in test/core/policy.test.ts). The candidate
 * starts failing when the named state starts waiting; the real alarm evaluator sees the 5xx share
 * through the router and the alarm handler fails the waiting task (SendTaskFailure).
 */
describe('a watched alarm firing while the go-live waits', () => {
  const moments: [string, Strategy, TaskName][] = [
    ['a canary bake', 'canary', 'Bake'],
    ['the sign-off, with canary traffic on the candidate', 'canary', 'SignOff'],
    ['the post-promotion bake of a blue/green switch', 'blue-green', 'PostPromotionBake'],
    ['the post-promotion bake of an all-at-once go-live', 'all-at-once', 'PostPromotionBake'],
  ];

  it.each(moments)(
    'rolls back at once during %s',
    async (_moment, strategy, waitingState) => {
      // Bakes and the sign-off far longer than the test: only the alarm can end them early. The bake
      // under test is long; the others short, so the go-live reaches the moment quickly.
      const longBake = waitingState !== 'SignOff';
      const h = await startHarness({
        config: testConfig({
          approval: { timeoutSeconds: 600 },
          demo: { strategy: { default: strategy, canarySteps: [20, 50], bakeSeconds: longBake ? 120 : 1 } },
        }),
      });
      try {
        const before = await alertsSnapshot(h);
        const demo = h.rt.targets.get('demo')!;
        const traffic = startTrafficGenerator(demo.router.url, { ratePerSecond: 50 });
        h.rt.onTask(waitingState, () => demo.green.setFaults({ errorRate: 1 }));
        if (waitingState !== 'SignOff') h.autoApprove();

        const arn = await h.start({ strategy });
        const exec = await h.finished(arn);
        await traffic.stop();
        demo.green.setFaults({ errorRate: 0 });

        expect(exec.stopDate!.getTime() - exec.startDate!.getTime()).toBeLessThan(60_000);
        await expectRolledBack(h, arn, 'AlarmTriggered', before);
        const alarmRecord = (await h.rt.store.listAudit(arn)).find((r) => r.action === 'alarm')!;
        expect(alarmRecord).toMatchObject({ step: waitingState, actor: 'alarm:demo-5xx-rate' });
        // golive's mute was on: on-call was not paged; golive's own watch still acted.
        expect(h.rt.alerts.pages()).toEqual([]);
      } finally {
        await h.close();
      }
    },
    90_000,
  );
});
