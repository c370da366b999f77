import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { findApprovalMessage, findCard, messageText, threadOf } from './helpers';

/** The other /golive subcommands and the start form, end to end through the emulator. */
describe('/golive subcommands on the local emulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: testConfig({ approval: { timeoutSeconds: 1 } }), slack: { port: 0 } });
  });
  afterAll(() => h.close());
  const slack = () => h.rt.slack!.emulator;
  const lastEphemeral = (user: string, includes: string) =>
    slack().waitFor((e) => e.ephemerals(user).find((m) => m.text.includes(includes)));
  const cardOf = (version: string) => (version ? findCardFor(version) : undefined);
  const findCardFor = (version: string) =>
    slack()
      .messages()
      .find((m) => !m.thread_ts && messageText(m).includes(`Go-live: demo ${version}`));

  it('starts from the form opened by /golive alone, with field errors shown in the modal', async () => {
    await slack().command(REQUESTER, '');
    const opened = await slack().waitFor((e) => e.openView(REQUESTER));

    await slack().submit(REQUESTER, { service: 'demo', version: 'two' });
    const withError = slack().openView(REQUESTER);
    await slack().submit(REQUESTER, { service: 'demo', version: '3.0.0', strategy: 'all-at-once', notes: 'form' });
    await lastEphemeral(REQUESTER, 'Started');

    expect(JSON.stringify(opened?.view)).toContain('golive_start_modal');
    expect(withError?.errors?.version).toContain('not a semantic version');
    expect(slack().openView(REQUESTER)).toBeUndefined();
  });

  it('expires an unanswered sign-off: rolled back, the approval shows Expired and offers no button any more', async () => {
    const approval = await slack().waitFor((e) =>
      e.messages().find((m) => messageText(m).includes('Sign-off: demo 3.0.0') && !m.thread_ts),
    );
    await slack().waitFor((e) => {
      const c = findCard(e);
      return c && messageText(c).includes('Rolled back') && threadOf(e, c.ts).some((t) => t.includes('took'));
    });
    const final = slack()
      .messages()
      .find((m) => m.ts === approval.ts)!;

    const late = await slack()
      .click(APPROVER, approval.ts, 'golive_approve')
      .catch((err: Error) => err.message);

    expect(messageText(final)).toContain('Expired');
    expect(messageText(final)).not.toContain('golive_approve');
    expect(String(late)).toContain('has no button');
    expect(findApprovalMessage(slack())).toBeUndefined();
  });

  it('answers status and history privately', async () => {
    // The card shows "Rolled back" a moment before the execution itself ends: wait for the end.
    const [latest] = h.rt.engine.listExecutions({ stateMachineArn: h.rt.stateMachineArn }).executions;
    await h.finished(latest.executionArn!);
    await slack().command(APPROVER, 'status demo');
    const status = await lastEphemeral(APPROVER, 'FAILED');
    await slack().command(APPROVER, 'history demo');
    const history = await lastEphemeral(APPROVER, 'last 1 go-live');

    expect(status.text).toContain('States.Timeout');
    expect(history.text).toContain('demo 3.0.0');
  });

  it('aborts a running go-live for a release manager only, with a thread reply on its card', async () => {
    await slack().command(REQUESTER, 'demo 3.1.0 canary');
    const started = await lastEphemeral(REQUESTER, 'Started `demo-3-1-0');
    const name = /`([^`]+)`/.exec(started.text)![1];

    await slack().command(APPROVER, `abort ${name}`);
    const refused = await lastEphemeral(APPROVER, 'cannot abort');
    await slack().command(REQUESTER, `abort ${name} wrong build`);
    await lastEphemeral(REQUESTER, 'is rolling back');
    const card = await slack().waitFor(() => {
      const c = cardOf('3.1.0');
      return c && messageText(c).includes('Rolled back') ? c : undefined;
    });

    expect(refused.text).toContain('only release managers');
    expect(threadOf(slack(), card.ts).some((t) => t.includes('Abort requested by') && t.includes('wrong build'))).toBe(
      true,
    );
  });
});
