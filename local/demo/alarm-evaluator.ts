import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmSpec {
  name: string;
  description?: string;
  /** Which upstream's responses count; default 'any'. */
  upstream?: 'blue' | 'green' | 'any';
  /** 5xx ratio above which the alarm fires (strictly greater, like GreaterThanThreshold). */
  threshold: number;
  /** Sliding window length. */
  windowMs: number;
  /** Fewer requests than this in the window: INSUFFICIENT_DATA. */
  minRequests: number;
}

export interface ResponseSample {
  upstream: 'blue' | 'green';
  status: number;
  /** Epoch ms; defaults to now(). */
  at?: number;
}

/** The EventBridge "CloudWatch Alarm State Change" event shape. */
export interface AlarmStateChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'CloudWatch Alarm State Change';
  source: 'aws.cloudwatch';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    alarmName: string;
    state: { value: AlarmStateValue; reason: string; reasonData: string; timestamp: string };
    previousState: { value: AlarmStateValue; reason: string; timestamp: string };
    configuration: { description: string; metrics: unknown[] };
  };
}

export interface AlarmDescription {
  name: string;
  arn: string;
  description: string;
  upstream: 'blue' | 'green' | 'any';
  threshold: number;
  windowMs: number;
  minRequests: number;
  state: AlarmStateValue;
  reason: string;
  stateUpdatedAt: string;
  window: { requests: number; errors: number; ratio: number | null };
}

export interface AlarmEvaluatorEvents {
  stateChange: [AlarmStateChangeEvent];
}

export interface AlarmEvaluatorOptions {
  alarms: AlarmSpec[];
  now?: () => number;
}

export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export function alarmArn(name: string): string {
  return `arn:aws:cloudwatch:${LOCAL_REGION}:${LOCAL_ACCOUNT}:alarm:${name}`;
}

interface Sample {
  at: number;
  error: boolean;
}

interface Alarm {
  spec: Required<AlarmSpec>;
  /** Sorted by `at`, oldest first. */
  samples: Sample[];
  state: AlarmStateValue;
  reason: string;
  updatedAt: number;
}

function validateSpec(spec: AlarmSpec, i: number): Required<AlarmSpec> {
  const at = `alarms[${i}]`;
  if (typeof spec.name !== 'string' || spec.name.trim() === '')
    throw new RangeError(`${at}.name must be a non-empty string`);
  if (!(Number.isFinite(spec.threshold) && spec.threshold >= 0 && spec.threshold <= 1)) {
    throw new RangeError(`${at}.threshold must be a ratio between 0 and 1`);
  }
  if (!(Number.isFinite(spec.windowMs) && spec.windowMs > 0)) throw new RangeError(`${at}.windowMs must be positive`);
  if (!(Number.isInteger(spec.minRequests) && spec.minRequests >= 1)) {
    throw new RangeError(`${at}.minRequests must be an integer of at least 1`);
  }
  const upstream = spec.upstream ?? 'any';
  if (!['blue', 'green', 'any'].includes(upstream)) throw new RangeError(`${at}.upstream must be blue, green or any`);
  return { ...spec, upstream, description: spec.description ?? '' };
}

const fmtRatio = (r: number): string => r.toFixed(3);
const fmtWindow = (ms: number): string => `${ms / 1000} s`;

/**
 * CloudWatch-like alarms over 5xx ratios in a sliding window. Transitions are decided on each
 * recorded response (event-driven); the timer only ages samples out of the window when traffic stops.
 */
export class AlarmEvaluator extends EventEmitter<AlarmEvaluatorEvents> {
  private readonly alarms = new Map<string, Alarm>();
  private readonly now: () => number;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(options: AlarmEvaluatorOptions) {
    super();
    this.now = options.now ?? Date.now;
    const start = this.now();
    options.alarms.forEach((raw, i) => {
      const spec = validateSpec(raw, i);
      if (this.alarms.has(spec.name)) throw new RangeError(`alarms[${i}].name "${spec.name}" is a duplicate`);
      this.alarms.set(spec.name, {
        spec,
        samples: [],
        state: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        updatedAt: start,
      });
    });
  }

  /** Feeds one proxied response (wire to router.onResponse) and re-evaluates the alarms it affects. */
  record(sample: ResponseSample): void {
    if (this.stopped) return;
    const now = this.now();
    const at = sample.at ?? now;
    const error = sample.status >= 500;
    for (const alarm of this.alarms.values()) {
      if (alarm.spec.upstream !== 'any' && alarm.spec.upstream !== sample.upstream) continue;
      // Responses finish out of order; keep the window sorted by request time so aging stays a prefix cut.
      let i = alarm.samples.length;
      while (i > 0 && alarm.samples[i - 1].at > at) i--;
      alarm.samples.splice(i, 0, { at, error });
      this.evaluateAlarm(alarm, now);
    }
    this.schedule();
  }

  /** Re-evaluates every alarm at now() (ages the windows). The timer calls it; so can a test clock. */
  evaluate(): void {
    if (this.stopped) return;
    const now = this.now();
    for (const alarm of this.alarms.values()) this.evaluateAlarm(alarm, now);
    this.schedule();
  }

  state(name: string): AlarmStateValue {
    return this.get(name).state;
  }

  describe(): AlarmDescription[] {
    this.evaluate();
    return [...this.alarms.values()].map((alarm) => {
      const { requests, errors } = this.figures(alarm);
      return {
        name: alarm.spec.name,
        arn: alarmArn(alarm.spec.name),
        description: alarm.spec.description,
        upstream: alarm.spec.upstream,
        threshold: alarm.spec.threshold,
        windowMs: alarm.spec.windowMs,
        minRequests: alarm.spec.minRequests,
        state: alarm.state,
        reason: alarm.reason,
        stateUpdatedAt: new Date(alarm.updatedAt).toISOString(),
        window: { requests, errors, ratio: requests > 0 ? errors / requests : null },
      };
    });
  }

  /** Back to INSUFFICIENT_DATA with an empty window (one alarm or all); emits the transition if any. */
  reset(name?: string): void {
    const targets = name === undefined ? [...this.alarms.values()] : [this.get(name)];
    const now = this.now();
    for (const alarm of targets) {
      alarm.samples = [];
      this.transition(alarm, 'INSUFFICIENT_DATA', 'Alarm reset: window cleared', now, { requests: 0, errors: 0 });
    }
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private get(name: string): Alarm {
    const alarm = this.alarms.get(name);
    if (!alarm) throw new RangeError(`unknown alarm "${name}"`);
    return alarm;
  }

  private figures(alarm: Alarm): { requests: number; errors: number } {
    let errors = 0;
    for (const s of alarm.samples) if (s.error) errors++;
    return { requests: alarm.samples.length, errors };
  }

  private evaluateAlarm(alarm: Alarm, now: number): void {
    const cutoff = now - alarm.spec.windowMs;
    let expired = 0;
    while (expired < alarm.samples.length && alarm.samples[expired].at <= cutoff) expired++;
    if (expired > 0) alarm.samples.splice(0, expired);

    const { requests, errors } = this.figures(alarm);
    const { threshold, windowMs, minRequests } = alarm.spec;
    if (requests < minRequests) {
      this.transition(
        alarm,
        'INSUFFICIENT_DATA',
        `Insufficient Data: ${requests} request(s) in the last ${fmtWindow(windowMs)}, fewer than the ${minRequests} required.`,
        now,
        { requests, errors },
      );
      return;
    }
    const ratio = errors / requests;
    const crossed = ratio > threshold;
    this.transition(
      alarm,
      crossed ? 'ALARM' : 'OK',
      `Threshold Crossed: 5xx ratio ${fmtRatio(ratio)} (${errors} of ${requests} requests) in the last ` +
        `${fmtWindow(windowMs)} was ${crossed ? '' : 'not '}greater than the threshold (${threshold}).`,
      now,
      { requests, errors },
    );
  }

  private transition(
    alarm: Alarm,
    value: AlarmStateValue,
    reason: string,
    now: number,
    figures: { requests: number; errors: number },
  ): void {
    if (alarm.state === value) return;
    const previous = { value: alarm.state, reason: alarm.reason, timestamp: new Date(alarm.updatedAt).toISOString() };
    alarm.state = value;
    alarm.reason = reason;
    alarm.updatedAt = now;
    const timestamp = new Date(now).toISOString();
    const ratio = figures.requests > 0 ? figures.errors / figures.requests : null;
    const reasonData = JSON.stringify({
      version: '1.0',
      queryDate: timestamp,
      startDate: new Date(now - alarm.spec.windowMs).toISOString(),
      statistic: '5xxRatio',
      period: alarm.spec.windowMs / 1000,
      recentDatapoints: ratio === null ? [] : [ratio],
      threshold: alarm.spec.threshold,
      evaluatedDatapoints: [{ timestamp, sampleCount: figures.requests, errors: figures.errors, value: ratio }],
    });
    const event: AlarmStateChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'CloudWatch Alarm State Change',
      source: 'aws.cloudwatch',
      account: LOCAL_ACCOUNT,
      time: timestamp,
      region: LOCAL_REGION,
      resources: [alarmArn(alarm.spec.name)],
      detail: {
        alarmName: alarm.spec.name,
        state: { value, reason, reasonData, timestamp },
        previousState: previous,
        configuration: { description: alarm.spec.description, metrics: [] },
      },
    };
    try {
      this.emit('stateChange', event);
    } catch (err) {
      // A throwing subscriber must not break evaluation (or crash the process from the aging timer).
      process.emitWarning(`stateChange listener failed: ${(err as Error).message}`);
    }
  }

  /** Arms one timer for the moment the oldest sample leaves its window; nothing to age means no timer. */
  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.stopped) return;
    let next = Infinity;
    for (const alarm of this.alarms.values()) {
      if (alarm.samples.length > 0) next = Math.min(next, alarm.samples[0].at + alarm.spec.windowMs);
    }
    if (next === Infinity) return;
    const delay = Math.max(0, next - this.now()) + 1;
    this.timer = setTimeout(() => this.evaluate(), delay);
    // Aging must never keep a process alive on its own.
    this.timer.unref();
  }
}
