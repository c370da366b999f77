import { verifyChain } from '../../lambdas/core/audit';
import type { Harness } from './harness';

export interface AlertsSnapshot {
  rules: { name: string; alarms: string[] }[];
  alarms: { name: string; actionsEnabled: boolean; muted: boolean }[];
}

export async function alertsSnapshot(h: Harness): Promise<AlertsSnapshot> {
  const alarms = await h.rt.alerts.describe(h.rt.config.services.demo.alerts.alarms);
  return {
    rules: h.rt.alerts.muteRules(),
    alarms: alarms.map(({ name, actionsEnabled, muted }) => ({ name, actionsEnabled, muted })),
  };
}

/**
 * Every rollback invariant of DESIGN.md: execution FAILED with the first error's name; traffic
 * 100% on the stable slot, measured through the router; alerts exactly as before; lock released;
 * audit trail complete and intact; requester notified. `status` ABORTED: an execution that ended
 * outside its rollback path (a runtime that died) and that the janitor rolled back.
 */
export async function expectRolledBack(
  h: Harness,
  executionArn: string,
  errorName: string,
  alertsBefore: AlertsSnapshot,
  stableSlot: 'blue' | 'green' = 'blue',
  status: 'FAILED' | 'ABORTED' = 'FAILED',
): Promise<void> {
  const exec = await h.finished(executionArn);
  expect({ status: exec.status, error: exec.error }).toEqual({ status, error: errorName });

  const candidate = stableSlot === 'blue' ? 'green' : 'blue';
  expect(h.rt.targets.get('demo')!.router.weights()).toEqual({ [stableSlot]: 100, [candidate]: 0 });
  const served = await h.measureTraffic(20);
  expect(served).toEqual({ [stableSlot]: 20, [candidate]: 0 });

  expect(await alertsSnapshot(h)).toEqual(alertsBefore);
  expect(await h.rt.store.getLock('demo')).toBeUndefined();

  const audit = await h.rt.store.listAudit(executionArn);
  expect(verifyChain(audit)).toMatchObject({ intact: true });
  const steps = audit.map((r) => r.step);
  expect(steps).toEqual(
    expect.arrayContaining(['Rollback', 'UnmuteAfterRollback', 'ReleaseLockAfterRollback', 'NotifyRollback']),
  );
  const rollback = audit.find((r) => r.step === 'Rollback')!;
  expect(rollback.outcome).toBe('succeeded');

  const notes = h.rt.notifier.list(executionArn);
  expect(notes.map((n) => n.kind)).toContain('rolled-back');
  // The janitor reports an ABORTED execution's end as ExecutionAborted (lambdas/core/steps/janitor.ts).
  // A sign-off that timed out is told in words (lambdas/core/steps/notify.ts), never as States.Timeout.
  const notified =
    status === 'ABORTED' ? 'ExecutionAborted' : errorName === 'States.Timeout' ? 'the sign-off expired at' : errorName;
  expect(notes.find((n) => n.kind === 'rolled-back')!.text).toContain(notified);
}
