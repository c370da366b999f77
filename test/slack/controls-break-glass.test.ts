import type { Actor } from '../../lambdas/core/client';
import type { SlackEmulator } from '../../local/slack-emulator/server';
import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { messageText } from './helpers';

const BEN = 'U_APPROVER_BEN';
const manager: Actor = { user: REQUESTER, verifiedBy: 'local' };
const iso = (ms: number) => new Date(ms).toISOString();

/** The break-glass message's Approve / Reject, clicked in the emulator (signed requests over real HTTP). */
describe('break-glass votes in Slack', () => {
  let h: Harness;
  let e: SlackEmulator;

  beforeAll(async () => {
    h = await startHarness({
      config: {
        ...testConfig(),
        breakGlass: { approvers: [APPROVER, BEN], minApprovals: 2, timeoutSeconds: 600 },
        freezes: [{ name: 'year-end', start: iso(Date.now() - 3_600_000), end: iso(Date.now() + 3_600_000) }],
      },
      slack: { port: 0 },
    });
    e = h.rt.slack!.emulator;
  });
  afterAll(() => h?.close());

  const message = () =>
    e.messages().find((m) => !m.thread_ts && (m.blocks ?? []).some((b) => JSON.stringify(b).includes('Break-glass:')));
  const told = (user: string, pattern: RegExp) =>
    e.waitFor((em) => em.ephemerals(user).find((m) => pattern.test(m.text)));

  it('asks the emergency role with buttons, counts each vote, and a rejection with its reason stops the go-live', async () => {
    const { executionArn } = await h.rt.client.start(manager, {
      service: 'demo',
      version: '2.0.0',
      breakGlass: { reason: 'checkout is down' },
    });
    const asked = await e.waitFor(() => {
      const m = message();
      return m && messageText(m).includes('golive_break_glass_approve') ? m : undefined;
    });
    expect(messageText(asked)).toContain('0 of 2 needed');
    expect(asked.text).toContain(`<@${APPROVER}>`);

    // Outside the role, and the requester: refused privately, nothing counted.
    await e.click('U_GUEST', asked.ts, 'golive_break_glass_approve');
    await e.click(REQUESTER, asked.ts, 'golive_break_glass_approve');
    await told('U_GUEST', /🚫 .*not in the emergency role/);
    await told(REQUESTER, /🚫 .*not in the emergency role/);

    await e.click(APPROVER, asked.ts, 'golive_break_glass_approve');
    await told(APPROVER, /approval recorded: 1 of 2/);
    const counted = await e.waitFor(() => {
      const m = message();
      return m && messageText(m).includes('1 of 2 needed') ? m : undefined;
    });
    expect(messageText(counted)).toContain(`✅ <@${APPROVER}>`);

    await e.click(BEN, asked.ts, 'golive_break_glass_reject');
    await e.waitFor((em) => em.openView(BEN));
    await e.submit(BEN, { reason: '' });
    expect(e.openView(BEN)?.errors).toEqual({ reason: 'Say why: a rejection needs a reason.' });
    await e.submit(BEN, { reason: 'wait for the freeze to end' });
    const ended = await h.finished(executionArn);

    expect(ended.status).toBe('FAILED');
    const decided = await e.waitFor(() => {
      const m = message();
      return m && messageText(m).includes('Rejected*') ? m : undefined;
    });
    expect(messageText(decided)).toContain(`Rejected* by <@${BEN}>: wait for the freeze to end`);
    expect(messageText(decided)).not.toContain('golive_break_glass_');
    const votes = (await h.rt.store.listAudit(executionArn)).filter((r) => r.step === 'BreakGlass');
    expect(votes.map((r) => [r.action, r.actor, r.verifiedBy])).toEqual(
      expect.arrayContaining([
        ['approve', APPROVER, 'slack'],
        ['reject', BEN, 'slack'],
        ['rejected', BEN, 'slack'],
      ]),
    );
    await told(BEN, /break-glass rejected/);
  });
});
