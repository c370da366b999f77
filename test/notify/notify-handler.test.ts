import { createHandler } from '../../lambdas/notify';
import { ROLLBACK_FAILED_METRIC } from '../../lambdas/notify/metric';
import { EXECUTION_ID, fakeDeps, stepPayload, type FakeDeps } from '../support/fake-deps';

let f: FakeDeps;
let stdout: string[];

beforeEach(() => {
  f = fakeDeps();
  stdout = [];
  // Powertools Metrics writes EMF through its own Console on process.stdout.
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout.push(chunk.toString());
    return true;
  });
});

afterEach(() => {
  jest.restoreAllMocks();
  f.close();
});

const handler = () => createHandler(async () => f.deps);

/** The EMF documents written to stdout (one JSON object per line, with an `_aws` block). */
function emfLines(): Record<string, unknown>[] {
  return stdout
    .join('')
    .split('\n')
    .filter((line) => line.includes('"_aws"'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function expectRollbackFailedMetric(): void {
  const lines = emfLines();
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatchObject({
    _aws: {
      CloudWatchMetrics: [
        {
          Namespace: 'golive',
          Dimensions: [['service']],
          Metrics: [{ Name: 'RollbackFailed', Unit: 'Count' }],
        },
      ],
    },
    service: 'golive',
    RollbackFailed: 1,
    executionId: EXECUTION_ID,
    goliveService: 'demo',
  });
  expect(ROLLBACK_FAILED_METRIC).toEqual({ namespace: 'golive', metricName: 'RollbackFailed', service: 'golive' });
}

describe('notify handler: the RollbackFailed metric', () => {
  it('emits it for NotifyRollbackFailed, as an EMF line on stdout', async () => {
    await handler()(stepPayload('NotifyRollbackFailed'));

    expect(f.notifier.of('rollback-failed')).toHaveLength(1);
    expectRollbackFailedMetric();
  });

  it('emits it even when the step throws (Slack down, store unwritable)', async () => {
    f.notifier.fails = new Error('Slack is down');
    jest.spyOn(f.store, 'appendAudit').mockRejectedValue(new Error('store unwritable'));

    await expect(handler()(stepPayload('NotifyRollbackFailed'))).rejects.toThrow();

    expectRollbackFailedMetric();
  });

  it.each(['NotifyRollback', 'NotifySuccess'] as const)('emits no metric for %s', async (state) => {
    await handler()(stepPayload(state));

    expect(emfLines()).toEqual([]);
  });
});
