import { onAlarmStateChange, parseAlarmStateChange } from '../../../lambdas/core/steps/alarm-handler';
import { EXECUTION_ID, fakeDeps, NOW, pendingApproval, type FakeDeps } from '../../support/fake-deps';

const OTHER = 'arn:aws:states:eu-west-1:123456789012:execution:golive-go-live:run-2';

let f: FakeDeps;
beforeEach(async () => {
  f = fakeDeps();
  const bake = { service: 'demo', kind: 'bake' as const, alarms: ['demo-5xx-rate'], createdAt: NOW.toISOString() };
  await f.store.putCallback({ ...bake, token: 'bake-1', executionId: EXECUTION_ID });
  await f.store.putCallback({ ...bake, token: 'bake-2', executionId: OTHER, alarms: ['demo-latency'] });
});
afterEach(() => f.close());

const change = (value: string, alarmName = 'demo-5xx-rate') =>
  parseAlarmStateChange({
    'detail-type': 'CloudWatch Alarm State Change',
    time: '2026-11-26T10:05:00Z',
    detail: { alarmName, state: { value, reason: 'Threshold Crossed: 3 datapoints > 5' } },
  });

describe('onAlarmStateChange', () => {
  it('fails every bake watching an alarm that went to ALARM with AlarmTriggered, and audits it', async () => {
    const result = await onAlarmStateChange(f.deps, change('ALARM'));

    expect(result).toEqual({ failedBakes: [EXECUTION_ID] });
    expect(f.callbacks.failed).toEqual([
      {
        token: 'bake-1',
        error: 'AlarmTriggered',
        cause: 'alarm demo-5xx-rate went to ALARM at 2026-11-26T10:05:00Z: Threshold Crossed: 3 datapoints > 5',
      },
    ]);
    expect(await f.store.findCallbacks({ alarmName: 'demo-5xx-rate' })).toEqual([]);
    expect(await f.audit()).toEqual([
      expect.objectContaining({ step: 'Bake', action: 'alarm', actor: 'alarm:demo-5xx-rate', outcome: 'info' }),
    ]);
  });

  it('fails a sign-off watching the alarm (traffic already on the candidate), audited under SignOff', async () => {
    await f.store.createApproval(pendingApproval({ approvalId: 'apr-3', executionId: OTHER, token: 'approval-3' }));
    await f.store.putCallback({
      token: 'approval-3',
      executionId: OTHER,
      service: 'demo',
      kind: 'approval',
      alarms: ['demo-5xx-rate'],
      state: 'SignOff',
      approvalId: 'apr-3',
      createdAt: NOW.toISOString(),
    });

    const result = await onAlarmStateChange(f.deps, change('ALARM'));

    expect(result.failedBakes.sort()).toEqual([EXECUTION_ID, OTHER].sort());
    expect(f.callbacks.failed.map((c) => [c.token, c.error])).toEqual(
      expect.arrayContaining([['approval-3', 'AlarmTriggered']]),
    );
    expect(await f.audit(OTHER)).toEqual([
      expect.objectContaining({ step: 'SignOff', action: 'alarm', actor: 'alarm:demo-5xx-rate' }),
    ]);
    // The alarm ended it: a late vote hears "aborted", and the record never turns "expired".
    expect((await f.store.getApproval('apr-3'))?.status).toBe('aborted');
  });

  it.each(['OK', 'INSUFFICIENT_DATA'])('leaves bakes alone when the alarm goes to %s', async (value) => {
    const result = await onAlarmStateChange(f.deps, change(value));

    expect(result).toEqual({ failedBakes: [] });
    expect(f.callbacks.failed).toEqual([]);
    expect(await f.store.findCallbacks({ alarmName: 'demo-5xx-rate' })).toHaveLength(1);
  });

  it('does not count nor audit a bake whose task had already ended, but removes its token', async () => {
    f.callbacks.closed.add('bake-1');

    const result = await onAlarmStateChange(f.deps, change('ALARM'));

    expect(result).toEqual({ failedBakes: [] });
    expect(f.callbacks.failed.map((c) => c.token)).toEqual(['bake-1']);
    expect(await f.store.findCallbacks({ alarmName: 'demo-5xx-rate' })).toEqual([]);
    expect(await f.audit()).toEqual([]);
  });

  it('fails only the bakes that watch the alarm', async () => {
    await onAlarmStateChange(f.deps, change('ALARM', 'demo-latency'));

    expect(f.callbacks.failed.map((c) => c.token)).toEqual(['bake-2']);
    expect(await f.store.findCallbacks({ executionId: EXECUTION_ID })).toHaveLength(1);
  });
});

describe('parseAlarmStateChange', () => {
  it.each([
    [{ 'detail-type': 'Scheduled Event', time: 't', detail: {} }, 'detail-type'],
    [
      { 'detail-type': 'CloudWatch Alarm State Change', time: 't', detail: { state: { value: 'OK' } } },
      'detail.alarmName',
    ],
    [
      { 'detail-type': 'CloudWatch Alarm State Change', time: 't', detail: { alarmName: 'a', state: {} } },
      'detail.state.value',
    ],
  ])('refuses %j naming %s', (event, field) => {
    expect(() => parseAlarmStateChange(event)).toThrow(`not a CloudWatch Alarm State Change event: ${field}`);
  });
});
