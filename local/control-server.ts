import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { GoLiveClientError, type GoLiveClient } from '../lambdas/core/client';
import { createControlHandler, type ControlEvent, type Identify } from '../lambdas/control/api';
import { closeServer, listenLocal, PortInUseError } from './demo/net';
import { BodyTooLargeError, readBody, sendJson } from './http';

/** Locally the CLI names its actor here (`--as`); recorded as verified by `local`, i.e. not verified. */
export const CONTROL_AS_HEADER = 'x-golive-as';
/** `golive local up`'s port for the control API, next to the Step Functions endpoint's 8083. */
export const DEFAULT_CONTROL_PORT = 8084;
const MAX_BODY_BYTES = 64 * 1024;
const USER_ID = /^[A-Za-z0-9][\w.@+-]{0,99}$/;

export interface ControlServerOptions {
  client: GoLiveClient;
  /** 0 = a free port (tests). */
  port: number;
  /** A busy port falls back to a free one (the one-shot demo) instead of failing (`local up`). */
  fallbackToFreePort?: boolean;
  /** Where the URL is recorded for the CLI in other terminals (`<home>/control-api.json`). */
  home?: string;
  log?: (line: string) => void;
}

export interface ControlServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

/** The local caller: whoever `--as` names, recorded as `local` (unverified). Nobody named: reads only. */
export const localIdentity: Identify = (event) => {
  const raw = event.headers?.[CONTROL_AS_HEADER];
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (!USER_ID.test(raw)) {
    throw new GoLiveClientError(
      'InvalidRequest',
      `--as "${raw.slice(0, 100)}" is not a user id: letters, digits and . _ @ + - (e.g. U_RELEASE_MANAGER)`,
    );
  }
  return { user: raw, verifiedBy: 'local' };
};

const isJson = (req: IncomingMessage) =>
  (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase() === 'application/json';

const refuse = (res: ServerResponse, status: number, code: string, message: string) =>
  sendJson(res, status, { code, message }, { 'cache-control': 'no-store' });

/** `<home>/control-api.json`: where a running runtime says its control API listens. */
export const controlRecordFile = (home: string) => join(home, 'control-api.json');

/** The URL a running local runtime recorded in `home`, if that runtime is still alive. */
export function readControlRecord(home: string): { url: string; pid: number } | undefined {
  const file = controlRecordFile(home);
  if (!existsSync(file)) return undefined;
  try {
    const record = JSON.parse(readFileSync(file, 'utf8')) as { url?: unknown; pid?: unknown };
    if (typeof record.url !== 'string' || typeof record.pid !== 'number') return undefined;
    process.kill(record.pid, 0);
    return { url: record.url, pid: record.pid };
  } catch {
    return undefined;
  }
}

/**
 * The control API of the local runtime: the same handler as the Lambda behind API Gateway, over HTTP
 * on 127.0.0.1. The actor is the CLI's `--as` (header x-golive-as), recorded as `local`. A web page
 * could reach 127.0.0.1 too, so requests naming an Origin, a POST not declared JSON, or a Host that
 * is not this loopback address (DNS rebinding) are refused before anything is read.
 */
export async function startControlServer(options: ControlServerOptions): Promise<ControlServer> {
  const handle = createControlHandler({
    client: options.client,
    identify: localIdentity,
    logError: (message, details) => options.log?.(`${message}: ${JSON.stringify(details)}`),
  });
  const hosts = new Set<string>();
  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      if (!res.headersSent) refuse(res, 500, 'InternalError', (err as Error)?.message ?? String(err));
      else res.destroy();
    });
  });
  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (req.headers.origin !== undefined) {
      req.resume();
      return refuse(
        res,
        403,
        'Unauthorized',
        "the control API answers golive's CLI, not web pages (the request named an Origin)",
      );
    }
    if (!hosts.has((req.headers.host ?? '').toLowerCase())) {
      req.resume();
      return refuse(
        res,
        403,
        'Unauthorized',
        `the control API answers on ${[...hosts][0]} only, not as "${req.headers.host ?? ''}"`,
      );
    }
    if (req.method === 'POST' && !isJson(req)) {
      req.resume();
      return refuse(res, 415, 'InvalidRequest', 'send the request body as application/json');
    }
    let body: string;
    try {
      body = await readBody(req, { limitBytes: MAX_BODY_BYTES });
    } catch (err) {
      if (err instanceof BodyTooLargeError) return refuse(res, 413, 'InvalidRequest', err.message);
      throw err;
    }
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string') headers[name.toLowerCase()] = value;
    }
    const event: ControlEvent = {
      httpMethod: req.method ?? 'GET',
      path: url.pathname,
      queryStringParameters: Object.fromEntries(url.searchParams),
      headers,
      body,
      isBase64Encoded: false,
      requestContext: { requestId: randomUUID(), identity: {} },
    };
    const result = await handle(event);
    const payload = result.body;
    res.writeHead(result.statusCode, { ...result.headers, 'content-length': Buffer.byteLength(payload) });
    res.end(payload);
  };

  const port = await listenLocal(server, options.port, '--control-port').catch((err: Error) => {
    if (!(err instanceof PortInUseError && options.fallbackToFreePort)) throw err;
    options.log?.(`${err.message}; using a free port for the control API instead`);
    return listenLocal(server, 0, '--control-port');
  });
  for (const name of ['127.0.0.1', 'localhost']) hosts.add(`${name}:${port}`);
  const url = `http://127.0.0.1:${port}`;
  const record = options.home ? controlRecordFile(options.home) : undefined;
  if (record) writeFileSync(record, `${JSON.stringify({ url, pid: process.pid }, null, 2)}\n`);
  return {
    url,
    port,
    async close() {
      await closeServer(server);
      if (record && readControlRecord(options.home!)?.url === url) rmSync(record, { force: true });
    },
  };
}
