/**
 * What a platform engineer meets around a deploy: a second deploy after `cdk destroy` must not
 * trip over what the first one left, and the Slack app manifest must name an output that exists.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { GoLiveStack } from '../../lib/golive-stack';

const REPO_ROOT = path.join(__dirname, '..', '..');
const FIXTURE_CONFIG = path.join(__dirname, 'fixtures', 'golive.config.yaml');

interface Template {
  Resources: Record<string, { Type: string; DeletionPolicy?: string; Properties?: Record<string, unknown> }>;
  Outputs: Record<string, { Value: unknown; Description?: string }>;
}
let template: Template;

beforeAll(() => {
  // Not bundled: these tests are about resources and outputs, not code.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  new GoLiveStack(app, 'GoLive', { configFile: FIXTURE_CONFIG });
  template = app.synth().getStackByName('GoLive').template as Template;
});

describe('a redeploy after cdk destroy', () => {
  it('finds no log group of the first deploy in its way: every named log group goes with the stack', () => {
    const named = Object.entries(template.Resources).filter(
      ([, r]) => r.Type === 'AWS::Logs::LogGroup' && r.Properties?.LogGroupName !== undefined,
    );

    expect(named.length).toBeGreaterThan(0);
    expect(named.filter(([, r]) => r.DeletionPolicy !== 'Delete').map(([id]) => id)).toEqual([]);
  });
});

describe('slack/manifest.yaml', () => {
  it('names the stack output that holds the Slack Request URL', () => {
    const manifest = readFileSync(path.join(REPO_ROOT, 'slack', 'manifest.yaml'), 'utf8');
    const named = /with the (\S+) output/.exec(manifest.replace(/\n#\s*/g, ' '))?.[1];

    const output = named ? template.Outputs[named] : undefined;

    expect({ named, found: output !== undefined }).toEqual({ named: expect.any(String), found: true });
    expect(JSON.stringify(output!.Value)).toContain('/slack/events');
  });
});
