import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { join } from 'node:path';
import { runCli as run } from '../support/cli';
import { REPO_ROOT, startHarness, type Harness } from '../support/harness';

describe('golive CLI', () => {
  let h: Harness;
  let common: string[];

  beforeAll(async () => {
    h = await startHarness();
    common = ['--endpoint', h.rt.endpointUrl, '--home', h.home, '--config', join(REPO_ROOT, 'golive.config.yaml')];
  });
  afterAll(() => h.close());

  const executions = async () =>
    (await h.rt.sfn.send(new ListExecutionsCommand({ stateMachineArn: h.rt.stateMachineArn }))).executions ?? [];

  it.each([
    [['start', 'payments', '2.0.0'], 'unknown service "payments"'],
    [['start', 'demo', 'v2'], 'is not a semantic version'],
    [['start', 'demo', '2.0.0', '--strategy', 'yolo'], 'unknown strategy "yolo"'],
    [['start', 'demo'], 'is not a semantic version'],
    [['start', 'demo', '2.0.0', '--bogus'], "Unknown option '--bogus'"],
  ])('refuses `golive %j` with exit 2, a message naming the problem, and starts nothing', async (args, message) => {
    const before = (await executions()).length;

    const result = await run([...args, ...common]);

    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect((await executions()).length).toBe(before);
  });

  it('says the runtime is not running, with the fix, and exits 3', async () => {
    const result = await run(['start', 'demo', '2.0.0', '--endpoint', 'http://127.0.0.1:9']);

    expect(result.code).toBe(3);
    expect(result.err).toContain('golive local up');
  });

  it('names an unknown execution and exits 2', async () => {
    const result = await run(['status', 'no-such-execution', ...common]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('no-such-execution');
  });

  it('refuses a rejection without a reason with exit 2', async () => {
    const result = await run(['reject', 'whatever', '--as', 'U_APPROVER_ANA', ...common]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('--reason');
  });

  it('refuses a waiver without a reason with exit 2', async () => {
    const result = await run(['approve', 'whatever', '--as', 'U_APPROVER_ANA', '--waive', 'runbook-linked', ...common]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('a waiver needs a reason');
  });

  it('names an unknown command and an unknown --fail-at step', async () => {
    expect(await run(['deploy'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "deploy"') });
    expect(await run(['demo', '--fail-at', 'everything'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown step "everything"'),
    });
  });

  it('prints help for every command with exit 0', async () => {
    for (const command of [
      'demo',
      'local up',
      'start',
      'watch',
      'status',
      'approve',
      'reject',
      'abort',
      'history',
      'config',
    ]) {
      const result = await run([...command.split(' '), '--help']);
      expect(result).toMatchObject({ code: 0, out: expect.stringContaining('Usage: golive') });
    }
  });

  it('starts, watches, approves and lists a go-live end to end', async () => {
    const started = await run(['start', 'demo', '2.0.0', '--as', 'U_RELEASE_MANAGER', '--json', ...common]);
    expect(started.code).toBe(0);
    const { executionArn } = JSON.parse(started.out) as { executionArn: string };
    const name = executionArn.split(':').pop()!;
    const watching = run(['watch', name, ...common]);
    await h.waitForCallback(executionArn, 'SignOff');

    const self = await run(['approve', name, '--as', 'U_RELEASE_MANAGER', ...common]);
    // Approving confirms every checklist item the approver is named to attest.
    const approved = await run(['approve', name, '--as', 'U_APPROVER_ANA', ...common]);
    const watched = await watching;

    expect(self).toMatchObject({ code: 1, out: expect.stringContaining('not an approver') });
    expect(approved).toMatchObject({ code: 0, out: expect.stringContaining('approved') });
    const attested = (await h.rt.store.listAudit(executionArn)).filter((r) => r.action === 'attest');
    expect(attested.map((r) => r.actor)).toContain('U_APPROVER_ANA');
    expect(JSON.stringify(attested)).toContain('ingress-through-gateway');
    expect(watched.code).toBe(0);
    expect(watched.out).toMatch(/✓ ValidateAndLock\s+\d+ ms/);
    expect(watched.out).toMatch(/✓ Bake\s+[\d.]+ s\s+bake passed/);
    expect(watched.out).toMatch(/SUCCEEDED after [\d.]+ s/);
    const status = await run(['status', name, '--json', ...common]);
    expect(JSON.parse(status.out)).toMatchObject({ status: 'SUCCEEDED', service: 'demo', version: '2.0.0' });
    const history = await run(['history', 'demo', ...common]);
    expect(history.out).toContain(name);
  });

  it('aborts a running go-live: it rolls back', async () => {
    const started = await run(['start', 'demo', '2.0.1', '--json', ...common]);
    const { executionArn } = JSON.parse(started.out) as { executionArn: string };
    await h.waitForCallback(executionArn, 'SignOff');

    const notManager = await run(['abort', executionArn, '--as', 'U_APPROVER_ANA', ...common]);
    const aborted = await run([
      'abort',
      executionArn,
      '--as',
      'U_RELEASE_MANAGER',
      '--reason',
      'wrong build',
      ...common,
    ]);
    const exec = await h.finished(executionArn);

    expect(notManager.code).toBe(1);
    expect(aborted.code).toBe(0);
    expect({ status: exec.status, error: exec.error }).toEqual({ status: 'FAILED', error: 'GoLiveAborted' });
    expect(exec.cause).toContain('wrong build');
    expect(await h.rt.store.getLock('demo')).toBeUndefined();
  });
});
