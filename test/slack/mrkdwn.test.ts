import { escapeMrkdwn, mrkdwnWithMentions } from '../../lambdas/providers/slack/mrkdwn';

describe('escapeMrkdwn', () => {
  it.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<!here|here>', '&lt;!here|here&gt;'],
    ['<@U123ABC>', '&lt;@U123ABC&gt;'],
    ['<https://evil.example|bank>', '&lt;https://evil.example|bank&gt;'],
    ['R&D &amp; ops', 'R&amp;D &amp;amp; ops'],
    ['Rückgängig – 回滚', 'Rückgängig – 回滚'],
  ])('shows %s as typed', (typed, escaped) => {
    expect(escapeMrkdwn(typed)).toBe(escaped);
  });
});

describe('mrkdwnWithMentions', () => {
  it('escapes the text, then writes the known ids as mentions', () => {
    expect(
      mrkdwnWithMentions('U_ANA may not attest x (<!channel>): ask U_BEN or U_BENJAMIN', [
        'U_ANA',
        'U_BEN',
        'U_BENJAMIN',
      ]),
    ).toBe('<@U_ANA> may not attest x (&lt;!channel&gt;): ask <@U_BEN> or <@U_BENJAMIN>');
  });

  it('leaves words that merely contain an id alone', () => {
    expect(mrkdwnWithMentions('XU_ANA U_ANAX', ['U_ANA'])).toBe('XU_ANA U_ANAX');
  });
});
