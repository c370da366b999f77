import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { findApprovalMessage, findCard, messageText, threadOf } from './helpers';

const LOUD = /<!channel>|<!here>|<!everyone>/;

/** What people type, through the emulator and the real Slack app over HTTP: answered in time, shown as typed. */
describe('hostile input on the local emulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: testConfig(), slack: { port: 0 } });
  });
  afterAll(() => h.close());
  const slack = () => h.rt.slack!.emulator;
  const said = (user: string, includes: string) =>
    slack().waitFor((e) => e.ephemerals(user).find((m) => m.text.includes(includes)));
  /** Everything in the channel, texts and blocks, threads included. */
  const channel = () =>
    slack()
      .messages()
      .map((m) => messageText(m))
      .join('\n');

  it.each(['constructor', '__proto__', 'toString'])(
    'answers "/golive %s 1.0.0" at once: unknown service, nothing started',
    async (service) => {
      const sent = await slack().command(REQUESTER, `${service} 1.0.0`);

      expect(sent.status).toBe(200);
      expect(JSON.parse(sent.body).text).toContain(`unknown service "${service}"`);
      expect(h.rt.engine.listExecutions({ stateMachineArn: h.rt.stateMachineArn }).executions).toEqual([]);
    },
  );

  it.each(['status constructor', 'history __proto__', 'status toString'])('answers "/golive %s"', async (text) => {
    const sent = await slack().command(REQUESTER, text);
    const answer = await said(REQUESTER, text.split(' ')[1]);

    expect(sent.status).toBe(200);
    expect(answer.text).toMatch(/unknown service|neither a service/);
  });

  it('answers a status of something that cannot be an execution name, showing it as typed', async () => {
    const sent = await slack().command(REQUESTER, 'status <!channel>|x');
    const answer = await said(REQUESTER, '&lt;!channel&gt;');

    expect(sent.status).toBe(200);
    expect(answer.text).toContain('"&lt;!channel&gt;|x" is neither a service');
  });

  it('shows a reject reason as typed, in the thread and on the approval message, never as a mention', async () => {
    const reason = '<!channel> <!here> <@U_APPROVER_BEN> R&D broke';
    await slack().command(REQUESTER, 'demo 2.0.0 canary');
    const approval = await slack().waitFor(findApprovalMessage);

    await slack().click(APPROVER, approval.ts, 'golive_reject');
    await slack().waitFor((e) => e.openView(APPROVER));
    await slack().submit(APPROVER, { reason });
    const card = await slack().waitFor((e) => {
      const c = findCard(e);
      return c && messageText(c).includes('Rolled back') && threadOf(e, c.ts).some((t) => t.includes('took'))
        ? c
        : undefined;
    });

    const escaped = '&lt;!channel&gt; &lt;!here&gt; &lt;@U_APPROVER_BEN&gt; R&amp;D broke';
    expect(threadOf(slack(), card.ts).filter((t) => t.includes(escaped)).length).toBeGreaterThanOrEqual(2);
    expect(
      messageText(
        slack()
          .messages()
          .find((m) => m.ts === approval.ts)!,
      ),
    ).toContain(escaped);
    expect(channel()).not.toMatch(LOUD);
    expect(channel()).not.toContain('<@U_APPROVER_BEN> R&D');
    const [execution] = h.rt.engine.listExecutions({ stateMachineArn: h.rt.stateMachineArn }).executions;
    const votes = (await h.rt.store.findApprovalByExecution(execution.executionArn!))?.votes;
    expect(votes).toEqual([expect.objectContaining({ reason, verifiedBy: 'slack', voterName: 'approver-ana' })]);
  });

  it('shows an abort reason as typed, and records the release manager verified by Slack, by name', async () => {
    await slack().command(REQUESTER, 'demo 2.1.0 canary');
    const started = await said(REQUESTER, 'Started `demo-2-1-0');
    const name = /`([^`]+)`/.exec(started.text)![1];
    await slack().waitFor((e) =>
      e.messages().find((m) => !m.thread_ts && messageText(m).includes('Sign-off: demo 2.1.0')),
    );

    await slack().command(REQUESTER, `abort ${name} <!everyone> & <b>`);
    await said(REQUESTER, 'is rolling back');
    const card = await slack().waitFor((e) => {
      const c = e.messages().find((m) => !m.thread_ts && messageText(m).includes('Go-live: demo 2.1.0'));
      return c && messageText(c).includes('Rolled back') && threadOf(e, c.ts).some((t) => t.includes('took'))
        ? c
        : undefined;
    });

    const thread = threadOf(slack(), card.ts);
    expect(thread).toContain(
      '🛑 Abort requested by <@U_RELEASE_MANAGER>: &lt;!everyone&gt; &amp; &lt;b&gt;. Rolling back.',
    );
    expect(channel()).not.toMatch(LOUD);
    const arn = h.rt.engine
      .listExecutions({ stateMachineArn: h.rt.stateMachineArn })
      .executions.find((e) => e.name === name)!.executionArn!;
    const audit = await h.rt.store.listAudit(arn);
    expect(audit.find((a) => a.action === 'abort')).toEqual(
      expect.objectContaining({ actor: REQUESTER, verifiedBy: 'slack', actorName: 'release-manager' }),
    );
  });
});
