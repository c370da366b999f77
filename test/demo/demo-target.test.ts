import { existsSync } from 'node:fs';
import {
  DEFAULT_DEMO_ALARM,
  startDemoTarget,
  startTrafficGenerator,
  type AlarmStateChangeEvent,
  type DemoTarget,
} from '../../local/demo';
import { getJson, makeTmpDir, occupyPort } from './helpers';

const tmp = makeTmpDir();
let target: DemoTarget;

beforeAll(async () => {
  target = await startDemoTarget({ dir: tmp.dir });
});

afterAll(async () => {
  await target.stop();
  tmp.cleanup();
});

describe('startDemoTarget', () => {
  it('boots the database, blue (stable), green (candidate), the router at 100% blue and the alarms', async () => {
    expect(existsSync(target.db.file)).toBe(true);
    expect([target.blue.version, target.green.version]).toEqual(['1.4.2', '2.0.0']);
    expect(target.router.weights()).toEqual({ blue: 100, green: 0 });
    for (const url of [target.router.url, target.blue.url, target.green.url]) {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    }
    const res = await getJson(`${target.router.url}/version`);
    expect(res.body).toEqual({ version: '1.4.2', slot: 'blue' });
    expect((await getJson(`${target.green.url}/version`)).body).toEqual({ version: '2.0.0', slot: 'green' });
    expect(target.alarms.describe()).toEqual([
      expect.objectContaining({ name: DEFAULT_DEMO_ALARM.name, upstream: 'any', threshold: 0.05, minRequests: 5 }),
    ]);
  });

  it('fires the default alarm from real router traffic when the canary fails', async () => {
    target.alarms.reset(); // only this test's traffic counts
    target.router.setWeights({ blue: 50, green: 50 });
    target.green.setFaults({ errorRate: 1 });
    const alarm = new Promise<AlarmStateChangeEvent>((resolve) => {
      const listener = (e: AlarmStateChangeEvent): void => {
        if (e.detail.state.value !== 'ALARM') return;
        target.alarms.off('stateChange', listener);
        resolve(e);
      };
      target.alarms.on('stateChange', listener);
    });
    const traffic = startTrafficGenerator(target.router.url, { ratePerSecond: 200, paths: ['/api/orders/1'] });
    try {
      const event = await alarm;
      expect(event.detail.alarmName).toBe('demo-5xx-rate');
      expect(event.resources).toEqual(['arn:aws:cloudwatch:us-east-1:000000000000:alarm:demo-5xx-rate']);
    } finally {
      await traffic.stop();
      target.green.setFaults({ errorRate: 0 });
      target.router.setWeights({ blue: 100, green: 0 });
    }
    expect(traffic.sent()).toBeGreaterThanOrEqual(5);
    expect(target.router.stats().green['5xx']).toBeGreaterThan(0);
    const sent = traffic.sent();
    expect(traffic.stats().completed + traffic.stats().failed).toBe(sent);
  });

  it('stops every server', async () => {
    const other = await startDemoTarget({ dir: tmp.dir + '/second', stableVersion: '1.0.0' });
    const urls = [other.router.url, other.blue.url, other.green.url];
    expect((await getJson(`${other.router.url}/version`)).body).toEqual({ version: '1.0.0', slot: 'blue' });
    await other.stop();
    for (const url of urls) await expect(fetch(`${url}/health`)).rejects.toThrow();
  });

  it('rejects a busy router port naming the port and the flag, and leaves nothing running', async () => {
    const busy = await occupyPort();
    try {
      await expect(startDemoTarget({ dir: tmp.dir, ports: { router: busy.port } })).rejects.toThrow(
        `port ${busy.port} is already in use: pass --router-port <port> to choose another`,
      );
    } finally {
      await busy.release();
    }
  });

  it('names --green-port for a busy green port', async () => {
    const busy = await occupyPort();
    try {
      await expect(startDemoTarget({ dir: tmp.dir, ports: { green: busy.port } })).rejects.toThrow(/--green-port/);
    } finally {
      await busy.release();
    }
  });
});

describe('startTrafficGenerator', () => {
  it('sends steady traffic over the given paths and stops by itself after maxDurationMs', async () => {
    const seen = new Set<string>();
    const unsubscribe = target.router.onResponse((e) => seen.add(`${e.upstream}:${e.status}`));
    const traffic = startTrafficGenerator(target.router.url, {
      ratePerSecond: 100,
      paths: ['/health', '/api/orders'],
      maxDurationMs: 200,
    });
    await traffic.done;
    unsubscribe();
    const sent = traffic.sent();
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThanOrEqual(25); // ~20 at 100/s over 200 ms, bounded
    expect(traffic.stats().byStatus).toEqual({ 200: sent });
    expect(seen).toEqual(new Set(['blue:200']));
    await traffic.stop(); // idempotent
    expect(traffic.sent()).toBe(sent);
  });

  it('only targets the given 127.0.0.1 origin', () => {
    expect(() => startTrafficGenerator('http://example.com:8080')).toThrow(/only targets http:\/\/127\.0\.0\.1/);
    expect(() => startTrafficGenerator('http://localhost:8080')).toThrow(/127\.0\.0\.1/);
    expect(() => startTrafficGenerator(target.router.url, { paths: ['//example.com/x'] })).toThrow(/must be a path/);
    expect(() => startTrafficGenerator(target.router.url, { paths: ['http://example.com/'] })).toThrow(
      /must be a path/,
    );
    expect(() => startTrafficGenerator(target.router.url, { ratePerSecond: 0 })).toThrow(/ratePerSecond/);
  });
});
