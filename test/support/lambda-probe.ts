/**
 * Runs the function bundles `cdk synth` ships as Lambda would: each in a fresh Node process, its
 * code in a directory of its own, packages found on NODE_PATH (its layers' nodejs/node_modules
 * first, then the runtime's: only `@aws-sdk/*`, with a CloudWatch client as older runtimes ship
 * it, without alarm mute rules), its environment from the template, and a first event of its
 * kind. AWS and Slack are the fake of ./fake-aws.ts.
 * Used by the CDK tests (every bundle runs) and by bench/bundles.ts (how long the first call takes).
 */
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GoLiveConfig } from '../../lambdas/core/config';
import { planRollout, validateRequest } from '../../lambdas/core/request';
import type { ReadinessReport } from '../../lambdas/core/readiness/evaluate';
import type { StepPayload } from '../../lambdas/core/workflow/definition';
import type { FakeAws } from './fake-aws';

const ROOT = join(__dirname, '..', '..');

interface TemplateResource {
  Type: string;
  Properties: {
    Environment?: { Variables?: Record<string, unknown> };
    Layers?: { Ref: string }[];
    Code?: { S3Key?: unknown };
    Content?: { S3Key?: unknown };
  };
  Metadata?: Record<string, string>;
}
export interface SynthTemplate {
  Resources: Record<string, TemplateResource>;
}

export interface ShippedFunction {
  logicalId: string;
  /** `Lock`, `SlackFunction`: the logical id without the construct prefix and hash. */
  name: string;
  /** `index.js` in the function's own directory. */
  bundle: string;
  /** Logical ids of its layers. */
  layers: string[];
  env: NodeJS.ProcessEnv;
}

export interface ProbeResult {
  /** From requiring the bundle to the end of the first call. */
  ms: number;
  /** `ok`, or the name of the error the first call ended with. */
  outcome: string;
  message: string;
  stdout: string;
}

/** A template value (a Ref, a GetAtt) as a plausible string. */
const plain = (name: string, value: unknown) =>
  typeof value === 'string'
    ? value
    : name.endsWith('_ARN')
      ? `arn:aws:${name.includes('SECRET') ? 'secretsmanager' : 'states'}:us-east-1:000000000000:golive-probe`
      : 'golive-probe';

/**
 * The asset directory of a function or layer: the CLI's asset metadata, or else the asset hash in
 * its S3 key (an App synthesized in a test carries no asset metadata).
 */
function assetDir(resource: TemplateResource): string | undefined {
  const key = resource.Properties.Code?.S3Key ?? resource.Properties.Content?.S3Key;
  return (
    resource.Metadata?.['aws:asset:path'] ??
    (typeof key === 'string' && key.endsWith('.zip') ? `asset.${key.slice(0, -'.zip'.length)}` : undefined)
  );
}

/** The synthesized functions, each copied to a directory of its own with its Lambda-like environment. */
export class LambdaSandbox {
  private readonly root = mkdtempSync(join(tmpdir(), 'golive-lambda-'));
  readonly functions: ShippedFunction[] = [];
  /** The runtime's packages (what /var/runtime/node_modules is on Lambda). */
  readonly runtimeModules = join(this.root, 'runtime', 'node_modules');

  constructor(assemblyDir: string, template: SynthTemplate, fake: FakeAws) {
    this.buildRuntime();
    const layerModules = (ref: string) =>
      join(assemblyDir, assetDir(template.Resources[ref])!, 'nodejs', 'node_modules');
    for (const [logicalId, resource] of Object.entries(template.Resources)) {
      const asset = assetDir(resource);
      if (resource.Type !== 'AWS::Lambda::Function' || !asset?.startsWith('asset.')) continue;
      const dir = join(this.root, logicalId);
      mkdirSync(dir);
      copyFileSync(join(assemblyDir, asset, 'index.js'), join(dir, 'index.js'));
      copyFileSync(join(assemblyDir, asset, 'index.js.map'), join(dir, 'index.js.map'));
      const name = logicalId.replace(/^Orchestrator/, '').replace(/[0-9A-F]{8}$/, '');
      const layers = (resource.Properties.Layers ?? []).map((l) => l.Ref);
      const variables = resource.Properties.Environment?.Variables ?? {};
      this.functions.push({
        logicalId,
        name,
        bundle: join(dir, 'index.js'),
        layers,
        env: {
          PATH: process.env.PATH,
          NODE_PATH: [...layers.map(layerModules), this.runtimeModules].join(':'),
          ...Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, plain(k, v)])),
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'probe',
          AWS_SECRET_ACCESS_KEY: 'probe',
          AWS_SESSION_TOKEN: 'probe',
          AWS_LAMBDA_FUNCTION_NAME: name,
          AWS_ENDPOINT_URL: fake.url,
          GOLIVE_SLACK_API_URL: `${fake.url}/api/`,
          // Node 20 here; the functions run on Node 24, where the SDK prints no such notice.
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        },
      });
    }
  }

  close(): void {
    rmSync(this.root, { recursive: true, force: true });
  }

  /**
   * The runtime's SDK: the project's `@aws-sdk/*` packages and nothing else, so a bundle missing
   * any other package fails here as on Lambda; CloudWatch's client without the mute-rule commands,
   * so a function that needs them works only through its layer.
   */
  private buildRuntime(): void {
    const sdk = join(ROOT, 'node_modules', '@aws-sdk');
    const runtimeSdk = join(this.runtimeModules, '@aws-sdk');
    mkdirSync(runtimeSdk, { recursive: true });
    for (const name of readdirSync(sdk)) {
      if (name !== 'client-cloudwatch') symlinkSync(join(sdk, name), join(runtimeSdk, name), 'dir');
    }
    const cloudwatch = join(runtimeSdk, 'client-cloudwatch');
    mkdirSync(cloudwatch);
    writeFileSync(
      join(cloudwatch, 'package.json'),
      JSON.stringify({ name: '@aws-sdk/client-cloudwatch', main: 'index.js' }),
    );
    writeFileSync(
      join(cloudwatch, 'index.js'),
      `const real = require(${JSON.stringify(join(sdk, 'client-cloudwatch'))});\n` +
        'module.exports = Object.fromEntries(Object.entries(real).filter(([name]) => !/AlarmMuteRule/.test(name)));\n',
    );
  }
}

const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:golive-probe:probe-1';
/** Signing secret of the fake Secrets Manager's Slack credentials. */
const SLACK_SIGNING_SECRET = 'probe';
const SLACK_BODY = 'command=%2Fgolive&text=help&user_id=U_RM&channel_id=C0PROBE&trigger_id=1.2.3';

/** The event a function's first real call would get, for `service` of `config` (version 2.0.0). */
export function firstEvent(name: string, config: GoLiveConfig, service: string): unknown {
  if (name === 'AlarmHandler') {
    return {
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      time: new Date().toISOString(),
      detail: {
        alarmName: config.services[service].alerts.alarms[0],
        state: { value: 'ALARM', reason: 'probe' },
        previousState: { value: 'OK' },
      },
    };
  }
  if (name === 'Janitor' || name === 'AuditExport') {
    return {
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      detail: { executionArn: EXECUTION, status: 'ABORTED', error: null, cause: null },
    };
  }
  if (name === 'SlackFunction') {
    // A signed `/golive help`, as Slack sends it through API Gateway.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', SLACK_SIGNING_SECRET).update(`v0:${timestamp}:${SLACK_BODY}`).digest('hex');
    return {
      httpMethod: 'POST',
      path: '/slack/events',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Slack-Request-Timestamp': timestamp,
        'X-Slack-Signature': `v0=${signature}`,
      },
      body: SLACK_BODY,
      isBase64Encoded: false,
    };
  }
  if (name === 'ControlFunction') {
    // `golive status probe-1` through the control API: an IAM-signed GET as API Gateway passes it on.
    const principal = config.identities[0]?.principal.replace(
      /:iam::(\d+):role\/(.+)$/,
      ':sts::$1:assumed-role/$2/probe',
    );
    return {
      httpMethod: 'GET',
      path: `/go-lives/${EXECUTION.split(':').pop()}`,
      pathParameters: { name: EXECUTION.split(':').pop() },
      headers: {},
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: 'probe', identity: { userArn: principal ?? null } },
    };
  }
  // What the workflow's Task for this function sends (ASL Parameters): a validated request, the
  // plan ValidateAndLock made, and the action (lock: acquire, backup: start, traffic: shift, ...).
  const request = validateRequest({ service, version: '2.0.0', strategy: 'canary', requestedBy: 'U_RM' }, config);
  const plan = planRollout(request, config.services[service], config, {
    stableSlot: 'blue',
    candidateSlot: 'green',
    stableVersion: '1.9.0',
  });
  const step = { executionId: EXECUTION, request, plan };
  const taskToken = 'AQBcAAAAKgAAAAMAAAAAAAAAAprobe';
  const weight = plan.steps[0] ?? 100;
  const readiness: ReadinessReport = {
    service,
    version: request.version,
    passed: true,
    checkedAt: new Date().toISOString(),
    failing: [],
    awaitingAttestation: [],
    items: [],
  };
  const byFunction: Record<string, object> = {
    Lock: {
      state: 'ValidateAndLock',
      executionId: EXECUTION,
      request,
      action: 'acquire',
      startTime: new Date().toISOString(),
    } satisfies StepPayload<'ValidateAndLock'>,
    Readiness: { ...step, state: 'CheckReadiness' } satisfies StepPayload<'CheckReadiness'>,
    Alerts: { ...step, state: 'MuteAlerts', action: 'mute' } satisfies StepPayload<'MuteAlerts'>,
    Backup: { ...step, state: 'StartRestore', action: 'start' } satisfies StepPayload<'StartRestore'>,
    SmokeTest: {
      ...step,
      state: 'PreTrafficSmokeTests',
      phase: 'pre-traffic',
    } satisfies StepPayload<'PreTrafficSmokeTests'>,
    Traffic: { ...step, state: 'ShiftTraffic', action: 'shift', weight } satisfies StepPayload<'ShiftTraffic'>,
    Bake: { ...step, state: 'Bake', taskToken, phase: 'canary', weight } satisfies StepPayload<'Bake'>,
    Approval: { ...step, state: 'SignOff', taskToken, readiness } satisfies StepPayload<'SignOff'>,
    Notify: { ...step, state: 'NotifySuccess', event: 'succeeded' } satisfies StepPayload<'NotifySuccess'>,
  };
  return byFunction[name] ?? step;
}

/**
 * One fresh process: require the bundle, call the handler once with `event`, and report the
 * elapsed milliseconds and how the call ended. Handlers log JSON to stdout (Powertools), so the
 * probe reports on stderr behind a marker.
 */
const PROBE = `
const t0 = performance.now();
const mod = require(process.argv[1]);
Promise.resolve()
  .then(() => mod.handler(JSON.parse(process.argv[2]), { functionName: 'probe', awsRequestId: 'probe', getRemainingTimeInMillis: () => 30000 }))
  .then(() => ['ok', ''], (err) => [(err && err.name) || 'error', String(err && err.message).slice(0, 300).replace(/\\s+/g, ' ')])
  .then(([outcome, message]) => { process.stderr.write('\\nGOLIVE_PROBE ' + (performance.now() - t0) + ' ' + outcome + ' ' + message + '\\n'); process.exit(0); });
`;

export function probe(
  fn: ShippedFunction,
  event: unknown,
  options: { node?: string; nodeArgs?: string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<ProbeResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      options.node ?? process.execPath,
      [...(options.nodeArgs ?? []), '-e', PROBE, fn.bundle, JSON.stringify(event)],
      { env: { ...fn.env, ...options.env } },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (status) => {
      clearTimeout(timer);
      const m = /GOLIVE_PROBE ([\d.]+) (\S+) (.*)/.exec(stderr);
      if (status !== 0 || !m) reject(new Error(`${fn.name}: probe failed (status ${status}): ${stdout} ${stderr}`));
      else resolve({ ms: Number(m[1]), outcome: m[2], message: m[3], stdout });
    });
  });
}
