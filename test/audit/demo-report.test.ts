import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main, type Io } from '../../bin/cli/main';
import type { AuditReport } from '../../lambdas/core/report/report';
import { REPO_ROOT } from '../support/harness';

async function run(args: string[]): Promise<{ code: number; out: string }> {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), isTTY: false };
  const code = await main(args, io);
  return { code, out: lines.join('\n') };
}

describe('npm start (golive demo) and the audit trail it leaves', () => {
  const home = mkdtempSync(join(tmpdir(), 'golive-demo-audit-'));
  const common = ['--home', home, '--config', join(REPO_ROOT, 'golive.config.yaml')];
  // Nothing listens here: once the demo's runtime is gone, golive audit reads the state directory alone.
  const offline = [...common, '--endpoint', 'http://127.0.0.1:9'];
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('prints where the HTML report was written; show and verify work on it after the runtime stopped', async () => {
    const ports = [
      '--sfn-port',
      '0',
      '--router-port',
      '0',
      '--blue-port',
      '0',
      '--green-port',
      '0',
      '--slack-port',
      '0',
    ];

    const demo = await run(['demo', '--yes', '--fail-at', 'smoke-tests', ...ports, ...common]);
    const reportPath = /audit report \(HTML, opens offline\): (.+\.html)$/m.exec(demo.out)?.[1];
    const name = /going live \(canary\) as (\S+),/.exec(demo.out)?.[1];
    const show = await run(['audit', 'show', name!, '--json', ...offline]);
    const verify = await run(['audit', 'verify', name!, ...offline]);
    const report = JSON.parse(show.out) as AuditReport;

    expect(demo.code).toBe(1);
    expect(reportPath).toBe(join(home, 'reports', `${name}.html`));
    expect(existsSync(reportPath!)).toBe(true);
    expect(readFileSync(reportPath!, 'utf8')).toContain('SmokeTestFailed');
    expect(show.code).toBe(0);
    expect(report.sources.historyUnavailable).toBeUndefined();
    expect(report.steps.find((s) => s.name === 'PreTrafficSmokeTests')).toMatchObject({
      result: 'failed',
      error: 'SmokeTestFailed',
      durationMs: expect.any(Number),
    });
    expect(report.rollback).toMatchObject({ outcome: 'succeeded' });
    expect(verify).toMatchObject({
      code: 0,
      out: expect.stringMatching(/^intact: .*\(verified \(chain, execution-output, seal-log\)\)\n/),
    });
  });
});
