/**
 * `npx tsx bench/bundles.ts` (part of `npm run bench`) → the "Lambda bundles" section of
 * BENCHMARKS.md: the size of every function's minified bundle and its cold init time (a fresh
 * Node process loads the bundle and makes the first handler call), median of 10 processes.
 *
 * The bundles are exactly what `cdk synth` ships: the app is synthesized into cdk.out/bench and
 * each function's asset is measured. The first call gets a realistic event of its kind (a step
 * payload, an alarm state change, an execution status change, a Slack request), so it loads the
 * providers and SDK clients a real first call would. Every AWS endpoint points at 127.0.0.1:1
 * with static credentials: the AWS calls are refused at once (the "mocked" answer) and nothing
 * leaves the machine.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'cdk.out', 'bench');
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 10);
const START = '<!-- bundles:start -->';
const END = '<!-- bundles:end -->';

interface FunctionResource {
  Type: string;
  Properties: { Description?: string; FunctionName?: string };
  Metadata?: Record<string, string>;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** One fresh process: require the bundle, call the handler once, report the elapsed milliseconds. */
const PROBE = `
const t0 = performance.now();
const mod = require(process.argv[1]);
Promise.resolve()
  .then(() => mod.handler(JSON.parse(process.argv[2]), { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 30000 }))
  .catch(() => undefined)
  .then(() => { process.stderr.write('\\nGOLIVE_INIT_MS=' + (performance.now() - t0) + '\\n'); process.exit(0); });
`;

const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:golive-bench:bench-1';
/** The event a function's first real call would get. */
function firstEvent(logicalId: string): unknown {
  const statusChange = {
    'detail-type': 'Step Functions Execution Status Change',
    source: 'aws.states',
    detail: { executionArn: EXECUTION, status: 'ABORTED', error: null, cause: null },
  };
  if (/AlarmHandler/.test(logicalId)) {
    return {
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      time: new Date().toISOString(),
      detail: {
        alarmName: 'demo-5xx-rate',
        state: { value: 'ALARM', reason: 'bench' },
        previousState: { value: 'OK' },
      },
    };
  }
  if (/Janitor|AuditExport/.test(logicalId)) return statusChange;
  if (/Slack/.test(logicalId)) {
    return {
      httpMethod: 'POST',
      path: '/slack/events',
      headers: {
        'Content-Type': 'application/x-www-form-urlencoded',
        'X-Slack-Request-Timestamp': String(Math.floor(Date.now() / 1000)),
        'X-Slack-Signature': 'v0=00',
      },
      body: 'command=%2Fgolive&text=help&user_id=U1',
      isBase64Encoded: false,
    };
  }
  // The action each function's first Task sends (lock: ValidateAndLock, backup: StartRestore, ...).
  const actions: Record<string, string> = { Lock: 'acquire', Alerts: 'mute', Backup: 'start', Traffic: 'shift' };
  const action = Object.entries(actions).find(([fn]) => logicalId.includes(fn))?.[1];
  return {
    executionId: EXECUTION,
    request: { service: 'demo', version: '2.0.0', strategy: 'canary', requestedBy: 'U_RELEASE_MANAGER' },
    plan: {},
    ...(action ? { action } : {}),
    ...(action === 'shift' ? { weight: 10 } : {}),
  };
}

function main(): void {
  process.stdout.write('synthesizing the stack (bundles every function with esbuild)…\n');
  if (!process.env.BENCH_NO_SYNTH)
    execFileSync(join(ROOT, 'node_modules', '.bin', 'cdk'), ['synth', '--quiet', '--no-notices', '--output', OUT], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  const template = JSON.parse(readFileSync(join(OUT, 'GoLive.template.json'), 'utf8')) as {
    Resources: Record<string, FunctionResource>;
  };
  const env = {
    ...process.env,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
    AWS_MAX_ATTEMPTS: '1',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    GOLIVE_TABLE: 'golive-bench',
    GOLIVE_SLACK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:golive-bench',
    SLACK_SECRET_ARN: 'arn:aws:secretsmanager:us-east-1:000000000000:secret:golive-bench',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:golive-bench',
    GOLIVE_AUDIT_BUCKET: 'golive-bench',
    POWERTOOLS_SERVICE_NAME: 'golive',
  };
  const rows: { name: string; kb: number; initMs: number; slack: boolean }[] = [];
  for (const [logicalId, resource] of Object.entries(template.Resources)) {
    const assetDir = resource.Metadata?.['aws:asset:path'];
    if (resource.Type !== 'AWS::Lambda::Function' || !assetDir?.startsWith('asset.')) continue;
    const bundle = join(OUT, assetDir, 'index.js');
    const name = logicalId.replace(/^Orchestrator/, '').replace(/[0-9A-F]{8}$/, '');
    const samples: number[] = [];
    for (let i = 0; i < PROCESSES; i++) {
      const run = spawnSync(process.execPath, ['-e', PROBE, bundle, JSON.stringify(firstEvent(logicalId))], {
        env,
        encoding: 'utf8',
        timeout: 30_000,
      });
      // Handlers log JSON to stdout (Powertools), so the probe reports on stderr behind a marker.
      const ms = Number(/GOLIVE_INIT_MS=([\d.]+)/.exec(run.stderr)?.[1]);
      if (run.status !== 0 || !Number.isFinite(ms)) {
        throw new Error(
          `${name}: probe failed (status ${run.status}, ${run.error?.message ?? ''}): ${run.stdout} ${run.stderr}`,
        );
      }
      samples.push(ms);
    }
    rows.push({ name, kb: statSync(bundle).size / 1024, initMs: median(samples), slack: /slack/i.test(logicalId) });
    process.stdout.write(`${name}: ${rows.at(-1)!.kb.toFixed(0)} KB, init ${rows.at(-1)!.initMs.toFixed(0)} ms\n`);
  }
  rows.sort((a, b) => a.name.localeCompare(b.name));
  const target = (r: (typeof rows)[number]) => (r.slack ? 1536 : 300);
  const section = [
    START,
    '## Lambda bundles: size and cold init',
    '',
    `Generated by \`npx tsx bench/bundles.ts\` (part of \`npm run bench\`) on ${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}. Bundles as \`cdk synth\` ships them (minified, keepNames, source maps alongside, \`@aws-sdk/*\` from the runtime except where bundled). Init = a fresh process requiring the bundle and making the first handler call with an event of its kind (the providers and SDK clients that call needs are loaded; AWS answers are refused at once on 127.0.0.1:1), median of ${PROCESSES} processes.`,
    '',
    '| function | bundle | target | within | cold init (median) | target ≤ 150 ms |',
    '|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.kb.toFixed(0)} KB | ≤ ${target(r)} KB | ${r.kb <= target(r) ? 'yes' : '**no**'} | ${r.initMs.toFixed(0)} ms | ${r.initMs <= 150 ? 'yes' : '**no**'} |`,
    ),
    END,
  ].join('\n');
  const file = join(ROOT, 'BENCHMARKS.md');
  const current = readFileSync(file, 'utf8');
  writeFileSync(
    file,
    current.includes(START)
      ? current.slice(0, current.indexOf(START)) + section + current.slice(current.indexOf(END) + END.length)
      : `${current.trimEnd()}\n\n${section}\n`,
  );
  process.stdout.write(`${section}\n`);
}

main();
