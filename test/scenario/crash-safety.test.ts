import { existsSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { runCli } from '../support/cli';
import { REPO_ROOT, startHarness, testConfig, type Harness } from '../support/harness';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';
import { StoreMissing } from '../../local/store-guard';

type Slot = 'blue' | 'green';
const other = (slot: Slot): Slot => (slot === 'blue' ? 'green' : 'blue');

/** A real go-live, approved as soon as it asks: `version` ends live on the slot that was idle. */
async function goLive(h: Harness, version: string): Promise<void> {
  const stop = h.autoApprove();
  try {
    expect((await h.finished(await h.start({ version }))).status).toBe('SUCCEEDED');
  } finally {
    stop();
  }
}

/** What the router serves: the x-version and x-served-by of `n` requests to the demo's /version. */
async function served(h: Harness, n = 5): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const res = await fetch(new URL('/version', h.rt.targets.get('demo')!.router.url));
    await res.arrayBuffer();
    seen.add(`${res.headers.get('x-served-by')} ${res.headers.get('x-version')}`);
  }
  return seen;
}

function removeStore(home: string): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(join(home, `store.sqlite${suffix}`), { force: true });
}

describe('a local runtime killed mid go-live and restarted', () => {
  // Stable on green: one go-live (blue → green). Stable on blue with a recorded live version: two.
  const histories: Record<Slot, string[]> = { green: ['2.5.0'], blue: ['2.5.0', '2.6.0'] };

  describe.each([
    { stableSlot: 'green' as Slot, at: 'Bake', candidateWeight: 10 },
    { stableSlot: 'green' as Slot, at: 'SignOff', candidateWeight: 50 },
    { stableSlot: 'blue' as Slot, at: 'Bake', candidateWeight: 10 },
    { stableSlot: 'blue' as Slot, at: 'SignOff', candidateWeight: 50 },
  ])('at the $at with the stable version on $stableSlot', ({ stableSlot, at, candidateWeight }) => {
    it('rolls back onto the slot and version the store says are live', async () => {
      const first = await startHarness({ config: testConfig() });
      const home = first.home;
      const lines: string[] = [];
      let firstClosed = false;
      let second: Harness | undefined;
      try {
        for (const version of histories[stableSlot]) await goLive(first, version);
        const stableVersion = histories[stableSlot].at(-1)!;
        expect(await first.rt.store.getLiveVersion('demo')).toMatchObject({ version: stableVersion, slot: stableSlot });
        const before = await alertsSnapshot(first);
        if (at === 'Bake') first.rt.config.services.demo.strategy.bakeSeconds = 60; // outlasts the crash
        const arn = await first.start({ version: '3.0.0' });
        await first.waitForCallback(arn, at);
        await first.close({ keepHome: true, crash: true }); // as kill -9 would leave it
        firstClosed = true;

        second = await startHarness({ home, config: testConfig(), log: (line) => lines.push(line) });
        await second.rt.bus.drain();

        // Booted as the crash left it (candidate and its share of traffic), then rolled back.
        const candidate = other(stableSlot);
        const boot = {
          [candidate]: `3.0.0 (${candidateWeight}%)`,
          [stableSlot]: `${stableVersion} (${100 - candidateWeight}%)`,
        };
        expect(lines).toContain(`demo: restored blue ${boot.blue} / green ${boot.green} as ${arn} left it`);
        expect(second.rt.engine.recoveredExecutionArns).toEqual([arn]);
        await expectRolledBack(second, arn, 'States.Runtime', before, stableSlot, 'ABORTED');
        const target = second.rt.targets.get('demo')!;
        expect([target[stableSlot].version, target[candidate].version]).toEqual([stableVersion, '3.0.0']);
        expect(await second.rt.store.getLiveVersion('demo')).toMatchObject({
          version: stableVersion,
          slot: stableSlot,
        });
        expect(await served(second)).toEqual(new Set([`${stableSlot} ${stableVersion}`]));
      } finally {
        if (!firstClosed) await first.close({ keepHome: true });
        await second?.close();
        rmSync(home, { recursive: true, force: true });
      }
    }, 60_000);
  });

  it('restarts on the live slot and version after a clean stop too', async () => {
    const first = await startHarness({ config: testConfig() });
    const home = first.home;
    let second: Harness | undefined;
    try {
      await goLive(first, '2.5.0');
      await first.close({ keepHome: true });
      second = await startHarness({ home, config: testConfig() });
      expect(second.rt.targets.get('demo')!.router.weights()).toEqual({ blue: 0, green: 100 });
      expect(await served(second)).toEqual(new Set(['green 2.5.0']));
    } finally {
      await second?.close();
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('a store missing or unreadable beside executions', () => {
  /** A home whose executions.sqlite holds one (refused) execution, the runtime stopped. */
  async function homeWithExecutions(): Promise<string> {
    const h = await startHarness({ config: testConfig() });
    expect((await h.finished(await h.start({ version: '' }))).status).toBe('FAILED');
    await h.close({ keepHome: true });
    return h.home;
  }

  it.each([
    ['missing', removeStore],
    ['empty', (home: string) => (removeStore(home), writeFileSync(join(home, 'store.sqlite'), ''))],
    [
      'unreadable',
      (home: string) => (removeStore(home), writeFileSync(join(home, 'store.sqlite'), 'not a db'.repeat(512))),
    ],
  ])('is refused when %s, never replaced by defaults', async (what, damage) => {
    const home = await homeWithExecutions();
    try {
      damage(home);
      const start = startHarness({ home, config: testConfig() });
      await expect(start).rejects.toBeInstanceOf(StoreMissing);
      await expect(start).rejects.toThrow(join(home, 'store.sqlite'));
      await expect(start).rejects.toThrow(join(home, 'executions.sqlite'));
      await expect(start).rejects.toThrow(/move the whole \.golive directory \(GOLIVE_HOME\) aside/);
      if (what === 'missing') expect(existsSync(join(home, 'store.sqlite'))).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('makes `golive local up` exit 3 with the message', async () => {
    const home = await homeWithExecutions();
    try {
      removeStore(home);
      const ports = ['--sfn-port', '0', '--router-port', '0', '--blue-port', '0', '--green-port', '0'];
      const result = await runCli([
        'local',
        'up',
        '--home',
        home,
        '--config',
        join(REPO_ROOT, 'golive.config.yaml'),
        '--slack-port',
        '0',
        ...ports,
      ]);
      expect(result.code).toBe(3);
      expect(result.err).toContain(`${join(home, 'store.sqlite')} is missing, but ${join(home, 'executions.sqlite')}`);
      expect(existsSync(join(home, 'store.sqlite'))).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

describe('a store write that fails mid go-live', () => {
  it('fails the step as AuditWriteFailed saying what it did, rolls back and is logged', async () => {
    const lines: string[] = [];
    const h = await startHarness({ config: testConfig(), log: (line) => lines.push(line) });
    try {
      const before = await alertsSnapshot(h);
      // A real SQLite write failure: every audit record of the first traffic shift is refused.
      h.rt.store.db.exec(`CREATE TRIGGER fail_shift BEFORE INSERT ON audit
        WHEN json_extract(NEW.record, '$.step') = 'ShiftTraffic'
        BEGIN SELECT RAISE(ABORT, 'disk full (test)'); END`);
      const arn = await h.start({ version: '3.0.0' });

      // The traffic did move: the error says so, so nobody reads it as "nothing happened".
      await expectRolledBack(h, arn, 'AuditWriteFailed', before);
      const { events = [] } = await h.rt.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn }));
      const failed = events.map((e) => e.taskFailedEventDetails ?? e.lambdaFunctionFailedEventDetails).find(Boolean);
      expect(failed).toMatchObject({
        error: 'AuditWriteFailed',
        cause: expect.stringMatching(
          /ShiftTraffic did its work \(.*\), but its audit record could not be written: disk full \(test\)/,
        ),
      });
      expect(lines).toContainEqual(
        expect.stringMatching(
          new RegExp(
            `^${arn.split(':').at(-1)}: step ShiftTraffic failed with AuditWriteFailed: ShiftTraffic did its work .*disk full \\(test\\)$`,
          ),
        ),
      );
    } finally {
      await h.close();
    }
  });
});
