import { GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { verifyChain } from '../../lambdas/core/audit';
import { startHarness, testConfig, type Harness } from '../support/harness';
import { alertsSnapshot } from '../support/invariants';

describe('a complete go-live on the local engine', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({ config: testConfig() });
    h.autoApprove();
  });
  afterAll(() => h.close());

  // Each success makes the candidate the new stable slot, so the three runs alternate slots.
  const runs: [string, string, 'blue' | 'green', number[]][] = [
    ['canary', '2.0.0', 'green', [10, 50]],
    ['blue-green', '2.1.0', 'blue', []],
    ['all-at-once', '2.2.0', 'green', []],
  ];

  it.each(runs)('goes live with the %s strategy (version %s onto %s)', async (strategy, version, candidate, steps) => {
    const stable = candidate === 'green' ? 'blue' : 'green';
    const alertsBefore = await alertsSnapshot(h);

    const arn = await h.start({ version, strategy });
    const exec = await h.finished(arn);

    expect(exec.status).toBe('SUCCEEDED');
    // Traffic: measured through the router, all of it on the new version.
    expect(h.rt.targets.get('demo')!.router.weights()).toEqual({ [candidate]: 100, [stable]: 0 });
    expect(await h.measureTraffic(10)).toEqual({ [candidate]: 10, [stable]: 0 });
    const live = await fetch(new URL('/version', h.rt.targets.get('demo')!.router.url)).then((r) => r.json());
    expect(live).toEqual({ version, slot: candidate });
    // Alerts muted during the run and back exactly as before; lock released; live version recorded.
    expect(await alertsSnapshot(h)).toEqual(alertsBefore);
    expect(await h.rt.store.getLock('demo')).toBeUndefined();
    expect(await h.rt.store.getLiveVersion('demo')).toMatchObject({ version, slot: candidate });

    const audit = await h.rt.store.listAudit(arn);
    expect(verifyChain(audit)).toMatchObject({ intact: true });
    const mute = audit.find((r) => r.step === 'MuteAlerts')!;
    expect(mute.evidence).toMatchObject({ record: { muted: ['demo-5xx-rate'], mode: 'mute-rule' } });
    const shifts = audit
      .filter((r) => r.step === 'ShiftTraffic')
      .map((r) => (r.evidence as { weights: Record<string, number> }).weights[candidate]);
    expect(shifts).toEqual(steps);
    expect(audit.filter((r) => r.step === 'Bake')).toHaveLength(steps.length);
    // Every strategy watches the alarms after promotion.
    expect(audit.filter((r) => r.step === 'PostPromotionBake')).toHaveLength(1);
    expect(audit.map((r) => r.step)).toEqual(
      expect.arrayContaining([
        'ValidateAndLock',
        'CheckReadiness',
        'VerifyBackup',
        'PreTrafficSmokeTests',
        'SignOff',
        'Promote',
        'PostPromotionSmokeTests',
        'UnmuteAlerts',
        'ReleaseLock',
        'NotifySuccess',
      ]),
    );
    const backup = audit.find((r) => r.step === 'VerifyBackup')!.evidence as {
      ok: boolean;
      integrityCheck: string;
      scratchDeleted: boolean;
      tables: { match: boolean }[];
    };
    expect(backup).toMatchObject({ ok: true, integrityCheck: 'ok', scratchDeleted: true });
    expect(backup.tables.length).toBeGreaterThanOrEqual(3);
    expect((await h.rt.store.findApprovalByExecution(arn))?.status).toBe('approved');
    const notes = h.rt.notifier.list(arn);
    expect(notes.map((n) => n.kind)).toEqual(['approval-requested', 'succeeded', 'audit-sealed']);
    // The final hash is told to the channel once the last record exists.
    expect(notes[2].text).toContain((verifyChain(await h.rt.store.listAudit(arn)) as { finalHash: string }).finalHash);

    // The execution's history is real Step Functions HistoryEvents, readable through the SDK.
    const history = await h.rt.sfn.send(new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }));
    const types = history.events!.map((e) => e.type);
    expect(types[0]).toBe('ExecutionStarted');
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(types).toContain('TaskSubmitted');
  });
});
