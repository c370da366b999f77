import { notify } from '../../../lambdas/core/steps/notify';
import { fakeDeps, pendingApproval, stepPayload, type FakeDeps } from '../../support/fake-deps';

let f: FakeDeps;
beforeEach(() => {
  f = fakeDeps();
});
afterEach(() => f.close());

const lambdaCause = JSON.stringify({ errorType: 'SmokeTestFailed', errorMessage: 'green answers 500' });

describe('notify (NotifySuccess, NotifyRollback, NotifyRollbackFailed)', () => {
  it('tells the channel the version is live', async () => {
    await notify(f.deps, stepPayload('NotifySuccess'));

    expect(f.notifier.of('succeeded').map((n) => n.text)).toEqual([
      '✅ demo 2.0.0 is live (canary), requested by U_RELEASE_MANAGER.',
    ]);
  });

  it('tells what failed, with the human message of a Lambda error cause, after a rollback', async () => {
    await notify(f.deps, stepPayload('NotifyRollback', { error: { Error: 'SmokeTestFailed', Cause: lambdaCause } }));

    expect(f.notifier.of('rolled-back')).toEqual([
      expect.objectContaining({
        text: '↩️ demo 2.0.0 rolled back after SmokeTestFailed: green answers 500 (requested by U_RELEASE_MANAGER).',
        details: expect.objectContaining({ error: { Error: 'SmokeTestFailed', Cause: lambdaCause } }),
      }),
    ]);
  });

  it('tells an expired sign-off in words, with its approvals and the time, never "States.Timeout: States.Timeout"', async () => {
    await f.store.createApproval(
      pendingApproval({
        minApprovals: 2,
        expiresAt: '2026-11-29T14:05:00.000Z',
        approvers: ['U_APPROVER_ANA', 'U_APPROVER_BEN'],
      }),
    );
    await f.store.addVote('apr-1', { voter: 'U_APPROVER_ANA', decision: 'approve', at: '2026-11-29T14:00:00.000Z' });

    await notify(
      f.deps,
      stepPayload('NotifyRollback', { error: { Error: 'States.Timeout', Cause: 'States.Timeout' } }),
    );

    expect(f.notifier.of('rolled-back').map((n) => n.text)).toEqual([
      '↩️ demo 2.0.0 rolled back: the sign-off expired at 2026-11-29 14:05 UTC with 1 of 2 approval(s) (requested by U_RELEASE_MANAGER).',
    ]);
  });

  it('says loudly that a human is needed when the rollback itself failed', async () => {
    await notify(f.deps, stepPayload('NotifyRollbackFailed'));

    expect(f.notifier.of('rollback-failed').map((n) => n.text)).toEqual([
      '🚨 ROLLBACK FAILED for demo 2.0.0: SmokeTestFailed (green answers 500), then TrafficShiftFailed: router unreachable. A human must check traffic, alerts and the lock now; the lock stays held.',
    ]);
  });

  describe('says whether alerts page again after a failed rollback', () => {
    const mute = {
      mode: 'mute-rule' as const,
      ruleName: 'golive-demo-run',
      muted: ['demo-5xx', 'demo-latency'],
      leftAlone: [],
      mutedAt: '2026-11-29T10:00:00.000Z',
      expiresAt: '2026-11-29T14:00:00.000Z',
    };
    const alertsText = async (fields: Record<string, unknown>) => {
      await notify(f.deps, stepPayload('NotifyRollbackFailed', fields));
      return f.notifier.of('rollback-failed')[0].text.replace(/^.*?router unreachable\./, '');
    };

    it('restored', async () => {
      expect(await alertsText({ mute, unmute: { restored: mute.muted } })).toBe(
        ' Alerts are restored (2 alarm(s)): they page again. A human must check traffic, alerts and the lock now; the lock stays held.',
      );
    });

    it('restored, but the audit trail refused the record', async () => {
      const cause = JSON.stringify({
        errorMessage:
          'UnmuteAfterFailedRollback did its work (…), but its audit record could not be written: disk I/O error',
      });
      expect(await alertsText({ mute, unmute: { error: { Error: 'AuditWriteFailed', Cause: cause } } })).toMatch(
        /^ Alerts are restored, but the audit trail could not record it: .*disk I\/O error\. /,
      );
    });

    it('not restored: which alarms stay muted, until when, and what to do', async () => {
      expect(
        await alertsText({ mute, unmute: { error: { Error: 'ProviderUnavailable', Cause: 'CloudWatch throttled' } } }),
      ).toBe(
        ' ⚠️ Alerts could NOT be restored (ProviderUnavailable: CloudWatch throttled): demo-5xx, demo-latency stay muted until 2026-11-29T14:00:00.000Z; unmute them by hand. A human must check traffic, alerts and the lock now; the lock stays held.',
      );
    });

    it('nothing was muted: nothing said about alerts', async () => {
      expect(await alertsText({ mute: null, unmute: null })).toBe(
        ' A human must check traffic, alerts and the lock now; the lock stays held.',
      );
    });
  });

  it('names the service as unknown when the request never validated', async () => {
    await notify(f.deps, stepPayload('NotifyRollback', { request: {}, plan: {} }));

    expect(f.notifier.of('rolled-back')[0]).toMatchObject({
      service: 'unknown',
      text: expect.stringMatching(/^↩️ unknown service rolled back/),
    });
  });

  it('seals the audit trail after recording itself: the final hash is told, not recorded', async () => {
    const result = await notify(f.deps, stepPayload('NotifySuccess'));

    const records = await f.audit();
    expect(records.map((r) => r.step)).toEqual(['NotifySuccess']);
    expect(result.audit).toEqual({ records: 1, intact: true, finalHash: records[0].hash });
    expect(f.notifier.of('audit-sealed')).toEqual([
      expect.objectContaining({
        text: `🔒 Audit trail sealed: 1 records, chain intact, final hash ${records[0].hash}`,
      }),
    ]);
  });

  it('adds a warning when the backup check left its scratch copy behind', async () => {
    await f.store.putExecutionValue(stepPayload('NotifyRollback').executionId, 'restore', {
      handle: { restoredTo: 'golive-scratch-demo-1' },
      status: 'pending',
    });

    await notify(f.deps, stepPayload('NotifyRollback'));

    expect(f.notifier.of('rolled-back')[0].text).toContain(
      '⚠️ Backup check: the scratch copy golive-scratch-demo-1 may still exist; delete it by hand.',
    );
  });

  it('fails, audited, when the channel cannot be told', async () => {
    f.notifier.fails = new Error('Slack unavailable');

    await expect(notify(f.deps, stepPayload('NotifySuccess'))).rejects.toThrow('Slack unavailable');
    expect((await f.audit())[0]).toMatchObject({ outcome: 'failed', summary: 'Error: Slack unavailable' });
  });
});
