import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHash, createHmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { apiTarget, ControlApi } from '../../bin/cli/api';
import { regionOfApiUrl, sigV4Signer } from '../../bin/cli/sigv4';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

let server: Server;
let base: string;
const received: Received[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ name: 'x', executionArn: 'arn', kind: 'recorded', message: 'ok', goLives: [] }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/prod`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => (received.length = 0));

const bytes = (data: string | ArrayBuffer | ArrayBufferView) =>
  typeof data === 'string'
    ? Buffer.from(data)
    : ArrayBuffer.isView(data)
      ? Buffer.from(data.buffer, data.byteOffset, data.byteLength)
      : Buffer.from(data);

/** SHA-256 for SignatureV4, from node:crypto (as the CLI's own). */
class Sha256 {
  private readonly hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: string | ArrayBuffer | ArrayBufferView) {
    this.hash.update(bytes(data));
  }
  async digest() {
    return new Uint8Array(this.hash.digest());
  }
  reset() {}
}

describe('control API client (bin/cli/api.ts)', () => {
  it('signs each request with SigV4 for execute-api, over exactly the path, query and body it sends', async () => {
    const api = new ControlApi(apiTarget(base), { sign: sigV4Signer('eu-west-1', async () => CREDENTIALS) });

    await api.vote('arn:aws:states:eu-west-1:1:execution:m:run-1', { decision: 'approve', attest: ['all'] });
    await api.list({ service: 'demo', limit: 5 });

    for (const request of received) {
      const auth = String(request.headers.authorization);
      expect(auth).toMatch(
        /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
      );
      expect(request.headers['x-golive-as']).toBeUndefined();
      // The server side of SigV4: the signature recomputed from the request as it arrived matches.
      const url = new URL(request.url, base);
      const signedHeaders = /SignedHeaders=([^,]+)/.exec(auth)![1].split(';');
      const date = String(request.headers['x-amz-date']);
      const verifier = new SignatureV4({
        service: 'execute-api',
        region: 'eu-west-1',
        credentials: CREDENTIALS,
        sha256: Sha256,
      });
      const again = await verifier.sign(
        {
          method: request.method,
          protocol: 'http:',
          hostname: url.hostname,
          port: Number(url.port),
          path: url.pathname,
          query: Object.fromEntries(url.searchParams),
          headers: Object.fromEntries(signedHeaders.map((h) => [h, String(request.headers[h])])),
          ...(request.body ? { body: request.body } : {}),
        },
        {
          signingDate: new Date(
            `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
          ),
        },
      );
      expect(again.headers.authorization).toBe(auth);
    }
    expect(received.map((r) => `${r.method} ${r.url}`)).toEqual([
      'POST /prod/go-lives/arn%3Aaws%3Astates%3Aeu-west-1%3A1%3Aexecution%3Am%3Arun-1/votes',
      'GET /prod/go-lives?service=demo&limit=5',
    ]);
  });

  it('names the local actor in x-golive-as and signs nothing on 127.0.0.1', async () => {
    const api = ControlApi.of({ api: base }, 'U_APPROVER_ANA');

    await api.abort('run-1', 'wrong build');

    expect(received[0].headers).toMatchObject({ 'x-golive-as': 'U_APPROVER_ANA', 'content-type': 'application/json' });
    expect(received[0].headers.authorization).toBeUndefined();
    expect(JSON.parse(received[0].body)).toEqual({ reason: 'wrong build' });
  });

  it('tells the region from an API Gateway URL, and refuses plain http off the local host', () => {
    expect(regionOfApiUrl(new URL('https://a1b2c3.execute-api.eu-west-1.amazonaws.com/prod'))).toBe('eu-west-1');
    expect(regionOfApiUrl(new URL('https://golive.example.com/'))).toBeUndefined();
    expect(() => apiTarget('http://golive.example.com')).toThrow('use https');
    expect(apiTarget('http://127.0.0.1:8084')).toMatchObject({ local: true });
  });
});
