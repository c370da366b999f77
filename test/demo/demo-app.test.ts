import { join } from 'node:path';
import { createDemoDatabase } from '../../local/demo/database';
import { isFaultyRequest, startDemoApp, type DemoApp } from '../../local/demo/demo-app';
import { PortInUseError } from '../../local/demo/net';
import { getJson, makeTmpDir, occupyPort } from './helpers';

const tmp = makeTmpDir();
const dbFile = join(tmp.dir, 'demo.sqlite');
let app: DemoApp;

beforeAll(async () => {
  createDemoDatabase(dbFile);
  app = await startDemoApp({ slot: 'green', version: '2.0.0', dbFile });
});

afterAll(async () => {
  await app.stop();
  tmp.cleanup();
});

afterEach(() => app.setFaults({ errorRate: 0, healthFailing: false, latencyMs: 0 }));

describe('demo app routes', () => {
  it('listens on an ephemeral 127.0.0.1 port', () => {
    expect(app.port).toBeGreaterThan(0);
    expect(app.url).toBe(`http://127.0.0.1:${app.port}`);
  });

  it('GET /health answers ok with slot and version, and the identity headers', async () => {
    const res = await getJson(`${app.url}/health`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', slot: 'green', version: '2.0.0' });
    expect(res.headers.get('x-served-by')).toBe('green');
    expect(res.headers.get('x-version')).toBe('2.0.0');
  });

  it('GET /version follows setVersion', async () => {
    expect((await getJson(`${app.url}/version`)).body).toEqual({ version: '2.0.0', slot: 'green' });
    app.setVersion('2.0.1');
    try {
      const res = await getJson(`${app.url}/version`);
      expect(res.body).toEqual({ version: '2.0.1', slot: 'green' });
      expect(res.headers.get('x-version')).toBe('2.0.1');
      expect(app.version).toBe('2.0.1');
    } finally {
      app.setVersion('2.0.0');
    }
  });

  it('GET /api/orders lists the seeded orders from SQLite', async () => {
    const res = await getJson(`${app.url}/api/orders`);
    expect(res.status).toBe(200);
    const body = res.body as { orders: Array<{ id: number }>; count: number };
    expect(body.count).toBe(200);
    expect(body.orders.map((o) => o.id)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
  });

  it('GET /api/orders/:id answers one order with its items, or 404', async () => {
    const one = await getJson(`${app.url}/api/orders/1`);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id: 1, status: 'paid', items: expect.any(Array) as unknown });
    const order = one.body as { total_cents: number; items: Array<{ quantity: number; unit_price_cents: number }> };
    expect(order.items.reduce((s, i) => s + i.quantity * i.unit_price_cents, 0)).toBe(order.total_cents);

    for (const id of ['9999', 'abc']) {
      const missing = await getJson(`${app.url}/api/orders/${id}`);
      expect(missing.status).toBe(404);
      expect(missing.body).toEqual({ message: `order ${id} not found` });
      expect(missing.headers.get('x-served-by')).toBe('green');
    }
  });

  it('answers 404 JSON for anything else, still with the identity headers', async () => {
    const unknown = await getJson(`${app.url}/nope`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toMatch(/application\/json/);
    expect(unknown.headers.get('x-served-by')).toBe('green');
    expect(unknown.headers.get('x-version')).toBe('2.0.0');
    expect((await getJson(`${app.url}/health`, { method: 'POST' })).status).toBe(404);
  });
});

describe('demo app faults', () => {
  it('healthFailing makes /health answer 503 until cleared', async () => {
    app.setFaults({ healthFailing: true });
    expect(app.faults()).toEqual({ errorRate: 0, healthFailing: true, latencyMs: 0 });
    const failing = await getJson(`${app.url}/health`);
    expect(failing.status).toBe(503);
    expect(failing.body).toMatchObject({ status: 'failing' });
    expect((await getJson(`${app.url}/api/orders/1`)).status).toBe(200);
    app.setFaults({ healthFailing: false });
    expect((await getJson(`${app.url}/health`)).status).toBe(200);
  });

  it('errorRate 0.5 fails exactly every second /api request and leaves /health alone', async () => {
    app.setFaults({ errorRate: 0.5 });
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await fetch(`${app.url}/api/orders/1`)).status);
      expect((await fetch(`${app.url}/health`)).status).toBe(200);
    }
    expect(statuses).toEqual([200, 500, 200, 500, 200, 500, 200, 500, 200, 500]);
  });

  it('errorRate 0.1 fails exactly 2 of 20 /api requests; 1 fails all of them', async () => {
    app.setFaults({ errorRate: 0.1 });
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) statuses.push((await fetch(`${app.url}/api/orders`)).status);
    expect(statuses.flatMap((s, i) => (s === 500 ? [i] : []))).toEqual([9, 19]);

    app.setFaults({ errorRate: 1 });
    const all = await Promise.all(Array.from({ length: 5 }, () => fetch(`${app.url}/api/orders/2`)));
    expect(all.map((r) => r.status)).toEqual([500, 500, 500, 500, 500]);
    expect(all[0].headers.get('x-served-by')).toBe('green');
  });

  it('rejects an invalid error rate', () => {
    expect(() => app.setFaults({ errorRate: 1.5 })).toThrow(/errorRate/);
    expect(() => app.setFaults({ errorRate: Number.NaN })).toThrow(/errorRate/);
  });

  it('latencyMs delays every answer by at least that long, and 0 removes the delay', async () => {
    app.setFaults({ latencyMs: 250 });
    for (const path of ['/api/orders/1', '/health']) {
      const started = performance.now();
      expect((await fetch(`${app.url}${path}`)).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(245);
    }

    app.setFaults({ latencyMs: 0 });
    const started = performance.now();
    await fetch(`${app.url}/health`);
    expect(performance.now() - started).toBeLessThan(245);
  });

  it('rejects a latency that is not a whole number of milliseconds up to a minute', () => {
    expect(() => app.setFaults({ latencyMs: -1 })).toThrow(/latencyMs/);
    expect(() => app.setFaults({ latencyMs: 1.5 })).toThrow(/latencyMs/);
    expect(() => app.setFaults({ latencyMs: 60_001 })).toThrow(/latencyMs/);
  });
});

describe('demo app fault admin route (/__golive/faults)', () => {
  const faultsUrl = () => `${app.url}/__golive/faults`;
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    getJson(faultsUrl(), {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('POST adds faults to those in force and answers them all; GET shows them', async () => {
    const first = await post({ errorRate: 0.25, health: 'failing' });
    const second = await post({ latencyMs: 40 });

    expect(first.status).toBe(200);
    expect(second.body).toEqual({
      slot: 'green',
      version: '2.0.0',
      faults: { errorRate: 0.25, latencyMs: 40, health: 'failing' },
    });
    expect(app.faults()).toEqual({ errorRate: 0.25, latencyMs: 40, healthFailing: true });
    expect((await getJson(faultsUrl())).body).toEqual(second.body);
    expect((await getJson(`${app.url}/health`)).status).toBe(503);
  });

  it('refuses what a web page could send: a browser Origin, or a POST not declared JSON', async () => {
    const fromPage = await post({ errorRate: 1 }, { origin: 'https://evil.example' });
    const plainText = await post({ errorRate: 1 }, { 'content-type': 'text/plain' });

    expect([fromPage.status, plainText.status]).toEqual([403, 403]);
    expect(app.faults()).toMatchObject({ errorRate: 0 });
  });

  it('DELETE removes every fault', async () => {
    app.setFaults({ errorRate: 1, latencyMs: 30, healthFailing: true });

    const res = await getJson(faultsUrl(), { method: 'DELETE' });

    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ faults: { errorRate: 0, latencyMs: 0, health: 'ok' } });
    expect((await fetch(`${app.url}/api/orders/1`)).status).toBe(200);
  });

  it('answers at once even while latency is injected', async () => {
    app.setFaults({ latencyMs: 5_000 });

    const started = performance.now();
    expect((await getJson(faultsUrl())).status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  it.each([
    [{ errorRate: 0.1, bogus: 1, speed: 2 }, 'bogus, speed', 'bogus, speed are not faults'],
    [{ errorRate: 1.5 }, 'errorRate', 'errorRate must be a number between 0 and 1, got 1.5'],
    [{ errorRate: '0.5' }, 'errorRate', 'errorRate must be a number between 0 and 1, got "0.5"'],
    [{ latencyMs: 60_001 }, 'latencyMs', 'latencyMs must be a whole number of milliseconds from 0 to 60000'],
    [{ latencyMs: 2.5 }, 'latencyMs', 'latencyMs must be a whole number'],
    [{ health: 'sick' }, 'health', 'health must be "failing" or "ok", got "sick"'],
    [{}, 'body', 'names no fault'],
    [[1], 'body', 'must be a JSON object'],
    ['{not json', 'body', 'is not valid JSON'],
  ])('refuses %j with 400 naming %s, and changes nothing', async (body, field, message) => {
    app.setFaults({ errorRate: 0.5 });

    const res = await post(body);

    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ field, message: expect.stringContaining(message) });
    expect(app.faults()).toEqual({ errorRate: 0.5, latencyMs: 0, healthFailing: false });
  });

  it('refuses a request forwarded by the router, so a fault always lands on the slot named', async () => {
    const res = await post({ errorRate: 1 }, { 'x-forwarded-for': '127.0.0.1' });

    expect(res.status).toBe(403);
    expect(app.faults().errorRate).toBe(0);
  });
});

describe('isFaultyRequest', () => {
  // Expected counts written out: float arithmetic would give 56 for 0.57 × 100.
  it.each([
    [0, 100, 0],
    [0.01, 100, 1],
    [0.05, 100, 5],
    [0.1, 10, 1],
    [0.25, 100, 25],
    [0.333, 1000, 333],
    [0.57, 100, 57],
    [0.9, 10, 9],
    [1, 10, 10],
  ])('rate %p gives exactly the share of failures over %p requests', (rate, n, expected) => {
    let failures = 0;
    for (let i = 0; i < n; i++) if (isFaultyRequest(i, rate)) failures++;
    expect(failures).toBe(expected);
  });

  it('spreads failures evenly instead of bunching them', () => {
    const failing = Array.from({ length: 40 }, (_, i) => i).filter((i) => isFaultyRequest(i, 0.25));
    expect(failing).toEqual([3, 7, 11, 15, 19, 23, 27, 31, 35, 39]);
  });
});

describe('demo app port', () => {
  it('rejects a busy port with a message naming the port and the flag', async () => {
    const busy = await occupyPort();
    try {
      const attempt = startDemoApp({ slot: 'blue', version: '1.4.2', dbFile, port: busy.port });
      await expect(attempt).rejects.toBeInstanceOf(PortInUseError);
      await expect(startDemoApp({ slot: 'blue', version: '1.4.2', dbFile, port: busy.port })).rejects.toThrow(
        `port ${busy.port} is already in use: pass --blue-port <port> to choose another`,
      );
    } finally {
      await busy.release();
    }
  });

  it('fails clearly when the database does not exist', async () => {
    await expect(startDemoApp({ slot: 'blue', version: '1', dbFile: join(tmp.dir, 'missing.sqlite') })).rejects.toThrow(
      /missing\.sqlite does not exist/,
    );
  });
});
