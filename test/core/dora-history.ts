import type { AuditEntry, Store } from '../../lambdas/core/ports';

/**
 * Go-live trails written through the real audit chain (Store.appendAudit), with fixed times: the
 * records each workflow path leaves, as runStep, requestAbort and the rollback path write them.
 */

export const ARN_PREFIX = 'arn:aws:states:us-east-1:123456789012:execution:golive-go-live:';
export const RM = 'U_RELEASE_MANAGER';

export type Path =
  | 'success'
  | 'refused'
  | 'pre-traffic-failure'
  | 'rollback-after-traffic'
  | 'abort-after-traffic'
  | 'abort-before-traffic'
  | 'rollback-failed'
  | 'running';

export interface GoLiveSpec {
  name: string;
  service: string;
  version: string;
  path: Path;
  start: string;
  /** The last record (ignored for `running`). */
  end?: string;
  kind?: 'undo';
  commitAt?: string;
}

const plus = (iso: string, s: number) => new Date(Date.parse(iso) + s * 1000).toISOString();

export async function writeGoLive(store: Pick<Store, 'appendAudit'>, spec: GoLiveSpec): Promise<string> {
  const executionId = `${ARN_PREFIX}${spec.name}`;
  let tick = 0;
  const write = (step: string, outcome: AuditEntry['outcome'], summary: string, evidence?: unknown, at?: string) =>
    store.appendAudit({
      executionId,
      service: spec.service,
      step,
      action: step.toLowerCase(),
      actor: step === 'Abort' ? RM : 'system',
      outcome,
      summary,
      ...(evidence === undefined ? {} : { evidence }),
      at: at ?? plus(spec.start, tick++),
    });
  const request = {
    service: spec.service,
    version: spec.version,
    strategy: 'canary',
    requestedBy: RM,
    ...(spec.kind ? { kind: spec.kind } : {}),
    ...(spec.commitAt ? { commitAt: spec.commitAt } : {}),
  };
  const plan = { strategy: 'canary', steps: [10], stableSlot: 'blue', candidateSlot: 'green' };
  const end = spec.end ?? spec.start;
  const rollbackPath = async (error: string | undefined, last = 'NotifyRollback') => {
    await write(
      'Rollback',
      'succeeded',
      error ? `traffic 100% back on blue (stable) after ${error}` : 'traffic untouched: this execution changed nothing',
      error ? { weights: { blue: 100, green: 0 }, error: { Error: error, Cause: '…' } } : undefined,
    );
    await write('UnmuteAfterRollback', 'succeeded', 'alerts restored');
    await write('ReleaseLockAfterRollback', 'succeeded', 'lock released');
    await write(last, 'succeeded', 'requester told', undefined, end);
  };

  if (spec.path === 'refused') {
    await write('ValidateAndLock', 'failed', `LockHeld: ${spec.service} is already going live`, { holder: {} });
    await rollbackPath(undefined);
    return executionId;
  }
  await write('ValidateAndLock', 'succeeded', `${spec.service} ${spec.version} (canary)`, { request, plan });
  await write('CheckReadiness', 'succeeded', 'ready');
  await write('MuteAlerts', 'succeeded', 'muted');
  if (spec.path === 'pre-traffic-failure') {
    await write('PreTrafficSmokeTests', 'failed', 'SmokeTestFailed: GET /health answered 500');
    await rollbackPath('SmokeTestFailed');
    return executionId;
  }
  if (spec.path === 'abort-before-traffic') {
    await write('Abort', 'info', `abort requested by ${RM}: wrong version`);
    await write('PreTrafficSmokeTests', 'failed', `GoLiveAborted: aborted by ${RM}: wrong version`);
    await rollbackPath('GoLiveAborted');
    return executionId;
  }
  await write('ShiftTraffic', 'succeeded', `green (${spec.version}) now takes 10% of traffic`, {
    weights: { blue: 90, green: 10 },
  });
  if (spec.path === 'running') return executionId;
  if (spec.path === 'rollback-after-traffic') {
    await write('Bake', 'info', 'alarm demo-5xx went to ALARM');
    await rollbackPath('AlarmTriggered');
  } else if (spec.path === 'abort-after-traffic') {
    await write('Abort', 'info', `abort requested by ${RM}: customers complain`);
    await rollbackPath('GoLiveAborted');
  } else if (spec.path === 'rollback-failed') {
    await write('Bake', 'info', 'alarm payments-5xx went to ALARM');
    await write('Rollback', 'failed', 'TrafficShiftFailed: the router reports blue 90% / green 10%', {
      wanted: { blue: 100, green: 0 },
      readBack: { blue: 90, green: 10 },
    });
    await write('UnmuteAfterFailedRollback', 'succeeded', 'alerts restored');
    await write('NotifyRollbackFailed', 'succeeded', 'ROLLBACK FAILED', undefined, end);
  } else {
    await write('Promote', 'succeeded', `green (${spec.version}) now takes 100% of traffic`, {
      weights: { blue: 0, green: 100 },
    });
    await write('UnmuteAlerts', 'succeeded', 'alerts restored');
    await write(
      'ReleaseLock',
      'succeeded',
      `lock released; ${spec.version} is live`,
      { liveVersion: spec.version },
      plus(end, -1),
    );
    await write('NotifySuccess', 'succeeded', 'requester told', undefined, end);
  }
  return executionId;
}

/** The period the seeded history is measured over: 30 days of March 2026. */
export const SINCE = '2026-03-01T00:00:00.000Z';
export const UNTIL = '2026-03-31T00:00:00.000Z';

/**
 * Two services' go-lives around March 2026. The metrics of [SINCE, UNTIL) are counted by hand in
 * test/core/dora.test.ts.
 */
export const HISTORY: GoLiveSpec[] = [
  // demo
  {
    name: 'd0',
    service: 'demo',
    version: '1.0.0',
    path: 'success',
    start: '2026-02-27T09:30:00.000Z',
    end: '2026-02-27T10:00:00.000Z',
    commitAt: '2026-02-26T10:00:00.000Z',
  },
  {
    name: 'd1',
    service: 'demo',
    version: '1.1.0',
    path: 'success',
    start: '2026-03-02T09:00:00.000Z',
    end: '2026-03-02T09:30:00.000Z',
    commitAt: '2026-03-01T09:30:00.000Z',
  },
  {
    name: 'd2',
    service: 'demo',
    version: '1.2.0',
    path: 'rollback-after-traffic',
    start: '2026-03-05T10:00:00.000Z',
    end: '2026-03-05T10:20:00.000Z',
    commitAt: '2026-03-05T08:00:00.000Z',
  },
  {
    name: 'd3',
    service: 'demo',
    version: '1.2.1',
    path: 'refused',
    start: '2026-03-06T08:00:00.000Z',
    end: '2026-03-06T08:00:05.000Z',
  },
  {
    name: 'd4',
    service: 'demo',
    version: '1.2.2',
    path: 'success',
    start: '2026-03-06T12:00:00.000Z',
    end: '2026-03-06T12:40:00.000Z',
    commitAt: '2026-03-06T10:40:00.000Z',
  },
  {
    name: 'd5',
    service: 'demo',
    version: '1.3.0',
    path: 'success',
    start: '2026-03-10T10:00:00.000Z',
    end: '2026-03-10T10:30:00.000Z',
  },
  {
    name: 'u1',
    service: 'demo',
    version: '1.2.2',
    path: 'success',
    kind: 'undo',
    start: '2026-03-10T15:00:00.000Z',
    end: '2026-03-10T15:10:00.000Z',
  },
  {
    name: 'd6',
    service: 'demo',
    version: '1.4.0',
    path: 'pre-traffic-failure',
    start: '2026-03-12T09:00:00.000Z',
    end: '2026-03-12T09:05:00.000Z',
  },
  {
    name: 'd7',
    service: 'demo',
    version: '1.4.1',
    path: 'abort-after-traffic',
    start: '2026-03-20T09:00:00.000Z',
    end: '2026-03-20T09:15:00.000Z',
  },
  {
    name: 'd8',
    service: 'demo',
    version: '1.4.2',
    path: 'success',
    start: '2026-03-30T22:00:00.000Z',
    end: '2026-03-30T23:00:00.000Z',
    commitAt: '2026-03-30T12:00:00.000Z',
  },
  {
    name: 'd9',
    service: 'demo',
    version: '1.5.0',
    path: 'success',
    start: '2026-03-30T23:30:00.000Z',
    end: '2026-03-31T00:10:00.000Z',
    commitAt: '2026-03-30T20:00:00.000Z',
  },
  // payments
  {
    name: 'p4',
    service: 'payments',
    version: '2.0.1',
    path: 'success',
    start: '2026-02-28T23:30:00.000Z',
    end: '2026-03-01T00:00:00.000Z',
    commitAt: '2026-02-28T23:00:00.000Z',
  },
  {
    name: 'p1',
    service: 'payments',
    version: '2.0.0',
    path: 'success',
    start: '2026-03-03T10:00:00.000Z',
    end: '2026-03-03T11:00:00.000Z',
    commitAt: '2026-03-02T11:00:00.000Z',
  },
  {
    name: 'p2',
    service: 'payments',
    version: '2.1.0',
    path: 'rollback-failed',
    start: '2026-03-15T10:00:00.000Z',
    end: '2026-03-15T10:30:00.000Z',
    commitAt: '2026-03-14T10:00:00.000Z',
  },
  {
    name: 'p3',
    service: 'payments',
    version: '2.2.0',
    path: 'running',
    start: '2026-03-29T10:00:00.000Z',
    commitAt: '2026-03-28T10:00:00.000Z',
  },
];

export async function seedHistory(store: Pick<Store, 'appendAudit'>): Promise<void> {
  for (const spec of HISTORY) await writeGoLive(store, spec);
}
