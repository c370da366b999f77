import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { approveInEmulator, findApprovalMessage, findCard, messageText, threadOf } from './helpers';

describe('Slack app on the local emulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: testConfig(), slack: { port: 0 } });
  });
  afterAll(() => h.close());

  it('starts a go-live from /golive, updates one card and goes live after an approval', async () => {
    const slack = h.rt.slack!.emulator;

    const sent = await slack.command(REQUESTER, 'demo 2.0.0 canary');
    const approval = await slack.waitFor(findApprovalMessage);
    const click = await approveInEmulator(slack, APPROVER, approval.ts);
    const card = await slack.waitFor((e) => {
      const c = findCard(e);
      return c && messageText(c).includes('✅ Live') && threadOf(e, c.ts).some((t) => t.includes('took'))
        ? c
        : undefined;
    });

    expect(sent.status).toBe(200);
    expect(click.status).toBe(200);
    expect(slack.messages().filter((m) => !m.thread_ts && messageText(m).includes('Go-live: demo'))).toHaveLength(1);
    expect(card.edited).toBe(true);
    const thread = threadOf(slack, card.ts);
    expect(thread.some((t) => t.includes('approved by'))).toBe(true);
    expect(thread.some((t) => /is live.*took/.test(t))).toBe(true);
    const final = slack.messages().find((m) => m.ts === approval.ts)!;
    expect(messageText(final)).not.toContain('golive_approve');
    expect(messageText(final)).toContain('Approved');
  });

  it('replies in the thread when an alarm ends a bake, and marks the card rolled back', async () => {
    const slack = h.rt.slack!.emulator;
    h.rt.faults.set('Bake', 'AlarmTriggered');

    await slack.command(REQUESTER, 'demo 2.2.0 canary');
    const card = await slack.waitFor((e) => {
      const c = e.messages().find((m) => !m.thread_ts && messageText(m).includes('Go-live: demo 2.2.0'));
      return c && messageText(c).includes('Rolled back') && threadOf(e, c.ts).some((t) => t.includes('took'))
        ? c
        : undefined;
    });
    h.rt.faults.delete('Bake');

    const thread = threadOf(slack, card.ts);
    expect(thread.some((t) => t.startsWith('🚨 Alarm fired'))).toBe(true);
    // The fault is injected before the bake's function runs, so the last step reported is the shift.
    expect(messageText(card)).toContain('❌ ShiftTraffic 10%');
  });
});
