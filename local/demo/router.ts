import {
  Agent,
  createServer,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
  type ServerResponse,
} from 'node:http';
import { performance } from 'node:perf_hooks';
import { readJsonBody, sendJson } from '../http';
import { closeServer, listenLocal } from './net';

export type Upstream = 'blue' | 'green';
export type Weights = Record<Upstream, number>;

export interface UpstreamStats {
  requests: number;
  '2xx': number;
  '3xx': number;
  '4xx': number;
  '5xx': number;
  lastStatus: number | null;
}
export type RouterStats = Record<Upstream, UpstreamStats>;

export interface ProxiedResponse {
  upstream: Upstream;
  status: number;
  /** Epoch ms when the request reached the router. */
  at: number;
  /** Time until the upstream's response headers (or the failure) arrived. */
  durationMs: number;
}

export interface RouterOptions {
  upstreams: Record<Upstream, string>;
  weights?: Weights;
  port?: number;
  /** CLI flag named in the busy-port error. */
  portFlag?: string;
}

export interface Router {
  readonly url: string;
  readonly port: number;
  setWeights(weights: Weights): void;
  weights(): Weights;
  stats(): RouterStats;
  resetStats(): void;
  onResponse(listener: (event: ProxiedResponse) => void): () => void;
  setAdminFault(unavailable: boolean): void;
  stop(): Promise<void>;
}

const UPSTREAMS: readonly Upstream[] = ['blue', 'green'];
const MAX_ADMIN_BODY = 64 * 1024;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/** Invalid weights; `field` names the offending input. */
export class InvalidWeightsError extends Error {
  override readonly name = 'InvalidWeights';
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message);
  }
}

export function validateWeights(input: unknown): Weights {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new InvalidWeightsError('body', 'weights must be a JSON object like {"blue": 90, "green": 10}');
  }
  const record = input as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (!UPSTREAMS.includes(key as Upstream)) {
      throw new InvalidWeightsError(key, `unknown field "${key}": only blue and green are accepted`);
    }
  }
  for (const key of UPSTREAMS) {
    const v = record[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) {
      throw new InvalidWeightsError(key, `${key} must be an integer between 0 and 100 (got ${JSON.stringify(v)})`);
    }
  }
  const weights = { blue: record.blue as number, green: record.green as number };
  if (weights.blue + weights.green !== 100) {
    throw new InvalidWeightsError(
      'weights',
      `blue + green must sum to 100 (got ${weights.blue} + ${weights.green} = ${weights.blue + weights.green})`,
    );
  }
  return weights;
}

function emptyStats(): UpstreamStats {
  return { requests: 0, '2xx': 0, '3xx': 0, '4xx': 0, '5xx': 0, lastStatus: null };
}

function forwardableHeaders(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  // Headers named in Connection are hop-by-hop too (RFC 9110 §7.6.1).
  const listed = new Set(
    String(headers.connection ?? '')
      .split(',')
      .map((h) => h.trim().toLowerCase())
      .filter(Boolean),
  );
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP.has(name) || listed.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/**
 * Weighted reverse proxy with an admin API under /_router/. Upstreams are chosen by smooth weighted
 * round robin (nginx), which is deterministic: 90/10 sends exactly 1 of every 10 requests to green.
 */
export async function startRouter(options: RouterOptions): Promise<Router> {
  const upstreams = { blue: new URL(options.upstreams.blue), green: new URL(options.upstreams.green) };
  for (const u of UPSTREAMS) {
    if (upstreams[u].protocol !== 'http:') throw new TypeError(`upstream ${u} must be an http:// URL`);
  }
  let weights = validateWeights(options.weights ?? { blue: 100, green: 0 });
  let current: Weights = { blue: 0, green: 0 };
  let stats: RouterStats = { blue: emptyStats(), green: emptyStats() };
  let adminFault = false;
  const listeners = new Set<(event: ProxiedResponse) => void>();
  // No keep-alive towards upstreams: a reused socket the upstream just closed would surface as a
  // spurious 502 (and feed a false alarm); a fresh local connection per request costs microseconds.
  const agent = new Agent({ keepAlive: false });

  const setWeights = (w: Weights): void => {
    weights = validateWeights(w);
    // Like an nginx reload: the rotation restarts, so the next N requests follow the new ratio exactly.
    current = { blue: 0, green: 0 };
  };

  const pick = (): Upstream => {
    let total = 0;
    let best: Upstream | undefined;
    for (const u of UPSTREAMS) {
      if (weights[u] <= 0) continue;
      current[u] += weights[u];
      total += weights[u];
      if (best === undefined || current[u] > current[best]) best = u;
    }
    // Weights always sum to 100, so some upstream has a positive weight.
    const chosen = best as Upstream;
    current[chosen] -= total;
    return chosen;
  };

  const record = (upstream: Upstream, status: number, at: number, started: number): void => {
    const s = stats[upstream];
    s.requests++;
    const bucket = `${Math.floor(status / 100)}xx`;
    if (bucket === '2xx' || bucket === '3xx' || bucket === '4xx' || bucket === '5xx') s[bucket]++;
    s.lastStatus = status;
    const event: ProxiedResponse = { upstream, status, at, durationMs: performance.now() - started };
    for (const listener of listeners) {
      try {
        listener(event);
      } catch {
        // A faulty listener must not break the traffic path.
      }
    }
  };

  const proxy = (req: IncomingMessage, res: ServerResponse): void => {
    const upstream = pick();
    const target = upstreams[upstream];
    const at = Date.now();
    const started = performance.now();
    let clientGone = false;
    const headers = forwardableHeaders(req.headers);
    headers.host = target.host;
    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1';
    headers['x-forwarded-host'] = req.headers.host ?? '';
    headers['x-forwarded-proto'] = 'http';

    const upstreamReq = httpRequest({
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port,
      method: req.method,
      path: req.url,
      headers,
      agent,
    });
    upstreamReq.on('response', (upstreamRes) => {
      const status = upstreamRes.statusCode ?? 502;
      // Counted before anything reaches the client, so whoever sees the response can rely on the counters.
      record(upstream, status, at, started);
      res.writeHead(status, { ...forwardableHeaders(upstreamRes.headers), 'x-routed-to': upstream });
      upstreamRes.pipe(res);
      upstreamRes.on('error', () => res.destroy());
    });
    upstreamReq.on('error', (err: NodeJS.ErrnoException) => {
      if (clientGone) return;
      if (res.headersSent) {
        res.destroy();
        return;
      }
      record(upstream, 502, at, started);
      sendJson(
        res,
        502,
        { message: `upstream ${upstream} unavailable: ${err.code ?? err.message}`, upstream },
        { 'x-routed-to': upstream },
      );
    });
    res.on('close', () => {
      if (!res.writableFinished) {
        clientGone = true;
        upstreamReq.destroy();
      }
    });
    req.pipe(upstreamReq);
  };

  const admin = async (req: IncomingMessage, res: ServerResponse, path: string): Promise<void> => {
    if (path === '/_router/weights') {
      if (req.method === 'GET') return sendJson(res, 200, weights);
      if (req.method === 'PUT') {
        if (adminFault) {
          req.resume();
          return sendJson(res, 503, { message: 'router admin unavailable' });
        }
        try {
          const body = await readJsonBody(
            req,
            MAX_ADMIN_BODY,
            (problem) => new InvalidWeightsError('body', `body ${problem}`),
          );
          setWeights(validateWeights(body));
          return sendJson(res, 200, weights);
        } catch (err) {
          if (err instanceof InvalidWeightsError) {
            return sendJson(res, 400, { message: err.message, field: err.field });
          }
          throw err;
        }
      }
      res.setHeader('allow', 'GET, PUT');
      return sendJson(res, 405, { message: `${req.method ?? ''} not allowed on ${path}` });
    }
    if (path === '/_router/stats') {
      if (req.method === 'GET') return sendJson(res, 200, stats);
      res.setHeader('allow', 'GET');
      return sendJson(res, 405, { message: `${req.method ?? ''} not allowed on ${path}` });
    }
    if (path === '/_router/stats/reset') {
      if (req.method === 'POST') {
        req.resume();
        stats = { blue: emptyStats(), green: emptyStats() };
        return sendJson(res, 200, stats);
      }
      res.setHeader('allow', 'POST');
      return sendJson(res, 405, { message: `${req.method ?? ''} not allowed on ${path}` });
    }
    sendJson(res, 404, { message: `no admin route ${path}` });
  };

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    if (path === '/_router' || path.startsWith('/_router/')) {
      admin(req, res, path).catch((err: unknown) => {
        if (!res.headersSent) sendJson(res, 500, { message: (err as Error).message });
        else res.destroy();
      });
      return;
    }
    proxy(req, res);
  });

  const port = await listenLocal(server, options.port ?? 0, options.portFlag ?? '--router-port');
  let stopped: Promise<void> | undefined;
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    setWeights,
    weights: () => ({ ...weights }),
    stats: () => ({ blue: { ...stats.blue }, green: { ...stats.green } }),
    resetStats: () => {
      stats = { blue: emptyStats(), green: emptyStats() };
    },
    onResponse(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    setAdminFault(unavailable: boolean) {
      adminFault = unavailable;
    },
    stop() {
      stopped ??= closeServer(server).finally(() => agent.destroy());
      return stopped;
    },
  };
}
