import { join } from 'node:path';
import { parseConfig, type GoLiveConfig } from '../../lambdas/core/config';
import { runCli } from '../support/cli';
import { APPROVER, REPO_ROOT, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';

/**
 * The release controls from the command line, against one local runtime over real HTTP: `demo`
 * is free to go live; `frozen` and `ledger` sit in a change freeze (`ledger` with one emergency
 * approver only, too few for a break-glass).
 */

const BEN = 'U_APPROVER_BEN';
const iso = (ms: number) => new Date(ms).toISOString();

function controlsConfig(freezeEnd: string): GoLiveConfig {
  const base = testConfig({ demo: { strategy: { default: 'canary', canarySteps: [10, 50], bakeSeconds: 1 } } });
  const demo = base.services.demo;
  const copy = (alarm: string, extra: Record<string, unknown> = {}) => ({
    ...demo,
    alerts: { ...demo.alerts, alarms: [alarm] },
    ...extra,
  });
  return parseConfig({
    ...base,
    breakGlass: { approvers: [APPROVER, BEN, REQUESTER], minApprovals: 2, timeoutSeconds: 600 },
    freezes: [
      {
        name: 'year-end',
        start: iso(Date.now() - 3_600_000),
        end: freezeEnd,
        reason: 'Year-end close',
        services: ['frozen', 'ledger'],
      },
    ],
    services: {
      demo,
      frozen: copy('frozen-5xx-rate'),
      ledger: copy('ledger-5xx-rate', { roles: { emergency: [APPROVER] } }),
    },
  });
}

describe('golive release controls (CLI)', () => {
  let h: Harness;
  const freezeEnd = iso(Date.now() + 2 * 3_600_000);
  const cli = (...args: string[]) => runCli([...args, '--api', h.rt.control.url, '--home', h.home]);
  /** The slot the next go-live of demo deploys to: the one not live (slots swap at each promotion). */
  const idleSlot = async () => ((await h.rt.store.getLiveVersion('demo'))?.slot === 'green' ? 'blue' : 'green');
  /** `golive status --json` (it exits 1 for a failed go-live: only its output matters here). */
  const statusJson = async (name: string) =>
    JSON.parse((await cli('status', name, '--json')).out) as Record<string, unknown>;
  /** `golive start --json` as the release manager: the execution's name and ARN. */
  const start = async (service: string, version: string, ...more: string[]) => {
    const result = await cli('start', service, version, '--as', REQUESTER, '--json', ...more);
    expect(result).toMatchObject({ code: 0, err: '' });
    const { name, executionArn } = JSON.parse(result.out) as { name: string; executionArn: string };
    return { name, arn: executionArn };
  };
  const approve = async (arn: string, name: string) => {
    await h.waitForCallback(arn, 'SignOff');
    const approved = await cli('approve', name, '--as', APPROVER, '--attest', 'all');
    expect(approved).toMatchObject({ code: 0, err: '' });
  };
  let savedUser: string | undefined;

  beforeAll(async () => {
    // `--as` falls back to GOLIVE_USER: the tests say who acts, or deliberately nobody.
    savedUser = process.env.GOLIVE_USER;
    delete process.env.GOLIVE_USER;
    h = await startHarness({ config: controlsConfig(freezeEnd) });
  });
  afterAll(async () => {
    if (savedUser !== undefined) process.env.GOLIVE_USER = savedUser;
    await h.close();
  });
  afterEach(() => {
    h.stopAutoApprove();
    h.rt.faults.clear();
    for (const slot of ['blue', 'green'] as const)
      h.rt.targets.get('demo')![slot].setFaults({ errorRate: 0, latencyMs: 0, healthFailing: false });
  });

  it('refuses `golive rollback demo` with exit 1 while nothing earlier is recorded as live', async () => {
    const result = await cli('rollback', 'demo', '--as', REQUESTER);

    expect(result.code).toBe(1);
    expect(result.err).toContain('nothing to undo for demo');
    expect((await h.rt.client.list({ service: 'demo' })).goLives).toEqual([]);
  });

  it('pauses, resumes and promotes a running go-live; refuses a repeat, an outsider and a nameless caller', async () => {
    const { name, arn } = await start('demo', '2.0.0');

    const paused = await cli('pause', name, '--as', REQUESTER, '--reason', 'waiting for the payments team');
    expect(paused).toMatchObject({ code: 0, err: '' });
    expect(paused.out).toContain(`${name} paused`);
    await h.waitForCallback(arn, 'Paused');
    expect(await statusJson(name)).toMatchObject({ status: 'RUNNING', paused: true, held: true });
    expect((await cli('status', name)).out).toMatch(
      /^paused {7}yes, by U_RELEASE_MANAGER at .*: waiting for the payments team \(holding now\)$/m,
    );
    expect(h.rt.targets.get('demo')!.router.weights()).toEqual({ blue: 100, green: 0 });

    const again = await cli('pause', name, '--as', REQUESTER);
    expect(again.code).toBe(1);
    expect(again.err).toContain(`${name}: already paused by ${REQUESTER}`);
    expect(again.err).toContain('nothing changed');

    const outsider = await cli('pause', name, '--as', APPROVER);
    expect(outsider.code).toBe(6);
    expect(outsider.err).toContain(`${APPROVER} is not a release manager of demo`);

    const nameless = await cli('resume', name);
    expect(nameless.code).toBe(2);
    expect(nameless.err).toContain('--as <user-id>');
    expect(await statusJson(name)).toMatchObject({ paused: true });

    const unknown = await cli('pause', 'no-such-execution', '--as', REQUESTER);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toContain('no go-live named no-such-execution');

    const resumed = await cli('resume', name, '--as', REQUESTER, '--reason', 'payments ready');
    expect(resumed).toMatchObject({ code: 0, out: `${name} resumed` });
    expect(await statusJson(name)).toMatchObject({ paused: false });
    expect((await cli('resume', name, '--as', REQUESTER)).code).toBe(1);

    const promoted = await cli('promote', name, '--as', REQUESTER, '--reason', 'the 10% canary is convincing');
    expect(promoted).toMatchObject({ code: 0, err: '' });
    expect(promoted.out).toContain('promoted: the remaining canary steps are skipped');
    expect(await statusJson(name)).toMatchObject({ promote: { by: REQUESTER } });
    expect((await cli('promote', name, '--as', REQUESTER)).code).toBe(1);

    await approve(arn, name);
    expect((await h.finished(arn)).status).toBe('SUCCEEDED');
    const audit = await h.rt.store.listAudit(arn);
    expect(audit.filter((r) => r.step === 'Controls').map((r) => `${r.action} ${r.actor} ${r.verifiedBy}`)).toEqual([
      `pause ${REQUESTER} local`,
      `resume ${REQUESTER} local`,
      `promote ${REQUESTER} local`,
    ]);
    // Promoted after the resume: the 50% step never ran.
    expect(audit.filter((r) => r.step === 'ShiftTraffic' && r.summary.includes('50%'))).toEqual([]);
    const done = await cli('pause', name, '--as', REQUESTER);
    expect(done.code).toBe(1);
    expect(done.err).toContain(`${name} is not running (it is SUCCEEDED)`);
  }, 60_000);

  it('retries a go-live a failing pre-traffic smoke test rolled back, and it succeeds once the candidate is healthy', async () => {
    // The candidate turns unhealthy after the readiness gate, right before its smoke tests (once).
    const candidate = await idleSlot();
    let failNext = true;
    h.rt.onTask('PreTrafficSmokeTests', () => {
      if (failNext) h.rt.targets.get('demo')![candidate].setFaults({ healthFailing: true });
      failNext = false;
    });
    const { name, arn } = await start('demo', '2.1.0');
    const failed = await h.finished(arn);
    expect(failed.error).toBe('SmokeTestFailed');
    const before = await statusJson(name);
    expect(before).toMatchObject({ status: 'FAILED', retryable: { resumeAt: 'PreTrafficSmokeTests' } });
    expect((await cli('status', name)).out).toContain(
      `retryable    yes: golive retry ${name} resumes at PreTrafficSmokeTests`,
    );

    const outsider = await cli('retry', name, '--as', APPROVER);
    expect(outsider.code).toBe(6);
    expect(
      await cli(
        'local',
        'fault',
        'demo',
        candidate,
        '--clear',
        '--home',
        h.home,
        '--config',
        join(REPO_ROOT, 'golive.config.yaml'),
      ),
    ).toMatchObject({ code: 0 });
    const retried = await cli('retry', name, '--as', REQUESTER, '--reason', 'the health endpoint is fixed');

    expect(retried).toMatchObject({ code: 0, err: '' });
    expect(retried.out).toContain(
      `${name} retried (attempt 2): it resumes at PreTrafficSmokeTests after SmokeTestFailed`,
    );
    expect(retried.out).toContain(`follow it: golive watch ${name}`);
    expect((await statusJson(name)).status).toBe('RUNNING');
    await approve(arn, name);
    expect((await h.finished(arn)).status).toBe('SUCCEEDED');
    expect(await h.rt.store.getLiveVersion('demo')).toMatchObject({ version: '2.1.0', previous: { version: '2.0.0' } });

    const twice = await cli('retry', name, '--as', REQUESTER);
    expect(twice.code).toBe(1);
    expect(twice.err).toContain(`${name} is SUCCEEDED: only a failed go-live can be retried`);
  }, 60_000);

  it('refuses with exit 1, saying why, to retry a go-live rolled back by an alarm or by its approvers', async () => {
    h.rt.faults.set('Bake', 'AlarmTriggered');
    const alarmed = await start('demo', '2.2.0');
    expect((await h.finished(alarmed.arn)).error).toBe('AlarmTriggered');
    h.rt.faults.clear();
    const rejected = await start('demo', '2.2.1');
    await h.waitForCallback(rejected.arn, 'SignOff');
    expect((await cli('reject', rejected.name, '--as', APPROVER, '--reason', 'not this week')).code).toBe(0);
    expect((await h.finished(rejected.arn)).error).toBe('ApprovalRejected');

    const afterAlarm = await cli('retry', alarmed.name, '--as', REQUESTER);
    const afterRejection = await cli('retry', rejected.name, '--as', REQUESTER);

    expect(afterAlarm.code).toBe(1);
    expect(afterAlarm.err).toContain(`${alarmed.name} failed with AlarmTriggered, which a retry cannot cure`);
    expect(afterRejection.code).toBe(1);
    expect(afterRejection.err).toContain(`${rejected.name} failed with ApprovalRejected, which a retry cannot cure`);
    expect((await statusJson(alarmed.name)).status).toBe('FAILED');
    expect((await statusJson(rejected.name)).status).toBe('FAILED');
  }, 60_000);

  it('undoes the last go-live with `golive rollback demo`: the previous version back, through the fast path', async () => {
    expect(await h.rt.store.getLiveVersion('demo')).toMatchObject({ version: '2.1.0', previous: { version: '2.0.0' } });

    const result = await cli('rollback', 'demo', '--as', REQUESTER, '--reason', '2.1.0 breaks exports', '--json');

    expect(result).toMatchObject({ code: 0, err: '' });
    const undo = JSON.parse(result.out) as { name: string; executionArn: string; input: Record<string, unknown> };
    expect(undo.input).toMatchObject({ service: 'demo', version: '2.0.0', kind: 'undo', requestedBy: REQUESTER });
    expect(await statusJson(undo.name)).toMatchObject({ kind: 'undo', status: 'RUNNING' });
    // controls.undoSignOff is one-approver by default.
    await approve(undo.executionArn, undo.name);
    expect((await h.finished(undo.executionArn)).status).toBe('SUCCEEDED');
    expect(await h.rt.store.getLiveVersion('demo')).toMatchObject({ version: '2.0.0', previous: { version: '2.1.0' } });
    const live = (await h.rt.store.getLiveVersion('demo'))!.slot;
    expect((await h.measureTraffic(10))[live]).toBe(10);
  }, 60_000);

  it('refuses `golive start` inside a freeze with exit 5, naming the window and when it ends', async () => {
    const result = await cli('start', 'frozen', '3.0.0', '--as', REQUESTER);

    expect(result.code).toBe(5);
    expect(result.err).toContain(`inside change freeze "year-end" (Year-end close) until ${freezeEnd}`);
    expect(result.err).toContain('--break-glass');
    expect((await h.rt.client.list({ service: 'frozen' })).goLives).toEqual([]);
  });

  it('refuses --break-glass without --reason (exit 2) and with too few emergency approvers (exit 6)', async () => {
    const noReason = await cli('start', 'frozen', '3.0.0', '--as', REQUESTER, '--break-glass');
    const tooFew = await cli('start', 'ledger', '3.0.0', '--as', REQUESTER, '--break-glass', '--reason', 'ledger down');

    expect(noReason.code).toBe(2);
    expect(noReason.err).toContain('--break-glass needs --reason');
    expect(tooFew.code).toBe(6);
    expect(tooFew.err).toContain(
      'break-glass needs 2 emergency approver(s) other than U_RELEASE_MANAGER; 1 configured',
    );
    expect((await h.rt.client.list({ service: 'ledger' })).goLives).toEqual([]);
  });

  it('goes live inside a freeze once two emergency approvers (not the requester) approve, and opens a review', async () => {
    const { name, arn } = await start('frozen', '3.0.0', '--break-glass', '--reason', 'checkout is down in the EU');
    await h.waitForCallback(arn, 'BreakGlass');
    expect(await statusJson(name)).toMatchObject({
      status: 'RUNNING',
      breakGlass: { reason: 'checkout is down in the EU' },
    });

    const own = await cli('break-glass', 'approve', name, '--as', REQUESTER);
    expect(own.code).toBe(6);
    expect(own.err).toContain('the requester never approves their own break-glass');
    const first = await cli('break-glass', 'approve', name, '--as', APPROVER);
    expect(first).toMatchObject({ code: 0, out: 'break-glass approval recorded: 1 of 2' });
    expect((await cli('break-glass', 'approve', name, '--as', APPROVER)).code).toBe(1);
    expect((await cli('review', 'list')).out).toBe('no open review');
    const second = await cli('break-glass', 'approve', name, '--as', BEN);
    expect(second.code).toBe(0);

    await approve(arn, name);
    expect((await h.finished(arn)).status).toBe('SUCCEEDED');
    expect(await statusJson(name)).toMatchObject({
      breakGlass: { decision: { status: 'approved', by: [APPROVER, BEN] } },
    });

    const open = await cli('review', 'list');
    expect(open.code).toBe(0);
    expect(open.out).toMatch(
      new RegExp(
        `^open {3}${name} {2}frozen 3\\.0\\.0 by ${REQUESTER}: checkout is down in the EU; approved by ${APPROVER}, ${BEN} at `,
      ),
    );
    const noNote = await cli('review', 'close', name, '--as', REQUESTER);
    expect(noNote.code).toBe(2);
    const closed = await cli('review', 'close', name, '--as', REQUESTER, '--note', 'post-mortem PM-12 filed');
    expect(closed).toMatchObject({ code: 0, out: `review of ${name} closed by ${REQUESTER}: post-mortem PM-12 filed` });
    expect((await cli('review', 'list')).out).toBe('no open review');
    const listed = JSON.parse((await cli('review', 'list', '--status', 'closed', '--json')).out) as unknown[];
    expect(listed).toEqual([
      expect.objectContaining({ name, status: 'closed', closed: expect.objectContaining({ by: REQUESTER }) }),
    ]);

    const twice = await cli('review', 'close', name, '--as', REQUESTER, '--note', 'again');
    expect(twice.code).toBe(1);
    expect(twice.err).toContain(`the review of ${name} was closed by ${REQUESTER}`);
    expect((await cli('review', 'list', '--status', 'everything')).code).toBe(2);
  }, 60_000);

  it('rejects a break-glass with a reason only, and it ends having changed nothing', async () => {
    const weights = h.rt.targets.get('frozen')!.router.weights();
    const { name, arn } = await start('frozen', '3.0.1', '--break-glass', '--reason', 'a feature flag');
    await h.waitForCallback(arn, 'BreakGlass');

    expect((await cli('break-glass', 'reject', name, '--as', APPROVER)).code).toBe(2);
    const rejected = await cli('break-glass', 'reject', name, '--as', APPROVER, '--reason', 'it can wait');

    expect(rejected.code).toBe(0);
    expect((await h.finished(arn)).error).toBe('BreakGlassRejected');
    expect(h.rt.targets.get('frozen')!.router.weights()).toEqual(weights);
  }, 60_000);
});
