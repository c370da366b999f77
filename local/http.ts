import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Raised by `readBody` when a body outgrows its limit; the request has been destroyed by then. */
export class BodyTooLargeError extends Error {
  override readonly name = 'BodyTooLargeError';
  constructor(readonly limitBytes: number) {
    super(`request body larger than ${limitBytes} bytes`);
  }
}

/**
 * The whole request body as UTF-8 text. With `limitBytes`, a body that grows past it is not buffered any
 * further: the request is destroyed and the promise rejects with BodyTooLargeError.
 */
export function readBody(req: IncomingMessage, options: { limitBytes?: number } = {}): Promise<string> {
  const limit = options.limitBytes ?? Infinity;
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLargeError(limit));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/**
 * The request body parsed as JSON. A body over `limitBytes`, or not JSON, rejects with the error `invalid` makes
 * of the problem ("larger than … bytes", "is not valid JSON"), so each server answers it in its own terms.
 */
export async function readJsonBody(
  req: IncomingMessage,
  limitBytes: number,
  invalid: (problem: string) => Error,
): Promise<unknown> {
  const raw = await readBody(req, { limitBytes }).catch((err: unknown) => {
    throw err instanceof BodyTooLargeError ? invalid(`larger than ${limitBytes} bytes`) : err;
  });
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw invalid('is not valid JSON');
  }
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/**
 * Answer with `body` as JSON and its exact content-length. The content type is JSON unless `headers` sets
 * `content-type` (lower case) to a JSON dialect of its own.
 */
export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    'content-type': headers['content-type'] ?? JSON_CONTENT_TYPE,
    'content-length': Buffer.byteLength(payload),
  });
  res.end(payload);
}
