import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface SlackCredentials {
  signingSecret: string;
  botToken: string;
  /** Where they came from (never the values: they are not logged). */
  source: 'environment' | 'state directory';
}

/**
 * Local Slack credentials: SLACK_SIGNING_SECRET / SLACK_BOT_TOKEN from the environment when set,
 * otherwise generated once into the state directory (mode 0600) and reused on the next start.
 */
export function localSlackCredentials(home: string, env: NodeJS.ProcessEnv = process.env): SlackCredentials {
  if (env.SLACK_SIGNING_SECRET && env.SLACK_BOT_TOKEN) {
    return { signingSecret: env.SLACK_SIGNING_SECRET, botToken: env.SLACK_BOT_TOKEN, source: 'environment' };
  }
  const file = join(home, 'slack-credentials.json');
  if (existsSync(file)) {
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { signingSecret: string; botToken: string };
    return { ...saved, source: 'state directory' };
  }
  const generated = {
    signingSecret: randomBytes(32).toString('hex'),
    botToken: `xoxb-local-${randomBytes(24).toString('hex')}`,
  };
  writeFileSync(file, JSON.stringify(generated), { mode: 0o600 });
  return { ...generated, source: 'state directory' };
}
