import type { SlackLambdaHandler } from '../../lambdas/slack/lambda-receiver';
import { malformedSlackBody } from '../../lambdas/slack/request-guard';
import { localSlackCredentials } from '../../local/slack-emulator/credentials';
import { REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { commandBody, lambdaOverRuntime, slackRequest } from './helpers';

const form = (payload: string) => new URLSearchParams({ payload }).toString();
const user = { id: 'U_APPROVER_ANA', team_id: 'T0GOLIVE' };
const team = { id: 'T0GOLIVE' };

/** Correctly signed bodies that are not requests golive handles, and what the 400 says. */
const MALFORMED: [string, string, string][] = [
  ['payload=null', form('null'), '"payload" must be a JSON object'],
  ['payload=[]', form('[]'), '"payload" must be a JSON object'],
  ['payload=1', form('1'), '"payload" must be a JSON object'],
  ['payload="x"', form('"x"'), '"payload" must be a JSON object'],
  ['payload={} (no type)', form('{}'), '"payload.type" is missing'],
  ['payload that is not JSON', form('{not json'), '"payload" is not JSON'],
  ['payload twice', `${form('{}')}&${form('{}')}`, 'more than one "payload"'],
  ['block_actions without a user', form(JSON.stringify({ type: 'block_actions', team })), '"payload.user.id"'],
  [
    'block_actions with actions null',
    form(JSON.stringify({ type: 'block_actions', user, team, trigger_id: 't', actions: null })),
    '"payload.actions" must be a non-empty array',
  ],
  [
    'block_actions with an action without action_id',
    form(JSON.stringify({ type: 'block_actions', user, team, trigger_id: 't', actions: [{ type: 'button' }] })),
    '"payload.actions[0]"',
  ],
  [
    'view_submission with view null',
    form(JSON.stringify({ type: 'view_submission', user, team, view: null })),
    '"payload.view" must be an object',
  ],
  [
    'view_submission without state',
    form(
      JSON.stringify({ type: 'view_submission', user, team, view: { id: 'V1', callback_id: 'golive_reject_modal' } }),
    ),
    '"payload.view.state.values"',
  ],
  [
    'view_submission whose values are not objects',
    form(
      JSON.stringify({
        type: 'view_submission',
        user,
        team,
        view: { id: 'V1', callback_id: 'golive_reject_modal', state: { values: { reason: 'x' } } },
      }),
    ),
    'must map block ids',
  ],
  [
    'a payload that Bolt would route as a command',
    form(JSON.stringify({ type: 'block_actions', user, team, command: '/golive' })),
    'has no "command"',
  ],
  ['a payload type golive does not handle', form(JSON.stringify({ type: 'shortcut', user, team })), 'not shortcut'],
  ['a slash command without its text', 'command=%2Fgolive', 'field "text" is missing'],
  ['a slash command without a user', commandBody(REQUESTER, 'help').replace(/user_id=[^&]*&/, ''), '"user_id"'],
  ['a slash command field given twice', `${commandBody(REQUESTER, 'help')}&text=abort`, '"text" is repeated'],
  ['a form with neither payload nor command', 'foo=bar', 'neither a "payload" nor a slash "command"'],
  ['an empty body', '', 'neither a "payload" nor a slash "command"'],
];

describe('malformed Slack request bodies', () => {
  it.each(MALFORMED)('names the problem of %s', (_name, body, why) => {
    expect(malformedSlackBody(body, 'application/x-www-form-urlencoded')).toContain(why);
  });

  it.each([
    ['JSON null', 'null', 'must be an object'],
    ['JSON that is not JSON', '{', 'neither a form'],
    ['an Events API event (none subscribed)', JSON.stringify({ type: 'event_callback', event: null }), 'no Events API'],
  ])('names the problem of %s', (_name, body, why) => {
    expect(malformedSlackBody(body, 'application/json')).toContain(why);
  });

  it.each([
    ['a slash command', commandBody(REQUESTER, 'demo 2.0.0'), 'application/x-www-form-urlencoded'],
    ['an ssl_check', 'ssl_check=1&token=x', 'application/x-www-form-urlencoded'],
    ['a url_verification', JSON.stringify({ type: 'url_verification', challenge: 'c' }), 'application/json'],
  ])('lets %s through', (_name, body, contentType) => {
    expect(malformedSlackBody(body, contentType)).toBeUndefined();
  });
});

/** Against the real local runtime (HTTP) and the Lambda handler: signed, malformed, answered 400, alive. */
describe('signed but malformed Slack requests on both receivers', () => {
  let h: Harness;
  let secret: string;
  let lambda: SlackLambdaHandler;

  beforeAll(async () => {
    h = await startHarness({ config: testConfig(), slack: { port: 0 } });
    const creds = localSlackCredentials(h.home);
    secret = creds.signingSecret;
    ({ lambda } = lambdaOverRuntime(h.rt, creds));
  });
  afterAll(() => h.close());

  const receivers = {
    'local HTTP receiver': async (body: string, headers: Record<string, string>) => {
      const res = await fetch(`${h.rt.slack!.url}/slack/events`, { method: 'POST', headers, body });
      return { status: res.status, text: await res.text() };
    },
    'Lambda receiver': async (body: string, headers: Record<string, string>) => {
      const res = await lambda({ body, isBase64Encoded: false, headers }, {});
      return { status: res.statusCode, text: res.body };
    },
  };

  describe.each(Object.entries(receivers))('%s', (_receiver, send) => {
    it.each(MALFORMED)('answers 400 to a signed body (%s), and keeps serving', async (_name, body, why) => {
      const refused = await send(body, slackRequest(secret, body));
      const help = commandBody(REQUESTER, 'help');
      const next = await send(help, slackRequest(secret, help));

      expect(refused.status).toBe(400);
      expect(refused.text).toContain(why);
      expect(next.status).toBe(200);
      expect(next.text).toContain('/golive status');
    });

    it('answers 401, not 400, to a malformed body with a bad signature', async () => {
      const body = form('null');

      const res = await send(body, slackRequest('not-the-secret', body));

      expect(res.status).toBe(401);
    });
  });
});
