/**
 * Text that people typed (reasons, notes, service names they asked for) shown in Slack mrkdwn.
 * Slack reads `<!channel>`, `<!here>`, `<@U…>` and `<url|label>` as controls, so `&`, `<` and `>`
 * are written as entities: the text is shown as typed, never triggered
 * (https://docs.slack.dev/messaging/formatting-message-text#escaping).
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<@U…>`: Slack shows the person's name (and it is the id people can click). */
export const mention = (user: string) => `<@${user}>`;

/**
 * Text from golive's core (refusals, outcomes: they name people by id and may quote what someone
 * typed) made safe for mrkdwn, each of the known user ids written as a mention.
 */
export function mrkdwnWithMentions(text: string, users: Iterable<string>): string {
  let out = escapeMrkdwn(text);
  // Longest first, so U_ANA_2 is not rewritten as a mention of U_ANA followed by "_2".
  for (const id of [...new Set(users)].sort((a, b) => b.length - a.length)) {
    if (!id) continue;
    out = out.replace(new RegExp(`(?<![<@\\w])${id.replace(/[^A-Za-z0-9_]/g, '\\$&')}(?!\\w)`, 'g'), mention(id));
  }
  return out;
}
