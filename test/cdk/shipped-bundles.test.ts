/**
 * The code `cdk synth` ships, run as Lambda runs it: each function's bundle in a fresh Node
 * process, in a directory of its own, with its layers and the runtime's SDK on NODE_PATH and its
 * environment from the template, answering the first event of its kind. AWS and Slack are a fake
 * on 127.0.0.1 (test/support/fake-aws.ts). This catches what unit tests of the sources cannot: a
 * package missing from a bundle or a layer, a config shipped wrong, a crash on a first call.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { App } from 'aws-cdk-lib';
import { loadConfig } from '../../lambdas/core/config-file';
import { GoLiveStack } from '../../lib/golive-stack';
import { startFakeAws, type FakeAws } from '../support/fake-aws';
import { firstEvent, LambdaSandbox, probe, type SynthTemplate } from '../support/lambda-probe';

const REPO_ROOT = path.join(__dirname, '..', '..');
const FIXTURE_CONFIG = path.join(__dirname, 'fixtures', 'golive.config.yaml');
const SERVICE = 'orders';

let fake: FakeAws;
let sandbox: LambdaSandbox;
let outdir: string;

beforeAll(async () => {
  fake = await startFakeAws();
  const { context } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: object };
  mkdirSync(path.join(REPO_ROOT, 'test-artifacts'), { recursive: true });
  outdir = mkdtempSync(path.join(REPO_ROOT, 'test-artifacts', 'bundles-'));
  const app = new App({ context, outdir });
  const stack = new GoLiveStack(app, 'GoLive', { configFile: FIXTURE_CONFIG });
  const assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as SynthTemplate;
  sandbox = new LambdaSandbox(assembly.directory, template, fake);
}, 120_000);

afterAll(async () => {
  sandbox?.close();
  await fake?.close();
  rmSync(outdir, { recursive: true, force: true });
});

/**
 * How each function's first call ends against the fake, and the calls that prove it did its job.
 * Readiness fails its gate (the fixture declares no resources to check) and SmokeTest finds no
 * endpoints for the service: both are the named errors a release manager would see.
 */
const EXPECTED: Record<string, { outcome: string; calls: string[] }> = {
  Lock: { outcome: 'ok', calls: ['DynamoDB.PutItem', 'Lambda.GetAlias', 'Lambda.ListVersionsByFunction'] },
  Readiness: { outcome: 'ReadinessCheckFailed', calls: ['GraniteServiceVersion20100801.DescribeAlarms'] },
  Alerts: {
    outcome: 'ok',
    calls: ['GraniteServiceVersion20100801.ListAlarmMuteRules', 'GraniteServiceVersion20100801.PutAlarmMuteRule'],
  },
  Backup: { outcome: 'ok', calls: ['DynamoDB.DescribeContinuousBackups', 'DynamoDB.RestoreTableToPointInTime'] },
  SmokeTest: { outcome: 'ProviderResourceMissing', calls: ['DynamoDB.PutItem'] },
  // The fake store holds no lock, so a shift has no release to put in the idle slot of the alias:
  // refused before any change (on AWS, the lock ValidateAndLock took names the release).
  Traffic: { outcome: 'TrafficShiftFailed', calls: ['Lambda.GetAlias', 'DynamoDB.GetItem'] },
  Bake: { outcome: 'ok', calls: ['DynamoDB.TransactWriteItems', 'GraniteServiceVersion20100801.ListAlarmMuteRules'] },
  Approval: { outcome: 'ok', calls: ['DynamoDB.TransactWriteItems', 'Slack.chat.postMessage'] },
  Notify: { outcome: 'ok', calls: ['secretsmanager.GetSecretValue', 'Slack.chat.postMessage'] },
  AlarmHandler: { outcome: 'ok', calls: ['DynamoDB.Query'] },
  Janitor: { outcome: 'ok', calls: ['DynamoDB.GetItem'] },
  AuditExport: { outcome: 'ok', calls: ['AWSStepFunctions.GetExecutionHistory'] },
  SlackFunction: { outcome: 'ok', calls: ['secretsmanager.GetSecretValue'] },
  ControlFunction: {
    outcome: 'ok',
    calls: ['AWSStepFunctions.DescribeExecution', 'AWSStepFunctions.GetExecutionHistory', 'DynamoDB.Query'],
  },
};

it('ships one bundle per function, each with an expectation below', () => {
  expect(sandbox.functions.map((f) => f.name).sort()).toEqual(Object.keys(EXPECTED).sort());
});

it('leaves Socket Mode (and its undici) out of the Slack function: Slack calls it over HTTP', () => {
  const bundle = readFileSync(sandbox.functions.find((f) => f.name === 'SlackFunction')!.bundle, 'utf8');

  expect(bundle.includes("Socket Mode is not part of golive's Lambda bundle")).toBe(true);
  expect(bundle.includes('undici:request')).toBe(false);
});

it('ships none of the IAM simulator the tests use (AGPL-3.0, a devDependency only)', () => {
  for (const fn of sandbox.functions) {
    const shipped = readFileSync(fn.bundle, 'utf8') + readFileSync(`${fn.bundle}.map`, 'utf8');

    expect({ fn: fn.name, simulator: /@cloud-copilot|iam-simulate/.test(shipped) }).toEqual({
      fn: fn.name,
      simulator: false,
    });
  }
});

it('keeps the schema library out of the step functions, and the freeze calendar in Lock alone', () => {
  const sources = (name: string) =>
    (
      JSON.parse(readFileSync(`${sandbox.functions.find((f) => f.name === name)!.bundle}.map`, 'utf8')) as {
        sources: string[];
      }
    ).sources;
  const steps = Object.keys(EXPECTED).filter((n) => !['SlackFunction', 'ControlFunction'].includes(n));

  const withZod = steps.filter((n) => sources(n).some((s) => s.includes('node_modules/zod/')));
  const withCalendar = steps.filter((n) => sources(n).some((s) => s.includes('node_modules/luxon/')));

  // Each step receives a validated config: zod would quadruple a bundle (about 450 KB).
  expect(withZod).toEqual([]);
  // The change-freeze calendar (cron in an IANA zone, with luxon) is evaluated at the lock's boundaries only.
  expect(withCalendar).toEqual(['Lock']);
});

it('cannot mute alarms without the CloudWatch SDK layer: the runtime’s client may predate mute rules', async () => {
  const alerts = sandbox.functions.find((f) => f.name === 'Alerts')!;
  expect(alerts.layers).toHaveLength(1);

  const withoutLayer = { ...alerts, env: { ...alerts.env, NODE_PATH: sandbox.runtimeModules } };
  fake.calls.length = 0;
  const result = await probe(withoutLayer, firstEvent('Alerts', loadConfig(FIXTURE_CONFIG), SERVICE));

  expect(result.outcome).not.toBe('ok');
  expect(fake.calls.filter((c) => c.includes('AlarmMuteRule'))).toEqual([]);
});

it.each(Object.keys(EXPECTED))('runs the shipped %s on a first event of its kind', async (name) => {
  const fn = sandbox.functions.find((f) => f.name === name)!;
  fake.calls.length = 0;

  const result = await probe(fn, firstEvent(name, loadConfig(FIXTURE_CONFIG), SERVICE));

  expect({ outcome: result.outcome, message: result.outcome === EXPECTED[name].outcome ? '' : result.message }).toEqual(
    {
      outcome: EXPECTED[name].outcome,
      message: '',
    },
  );
  expect(fake.calls).toEqual(expect.arrayContaining(EXPECTED[name].calls));
});
