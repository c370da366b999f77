import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { commands } from '../../lambdas/slack/listeners/commands';
import { REPO_ROOT } from '../support/harness';

describe('slack/manifest.yaml', () => {
  const manifest = parse(readFileSync(join(REPO_ROOT, 'slack', 'manifest.yaml'), 'utf8')) as {
    features: { slash_commands: { command: string; url: string }[] };
    oauth_config: { scopes: { bot: string[] } };
    settings: { interactivity: { is_enabled: boolean; request_url: string }; socket_mode_enabled: boolean };
  };

  it('declares exactly the slash commands the app listens to, on the events endpoint', () => {
    expect(manifest.features.slash_commands.map((c) => c.command)).toEqual(Object.keys(commands));
    expect(manifest.features.slash_commands.every((c) => c.url.endsWith('/slack/events'))).toBe(true);
  });

  it('turns on interactivity (buttons, modals) at the same endpoint, over HTTP rather than Socket Mode', () => {
    expect(manifest.settings.interactivity).toEqual(
      expect.objectContaining({ is_enabled: true, request_url: manifest.features.slash_commands[0].url }),
    );
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it('asks only for the scopes the app uses', () => {
    expect([...manifest.oauth_config.scopes.bot].sort()).toEqual(['chat:write', 'commands', 'users:read']);
  });
});
