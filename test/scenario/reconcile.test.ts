import { JANITOR_ACTOR } from '../../lambdas/core/steps/janitor';
import type { BusEvent } from '../../local/event-bus';
import { startHarness, testConfig } from '../support/harness';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';

const STATUS_CHANGE = 'Step Functions Execution Status Change';

describe('the reconciler', () => {
  it('rolls back an execution whose status change event never reached the janitor', async () => {
    const h = await startHarness({ config: testConfig() });
    try {
      // EventBridge delivers best-effort: this execution's status change events are lost.
      const publish = h.rt.bus.publish.bind(h.rt.bus);
      h.rt.bus.publish = (event: BusEvent) => {
        if (event['detail-type'] !== STATUS_CHANGE) publish(event);
      };
      const before = await alertsSnapshot(h);
      // Ends FAILED with States.Runtime at SignOff (no Catch matches): 50% canary traffic, the lock
      // held and the alarms muted; its rollback path never runs (as in test/scenario/janitor.test.ts).
      h.rt.config.approval.timeoutSeconds = 0;

      const arn = await h.start();
      expect((await h.finished(arn)).status).toBe('FAILED');
      await h.rt.bus.drain();
      expect((await h.rt.store.getLock('demo'))?.executionId).toBe(arn);
      expect(h.rt.targets.get('demo')!.router.weights()).toEqual({ blue: 50, green: 50 });

      // The reconcile schedule fires (locally every minute).
      publish({ 'detail-type': 'Scheduled Event', source: 'aws.events', resources: ['golive-reconcile'], detail: {} });
      await h.rt.bus.drain();

      await expectRolledBack(h, arn, 'States.Runtime', before);
      const janitor = (await h.rt.store.listAudit(arn)).find((r) => r.actor === JANITOR_ACTOR);
      expect(janitor).toMatchObject({ step: 'Janitor', evidence: { status: 'FAILED', error: 'States.Runtime' } });
      expect(h.rt.notifier.list(arn).filter((n) => n.kind === 'rolled-back')).toHaveLength(1);
    } finally {
      await h.close();
    }
  });
});
