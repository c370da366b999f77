import type { Deps, ProgressEvent } from '../../lambdas/core/ports';
import { PROGRESS_BUDGET_MS, runStep } from '../../lambdas/core/steps/step';
import { SqliteStore } from '../../local/providers/sqlite-store';

const executionId = 'arn:aws:states:eu-west-1:1:execution:golive-go-live:run-1';

afterEach(() => jest.useRealTimers());

it('does not wait past its budget for a status card update Slack never answers', async () => {
  jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
  const store = new SqliteStore(':memory:');
  const asked: ProgressEvent['state'][] = [];
  const deps = {
    store,
    now: () => new Date('2026-11-26T10:00:00Z'),
    notifier: {
      notify: async () => ({ delivered: true }),
      // Slack hangs: the update neither succeeds nor fails.
      progress: (event: ProgressEvent) => (asked.push(event.state), new Promise<void>(() => undefined)),
    },
  } as unknown as Deps;
  let done = false;

  const step = runStep(deps, { executionId, request: { service: 'orders' } }, 'MuteAlerts', 'mute', async () => ({
    result: 'muted',
    summary: 'muted 2 alarms',
  })).then((r) => ((done = true), r));

  await jest.advanceTimersByTimeAsync(PROGRESS_BUDGET_MS - 1);
  expect([done, asked]).toEqual([false, ['started']]);
  // Budget spent: the step does its work, is audited, and asks for the second update.
  await jest.advanceTimersByTimeAsync(1);
  expect([done, asked]).toEqual([false, ['started', 'succeeded']]);
  // Which gets its budget too; then the step returns.
  await jest.advanceTimersByTimeAsync(PROGRESS_BUDGET_MS);
  expect(done).toBe(true);
  expect(await step).toBe('muted');
  expect((await store.listAudit(executionId)).map((r) => `${r.step}:${r.outcome}`)).toEqual(['MuteAlerts:succeeded']);
});
