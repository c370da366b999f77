import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { runtimeFile } from '../../local/providers/readiness';
import { occupyPort } from '../demo/helpers';
import { runCli as run } from '../support/cli';
import { REPO_ROOT, startHarness, type Harness } from '../support/harness';

const CONFIG = join(REPO_ROOT, 'golive.config.yaml');

/** Real requests straight to one slot: how many answered 5xx, and the slowest answer in ms. */
async function probe(url: string, path: string, n: number): Promise<{ failures: number; slowestMs: number }> {
  let failures = 0;
  let slowestMs = 0;
  for (let i = 0; i < n; i++) {
    const started = performance.now();
    const res = await fetch(new URL(path, url));
    await res.arrayBuffer();
    slowestMs = Math.max(slowestMs, performance.now() - started);
    if (res.status >= 500) failures++;
  }
  return { failures, slowestMs };
}

describe('golive local fault', () => {
  let h: Harness;
  let common: string[];
  const target = () => h.rt.targets.get('demo')!;

  beforeAll(async () => {
    h = await startHarness();
    // The runtime records its endpoints under its home, as `golive local up` does: --home is all the CLI needs.
    common = ['--home', h.home, '--config', CONFIG];
  });
  afterAll(() => h.close());
  afterEach(() => {
    for (const slot of ['blue', 'green'] as const) {
      target()[slot].setFaults({ errorRate: 0, latencyMs: 0, healthFailing: false });
    }
  });

  it('injects an error rate into the named slot only, and --clear removes it', async () => {
    const result = await run(['local', 'fault', 'demo', 'green', '--error-rate', '0.5', ...common]);

    expect(result).toMatchObject({ code: 0, err: '' });
    expect(result.out).toContain('demo green');
    expect(result.out).toContain('error rate 0.5 (50% of /api requests answer 500)');
    expect((await probe(target().green.url, '/api/orders/1', 20)).failures).toBe(10);
    expect((await probe(target().blue.url, '/api/orders/1', 20)).failures).toBe(0);

    const cleared = await run(['local', 'fault', 'demo', 'green', '--clear', ...common]);

    expect(cleared).toMatchObject({ code: 0, out: expect.stringContaining('no faults injected') });
    expect((await probe(target().green.url, '/api/orders/1', 20)).failures).toBe(0);
  });

  it('adds latency and fails /health; the faults add up and --json prints them', async () => {
    const before = await probe(target().blue.url, '/health', 3);
    expect(before.slowestMs).toBeLessThan(300);

    expect((await run(['local', 'fault', 'demo', 'blue', '--latency-ms', '300', ...common])).code).toBe(0);
    const result = await run(['local', 'fault', 'demo', 'blue', '--health', 'failing', '--json', ...common]);

    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({
      service: 'demo',
      url: target().blue.url,
      slot: 'blue',
      version: target().blue.version,
      faults: { errorRate: 0, latencyMs: 300, health: 'failing' },
    });
    const started = performance.now();
    const health = await fetch(new URL('/health', target().blue.url));
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    expect(health.status).toBe(503);

    expect((await run(['local', 'fault', 'demo', 'blue', '--clear', ...common])).code).toBe(0);

    const after = await probe(target().blue.url, '/health', 3);
    expect(after).toEqual({ failures: 0, slowestMs: expect.any(Number) });
    expect(after.slowestMs).toBeLessThan(300);
  });

  it.each([
    [['payments', 'green', '--error-rate', '0.1'], 'unknown service "payments" (services: demo)'],
    [['demo', 'red', '--error-rate', '0.1'], 'name the slot: blue or green, not "red"'],
    [['demo'], 'name the slot: blue or green'],
    [['demo', 'green', '--error-rate', '1.5'], '--error-rate must be a number between 0 and 1, got "1.5"'],
    [['demo', 'green', '--error-rate', 'lots'], '--error-rate must be a number between 0 and 1, got "lots"'],
    [
      ['demo', 'green', '--latency-ms=-5'],
      '--latency-ms must be a whole number of milliseconds from 0 to 60000, got "-5"',
    ],
    [['demo', 'green', '--latency-ms', '90000'], '--latency-ms must be a whole number of milliseconds from 0 to 60000'],
    [['demo', 'green', '--health', 'sick'], '--health must be "failing" or "ok", got "sick"'],
    [['demo', 'green'], 'name a fault (--error-rate 0.2 answers 20% of /api requests with 500'],
    [['demo', 'green', '--clear', '--error-rate', '0.1'], '--clear removes every fault of the slot: give it alone'],
  ])('refuses `golive local fault %j` with exit 2 and a message naming the fix', async (args, message) => {
    const result = await run(['local', 'fault', ...args, ...common]);

    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(target().green.faults()).toEqual({ errorRate: 0, latencyMs: 0, healthFailing: false });
  });

  describe('without a running runtime', () => {
    let home: string;
    beforeEach(() => {
      home = mkdtempSync(join(tmpdir(), 'golive-fault-'));
    });
    afterEach(() => rmSync(home, { recursive: true, force: true }));

    it('exits 3 naming `golive local up` when nothing runs in the home', async () => {
      const result = await run([
        'local',
        'fault',
        'demo',
        'green',
        '--error-rate',
        '0.1',
        '--home',
        home,
        '--config',
        CONFIG,
      ]);

      expect(result.code).toBe(3);
      expect(result.err).toContain('the local runtime is not running for demo');
      expect(result.err).toContain('golive local up');
    });

    it('exits 3 naming `golive local up` when the recorded demo app does not answer', async () => {
      const closed = await occupyPort();
      await closed.release();
      const file = runtimeFile(home, 'demo');
      mkdirSync(dirname(file), { recursive: true });
      const url = `http://127.0.0.1:${closed.port}`;
      const record = {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        endpoints: { live: url, blue: url, green: url },
      };
      writeFileSync(file, JSON.stringify(record));

      const result = await run([
        'local',
        'fault',
        'demo',
        'green',
        '--health',
        'failing',
        '--home',
        home,
        '--config',
        CONFIG,
      ]);

      expect(result.code).toBe(3);
      expect(result.err).toContain(`cannot reach the green app of demo at ${url}`);
      expect(result.err).toContain('golive local up');
    });
  });

  it('has --help text and is listed with the commands', async () => {
    const help = await run(['local', 'fault', '--help']);
    const top = await run(['--help']);

    expect(help.code).toBe(0);
    expect(help.out).toContain('golive local fault <service> <blue|green>');
    expect(top.out).toContain('local fault');
  });
});
