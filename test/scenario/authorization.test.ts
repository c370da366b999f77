import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { startHarness, type Harness } from '../support/harness';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';

/** Authorization inside the workflow, on the real ASL and the local engine: whatever path started or resumed it. */
describe('authorization in the workflow', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('refuses a requester who is not a release manager at ValidateAndLock, changing nothing', async () => {
    const before = await alertsSnapshot(h);

    const arn = await h.start({ requestedBy: 'U_GUEST' });
    const exec = await h.finished(arn);

    expect({ status: exec.status, error: exec.error }).toEqual({ status: 'FAILED', error: 'Unauthorized' });
    expect(exec.cause).toContain('U_GUEST is not a release manager of demo');
    expect(h.rt.targets.get('demo')!.router.weights()).toEqual({ blue: 100, green: 0 });
    expect(await alertsSnapshot(h)).toEqual(before);
    expect(await h.rt.store.getLock('demo')).toBeUndefined();
    const steps = (await h.rt.store.listAudit(arn)).map((r) => `${r.step} ${r.outcome}`);
    expect(steps).toContain('ValidateAndLock failed');
    expect(steps).not.toContain('MuteAlerts succeeded');
  });

  it('never promotes a go-live resumed with the task token from the history: Unauthorized, rolled back', async () => {
    const before = await alertsSnapshot(h);
    const arn = await h.start();
    await h.waitForCallback(arn, 'SignOff');
    // What anyone able to read the execution history (GetExecutionHistory) finds there, once it has SignOff.
    const entered = await h.waitForEvent(arn, (e) => e.stateEnteredEventDetails?.name === 'SignOff');
    const scheduled = await h.waitForEvent(arn, (e) => e.type === 'TaskScheduled' && e.id! > entered.id!);
    const token = (JSON.parse(scheduled.taskScheduledEventDetails!.parameters!) as { Payload: { taskToken: string } })
      .Payload.taskToken;
    expect(token).toBeTruthy();

    await h.rt.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));

    await expectRolledBack(h, arn, 'Unauthorized', before);
    const promote = (await h.rt.store.listAudit(arn)).find((r) => r.step === 'Promote')!;
    expect(promote).toMatchObject({
      outcome: 'failed',
      summary: expect.stringContaining('the sign-off is pending, not approved'),
    });
    // The approval can no longer be voted on: its buttons change nothing.
    expect((await h.rt.store.findApprovalByExecution(arn))?.status).toBe('aborted');
  });
});
