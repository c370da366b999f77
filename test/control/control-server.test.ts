import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { GoLiveClient } from '../../lambdas/core/client';
import {
  controlRecordFile,
  readControlRecord,
  startControlServer,
  type ControlServer,
} from '../../local/control-server';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { demoConfigFile, FakeCallbacks, NOW } from '../support/fake-deps';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:golive-go-live';

let home: string;
let store: SqliteStore;
let server: ControlServer;

beforeEach(async () => {
  sfn.reset();
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(StartExecutionCommand).callsFake(({ name }: { name: string }) => ({
    executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:${name}`,
  }));
  home = mkdtempSync(join(tmpdir(), 'golive-control-'));
  store = new SqliteStore(':memory:');
  const client = new GoLiveClient({
    config: demoConfigFile(),
    sfn: new SFNClient({ region: 'us-east-1' }),
    stateMachineArn: MACHINE,
    store,
    callbacks: new FakeCallbacks(),
    now: () => NOW,
  });
  server = await startControlServer({ client, port: 0, home });
});
afterEach(async () => {
  await server.close();
  store.close();
  rmSync(home, { recursive: true, force: true });
});

/** A raw HTTP request, with exactly the headers given (fetch would add its own). */
function send(
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: { code?: string; message?: string } & Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${server.url}${path}`, { method, headers }, (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as never }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const START = JSON.stringify({ service: 'demo', version: '2.0.0' });
const json = { 'content-type': 'application/json', 'x-golive-as': 'U_RELEASE_MANAGER' };

describe('local control server', () => {
  it('starts a go-live as the --as user, recorded as local (unverified)', async () => {
    const started = await send('POST', '/go-lives', json, START);

    expect(started.status).toBe(201);
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!) as object;
    expect(input).toMatchObject({ requestedBy: 'U_RELEASE_MANAGER', verifiedBy: 'local' });
  });

  it.each([
    ['an Origin header (a web page)', { ...json, origin: 'https://evil.example' }, 403, 'not web pages'],
    ['a form-encoded POST', { ...json, 'content-type': 'text/plain' }, 415, 'application/json'],
    ['another Host (DNS rebinding)', { ...json, host: 'evil.example:80' }, 403, 'answers on 127.0.0.1'],
  ])('refuses %s before doing anything', async (_what, headers, status, message) => {
    const refused = await send('POST', '/go-lives', headers, START);

    expect(refused.status).toBe(status);
    expect(refused.body.message).toContain(message);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('refuses an acting request that names nobody, and an --as that is not a user id', async () => {
    const nobody = await send('POST', '/go-lives', { 'content-type': 'application/json' }, START);
    const odd = await send('POST', '/go-lives', { ...json, 'x-golive-as': 'U 1; drop' }, START);

    expect(nobody).toMatchObject({
      status: 400,
      body: { code: 'InvalidRequest', message: expect.stringContaining('--as') },
    });
    expect(odd).toMatchObject({
      status: 400,
      body: { code: 'InvalidRequest', message: expect.stringContaining('is not a user id') },
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('serves reads without --as', async () => {
    const listed = await send('GET', '/go-lives?limit=5', {});

    expect(listed).toEqual({ status: 200, body: { goLives: [] } });
  });

  it('records its URL in the state directory for the CLI, and removes it when it stops', async () => {
    expect(readControlRecord(home)).toEqual({ url: server.url, pid: process.pid });

    await server.close();

    expect(existsSync(controlRecordFile(home))).toBe(false);
  });
});
