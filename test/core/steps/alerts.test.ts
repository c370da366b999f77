import type { MuteRecord } from '../../../lambdas/core/ports';
import { muteAlerts, muteRuleName, unmuteAlerts } from '../../../lambdas/core/steps/alerts';
import { EXECUTION_ID, fakeDeps, NOW, stepPayload, type FakeDeps } from '../../support/fake-deps';
import { testPlan } from '../../support/payloads';

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

const plan = testPlan({ alarms: ['demo-5xx-rate', 'demo-latency', 'demo-saturation'], maxRunSeconds: 7200 });

describe('muteAlerts (MuteAlerts)', () => {
  it('mutes only enabled, unmuted alarms with a rule that expires after the run-time bound', async () => {
    f.alerts.set('demo-latency', { actionsEnabled: false });
    f.alerts.set('demo-saturation', { muted: true });

    const record = await muteAlerts(f.deps, stepPayload('MuteAlerts', { plan }));

    expect(f.alerts.mutes).toEqual([
      {
        ruleName: 'golive-demo-run-1',
        alarms: ['demo-5xx-rate'],
        mode: 'mute-rule',
        expiresAt: new Date(NOW.getTime() + 7200_000),
      },
    ]);
    expect(record.leftAlone).toEqual([
      { name: 'demo-latency', reason: 'actions already disabled before the go-live' },
      { name: 'demo-saturation', reason: 'already muted before the go-live' },
    ]);
  });

  it('saves its record before muting, so a half-done mute can still be undone', async () => {
    let savedWhenMuting: MuteRecord | undefined;
    f.alerts.mute = async () => {
      savedWhenMuting = await f.store.getExecutionValue<MuteRecord>(EXECUTION_ID, 'mute');
      throw new Error('PutAlarmMuteRule timed out');
    };

    await expect(muteAlerts(f.deps, stepPayload('MuteAlerts', { plan }))).rejects.toThrow('PutAlarmMuteRule timed out');
    expect(savedWhenMuting).toMatchObject({ muted: ['demo-5xx-rate', 'demo-latency', 'demo-saturation'] });
  });

  it('calls no mute at all when every alarm was already muted or disabled', async () => {
    f.alerts.set('demo-5xx-rate', { muted: true });

    const record = await muteAlerts(f.deps, stepPayload('MuteAlerts'));

    expect(f.alerts.mutes).toEqual([]);
    expect(record.muted).toEqual([]);
    expect((await f.audit())[0].summary).toMatch(/^muted 0 alarm\(s\) until .*; 1 left as they were$/);
  });

  it('names a mute rule CloudWatch accepts', () => {
    expect(muteRuleName('demo', 'arn:aws:states:eu-west-1:1:execution:golive-go-live:run 1/ä')).toBe(
      'golive-demo-run-1--',
    );
  });
});

describe('unmuteAlerts (UnmuteAlerts, UnmuteAfterRollback)', () => {
  it('undoes exactly the recorded mute', async () => {
    f.alerts.set('demo-saturation', { muted: true });
    const record = await muteAlerts(f.deps, stepPayload('MuteAlerts', { plan }));

    const result = await unmuteAlerts(f.deps, stepPayload('UnmuteAlerts', { plan }));

    expect(f.alerts.unmutes).toEqual([record]);
    expect(result).toEqual({ restored: ['demo-5xx-rate', 'demo-latency'], leftAlone: record.leftAlone });
  });

  it('does nothing when this execution muted nothing', async () => {
    const result = await unmuteAlerts(f.deps, stepPayload('UnmuteAfterRollback'));

    expect(result).toEqual({ restored: [], leftAlone: [] });
    expect(f.alerts.unmutes).toEqual([]);
    expect((await f.audit())[0].summary).toBe('nothing was muted by this execution');
  });

  it('unmutes after a rollback even when an abort was requested, which UnmuteAlerts refuses', async () => {
    await muteAlerts(f.deps, stepPayload('MuteAlerts'));
    await f.store.putExecutionValue(EXECUTION_ID, 'abort', { by: 'U_RM', reason: 'stop' });

    await expect(unmuteAlerts(f.deps, stepPayload('UnmuteAlerts'))).rejects.toMatchObject({ name: 'GoLiveAborted' });
    expect(f.alerts.unmutes).toHaveLength(0);
    await unmuteAlerts(f.deps, stepPayload('UnmuteAfterRollback'));
    expect(f.alerts.unmutes).toHaveLength(1);
  });

  describe('when the store fails (a failed rollback must still page)', () => {
    it('unmutes from the record the state data carries, then says the audit could not record it', async () => {
      const record = await muteAlerts(f.deps, stepPayload('MuteAlerts', { plan }));
      f.store.close();

      const run = unmuteAlerts(f.deps, stepPayload('UnmuteAfterFailedRollback', { plan, mute: record }));

      await expect(run).rejects.toMatchObject({
        name: 'AuditWriteFailed',
        message: expect.stringMatching(
          /^UnmuteAfterFailedRollback did its work \(unmuted 3 alarm\(s\); 0 left as they were before\), but its audit record could not be written: .*not open/,
        ),
      });
      expect(f.alerts.unmutes).toEqual([record]);
    });

    it('refuses with the store error when the state data has no record either', async () => {
      f.store.close();

      await expect(unmuteAlerts(f.deps, stepPayload('UnmuteAfterFailedRollback'))).rejects.toMatchObject({
        message: expect.stringMatching(/not open.*\(its audit record could not be written: .*not open/),
      });
      expect(f.alerts.unmutes).toEqual([]);
    });

    it("prefers the store's record, which exists even when MuteAlerts failed after saving it", async () => {
      const record = await muteAlerts(f.deps, stepPayload('MuteAlerts', { plan }));

      await unmuteAlerts(f.deps, stepPayload('UnmuteAfterRollback', { plan, mute: null }));

      expect(f.alerts.unmutes).toEqual([record]);
      expect((await f.audit()).at(-1)?.evidence).toMatchObject({ source: 'store' });
    });
  });
});
