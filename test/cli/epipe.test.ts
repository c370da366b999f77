import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { MOCKED_MACHINE, startMockedControl } from '../support/control';
import { REPO_ROOT } from '../support/harness';

const sfn = mockClient(SFNClient);
const MACHINE = MOCKED_MACHINE;

let control: Awaited<ReturnType<typeof startMockedControl>>;

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
  control = await startMockedControl();
});
afterAll(() => control.close());

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
        control.server.url,
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
