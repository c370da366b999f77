import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT, testConfig } from '../support/harness';

/** `npm start` is `golive demo`: run it as a real process, as a newcomer would. */
function demo(
  args: string[],
  home: string,
  config: string,
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(REPO_ROOT, 'bin', 'golive.ts'), 'demo', ...args],
      {
        cwd: home,
        env: { ...process.env, GOLIVE_HOME: join(home, '.golive'), GOLIVE_CONFIG: config },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
      err += d.toString();
    });
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('golive demo (npm start)', () => {
  let home: string;
  let config: string;
  const ports = [
    ...['--sfn-port', '0', '--router-port', '0', '--blue-port', '0', '--green-port', '0'],
    ...['--slack-port', '0', '--control-port', '0'],
  ];

  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'golive-demo-'));
    config = join(home, 'golive.config.yaml');
    writeFileSync(config, stringify(testConfig()));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('completes a canary go-live of the demo service and exits 0', async () => {
    const { code, out } = await demo(['--yes', ...ports], home, config);

    expect(out).toContain('✅ SUCCEEDED');
    expect(out).toMatch(/✓ ShiftTraffic[\s\S]*✓ Bake[\s\S]*✓ SignOff[\s\S]*✓ Promote/);
    expect(out).toContain('router now: blue 0% / green 100%');
    expect(out).toMatch(/audit: \d+ records, chain intact/);
    expect(code).toBe(0);
  });

  it('rolls back with exit 1 when a fault is injected at the smoke tests', async () => {
    const { code, out } = await demo(['--yes', '--fail-at', 'smoke-tests', ...ports], home, config);

    expect(out).toMatch(/✗ PreTrafficSmokeTests .*SmokeTestFailed/);
    expect(out).toContain('✓ Rollback');
    expect(out).toContain('Everything was rolled back');
    // The first run put 2.0.0 live on green: the fault hits the candidate (blue), traffic stays on green.
    expect(out).toContain('fault injected at smoke-tests: the candidate slot answers 500 on /api');
    expect(out).toContain('router now: blue 0% / green 100%');
    expect(out).toContain('lock: released');
    expect(code).toBe(1);
  });

  // Last: it leaves the demo's lock held, as a failed rollback must.
  it('says on stderr that the rollback failed, restores alerts, keeps the lock and exits 4', async () => {
    const { code, out, err } = await demo(['--yes', '--fail-at', 'rollback', ...ports], home, config);

    expect(out).toMatch(/✗ \w*Bake .*AlarmTriggered/);
    expect(out).toMatch(/✗ Rollback .*ProviderUnavailable: router of demo answered 503/);
    expect(out).toContain('✓ UnmuteAfterFailedRollback');
    expect(out).not.toContain('Everything was rolled back');
    expect(err).toMatch(
      /🚨 ROLLBACK FAILED for demo 2\.0\.0: The rollback did not complete: rolling back after AlarmTriggered failed with ProviderUnavailable\. .*the lock stays held/,
    );
    expect(out).toContain('alerts: no golive mute rule left; lock: HELD');
    // The metric is AWS's channel (EMF read by CloudWatch Logs): never printed into the local demo.
    expect(out).not.toContain('CloudWatchMetrics');
    expect(code).toBe(4);
  });
});
