import { LogLevel, WebClient, type Logger } from '@slack/web-api';
import { startSlackEmulator, type SlackEmulator } from '../../local/slack-emulator/server';

/** The emulator's Web API where golive relies on it: users.info, and Slack's limits on blocks and views. */
describe('Slack emulator Web API', () => {
  let emulator: SlackEmulator;
  let client: WebClient;
  beforeAll(async () => {
    emulator = await startSlackEmulator({
      port: 0,
      signingSecret: 'secret',
      botToken: 'xoxb-test',
      channel: '#releases',
      users: [{ id: 'U_APPROVER_ANA', name: 'approver-ana', realName: 'Approver Ana', role: 'approver' }],
    });
    // The refusals below are expected: the client's own error log would only be noise.
    const quiet: Logger = {
      debug: () => undefined,
      info: () => undefined,
      warn: () => undefined,
      error: () => undefined,
      setLevel: () => undefined,
      getLevel: () => LogLevel.ERROR,
      setName: () => undefined,
    };
    client = new WebClient('xoxb-test', { slackApiUrl: emulator.apiUrl, retryConfig: { retries: 0 }, logger: quiet });
  });
  afterAll(() => emulator.close());

  it('answers users.info with the configured name', async () => {
    const res = await client.users.info({ user: 'U_APPROVER_ANA' });

    expect(res.user).toEqual(
      expect.objectContaining({
        id: 'U_APPROVER_ANA',
        name: 'approver-ana',
        real_name: 'Approver Ana',
        profile: expect.objectContaining({ display_name: 'approver-ana' }),
      }),
    );
  });

  it('answers user_not_found for anyone else', async () => {
    await expect(client.users.info({ user: 'U_NOBODY' })).rejects.toThrow('user_not_found');
  });

  it('refuses message blocks Slack would refuse: a section over 3000 characters', async () => {
    await expect(
      client.chat.postMessage({
        channel: '#releases',
        text: 'x',
        blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'x'.repeat(3001) } }],
      }),
    ).rejects.toThrow('invalid_blocks');
  });

  it('refuses a modal Slack would refuse: more than 10 checkboxes, option text over 75 characters', async () => {
    const options = Array.from({ length: 11 }, (_, i) => ({
      text: { type: 'plain_text' as const, text: `${i}`.padEnd(76, '.') },
      value: `item-${i}`,
    }));

    const err = await client.views
      .open({
        trigger_id: 'unknown',
        view: {
          type: 'modal',
          title: { type: 'plain_text', text: 'Approve the go-live' },
          blocks: [
            {
              type: 'input',
              block_id: 'a',
              label: { type: 'plain_text', text: 'a' },
              element: { type: 'checkboxes', action_id: 'a', options },
            },
          ],
        },
      })
      .catch((e: Error & { data?: { response_metadata?: { messages?: string[] } } }) => e);

    expect(String(err)).toContain('invalid_arguments');
    const messages = (err as { data?: { response_metadata?: { messages?: string[] } } }).data?.response_metadata
      ?.messages;
    expect(messages).toEqual(
      expect.arrayContaining([
        '[ERROR] blocks[0].element has 11 options (1 to 10)',
        '[ERROR] blocks[0].element.options[0].text longer than 75 characters',
      ]),
    );
  });
});
