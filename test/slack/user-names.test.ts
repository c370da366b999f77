import { UserNames, withNames, type UsersInfoClient } from '../../lambdas/slack/user-names';

function client(answer: (user: string) => Promise<unknown>) {
  const info = jest.fn(({ user }: { user: string }) => answer(user));
  return { info, client: { users: { info } } as unknown as UsersInfoClient };
}
const profile = (display: string, real = '') =>
  Promise.resolve({ ok: true, user: { name: 'handle', real_name: real, profile: { display_name: display } } });

describe('UserNames', () => {
  it('prefers the display name, then the real name, then the handle', async () => {
    const { client: c } = client((u) =>
      u === 'U1' ? profile('ana') : u === 'U2' ? profile('', 'Ben Real') : profile(''),
    );
    const names = new UserNames();

    expect([await names.name(c, 'U1'), await names.name(c, 'U2'), await names.name(c, 'U3')]).toEqual([
      'ana',
      'Ben Real',
      'handle',
    ]);
  });

  it('asks Slack once per user within the hour, and again after it', async () => {
    let now = 0;
    const { info, client: c } = client(() => profile('ana'));
    const names = new UserNames(() => now);

    await names.name(c, 'U1');
    now += 59 * 60 * 1000;
    await names.name(c, 'U1');
    now += 2 * 60 * 1000;
    await names.name(c, 'U1');

    expect(info).toHaveBeenCalledTimes(2);
  });

  it('falls back to the id when users.info fails, and does not ask again at once', async () => {
    const { info, client: c } = client(() => Promise.reject(new Error('An API error occurred: user_not_found')));
    const names = new UserNames();

    const first = await names.name(c, 'U_GONE');
    const second = await names.name(c, 'U_GONE');

    expect([first, second]).toEqual(['U_GONE', 'U_GONE']);
    expect(info).toHaveBeenCalledTimes(1);
  });

  it('falls back to the id when users.info does not answer', async () => {
    jest.useFakeTimers();
    try {
      const { client: c } = client(() => new Promise(() => undefined));
      const names = new UserNames();

      const pending = names.name(c, 'U_SLOW');
      await jest.advanceTimersByTimeAsync(2000);

      await expect(pending).resolves.toBe('U_SLOW');
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('withNames', () => {
  it('replaces whole user ids by names, longest first', () => {
    const names = new Map([
      ['U_ANA', 'Ana'],
      ['U_ANA_2', 'Ana Two'],
    ]);

    expect(withNames('U_ANA_2 and U_ANA (not XU_ANA)', names)).toBe('Ana Two and Ana (not XU_ANA)');
  });
});
