import { START_RECORD } from '../../lambdas/core/steps/lock';
import { startHarness, type Harness } from '../support/harness';

/** Who starts a go-live is what the front end verified (the start record), not what the input claims. */
describe('the start record', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
    h.autoApprove();
  });
  afterAll(() => h.close());

  it('is written by the client before StartExecution and is what ValidateAndLock records', async () => {
    const started = await h.rt.client.start(
      { user: 'U_RELEASE_MANAGER', verifiedBy: 'slack', name: 'Rita' },
      { service: 'demo', version: '2.0.0' },
    );

    expect(await h.rt.store.getExecutionValue(started.executionArn, START_RECORD)).toMatchObject({
      requestedBy: 'U_RELEASE_MANAGER',
      verifiedBy: 'slack',
    });
    expect((await h.finished(started.executionArn)).status).toBe('SUCCEEDED');
    const lock = (await h.rt.store.listAudit(started.executionArn)).find((r) => r.step === 'ValidateAndLock')!;
    expect(lock.evidence).toMatchObject({ request: { requestedBy: 'U_RELEASE_MANAGER', verifiedBy: 'slack' } });
  });

  it('locally, a raw StartExecution claiming IAM verification is recorded as unverified', async () => {
    const arn = await h.start({ verifiedBy: 'iam' });

    expect((await h.finished(arn)).status).toBe('SUCCEEDED');
    const lock = (await h.rt.store.listAudit(arn)).find((r) => r.step === 'ValidateAndLock')!;
    expect(lock.evidence).toMatchObject({ request: { verifiedBy: 'local' } });
  });
});
