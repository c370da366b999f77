import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BodyTooLargeError, readBody, sendJson } from '../http';
import type { LocalEngine } from './engine';
import { SfnError } from './errors';

export interface SfnEndpointOptions {
  /** Default 8083; 0 picks a free port. */
  port?: number;
  host?: string;
}

export interface SfnEndpoint {
  url: string;
  port: number;
  close(): Promise<void>;
}

const TARGET_PREFIX = 'AWSStepFunctions.';
const CONTENT_TYPE = 'application/x-amz-json-1.0';
const MAX_BODY_BYTES = 1024 * 1024;

// Request bodies are untyped JSON; the engine validates every field itself.
type Operation = (engine: LocalEngine, body: never) => unknown;

const OPERATIONS: Record<string, Operation> = {
  StartExecution: (e, b) => e.startExecution(b),
  DescribeExecution: (e, b) => e.describeExecution(b),
  ListExecutions: (e, b) => e.listExecutions(b),
  GetExecutionHistory: (e, b) => e.getExecutionHistory(b),
  StopExecution: (e, b) => e.stopExecution(b),
  RedriveExecution: (e, b) => e.redriveExecution(b),
  SendTaskSuccess: (e, b) => e.sendTaskSuccess(b),
  SendTaskFailure: (e, b) => e.sendTaskFailure(b),
  SendTaskHeartbeat: (e, b) => e.sendTaskHeartbeat(b),
  ListStateMachines: (e, b) => e.listStateMachines(b),
  DescribeStateMachine: (e, b) => e.describeStateMachine(b),
  DescribeStateMachineForExecution: (e, b) => e.describeStateMachineForExecution(b),
};

/** AWS JSON 1.0 wire form: timestamps are epoch seconds, absent members are omitted. */
function toWire(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(toWire);
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      if (v !== undefined) out[k] = toWire(v);
    }
    return out;
  }
  return value;
}

function send(res: ServerResponse, status: number, body: unknown, requestId: string): void {
  sendJson(res, status, body, { 'content-type': CONTENT_TYPE, 'x-amzn-RequestId': requestId });
}

function sendError(res: ServerResponse, status: number, code: string, message: string, requestId: string): void {
  send(res, status, { __type: `com.amazonaws.sfn#${code}`, message }, requestId);
}

async function handle(engine: LocalEngine, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomUUID();
  // Only golive's CLI and SDK clients on this machine: no web page (Origin), no DNS rebinding (Host).
  const port = req.socket.localPort;
  const host = (req.headers.host ?? '').toLowerCase();
  if (req.headers.origin !== undefined || (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`)) {
    req.resume();
    sendError(
      res,
      403,
      'AccessDeniedException',
      `the local Step Functions endpoint answers SDK clients on 127.0.0.1:${port} only, not web pages or other host names`,
      requestId,
    );
    return;
  }
  if (req.method !== 'POST') {
    sendError(res, 404, 'UnknownOperationException', 'Only POST / is served (AWS JSON 1.0 protocol)', requestId);
    return;
  }
  const target = req.headers['x-amz-target'];
  const operationName =
    typeof target === 'string' && target.startsWith(TARGET_PREFIX) ? target.slice(TARGET_PREFIX.length) : '';
  const operation = Object.prototype.hasOwnProperty.call(OPERATIONS, operationName)
    ? OPERATIONS[operationName]
    : undefined;
  if (!operation) {
    sendError(res, 400, 'UnknownOperationException', `Unknown operation: ${String(target)}`, requestId);
    return;
  }
  let text: string;
  try {
    text = await readBody(req, { limitBytes: MAX_BODY_BYTES });
  } catch (err) {
    if (!(err instanceof BodyTooLargeError)) throw err;
    sendError(res, 413, 'ValidationException', `Request body larger than ${MAX_BODY_BYTES} bytes`, requestId);
    return;
  }
  let body: unknown;
  try {
    body = text.trim() === '' ? {} : JSON.parse(text);
  } catch {
    sendError(res, 400, 'SerializationException', 'Request body is not valid JSON', requestId);
    return;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    sendError(res, 400, 'SerializationException', 'Request body must be a JSON object', requestId);
    return;
  }
  try {
    const result = operation(engine, body as never);
    send(res, 200, toWire(result), requestId);
  } catch (err) {
    if (err instanceof SfnError) sendError(res, 400, err.name, err.message, requestId);
    else sendError(res, 500, 'InternalFailure', err instanceof Error ? err.message : String(err), requestId);
  }
}

/**
 * Serve the engine over the real Step Functions JSON 1.0 protocol, so `@aws-sdk/client-sfn` works against
 * it with only `endpoint` changed.
 */
export function startSfnEndpoint(engine: LocalEngine, options: SfnEndpointOptions = {}): Promise<SfnEndpoint> {
  const port = options.port ?? 8083;
  const host = options.host ?? '127.0.0.1';
  const server = createServer((req, res) => {
    handle(engine, req, res).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, 500, 'InternalFailure', String(err), randomUUID());
      else res.destroy();
    });
  });
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      if (err.code === 'EADDRINUSE') {
        const e = new Error(
          `Port ${port} on ${host} is already in use (Step Functions endpoint); pass a different port, e.g. --sfn-port <port> (0 picks a free one).`,
        ) as NodeJS.ErrnoException;
        e.code = 'EADDRINUSE';
        reject(e);
      } else {
        reject(err);
      }
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const actual = (server.address() as AddressInfo).port;
      const hostPart = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${hostPart}:${actual}`,
        port: actual,
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // SDK clients keep connections alive; without this close() would wait for them to idle out.
            server.closeAllConnections();
          }),
      });
    });
  });
}
