import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { join } from 'node:path';
import { runCli as run } from '../support/cli';
import { REPO_ROOT, startHarness, type Harness } from '../support/harness';

describe('golive CLI', () => {
  let h: Harness;
  let common: string[];

  beforeAll(async () => {
    h = await startHarness();
    common = [
      '--api',
      h.rt.control.url,
      '--endpoint',
      h.rt.endpointUrl,
      '--home',
      h.home,
      '--config',
      join(REPO_ROOT, 'golive.config.yaml'),
    ];
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

  it.each(['constructor', '__proto__', 'toString'])(
    'calls `golive start %s 1.0.0` an unknown service: exit 2, no stack, nothing started',
    async (service) => {
      const before = (await executions()).length;

      const result = await run(['start', service, '1.0.0', ...common]);

      expect(result.code).toBe(2);
      expect(result.err).toContain(`unknown service "${service}"`);
      expect(result.err).not.toMatch(/unexpected error|TypeError|\n\s+at /);
      expect((await executions()).length).toBe(before);
    },
  );

  it('refuses a start by someone who is not a release manager with exit 6, starting nothing', async () => {
    const before = (await executions()).length;

    const result = await run(['start', 'demo', '2.6.0', '--as', 'U_GUEST', ...common]);

    expect(result.code).toBe(6);
    expect(result.err).toContain('U_GUEST is not a release manager of demo');
    expect((await executions()).length).toBe(before);
  });

  it('says the control API is not running, with the fix, and exits 3', async () => {
    const result = await run(['start', 'demo', '2.0.0', '--api', 'http://127.0.0.1:9']);

    expect(result.code).toBe(3);
    expect(result.err).toContain('cannot reach the control API at http://127.0.0.1:9');
    expect(result.err).toContain('golive local up');
  });

  it('says "no such go-live" for an unknown execution, and exits 2', async () => {
    const status = await run(['status', 'no-such-execution', ...common]);
    const approve = await run(['approve', 'no-such-execution', '--as', 'U_APPROVER_ANA', ...common]);
    const abort = await run(['abort', 'no-such-execution', '--as', 'U_RELEASE_MANAGER', ...common]);

    for (const result of [status, approve, abort]) {
      expect(result.code).toBe(2);
      expect(result.err).toContain('no go-live named no-such-execution');
    }
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

  it('refuses --as against the control API on AWS: there the caller is their IAM identity', async () => {
    const result = await run([
      'approve',
      'x',
      '--as',
      'U_APPROVER_ANA',
      '--api',
      'https://abc123.execute-api.eu-west-1.amazonaws.com/prod',
    ]);

    expect(result.code).toBe(2);
    expect(result.err).toContain('--as is for the local runtime only');
  });

  it('names an unknown command and an unknown --fail-at step', async () => {
    expect(await run(['deploy'])).toMatchObject({ code: 2, err: expect.stringContaining('unknown command "deploy"') });
    expect(await run(['demo', '--fail-at', 'everything'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown step "everything"'),
    });
  });

  it.each([
    ['canary', 'blue-green'],
    ['latency', 'all-at-once'],
    ['rollback', 'blue-green'],
  ])(
    'refuses --fail-at %s with --strategy %s, which has no canary bake to fail in (exit 2)',
    async (fault, strategy) => {
      const result = await run(['demo', '--yes', '--fail-at', fault, '--strategy', strategy]);

      expect(result.code).toBe(2);
      expect(result.err).toContain(`--fail-at ${fault} cannot fire with --strategy ${strategy}`);
    },
  );

  it('prints help for every command with exit 0, the exit codes included', async () => {
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
      expect(result.out).toContain('5  refused before anything changed');
    }
  });

  it('starts, watches, approves and lists a go-live end to end; a vote that changes nothing exits 1', async () => {
    const started = await run(['start', 'demo', '2.0.0', '--as', 'U_RELEASE_MANAGER', '--json', ...common]);
    expect(started.code).toBe(0);
    const { executionArn, name } = JSON.parse(started.out) as { executionArn: string; name: string };
    const watching = run(['watch', name, ...common]);
    await h.waitForCallback(executionArn, 'SignOff');

    const self = await run(['approve', name, '--as', 'U_RELEASE_MANAGER', '--attest', 'all', ...common]);
    const unattested = await run(['approve', name, '--as', 'U_APPROVER_ANA', ...common]);
    const approved = await run(['approve', name, '--as', 'U_APPROVER_ANA', '--attest', 'all', ...common]);
    const again = await run(['approve', name, '--as', 'U_APPROVER_BEN', '--attest', 'all', ...common]);
    const watched = await watching;

    expect(self).toMatchObject({ code: 6, err: expect.stringContaining('U_RELEASE_MANAGER is not an approver') });
    // An approval attests only what it names: without --attest, the required items stay open.
    expect(unattested).toMatchObject({ code: 2, err: expect.stringContaining('still unattested') });
    expect(approved).toMatchObject({ code: 0, out: expect.stringContaining('approved') });
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/nothing changed/);
    const attested = (await h.rt.store.listAudit(executionArn)).filter((r) => r.action === 'attest');
    expect(attested[0]).toMatchObject({ actor: 'U_APPROVER_ANA', verifiedBy: 'local' });
    expect(JSON.stringify(attested)).toContain('ingress-through-gateway');
    expect(watched.code).toBe(0);
    expect(watched.out).toMatch(/✓ ValidateAndLock\s+\d+ ms/);
    expect(watched.out).toMatch(/✓ Bake\s+[\d.]+ s\s+bake passed/);
    expect(watched.out).toMatch(/SUCCEEDED after [\d.]+ s/);
    const status = await run(['status', name, '--json', ...common]);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.out)).toMatchObject({
      status: 'SUCCEEDED',
      service: 'demo',
      version: '2.0.0',
      requestedBy: 'U_RELEASE_MANAGER',
      verifiedBy: 'local',
      signOff: { status: 'approved' },
    });
    const history = await run(['history', 'demo', ...common]);
    expect(history.out).toContain(name);
  });

  it('aborts a running go-live: it rolls back and is ABORTED everywhere, exit 1', async () => {
    const started = await run(['start', 'demo', '2.0.1', '--json', ...common]);
    const { executionArn, name } = JSON.parse(started.out) as { executionArn: string; name: string };
    const watching = run(['watch', name, ...common]);
    await h.waitForCallback(executionArn, 'SignOff');

    const notManager = await run(['abort', name, '--as', 'U_APPROVER_ANA', ...common]);
    const aborted = await run(['abort', name, '--as', 'U_RELEASE_MANAGER', '--reason', 'wrong build', ...common]);
    const exec = await h.finished(executionArn);
    const watched = await watching;
    const status = await run(['status', name, '--json', ...common]);
    const listed = await run(['history', 'demo', '--status', 'ABORTED', '--json', ...common]);
    const failed = await run(['history', 'demo', '--status', 'FAILED', '--json', ...common]);
    const again = await run(['abort', name, '--as', 'U_RELEASE_MANAGER', ...common]);

    expect(notManager.code).toBe(6);
    expect(aborted.code).toBe(0);
    expect({ status: exec.status, error: exec.error }).toEqual({ status: 'FAILED', error: 'GoLiveAborted' });
    expect(exec.cause).toContain('wrong build');
    expect(await h.rt.store.getLock('demo')).toBeUndefined();
    expect(watched.code).toBe(1);
    expect(watched.out).toMatch(/\nABORTED after/);
    expect(status.code).toBe(1);
    expect(JSON.parse(status.out)).toMatchObject({ status: 'ABORTED', abort: { by: 'U_RELEASE_MANAGER' } });
    expect((JSON.parse(listed.out) as { name: string }[]).map((g) => g.name)).toContain(name);
    expect((JSON.parse(failed.out) as { name: string }[]).map((g) => g.name)).not.toContain(name);
    expect(again).toMatchObject({ code: 1, err: expect.stringContaining('is not running (it is ABORTED)') });
    const [entry] = (await h.rt.store.listAudit(executionArn)).filter((r) => r.action === 'abort');
    expect(entry).toMatchObject({ actor: 'U_RELEASE_MANAGER', verifiedBy: 'local' });
  });

  it('answers 20 starts of the same version in one second with one go-live; the others exit 5, never 1', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        run(['start', 'demo', '2.0.2', '--as', 'U_RELEASE_MANAGER', '--json', ...common]),
      ),
    );

    const codes = results.map((r) => r.code).sort();
    expect(codes).toEqual([0, ...Array(19).fill(5)]);
    for (const refused of results.filter((r) => r.code === 5)) {
      expect(refused.err).toMatch(/demo 2\.0\.2 is already (starting|going live) as/);
    }
    const { executionArn, name } = JSON.parse(results.find((r) => r.code === 0)!.out) as {
      executionArn: string;
      name: string;
    };
    // Another version meanwhile: the service is busy, refused before anything starts (exit 5 too).
    const other = await run(['start', 'demo', '2.0.3', '--as', 'U_RELEASE_MANAGER', ...common]);
    expect(other).toMatchObject({ code: 5, err: expect.stringContaining(`demo is going live with 2.0.2 as ${name}`) });
    await run(['abort', name, '--as', 'U_RELEASE_MANAGER', '--reason', 'test done', ...common]);
    await h.finished(executionArn);
  });
});
