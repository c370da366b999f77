import type { Actor } from '../../lambdas/core/client';
import { slackAppContext } from '../../lambdas/slack/context';
import { createLambdaSlackHandler, type SlackWorkEvent } from '../../lambdas/slack/lambda-receiver';
import { localSlackCredentials } from '../../local/slack-emulator/credentials';
import type { EmulatorMessage, SlackEmulator } from '../../local/slack-emulator/server';
import { REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { messageText, slackRequest } from './helpers';

const GUEST = 'U_GUEST';
const manager: Actor = { user: REQUESTER, verifiedBy: 'local' };

/** A button click (block_actions) as Slack sends it, on message `ts` of the release channel. */
function clickBody(user: string, actionId: string, value: string, ts: string, text = ''): string {
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user, name: user, team_id: 'T0GOLIVE' },
    api_app_id: 'A0GOLIVE',
    container: { type: 'message', message_ts: ts, channel_id: 'C0RELEASES', is_ephemeral: false },
    trigger_id: `trigger-${Math.random()}`,
    team: { id: 'T0GOLIVE', domain: 'golive-local' },
    channel: { id: 'C0RELEASES', name: 'releases' },
    message: { type: 'message', ts, text },
    response_url: 'http://127.0.0.1:9/unused',
    actions: [{ action_id: actionId, block_id: 'b', value, type: 'button', action_ts: '1' }],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

const hasButton = (m: EmulatorMessage | undefined, actionId: string) =>
  JSON.stringify(m?.blocks ?? []).includes(`"action_id":"${actionId}"`);
const cardOf = (e: SlackEmulator, execution: string) =>
  e
    .messages()
    .find((m) => !m.thread_ts && messageText(m).includes(`\`${execution}\``) && messageText(m).includes('Go-live:'));
const ephemeral = (e: SlackEmulator, user: string, pattern: RegExp) =>
  e.waitFor((em) => em.ephemerals(user).find((m) => pattern.test(m.text)));

/**
 * The release controls through signed requests over real HTTP (the emulator's clicks and commands
 * to the local receiver, or the Lambda handler), on real go-lives of the local runtime. The tests
 * follow one another: two go-lives succeed (the second has a version to roll back to), then an undo.
 */
describe('release controls in Slack', () => {
  let h: Harness;
  let e: SlackEmulator;
  let secret: string;
  let botToken: string;
  let eventsUrl: string;
  const names: string[] = [];

  beforeAll(async () => {
    h = await startHarness({ config: testConfig(), slack: { port: 0 } });
    e = h.rt.slack!.emulator;
    ({ signingSecret: secret, botToken } = localSlackCredentials(h.home));
    eventsUrl = `${h.rt.slack!.url}/slack/events`;
    // Every sign-off is approved as soon as it is asked: the controls are what is tested here.
    h.autoApprove();
  });
  afterAll(async () => {
    h.stopAutoApprove();
    await h?.close();
  });

  /** The Lambda handler over the runtime with its own clock; resolves once the work handed over is done. */
  async function lambdaClick(body: string, now: () => Date) {
    const running: Promise<unknown>[] = [];
    const lambda = createLambdaSlackHandler(slackAppContext(h.rt.client, h.rt.store, now), {
      signingSecret: secret,
      botToken,
      clientOptions: { slackApiUrl: e.apiUrl },
      handOver: (work) => {
        running.push(lambda(JSON.parse(JSON.stringify(work)) as SlackWorkEvent, {}));
        return Promise.resolve();
      },
    });
    const res = await lambda({ body, headers: slackRequest(secret, body), rawPath: '/slack/events' }, {});
    await Promise.all(running);
    return res;
  }

  it('lists the controls in /golive help and refuses them at once to someone who manages no service', async () => {
    await e.command(REQUESTER, 'help');
    const help = await ephemeral(e, REQUESTER, /\/golive pause\|resume/);
    for (const usage of [
      '/golive promote <execution>',
      '/golive retry <execution>',
      '/golive rollback <service>',
      '/golive metrics',
    ])
      expect(help.text).toContain(usage);

    const res = await e.command(GUEST, 'pause demo-2-0-0');

    expect(res.status).toBe(200);
    expect(res.body).toContain('cannot pause a go-live: only release managers');
    expect(e.messages()).toHaveLength(0);
  });

  it('refuses a forged or unsigned click on the card, and a non-release-manager privately; nothing is paused', async () => {
    const { executionArn, name } = await h.rt.client.start(manager, {
      service: 'demo',
      version: '2.0.0',
      strategy: 'canary',
    });
    names.push(name);
    const card = await e.waitFor((em) => {
      const c = cardOf(em, name);
      return hasButton(c, 'golive_pause') && hasButton(c, 'golive_promote') ? c : undefined;
    });
    const body = clickBody(REQUESTER, 'golive_pause', name, card.ts);

    const forged = await fetch(eventsUrl, { method: 'POST', headers: slackRequest('not-the-secret', body), body });
    const unsigned = await fetch(eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
    });
    await e.click(GUEST, card.ts, 'golive_pause');

    expect(forged.status).toBe(401);
    expect(unsigned.status).toBe(401);
    const refusal = await ephemeral(e, GUEST, /not a release manager of demo/);
    expect(refusal.text).toMatch(/^🚫 .*nothing to pause/);
    expect((await h.rt.client.describe(executionArn)).paused).toBe(false);
    expect((await h.rt.store.listAudit(executionArn)).filter((r) => r.step === 'Controls')).toEqual([]);
  });

  it('pauses from the card: the go-live holds at a step boundary, the card says who and where; Resume lets it finish', async () => {
    const name = names[0];
    const executionArn = h.rt.client.executionArn(name);
    const card = cardOf(e, name)!;

    await e.click(REQUESTER, card.ts, 'golive_pause');
    await h.waitForCallback(executionArn, 'Paused');
    const held = await e.waitFor((em) => {
      const c = cardOf(em, name);
      return messageText(c!).includes('holding at Checkpoint') ? c : undefined;
    });

    const detail = await h.rt.client.describe(executionArn);
    expect(detail).toMatchObject({ status: 'RUNNING', paused: true, held: true, pause: { by: REQUESTER } });
    expect(messageText(held)).toMatch(
      /⏸️ Paused by <@U_RELEASE_MANAGER> — holding at Checkpoint( \(before canary step \d: \d+%\)|BeforePromotion \(before promotion\))/,
    );
    expect(hasButton(held, 'golive_resume')).toBe(true);
    expect(hasButton(held, 'golive_pause')).toBe(false);

    await e.click(REQUESTER, held.ts, 'golive_resume');
    const ended = await h.finished(executionArn);

    expect(ended.status).toBe('SUCCEEDED');
    const done = await e.waitFor((em) => {
      const c = cardOf(em, name);
      return messageText(c!).includes('✅ Live') ? c : undefined;
    });
    expect(messageText(done)).toContain('▶️ Resumed by <@U_RELEASE_MANAGER>');
    expect(hasButton(done, 'golive_pause') || hasButton(done, 'golive_resume')).toBe(false);
    const actions = (await h.rt.store.listAudit(executionArn)).filter((r) => r.step === 'Controls');
    expect(actions.map((r) => [r.action, r.actor, r.verifiedBy])).toEqual([
      ['pause', REQUESTER, 'slack'],
      ['resume', REQUESTER, 'slack'],
    ]);
  });

  it('promotes with /golive promote during a canary: the remaining canary steps are skipped', async () => {
    const { executionArn, name } = await h.rt.client.start(manager, {
      service: 'demo',
      version: '2.1.0',
      strategy: 'canary',
    });
    names.push(name);
    await e.waitFor((em) => hasButton(cardOf(em, name), 'golive_promote'));

    await e.command(REQUESTER, `promote ${name} hotfix for checkout`);
    const told = await ephemeral(e, REQUESTER, new RegExp(`${name} promoted`));
    const ended = await h.finished(executionArn);

    expect(told.text).toContain('the sign-off is still required');
    expect(ended.status).toBe('SUCCEEDED');
    const audit = await h.rt.store.listAudit(executionArn);
    expect(
      audit.find((r) => r.step === 'Checkpoint' && /promoted by U_RELEASE_MANAGER/.test(r.summary))?.summary,
    ).toMatch(/skipped.*hotfix for checkout/);
    const card = cardOf(e, name)!;
    expect(messageText(card)).toContain('⏩ Promoted by <@U_RELEASE_MANAGER>');
    expect(hasButton(card, 'golive_promote')).toBe(false);
    expect(e.messages().some((m) => m.thread_ts === card.ts && /Promoted by <@U_RELEASE_MANAGER>/.test(m.text))).toBe(
      true,
    );
  });

  it('offers Roll back on the success message: refused to a guest, started for the release manager', async () => {
    const second = names[1];
    const card = cardOf(e, second)!;
    const success = await e.waitFor((em) =>
      em.messages().find((m) => m.thread_ts === card.ts && hasButton(m, 'golive_undo')),
    );
    expect(messageText(success)).toContain('Roll back to 2.0.0');
    const before = (await h.rt.client.list({ service: 'demo' })).goLives.length;

    await e.click(GUEST, success.ts, 'golive_undo');
    await ephemeral(e, GUEST, /🚫.*release manager/);
    expect((await h.rt.client.list({ service: 'demo' })).goLives).toHaveLength(before);

    await e.click(REQUESTER, success.ts, 'golive_undo');
    const started = await ephemeral(e, REQUESTER, /↩️ Started `/);
    const undoName = /`([^`]+)`/.exec(started.text)![1];
    const undone = await h.finished(h.rt.client.executionArn(undoName));

    expect(undone.status).toBe('SUCCEEDED');
    expect(await h.rt.client.describe(undoName)).toMatchObject({
      kind: 'undo',
      version: '2.0.0',
      requestedBy: REQUESTER,
    });
    expect((await h.rt.store.getLiveVersion('demo'))?.version).toBe('2.0.0');
    const closed = e.messages().find((m) => m.ts === success.ts)!;
    expect(hasButton(closed, 'golive_undo')).toBe(false);
    expect(messageText(closed)).toContain(`Roll back to 2.0.0 started by <@${REQUESTER}>`);
  });

  it('refuses an expired Roll back button, and one whose go-live is no longer what runs', async () => {
    const name = names[1];
    const card = cardOf(e, name)!;
    const success = e.messages().find((m) => m.thread_ts === card.ts && /is live/.test(m.text))!;
    const stop = Date.parse((await h.rt.client.describe(name)).stopDate!);
    const seconds = h.rt.config.controls.undoButtonSeconds;
    const body = clickBody(REQUESTER, 'golive_undo', name, success.ts, success.text);

    const expired = await lambdaClick(body, () => new Date(stop + seconds * 1000 + 1000));
    const stale = await lambdaClick(body, () => new Date(stop + 1000));

    expect(expired.statusCode).toBe(200);
    expect(stale.statusCode).toBe(200);
    const told = e.ephemerals(REQUESTER).map((m) => m.text);
    expect(told).toContainEqual(
      expect.stringMatching(
        /⌛ This Roll back button expired at .* \(controls.undoButtonSeconds is 3600 s\): nothing changed/,
      ),
    );
    expect(told).toContainEqual(expect.stringMatching(/no longer runs what `.+` made live \(2\.0\.0 is live now\)/));
    expect((await h.rt.client.list({ service: 'demo', status: 'RUNNING' })).goLives).toEqual([]);
  });

  it('answers /golive retry, rollback and pause for what they cannot do, privately', async () => {
    await e.command(REQUESTER, `retry ${names[0]}`);
    await e.command(REQUESTER, 'pause no-such-go-live');
    await e.command(GUEST, 'rollback demo');

    await ephemeral(e, REQUESTER, /only a failed go-live can be retried/);
    await ephemeral(e, REQUESTER, /no go-live named "no-such-go-live"/);
    await ephemeral(e, GUEST, /cannot roll back demo: only release managers of demo/);
  });
});
