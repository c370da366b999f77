import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { GoLiveClient } from '../../lambdas/core/client';
import { startControlServer, type ControlServer } from '../../local/control-server';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { demoConfigFile, FakeCallbacks } from '../support/fake-deps';
import { REPO_ROOT } from '../support/harness';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:golive';

let store: SqliteStore;
let server: ControlServer;

beforeAll(async () => {
  const executions = Array.from({ length: 50 }, (_, i) => ({
    name: `demo-2.0.${i}`,
    executionArn: `arn:aws:states:us-east-1:123456789012:execution:golive:demo-2.0.${i}`,
    stateMachineArn: MACHINE,
    status: 'SUCCEEDED' as const,
    startDate: new Date('2026-11-26T10:00:00.000Z'),
  }));
  sfn.on(ListExecutionsCommand).resolves({ executions });
  sfn.on(DescribeExecutionCommand).resolves({
    input: JSON.stringify({ service: 'demo', version: '2.0.0', requestedBy: 'U_RELEASE_MANAGER' }),
  });
  store = new SqliteStore(':memory:');
  const client = new GoLiveClient({
    config: demoConfigFile(),
    sfn: new SFNClient({ region: 'us-east-1' }),
    stateMachineArn: MACHINE,
    store,
    callbacks: new FakeCallbacks(),
    now: () => new Date(),
  });
  server = await startControlServer({ client, port: 0 });
});
afterAll(async () => {
  await server.close();
  store.close();
});

describe('golive history | head -1', () => {
  it('ends quietly when the reader of its output has gone (EPIPE), with no stack trace', async () => {
    const child = spawn(
      process.execPath,
      [
        join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
        join(REPO_ROOT, 'bin', 'golive.ts'),
        'history',
        '--limit',
        '50',
        '--api',
        server.url,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    // The reader is gone before golive writes its first line, as after `head -1` has its line.
    child.stdout.destroy();
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));

    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));

    expect(err).toBe('');
    expect(code).toBe(0);
  });
});
