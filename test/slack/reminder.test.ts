import { WebClient } from '@slack/web-api';
import type { Notifier } from '../../lambdas/core/ports';
import { slackNotifier } from '../../lambdas/providers/slack/notifier';
import { startSlackEmulator, type SlackEmulator } from '../../local/slack-emulator/server';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { EXECUTION_ID, NOW, pendingApproval } from '../support/fake-deps';
import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { approveInEmulator, findApprovalMessage, findCard, messageText, threadOf } from './helpers';

const BEN = 'U_APPROVER_BEN';
/** What remindApprovers sends (lambdas/core/steps/remind.ts), with a checklist title someone typed in the config. */
const REMINDER = {
  kind: 'approval-reminder' as const,
  executionId: EXECUTION_ID,
  service: 'demo',
  version: '2.0.0',
  text:
    '⏰ Reminder: the sign-off of demo 2.0.0 still waits: 1 of 2 approvals; expires at 10:15 UTC, in 9 minutes, ' +
    'and the go-live then rolls back. Not voted yet: U_APPROVER_BEN. ' +
    'Required items still to attest: Runbook <!channel> [runbook] (U_SRE_SAM).',
  details: { approvalId: 'apr-1', mention: [BEN, 'U_SRE_SAM'] },
};

describe('Slack sign-off reminder (notifier on the emulator)', () => {
  let emulator: SlackEmulator;
  let store: SqliteStore;
  let notifier: Notifier;
  beforeEach(async () => {
    emulator = await startSlackEmulator({
      port: 0,
      signingSecret: 'secret',
      botToken: 'xoxb-test',
      channel: '#releases',
      users: [],
    });
    store = new SqliteStore(':memory:');
    const client = new WebClient('xoxb-test', { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 } });
    notifier = slackNotifier(client, { channel: '#releases', store, now: () => NOW });
  });
  afterEach(async () => {
    store.close();
    await emulator.close();
  });

  it('mentions the approvers in the sign-off request, and nobody else', async () => {
    await store.createApproval(pendingApproval({ approvers: [APPROVER, BEN], minApprovals: 2 }));

    await notifier.notify({
      kind: 'approval-requested',
      executionId: EXECUTION_ID,
      service: 'demo',
      version: '2.0.0',
      text: `Sign-off needed: demo 2.0.0 requested by ${REQUESTER}. Approvers: ${APPROVER}, ${BEN}.`,
      details: { approvalId: 'apr-1', approvers: [APPROVER, BEN] },
    });

    const message = findApprovalMessage(emulator)!;
    expect(message.text).toBe(
      `Sign-off needed: demo 2.0.0 requested by ${REQUESTER}. Approvers: <@${APPROVER}>, <@${BEN}>.`,
    );
  });

  it('replies in the approval message thread, mentioning whom it is for, the rest escaped', async () => {
    await store.createApproval(pendingApproval({ approvers: [APPROVER, BEN], minApprovals: 2 }));
    await notifier.notify({
      kind: 'approval-requested',
      executionId: EXECUTION_ID,
      service: 'demo',
      version: '2.0.0',
      text: 'Sign-off needed',
      details: { approvalId: 'apr-1', approvers: [APPROVER, BEN] },
    });
    const approval = findApprovalMessage(emulator)!;

    const sent = await notifier.notify(REMINDER);

    expect(sent.delivered).toBe(true);
    expect(threadOf(emulator, approval.ts)).toEqual([
      '⏰ Reminder: the sign-off of demo 2.0.0 still waits: 1 of 2 approvals; expires at 10:15 UTC, in 9 minutes, ' +
        'and the go-live then rolls back. Not voted yet: <@U_APPROVER_BEN>. ' +
        'Required items still to attest: Runbook &lt;!channel&gt; [runbook] (<@U_SRE_SAM>).',
    ]);
    // Only the thread reply: the approval message itself is left as it was.
    expect(emulator.messages().filter((m) => !m.thread_ts)).toHaveLength(1);
  });

  it('posts the reminder in the channel when there is no approval message to reply to', async () => {
    await notifier.notify(REMINDER);

    const [message] = emulator.messages();
    expect(message.thread_ts).toBeUndefined();
    expect(message.text).toContain('Not voted yet: <@U_APPROVER_BEN>.');
  });
});

describe('Slack sign-off reminder on the local runtime', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({
      config: testConfig({ approval: { minApprovals: 1, timeoutSeconds: 900, remindBeforeSeconds: 600 } }),
      slack: { port: 0 },
    });
  });
  afterAll(() => h.close());

  it('reaches the approval thread through the reconcile schedule, once, and the go-live still goes live', async () => {
    const slack = h.rt.slack!.emulator;
    const reconcileRun = () =>
      h.rt.bus.publish({
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        resources: ['golive-reconcile'],
        detail: {},
      });
    await slack.command(REQUESTER, 'demo 2.0.0 canary');
    const approval = await slack.waitFor(findApprovalMessage);
    const executionArn = (await h.rt.store.getLock('demo'))!.executionId;
    reconcileRun();
    await h.rt.bus.drain();
    const tooEarly = threadOf(slack, approval.ts);

    // Five minutes and a second later, as the schedule would find it: under 10 minutes left.
    const realNow = h.rt.deps.now;
    h.rt.deps.now = () => new Date(realNow().getTime() + 301_000);
    reconcileRun();
    const reminder = await slack.waitFor((e) => threadOf(e, approval.ts).find((t) => t.startsWith('⏰ Reminder')));
    reconcileRun();
    await h.rt.bus.drain();
    const thread = threadOf(slack, approval.ts);
    h.rt.deps.now = realNow;
    await approveInEmulator(slack, APPROVER, approval.ts);
    const end = await h.finished(executionArn);

    expect(messageText(approval)).toContain(`Approvers: <@${APPROVER}>, <@U_APPROVER_BEN>.`);
    expect(tooEarly).toEqual([]);
    expect(reminder).toMatch(
      /^⏰ Reminder: the sign-off of demo 2\.0\.0 still waits: 0 of 1 approval; expires at \d\d:\d\d UTC, in 9 minutes, /,
    );
    expect(reminder).toContain('Not voted yet: <@U_APPROVER_ANA>, <@U_APPROVER_BEN>.');
    expect(thread.filter((t) => t.startsWith('⏰ Reminder'))).toHaveLength(1);
    expect(end.status).toBe('SUCCEEDED');
    expect(messageText(findCard(slack)!)).toContain('✅ Live');
  });
});
