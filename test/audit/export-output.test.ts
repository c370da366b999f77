import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli as run } from '../support/cli';
import { REPO_ROOT, startHarness, type Harness } from '../support/harness';

const nameOf = (arn: string) => arn.split(':').pop()!;

/** Runs a shell pipeline, as a user types it; resolves with what the shell printed. */
function shell(script: string): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

describe('golive audit export output', () => {
  let h: Harness;
  let common: string[];
  let execution: string;
  let dir: string;

  beforeAll(async () => {
    h = await startHarness();
    common = ['--endpoint', h.rt.endpointUrl, '--home', h.home, '--config', join(REPO_ROOT, 'golive.config.yaml')];
    dir = mkdtempSync(join(tmpdir(), 'golive-export-'));
    h.autoApprove();
    execution = await h.start({ version: '5.0.0' }, `audit-export-${Date.now()}`);
    await h.finished(execution);
    h.stopAutoApprove();
  });
  afterAll(async () => {
    await h.close();
    chmodSync(dir, 0o700);
    rmSync(dir, { recursive: true, force: true });
  });

  it('ends quietly with exit 0 when the reader closes the pipe early (| head -1)', async () => {
    const full = await run(['audit', 'export', nameOf(execution), '--format', 'json', ...common]);
    // More than a pipe holds (64 KiB), so the export is still writing when head exits.
    expect(full.out.length).toBeGreaterThan(128 * 1024);
    const errFile = join(dir, 'stderr.txt');
    const golive = [
      process.execPath,
      join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      join(REPO_ROOT, 'bin', 'golive.ts'),
    ];
    const args = ['audit', 'export', nameOf(execution), '--format', 'json', ...common];
    const quoted = [...golive, ...args].map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(' ');

    const piped = await shell(`${quoted} 2>'${errFile}' | head -1; echo "exit \${PIPESTATUS[0]}"`);

    expect(piped.out).toBe('{\nexit 0\n');
    expect(readFileSync(errFile, 'utf8')).toBe('');
  });

  it('refuses a directory given as --out with exit 2, naming the path and a file to write instead', async () => {
    const result = await run(['audit', 'export', nameOf(execution), '--format', 'html', '--out', dir, ...common]);

    expect(result.code).toBe(2);
    expect(result.err).toBe(
      `golive: cannot write --out ${dir}: it is a directory; name a file in it, e.g. --out ${join(dir, `${nameOf(execution)}.html`)}`,
    );
  });

  it('refuses an --out under a file with exit 2 and no stack', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'not a folder');

    const result = await run([
      'audit',
      'export',
      nameOf(execution),
      '--format',
      'csv',
      '--out',
      join(file, 'x.csv'),
      ...common,
    ]);

    expect(result.code).toBe(2);
    expect(result.err).toBe(
      `golive: cannot write --out ${join(file, 'x.csv')}: a part of the path is a file, not a folder; choose a path whose folders are folders`,
    );
  });

  it('refuses an --out it may not write with exit 2, saying so and what to do', async () => {
    // Root writes through file modes; sysfs refuses everyone a new file.
    const locked = join(dir, 'locked');
    mkdirSync(locked);
    chmodSync(locked, 0o500);
    const target = process.getuid?.() === 0 ? '/sys/golive-audit-report.json' : join(locked, 'report.json');

    const result = await run(['audit', 'export', nameOf(execution), '--format', 'json', '--out', target, ...common]);

    expect(result.code).toBe(2);
    expect(result.err).toMatch(
      new RegExp(
        `^golive: cannot write --out ${target}: (permission denied; choose a folder you can write to, or fix its permissions|the file system is read-only; choose a folder on a writable disk)$`,
      ),
    );
    expect(existsSync(target)).toBe(false);
  });

  it('creates the missing folders of an --out path', async () => {
    const file = join(dir, 'new', 'folder', 'report.json');

    const result = await run(['audit', 'export', nameOf(execution), '--format', 'json', '--out', file, ...common]);

    expect(result).toMatchObject({ code: 0, out: `wrote ${file}` });
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ execution: { status: 'SUCCEEDED' } });
  });
});
