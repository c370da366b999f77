import { SFNClient } from '@aws-sdk/client-sfn';
import { GoLiveClient } from '../../lambdas/core/client';
import { parseConfig } from '../../lambdas/core/config';
import { slackAppContext } from '../../lambdas/slack/context';
import { golive } from '../../lambdas/slack/listeners/commands/golive';
import type { CommandArgs } from '../../lambdas/slack/listeners/types';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { APPROVER, testConfig } from '../support/harness';
import { ARN_PREFIX, HISTORY, UNTIL, seedHistory, type Path } from '../core/dora-history';

const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:golive-go-live';

/** What Step Functions says of each seeded go-live (status, error), as GoLiveClient reads it. */
const ENDING: Record<Path, { status: string; error?: string }> = {
  success: { status: 'SUCCEEDED' },
  refused: { status: 'FAILED', error: 'LockHeld' },
  'pre-traffic-failure': { status: 'FAILED', error: 'SmokeTestFailed' },
  'rollback-after-traffic': { status: 'FAILED', error: 'AlarmTriggered' },
  'abort-after-traffic': { status: 'FAILED', error: 'GoLiveAborted' },
  'abort-before-traffic': { status: 'FAILED', error: 'GoLiveAborted' },
  'rollback-failed': { status: 'FAILED', error: 'RollbackFailed' },
  running: { status: 'RUNNING' },
};

/**
 * The seeded history behind a real GoLiveClient over a fake Step Functions (newest first, as
 * ListExecutions answers), the store a real SQLite audit chain; the clock at the end of March.
 */
async function fakes() {
  const store = new SqliteStore(':memory:');
  await seedHistory(store);
  const executions = [...HISTORY]
    .sort((a, b) => b.start.localeCompare(a.start))
    .map((s) => ({
      name: s.name,
      executionArn: `${ARN_PREFIX}${s.name}`,
      stateMachineArn: MACHINE,
      status: ENDING[s.path].status,
      startDate: new Date(s.start),
      ...(s.end && s.path !== 'running' ? { stopDate: new Date(s.end) } : {}),
      ...(ENDING[s.path].error ? { error: ENDING[s.path].error } : {}),
      input: JSON.stringify({ service: s.service, version: s.version, requestedBy: 'U_RM' }),
    }));
  const calls: string[] = [];
  const sfn = new SFNClient({ region: 'us-east-1' });
  sfn.send = ((command: { constructor: { name: string }; input: { executionArn?: string } }) => {
    calls.push(command.constructor.name);
    if (command.constructor.name === 'ListExecutionsCommand') return Promise.resolve({ executions });
    if (command.constructor.name === 'DescribeExecutionCommand')
      return Promise.resolve(executions.find((e) => e.executionArn === command.input.executionArn));
    return Promise.reject(new Error(`unexpected ${command.constructor.name}`));
  }) as unknown as SFNClient['send'];
  const base = testConfig();
  const config = parseConfig({ ...base, services: { ...base.services, payments: base.services.demo } });
  const client = new GoLiveClient({
    config,
    sfn,
    stateMachineArn: MACHINE,
    store,
    callbacks: { succeed: jest.fn(), fail: jest.fn() },
    now: () => new Date(UNTIL),
  });
  const ctx = slackAppContext(client, store, () => new Date(UNTIL));
  const ack = jest.fn((..._args: unknown[]) => {
    calls.push('ack');
    return Promise.resolve();
  });
  const respond = jest.fn((..._args: unknown[]) => {
    calls.push('respond');
    return Promise.resolve();
  });
  const command = (text: string) =>
    ({
      ack,
      respond,
      client: {},
      command: { user_id: APPROVER, text, trigger_id: 't', channel_id: 'C0RELEASES' },
    }) as unknown as CommandArgs;
  return { ctx, ack, respond, calls, store, command };
}

describe('/golive metrics', () => {
  it('answers privately with the four numbers of each service over the last 30 days', async () => {
    const f = await fakes();

    await golive(f.ctx)(f.command('metrics'));

    f.store.close();
    expect(f.calls[0]).toBe('ack');
    expect(f.ack).toHaveBeenCalledWith();
    expect(f.respond).toHaveBeenCalledTimes(1);
    const reply = f.respond.mock.calls[0][0] as { response_type: string; text: string };
    expect(reply.response_type).toBe('ephemeral');
    // The same numbers as test/core/dora.test.ts counts by hand for [03-01, 03-31).
    expect(reply.text).toBe(
      [
        '*DORA metrics, last 30 days* (go-lives ended since 2026-03-01)',
        [
          '*demo*',
          '• deployment frequency: 4 (0.13/day, 0.93/week), 1 undo(s)',
          '• change failure rate: 50% (3 of 6)',
          '• time to restore: median 1d 2h (3 restored)',
          '• lead time: median 11h, p90 1d (3), 1 without commit time',
        ].join('\n'),
        [
          '*payments*',
          '• deployment frequency: 2 (0.07/day, 0.47/week)',
          '• change failure rate: 33% (1 of 3)',
          '• time to restore: n/a, 1 open',
          '• lead time: median 12h 30m, p90 1d (2)',
        ].join('\n'),
      ].join('\n\n'),
    );
  });

  it('answers one service when named', async () => {
    const f = await fakes();

    await golive(f.ctx)(f.command('metrics payments'));

    f.store.close();
    const { text } = f.respond.mock.calls[0][0] as { text: string };
    expect(text).toContain('*payments*\n• deployment frequency: 2');
    expect(text).not.toContain('*demo*');
  });

  it('refuses an unknown service within the answer, naming the known ones, and reads nothing', async () => {
    const f = await fakes();

    await golive(f.ctx)(f.command('metrics <!channel>'));

    f.store.close();
    const answer = f.ack.mock.calls[0][0] as { response_type: string; text: string };
    expect(answer.response_type).toBe('ephemeral');
    expect(answer.text).toContain('unknown service "&lt;!channel&gt;": use one of demo, payments');
    expect(f.respond).not.toHaveBeenCalled();
    expect(f.calls).toEqual(['ack']);
  });
});
