import { existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import Database from 'better-sqlite3';
import { readJsonBody, sendJson } from '../http';
import { checkFaults, FAULTS_PATH, InvalidFaultsError, parseFaultSettings, toFaultSettings } from './faults';
import { closeServer, listenLocal } from './net';

export type Slot = 'blue' | 'green';

export interface DemoFaults {
  /** 0..1: share of /api requests answered 500, spread deterministically. */
  errorRate: number;
  /** /health answers 503. */
  healthFailing: boolean;
  /** Milliseconds (0..60000) added before every answer but the fault admin route's. */
  latencyMs: number;
}

export interface DemoAppOptions {
  slot: Slot;
  version: string;
  dbFile: string;
  port?: number;
  /** CLI flag named in the busy-port error; defaults to --<slot>-port. */
  portFlag?: string;
}

export interface DemoApp {
  readonly slot: Slot;
  readonly url: string;
  readonly port: number;
  readonly version: string;
  setVersion(version: string): void;
  setFaults(faults: Partial<DemoFaults>): void;
  faults(): DemoFaults;
  stop(): Promise<void>;
}

interface OrderRow {
  id: number;
  customer_id: number;
  status: string;
  total_cents: number;
  created_at: string;
}

// errorRate is held in parts per million so the fail/pass pattern is exact integer arithmetic
// (floating point would misplace a failure for rates like 0.57).
const PPM = 1_000_000;

/** Request n (0-based) fails iff floor((n+1)·r) > floor(n·r): exactly r of every 1/r requests, no randomness. */
export function isFaultyRequest(n: number, errorRate: number): boolean {
  const r = Math.round(Math.min(1, Math.max(0, errorRate)) * PPM);
  return Math.floor(((n + 1) * r) / PPM) > Math.floor((n * r) / PPM);
}

const NO_FAULTS: DemoFaults = { errorRate: 0, healthFailing: false, latencyMs: 0 };
const MAX_FAULTS_BODY = 4096;

const DEMO_DOCS: Record<string, string> = {
  '/docs/runbook':
    '# Orders API runbook\n\n## Common issues\n- 5xx rate up: check the database file and roll back with golive.\n\n' +
    '## Production management\n- Deploy with `golive start demo <version>`; abort with `golive abort`.\n',
  '/docs/disaster-recovery':
    '# Orders API disaster recovery\n\n| level | action | ETA |\n|---|---|---|\n| service | redeploy the stable slot | 5 min |\n' +
    '| database | restore the latest online backup | 15 min |\n| cluster | rebuild the host from the image | 1 h |\n' +
    '| region | restore backups in the second location | 4 h |\n',
};

/** The demo "orders" service: one instance per slot, reading the shared SQLite database read-only. */
export async function startDemoApp(options: DemoAppOptions): Promise<DemoApp> {
  const { slot, dbFile } = options;
  let version = options.version;
  let faults: DemoFaults = { ...NO_FAULTS };
  let apiRequests = 0;

  if (!existsSync(dbFile)) throw new Error(`demo database ${dbFile} does not exist: create it with createDemoDatabase`);
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  const listOrders = db.prepare('SELECT id, customer_id, status, total_cents, created_at FROM orders ORDER BY id');
  const getOrder = db.prepare('SELECT id, customer_id, status, total_cents, created_at FROM orders WHERE id = ?');
  const getItems = db.prepare('SELECT sku, quantity, unit_price_cents FROM order_items WHERE order_id = ? ORDER BY id');

  const setFaults = (f: Partial<DemoFaults>): void => {
    checkFaults(f);
    // A new error rate restarts the sequence so its pattern is predictable from the moment it is set.
    if (f.errorRate !== undefined && f.errorRate !== faults.errorRate) apiRequests = 0;
    faults = { ...faults, ...f };
  };

  const handle = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    const headers = { 'x-served-by': slot, 'x-version': version };
    const isGet = req.method === 'GET' || req.method === 'HEAD';

    if (path.startsWith('/api/')) {
      const n = apiRequests++;
      if (isFaultyRequest(n, faults.errorRate)) {
        sendJson(res, 500, { message: 'injected fault: internal error', slot, version }, headers);
        return;
      }
    }

    if (isGet && path === '/health') {
      if (faults.healthFailing) sendJson(res, 503, { status: 'failing', slot, version }, headers);
      else sendJson(res, 200, { status: 'ok', slot, version }, headers);
      return;
    }
    // The demo's support documents, linked from golive.config.yaml (readiness: runbook and DR plan reachable).
    const doc = DEMO_DOCS[path];
    if (isGet && doc) {
      res.writeHead(200, { 'content-type': 'text/markdown; charset=utf-8', ...headers });
      res.end(doc);
      return;
    }
    if (isGet && path === '/version') {
      sendJson(res, 200, { version, slot }, headers);
      return;
    }
    if (isGet && path === '/api/orders') {
      const orders = listOrders.all() as OrderRow[];
      sendJson(res, 200, { orders, count: orders.length }, headers);
      return;
    }
    const match = /^\/api\/orders\/([^/]+)$/.exec(path);
    if (isGet && match) {
      const id = Number(match[1]);
      const order = Number.isSafeInteger(id) ? (getOrder.get(id) as OrderRow | undefined) : undefined;
      if (!order) {
        sendJson(res, 404, { message: `order ${match[1]} not found` }, headers);
        return;
      }
      sendJson(res, 200, { ...order, items: getItems.all(id) }, headers);
      return;
    }
    sendJson(res, 404, { message: `no route for ${req.method ?? 'GET'} ${path}` }, headers);
  };

  const isJson = (req: IncomingMessage) =>
    (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/json';

  // What `golive local fault` talks to. Loopback only, like every demo server (listenLocal binds 127.0.0.1);
  // a request the router forwarded is refused, so a fault lands on the slot that was named, not the one the
  // router happened to pick.
  const faultsAdmin = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const headers = { 'x-served-by': slot, 'x-version': version };
    const state = () => ({ slot, version, faults: toFaultSettings(faults) });
    if (req.headers['x-forwarded-for'] !== undefined) {
      req.resume();
      return sendJson(
        res,
        403,
        { message: `set faults on the ${slot} app's own port, not through the router` },
        headers,
      );
    }
    // A web page can send simple requests to 127.0.0.1 (a text/plain POST needs no preflight): a
    // browser names its Origin, golive's CLI never does, and a POST must be declared JSON.
    if (req.headers.origin !== undefined || (req.method === 'POST' && !isJson(req))) {
      req.resume();
      return sendJson(
        res,
        403,
        { message: 'faults are set by `golive local fault` (application/json, no browser Origin)' },
        headers,
      );
    }
    if (req.method === 'GET') return sendJson(res, 200, state(), headers);
    if (req.method === 'DELETE') {
      req.resume();
      setFaults(NO_FAULTS);
      return sendJson(res, 200, state(), headers);
    }
    if (req.method === 'POST') {
      try {
        const body = await readJsonBody(req, MAX_FAULTS_BODY, (problem) => new InvalidFaultsError('body', problem));
        setFaults(parseFaultSettings(body));
        return sendJson(res, 200, state(), headers);
      } catch (err) {
        if (err instanceof InvalidFaultsError)
          return sendJson(res, 400, { message: err.message, field: err.field }, headers);
        throw err;
      }
    }
    res.setHeader('allow', 'GET, POST, DELETE');
    sendJson(res, 405, { message: `${req.method ?? ''} not allowed on ${FAULTS_PATH}` }, headers);
  };

  const fail = (res: ServerResponse, err: unknown): void => {
    // A database error must surface as a 500 like a real service, not crash the process.
    if (!res.headersSent) {
      sendJson(res, 500, { message: (err as Error).message }, { 'x-served-by': slot, 'x-version': version });
    } else {
      res.destroy();
    }
  };
  const respond = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    try {
      handle(req, res, path);
    } catch (err) {
      fail(res, err);
    }
  };

  // Requests held back by injected latency; stop() drops them rather than waiting up to a minute.
  const delayed = new Set<NodeJS.Timeout>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === FAULTS_PATH) {
      faultsAdmin(req, res).catch((err: unknown) => fail(res, err));
      return;
    }
    if (faults.latencyMs === 0) {
      respond(req, res, path);
      return;
    }
    const timer = setTimeout(() => {
      delayed.delete(timer);
      respond(req, res, path);
    }, faults.latencyMs);
    delayed.add(timer);
  });

  let port: number;
  try {
    port = await listenLocal(server, options.port ?? 0, options.portFlag ?? `--${slot}-port`);
  } catch (err) {
    db.close();
    throw err;
  }

  let stopped: Promise<void> | undefined;
  return {
    slot,
    port,
    url: `http://127.0.0.1:${port}`,
    get version() {
      return version;
    },
    setVersion(v: string) {
      version = v;
    },
    setFaults,
    faults: () => ({ ...faults }),
    stop() {
      delayed.forEach((timer) => clearTimeout(timer));
      delayed.clear();
      stopped ??= closeServer(server).finally(() => db.close());
      return stopped;
    },
  };
}
