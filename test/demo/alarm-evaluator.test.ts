import { AlarmEvaluator, alarmArn, type AlarmSpec, type AlarmStateChangeEvent } from '../../local/demo/alarm-evaluator';

const SPEC: AlarmSpec = {
  name: 'demo-5xx-rate',
  description: 'demo 5xx ratio',
  threshold: 0.05,
  windowMs: 10_000,
  minRequests: 5,
};
const T0 = Date.UTC(2025, 0, 1, 12);

function setup(alarms: AlarmSpec[] = [SPEC]): {
  evaluator: AlarmEvaluator;
  clock: { t: number };
  events: AlarmStateChangeEvent[];
  send(n: number, status: number, upstream?: 'blue' | 'green'): void;
} {
  const clock = { t: T0 };
  const evaluator = new AlarmEvaluator({ alarms, now: () => clock.t });
  const events: AlarmStateChangeEvent[] = [];
  evaluator.on('stateChange', (e) => events.push(e));
  const send = (n: number, status: number, upstream: 'blue' | 'green' = 'green'): void => {
    for (let i = 0; i < n; i++) evaluator.record({ upstream, status, at: clock.t });
  };
  return { evaluator, clock, events, send };
}

const transitions = (events: AlarmStateChangeEvent[]): string[] =>
  events.map((e) => `${e.detail.alarmName}:${e.detail.previousState.value}->${e.detail.state.value}`);

describe('AlarmEvaluator', () => {
  let evaluator: AlarmEvaluator | undefined;
  afterEach(() => evaluator?.stop());

  it('starts in INSUFFICIENT_DATA and goes OK -> ALARM -> OK on each response, emitting CloudWatch events', () => {
    const s = setup();
    evaluator = s.evaluator;
    expect(s.evaluator.state('demo-5xx-rate')).toBe('INSUFFICIENT_DATA');

    s.send(20, 200);
    expect(transitions(s.events)).toEqual(['demo-5xx-rate:INSUFFICIENT_DATA->OK']);
    s.send(1, 500); // 1/21 = 0.048: not above 0.05
    expect(s.events).toHaveLength(1);
    s.send(1, 502); // 2/22 = 0.091: the very response that crosses decides the transition
    expect(transitions(s.events)).toEqual(['demo-5xx-rate:INSUFFICIENT_DATA->OK', 'demo-5xx-rate:OK->ALARM']);
    s.send(19, 200); // 2/41 = 0.049
    expect(transitions(s.events)).toEqual([
      'demo-5xx-rate:INSUFFICIENT_DATA->OK',
      'demo-5xx-rate:OK->ALARM',
      'demo-5xx-rate:ALARM->OK',
    ]);

    const alarm = s.events[1];
    expect(alarm).toEqual({
      version: '0',
      id: expect.any(String) as unknown,
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: '000000000000',
      time: new Date(T0).toISOString(),
      region: 'us-east-1',
      resources: ['arn:aws:cloudwatch:us-east-1:000000000000:alarm:demo-5xx-rate'],
      detail: {
        alarmName: 'demo-5xx-rate',
        state: {
          value: 'ALARM',
          reason: expect.stringMatching(/^Threshold Crossed: 5xx ratio 0\.091 \(2 of 22 requests\)/) as unknown,
          reasonData: expect.any(String) as unknown,
          timestamp: new Date(T0).toISOString(),
        },
        previousState: { value: 'OK', reason: expect.any(String) as unknown, timestamp: new Date(T0).toISOString() },
        configuration: { description: 'demo 5xx ratio', metrics: [] },
      },
    });
    expect(JSON.parse(alarm.detail.state.reasonData)).toMatchObject({ threshold: 0.05, recentDatapoints: [2 / 22] });
    expect(new Set(s.events.map((e) => e.id)).size).toBe(3);
    expect(alarmArn('x')).toBe('arn:aws:cloudwatch:us-east-1:000000000000:alarm:x');
  });

  it('stays in INSUFFICIENT_DATA below minRequests, however bad the ratio', () => {
    const s = setup();
    evaluator = s.evaluator;
    s.send(4, 500);
    expect(s.events).toEqual([]);
    expect(s.evaluator.describe()[0]).toMatchObject({
      state: 'INSUFFICIENT_DATA',
      window: { requests: 4, errors: 4, ratio: 1 },
    });
    s.send(1, 500);
    expect(transitions(s.events)).toEqual(['demo-5xx-rate:INSUFFICIENT_DATA->ALARM']);
  });

  it('ages errors out of the sliding window (injected clock)', () => {
    const s = setup();
    evaluator = s.evaluator;
    s.send(5, 500);
    s.clock.t += 6_000;
    s.send(10, 200); // 5/15: still ALARM
    expect(s.evaluator.state('demo-5xx-rate')).toBe('ALARM');
    s.clock.t = T0 + 10_000; // the errors at T0 are now exactly one window old: out
    s.evaluator.evaluate();
    expect(s.evaluator.describe()[0]).toMatchObject({ state: 'OK', window: { requests: 10, errors: 0, ratio: 0 } });
    s.clock.t += 6_000; // and now the rest
    expect(s.evaluator.describe()[0]).toMatchObject({ state: 'INSUFFICIENT_DATA', window: { requests: 0 } });
    expect(transitions(s.events)).toEqual([
      'demo-5xx-rate:INSUFFICIENT_DATA->ALARM',
      'demo-5xx-rate:ALARM->OK',
      'demo-5xx-rate:OK->INSUFFICIENT_DATA',
    ]);
  });

  it('ages the window out on its own timer when traffic stops (real clock)', async () => {
    evaluator = new AlarmEvaluator({ alarms: [{ ...SPEC, windowMs: 150 }] });
    const ev = evaluator;
    const fired = new Promise<AlarmStateChangeEvent>((resolve) => ev.once('stateChange', resolve));
    for (let i = 0; i < 5; i++) ev.record({ upstream: 'blue', status: 500 });
    expect((await fired).detail.state.value).toBe('ALARM');
    const aged = await new Promise<AlarmStateChangeEvent>((resolve) => ev.once('stateChange', resolve));
    expect(aged.detail.state.value).toBe('INSUFFICIENT_DATA');
    expect(aged.detail.previousState.value).toBe('ALARM');
  });

  it('filters by upstream', () => {
    const s = setup([
      { ...SPEC, name: 'green-5xx', upstream: 'green' },
      { ...SPEC, name: 'blue-5xx', upstream: 'blue' },
      { ...SPEC, name: 'any-5xx' },
    ]);
    evaluator = s.evaluator;
    s.send(10, 500, 'blue');
    expect(transitions(s.events)).toEqual(['blue-5xx:INSUFFICIENT_DATA->ALARM', 'any-5xx:INSUFFICIENT_DATA->ALARM']);
    s.send(10, 200, 'green');
    expect(s.evaluator.state('green-5xx')).toBe('OK');
    expect(s.evaluator.state('blue-5xx')).toBe('ALARM');
    expect(s.evaluator.state('any-5xx')).toBe('ALARM'); // 10/20
    expect(s.evaluator.describe().map((d) => [d.name, d.upstream, d.window.requests])).toEqual([
      ['green-5xx', 'green', 10],
      ['blue-5xx', 'blue', 10],
      ['any-5xx', 'any', 20],
    ]);
  });

  it('reset puts alarms back to INSUFFICIENT_DATA with empty windows', () => {
    const s = setup([SPEC, { ...SPEC, name: 'other' }]);
    evaluator = s.evaluator;
    s.send(5, 500);
    s.evaluator.reset('demo-5xx-rate');
    expect(s.evaluator.state('demo-5xx-rate')).toBe('INSUFFICIENT_DATA');
    expect(s.evaluator.state('other')).toBe('ALARM');
    s.evaluator.reset();
    expect(s.evaluator.describe().map((d) => [d.state, d.window.requests])).toEqual([
      ['INSUFFICIENT_DATA', 0],
      ['INSUFFICIENT_DATA', 0],
    ]);
    expect(s.events.at(-1)?.detail.state.reason).toMatch(/reset/);
    expect(() => s.evaluator.reset('nope')).toThrow(/unknown alarm "nope"/);
  });

  it('ignores records after stop', () => {
    const s = setup();
    s.evaluator.stop();
    s.send(10, 500);
    expect(s.events).toEqual([]);
  });

  it('validates alarm specs, naming the field', () => {
    expect(() => new AlarmEvaluator({ alarms: [{ ...SPEC, threshold: 2 }] })).toThrow(/alarms\[0\]\.threshold/);
    expect(() => new AlarmEvaluator({ alarms: [{ ...SPEC, minRequests: 0 }] })).toThrow(/alarms\[0\]\.minRequests/);
    expect(() => new AlarmEvaluator({ alarms: [SPEC, SPEC] })).toThrow(/alarms\[1\]\.name .* duplicate/);
  });
});
