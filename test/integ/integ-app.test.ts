/**
 * The AWS integration test (npm run test:aws) synthesized offline, as `npm test` can: the app
 * builds without credentials or lookups, the service stack matches the golive config it is
 * tested with, golive's stack for that config is cdk-nag clean, and the assertion stack runs the
 * two go-lives in the intended order. Nothing here deploys.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { App, Validations, type CfnElement } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { buildIntegApp, integConfig, STACKS, type IntegApp } from './integ-app';
import { INTEG_SERVICE } from './service-stack';
import { GoLiveStack } from '../../lib/golive-stack';

const REPO_ROOT = path.join(__dirname, '..', '..');
const OUTPUTS = {
  live: 'https://live-url-id.lambda-url.eu-west-1.on.aws/',
  blue: 'https://blue-url-id.lambda-url.eu-west-1.on.aws/',
  green: 'https://green-url-id.lambda-url.eu-west-1.on.aws/',
  slackApi: 'https://slack-url-id.lambda-url.eu-west-1.on.aws/api/',
};

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  DependsOn?: string[];
}
interface Template {
  Resources: Record<string, Resource>;
}

let built: IntegApp;
let outdir: string;
let templates: { service: Template; golive: Template; assert: Template };
let manifest: { missing?: unknown[]; artifacts: Record<string, { type: string }> };

beforeAll(() => {
  mkdirSync(path.join(REPO_ROOT, 'test-artifacts'), { recursive: true });
  outdir = mkdtempSync(path.join(REPO_ROOT, 'test-artifacts', 'integ-'));
  // Not bundled: the golive functions' bundles are built and checked by test/cdk/golive-stack.test.ts.
  built = buildIntegApp({ outdir, serviceOutputs: OUTPUTS, context: { 'aws:cdk:bundling-stacks': [] } });
  const assembly = built.app.synth();
  manifest = JSON.parse(readFileSync(path.join(assembly.directory, 'manifest.json'), 'utf8')) as typeof manifest;
  const assertName = Object.keys(manifest.artifacts).find(
    (id) =>
      id.startsWith('GoLiveIntegTestDefaultTestDeployAssert') &&
      manifest.artifacts[id].type === 'aws:cloudformation:stack',
  );
  templates = {
    service: assembly.getStackByName(STACKS.service).template as Template,
    golive: assembly.getStackByName(STACKS.golive).template as Template,
    assert: assembly.getStackArtifact(assertName!).template as Template,
  };
});

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

/** The assertion custom resources in the order CloudFormation must create them (DependsOn chain). */
function assertionOrder(template: Template): Resource[] {
  const calls = Object.entries(template.Resources).filter(([, r]) => r.Type.startsWith('Custom::DeployAssert@SdkCall'));
  const ids = new Set(calls.map(([id]) => id));
  const ordered: [string, Resource][] = [];
  const placed = new Set<string>();
  while (ordered.length < calls.length) {
    const next = calls.filter(
      ([id, r]) => !placed.has(id) && (r.DependsOn ?? []).filter((d) => ids.has(d)).every((d) => placed.has(d)),
    );
    // A chain: exactly one call is ready at each step.
    expect(next.map(([id]) => id)).toHaveLength(1);
    ordered.push(next[0]);
    placed.add(next[0][0]);
  }
  return ordered.map(([, r]) => r);
}

/** A string value with its Fn::Join parts joined, each other intrinsic shown as `<Resource.attribute>`. */
function joined(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (join) return join[1].map(joined).join(join[0]);
  const getAtt = (value as { 'Fn::GetAtt'?: string[] })['Fn::GetAtt'];
  return getAtt ? `<${getAtt.join('.')}>` : JSON.stringify(value);
}

describe('the integration test app (npm run test:aws), synthesized offline', () => {
  it('synthesizes the service, golive and the assertion stack without any lookup', () => {
    const stacks = Object.values(manifest.artifacts).filter((a) => a.type === 'aws:cloudformation:stack');

    expect(stacks).toHaveLength(3);
    expect(manifest.missing ?? []).toEqual([]);
    const integ = JSON.parse(readFileSync(path.join(outdir, 'integ.json'), 'utf8')) as {
      testCases: Record<string, { stacks: string[] }>;
    };
    expect(Object.values(integ.testCases)[0].stacks).toEqual([STACKS.service, STACKS.golive]);
  });

  it('publishes two releases of the service, 1.0.0 live first, and names what the config names', () => {
    const config = integConfig(OUTPUTS);
    const service = config.services[INTEG_SERVICE.service];
    const resources = Object.values(templates.service.Resources);
    const releasesId = Object.keys(templates.service.Resources).find((id) => id.startsWith('Releases'));
    const fn = resources.find(
      (r) => r.Type === 'AWS::Lambda::Function' && r.Properties?.FunctionName === INTEG_SERVICE.functionName,
    );
    const live = resources.find((r) => r.Type === 'AWS::Lambda::Alias' && r.Properties?.Name === 'live');

    expect(templates.service.Resources[releasesId!].Properties).toMatchObject({ Releases: ['1.0.0', '2.0.0'] });
    expect(live?.Properties?.FunctionVersion).toEqual({ 'Fn::GetAtt': [releasesId, '1.0.0'] });
    expect(fn).toBeDefined();
    expect(service.traffic).toEqual({ kind: 'lambda-alias', functionName: INTEG_SERVICE.functionName, alias: 'live' });
    expect(resources.find((r) => r.Type === 'AWS::CloudWatch::Alarm')?.Properties?.AlarmName).toBe(
      service.alerts.alarms[0],
    );
    expect(resources.find((r) => r.Type === 'AWS::DynamoDB::Table')?.Properties).toMatchObject({
      TableName: (service.backup as { tableName: string }).tableName,
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('configures golive with the deployed URLs: slots, live endpoint and the Slack stand-in', () => {
    const config = integConfig(OUTPUTS);
    const functions = Object.values(templates.golive.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    const slackUrls = functions.map(
      (r) =>
        (r.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined)?.Variables
          ?.GOLIVE_SLACK_API_URL,
    );

    expect(config.services.orders.endpoints).toEqual({ live: OUTPUTS.live, blue: OUTPUTS.blue, green: OUTPUTS.green });
    expect(functions.length).toBeGreaterThan(10);
    expect(new Set(slackUrls)).toEqual(new Set([OUTPUTS.slackApi]));
    // Without outputs (the offline default) it keeps placeholders no request could reach.
    expect(Object.values(integConfig().services.orders.endpoints).every((u) => u?.includes('.invalid/'))).toBe(true);
  });

  it('runs the two go-lives in order: approve and succeed, then force the alarm and roll back', () => {
    const steps = assertionOrder(templates.assert).map((r) => {
      const p = r.Properties as {
        api: string;
        parameters: Record<string, unknown>;
        actualPath?: string;
        expected?: unknown;
      };
      // The payload as plain text: its layers of JSON escaping (and any Fn::Join) flattened away.
      const payload = joined(p.parameters.Payload ?? '').replace(/\\/g, '');
      return {
        api: p.api,
        request: /"httpMethod":"(\w+)","path":"([^"]*)/.exec(payload)?.slice(1).join(' '),
        as: /golive-integ-(approver|release-manager)/.exec(payload)?.[1],
        version: /"version":"([\d.]+)"/.exec(payload)?.[1],
        check: p.actualPath ?? null,
        expected: JSON.stringify(p.expected ?? null),
        alarm: p.parameters.StateValue,
      };
    });

    expect(steps.map((s) => [s.api, s.check])).toEqual([
      ['invoke', 'Payload.statusCode'],
      ['invoke', 'Payload.body.signOff.status'],
      ['invoke', 'Payload.body.status'],
      ['describeExecution', 'status'],
      ['describeExecution', 'status'],
      ['getAlias', 'FunctionVersion'],
      ['invoke', 'Payload.statusCode'],
      ['invoke', 'Payload.body.currentStep'],
      ['setAlarmState', null],
      ['describeExecution', 'status'],
      ['describeExecution', 'error'],
      ['getAlias', 'FunctionVersion'],
    ]);
    expect(steps[0]).toMatchObject({ request: 'POST /go-lives', as: 'release-manager', version: '2.0.0' });
    // The go-live the first call started, by the name its answer carried.
    expect(steps[1].request).toMatch(/^GET \/go-lives\/<LambdaInvoke\w+\.apiCallResponse\.Payload\.body\.name>$/);
    expect(steps[2]).toMatchObject({ request: expect.stringMatching(/^POST \/go-lives\/.+\/votes$/), as: 'approver' });
    expect(steps[2].expected).toContain('approved');
    expect(steps[4].expected).toContain('SUCCEEDED');
    expect(steps[6]).toMatchObject({ request: 'POST /go-lives', as: 'release-manager', version: '1.0.0' });
    // The second go-live is watched by its own name, not the first one's.
    expect(steps[7].request).toMatch(/^GET \/go-lives\/<LambdaInvoke\w+\.apiCallResponse\.Payload\.body\.name>$/);
    expect(steps[7].request).not.toBe(steps[1].request);
    expect(steps[7].expected).toContain('Bake');
    expect(steps[8].alarm).toBe('"ALARM"');
    expect(steps[10].expected).toContain('AlarmTriggered');
    // Both times the live alias must serve the published version of 2.0.0.
    for (const check of [steps[5], steps[11]]) expect(check.expected).toContain('Releases');
  });
});

describe('golive configured for the integration test', () => {
  it('synthesizes cdk-nag clean, as bin/app.ts checks every deploy', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new GoLiveStack(app, 'GoLiveIntegNag', { config: integConfig(OUTPUTS) });
    const lock = stack.getLogicalId(stack.orchestrator.functions.lock.node.defaultChild as CfnElement);

    // Throws on any unacknowledged finding.
    const template = app.synth().getStackByName('GoLiveIntegNag').template as Template;

    expect(template.Resources[lock].Type).toBe('AWS::Lambda::Function');
  });
});
