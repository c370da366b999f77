import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createDemoDatabase } from '../../local/demo/database';
import { startDemoApp, type DemoApp } from '../../local/demo/demo-app';
import { PortInUseError } from '../../local/demo/net';
import { startRouter, validateWeights, type ProxiedResponse, type Router } from '../../local/demo/router';
import { getJson, makeTmpDir, occupyPort } from './helpers';

const tmp = makeTmpDir();
let blue: DemoApp;
let green: DemoApp;
let router: Router;

beforeAll(async () => {
  const dbFile = join(tmp.dir, 'demo.sqlite');
  createDemoDatabase(dbFile);
  blue = await startDemoApp({ slot: 'blue', version: '1.4.2', dbFile });
  green = await startDemoApp({ slot: 'green', version: '2.0.0', dbFile });
  router = await startRouter({ upstreams: { blue: blue.url, green: green.url } });
});

afterAll(async () => {
  await router.stop();
  await Promise.all([blue.stop(), green.stop()]);
  tmp.cleanup();
});

beforeEach(() => {
  router.setWeights({ blue: 100, green: 0 });
  router.setAdminFault(false);
  router.resetStats();
  green.setFaults({ errorRate: 0 });
});

async function send(n: number, path = '/api/orders/1'): Promise<string[]> {
  const servedBy: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await fetch(`${router.url}${path}`);
    await res.arrayBuffer();
    servedBy.push(res.headers.get('x-served-by') ?? '?');
  }
  return servedBy;
}

async function putWeights(body: unknown): Promise<{ status: number; body: unknown }> {
  const res = await getJson(`${router.url}/_router/weights`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: res.body };
}

describe('weighted routing', () => {
  it('starts at 100% blue on an ephemeral 127.0.0.1 port', async () => {
    expect(router.url).toBe(`http://127.0.0.1:${router.port}`);
    expect(router.weights()).toEqual({ blue: 100, green: 0 });
    expect(await send(3)).toEqual(['blue', 'blue', 'blue']);
  });

  it.each([
    [0, 100],
    [10, 90],
    [50, 50],
    [100, 0],
  ])('blue %p / green %p splits 20 requests exactly', async (b, g) => {
    router.setWeights({ blue: b, green: g });
    await send(20);
    const stats = router.stats();
    expect(stats.blue.requests).toBe((20 * b) / 100);
    expect(stats.green.requests).toBe((20 * g) / 100);
    expect(stats.blue['2xx'] + stats.green['2xx']).toBe(20);
  });

  it('interleaves smoothly: 90/10 sends exactly one of every ten requests to green', async () => {
    router.setWeights({ blue: 90, green: 10 });
    const served = await send(30);
    for (let i = 0; i < 30; i += 10) {
      expect(served.slice(i, i + 10).filter((s) => s === 'green')).toHaveLength(1);
    }
    router.setWeights({ blue: 50, green: 50 });
    expect(await send(4)).toEqual(['blue', 'green', 'blue', 'green']);
  });

  it('counts 5xx per upstream and keeps the last status', async () => {
    router.setWeights({ blue: 50, green: 50 });
    green.setFaults({ errorRate: 1 });
    await send(10);
    expect(router.stats()).toEqual({
      blue: { requests: 5, '2xx': 5, '3xx': 0, '4xx': 0, '5xx': 0, lastStatus: 200 },
      green: { requests: 5, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 5, lastStatus: 500 },
    });
    await send(2, '/api/orders/99999');
    expect(router.stats().blue['4xx']).toBe(1);
    expect(router.stats().green['5xx']).toBe(6);
  });

  it('notifies onResponse listeners for every proxied response, until unsubscribed', async () => {
    const events: ProxiedResponse[] = [];
    const unsubscribe = router.onResponse((e) => events.push(e));
    const before = Date.now();
    router.setWeights({ blue: 50, green: 50 });
    await send(2, '/health');
    unsubscribe();
    await send(2, '/health');
    expect(events).toHaveLength(2);
    expect(events.map((e) => [e.upstream, e.status])).toEqual([
      ['blue', 200],
      ['green', 200],
    ]);
    for (const e of events) {
      expect(e.at).toBeGreaterThanOrEqual(before);
      expect(e.durationMs).toBeGreaterThanOrEqual(0);
    }
  });
});

describe('proxying', () => {
  let echo: Server;
  let echoRouter: Router;
  let seen: { method?: string; url?: string; headers: IncomingHttpHeaders; body: string } | undefined;

  beforeAll(async () => {
    echo = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen = { method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString() };
        res.writeHead(201, { 'x-echo': 'yes', 'content-type': 'text/plain' });
        res.end('created');
      });
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const echoUrl = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    echoRouter = await startRouter({ upstreams: { blue: echoUrl, green: echoUrl } });
  });

  afterAll(async () => {
    await echoRouter.stop();
    await new Promise<void>((resolve) => {
      echo.close(() => resolve());
      echo.closeAllConnections();
    });
  });

  it('keeps method, path, query, headers and body, and relays the upstream response', async () => {
    const res = await fetch(`${echoRouter.url}/api/orders?x=1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'r-1' },
      body: JSON.stringify({ sku: 'MUG' }),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(res.headers.get('x-routed-to')).toBe('blue');
    expect(await res.text()).toBe('created');
    expect(seen).toMatchObject({ method: 'POST', url: '/api/orders?x=1', body: '{"sku":"MUG"}' });
    expect(seen?.headers['x-request-id']).toBe('r-1');
    expect(seen?.headers['content-type']).toBe('application/json');
    expect(echoRouter.stats().blue).toMatchObject({ requests: 1, '2xx': 1, lastStatus: 201 });
  });

  it('answers 502 when the chosen upstream is down, and counts it', async () => {
    const dead = await occupyPort();
    await dead.release(); // a port nobody listens on any more
    const events: ProxiedResponse[] = [];
    const r = await startRouter({
      upstreams: { blue: blue.url, green: `http://127.0.0.1:${dead.port}` },
      weights: { blue: 0, green: 100 },
    });
    try {
      r.onResponse((e) => events.push(e));
      const res = await getJson(`${r.url}/api/orders`);
      expect(res.status).toBe(502);
      expect(res.body).toMatchObject({
        upstream: 'green',
        message: expect.stringMatching(/upstream green/) as unknown,
      });
      expect(r.stats().green).toMatchObject({ requests: 1, '5xx': 1, lastStatus: 502 });
      expect(events).toEqual([expect.objectContaining({ upstream: 'green', status: 502 })]);
    } finally {
      await r.stop();
    }
  });
});

describe('admin API', () => {
  it('GET and PUT /_router/weights', async () => {
    expect((await getJson(`${router.url}/_router/weights`)).body).toEqual({ blue: 100, green: 0 });
    const put = await putWeights({ blue: 90, green: 10 });
    expect(put).toEqual({ status: 200, body: { blue: 90, green: 10 } });
    expect(router.weights()).toEqual({ blue: 90, green: 10 });
    expect((await getJson(`${router.url}/_router/weights`)).body).toEqual({ blue: 90, green: 10 });
  });

  it.each([
    [{ blue: 50, green: 'x' }, 'green'],
    [{ blue: 101, green: -1 }, 'blue'],
    [{ blue: 50.5, green: 49.5 }, 'blue'],
    [{ green: 100 }, 'blue'],
    [{ blue: 60, green: 50 }, 'weights'],
    [{ blue: 50, green: 50, red: 0 }, 'red'],
    [[50, 50], 'body'],
    ['{not json', 'body'],
  ])('rejects %j with 400 naming %s', async (body, field) => {
    const res = await putWeights(body);
    expect(res.status).toBe(400);
    const { message, field: named } = res.body as { message: string; field: string };
    expect(named).toBe(field);
    if (field !== 'body' && field !== 'weights') expect(message).toContain(field);
    if (field === 'weights') expect(message).toMatch(/blue \+ green must sum to 100/);
    expect(router.weights()).toEqual({ blue: 100, green: 0 });
  });

  it('answers 503 on PUT while the admin fault is on, leaving the weights alone', async () => {
    router.setAdminFault(true);
    const res = await putWeights({ blue: 0, green: 100 });
    expect(res).toEqual({ status: 503, body: { message: 'router admin unavailable' } });
    expect(router.weights()).toEqual({ blue: 100, green: 0 });
    expect((await getJson(`${router.url}/_router/weights`)).status).toBe(200);
    router.setAdminFault(false);
    expect((await putWeights({ blue: 0, green: 100 })).status).toBe(200);
  });

  it('GET /_router/stats and POST /_router/stats/reset', async () => {
    await send(3);
    const stats = await getJson(`${router.url}/_router/stats`);
    expect(stats.body).toMatchObject({ blue: { requests: 3, '2xx': 3 }, green: { requests: 0 } });
    const reset = await getJson(`${router.url}/_router/stats/reset`, { method: 'POST' });
    expect(reset.status).toBe(200);
    expect(router.stats().blue.requests).toBe(0);
    // Admin calls are not traffic: they never show up in the counters.
    expect(router.stats()).toEqual(reset.body);
  });

  it('answers 404 for unknown admin paths and 405 for wrong methods', async () => {
    expect((await getJson(`${router.url}/_router/nope`)).status).toBe(404);
    const wrong = await fetch(`${router.url}/_router/weights`, { method: 'DELETE' });
    expect(wrong.status).toBe(405);
    expect(wrong.headers.get('allow')).toBe('GET, PUT');
    await wrong.arrayBuffer();
  });

  it('setWeights validates like the API', () => {
    expect(() => router.setWeights({ blue: 30, green: 30 })).toThrow(/sum to 100/);
    expect(validateWeights({ blue: 0, green: 100 })).toEqual({ blue: 0, green: 100 });
  });

  it('rejects a busy port with a message naming the port and --router-port', async () => {
    const busy = await occupyPort();
    try {
      const attempt = startRouter({ upstreams: { blue: blue.url, green: green.url }, port: busy.port });
      await expect(attempt).rejects.toThrow(new PortInUseError(busy.port, '--router-port').message);
    } finally {
      await busy.release();
    }
  });
});
