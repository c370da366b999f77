import { isRecord } from '../json';
import type { Deps } from '../ports';

/** The EventBridge "CloudWatch Alarm State Change" event, as much of it as golive reads. */
export interface AlarmStateChange {
  'detail-type': 'CloudWatch Alarm State Change';
  time: string;
  detail: {
    alarmName: string;
    state: { value: string; reason: string; timestamp?: string; [key: string]: unknown };
    previousState?: { value: string; [key: string]: unknown };
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

/** Checked by hand (no schema library in the function bundles); names what is wrong. */
export function parseAlarmStateChange(event: unknown): AlarmStateChange {
  const bad = (what: string) => new Error(`not a CloudWatch Alarm State Change event: ${what}`);
  if (!isRecord(event) || event['detail-type'] !== 'CloudWatch Alarm State Change') throw bad('detail-type');
  if (typeof event.time !== 'string') throw bad('time');
  const detail = event.detail;
  if (!isRecord(detail) || typeof detail.alarmName !== 'string') throw bad('detail.alarmName');
  const state = detail.state;
  if (!isRecord(state) || typeof state.value !== 'string') throw bad('detail.state.value');
  if (
    detail.previousState !== undefined &&
    (!isRecord(detail.previousState) || typeof detail.previousState.value !== 'string')
  ) {
    throw bad('detail.previousState.value');
  }
  return {
    ...event,
    'detail-type': 'CloudWatch Alarm State Change',
    time: event.time,
    detail: {
      ...detail,
      alarmName: detail.alarmName,
      state: { ...state, value: state.value, reason: typeof state.reason === 'string' ? state.reason : '' },
      ...(detail.previousState ? { previousState: detail.previousState as { value: string } } : {}),
    },
  };
}

/**
 * An alarm went to ALARM: every task watching it — a bake, or a sign-off waiting while traffic is
 * already on the candidate — fails at once with AlarmTriggered (SendTaskFailure), which sends its
 * execution down the rollback path. No polling involved.
 */
export async function onAlarmStateChange(deps: Deps, event: AlarmStateChange): Promise<{ failedBakes: string[] }> {
  const { alarmName, state } = event.detail;
  if (state.value !== 'ALARM') return { failedBakes: [] };
  const failedBakes: string[] = [];
  for (const watch of await deps.store.findCallbacks({ alarmName })) {
    const cause = `alarm ${alarmName} went to ALARM at ${state.timestamp ?? event.time}: ${state.reason}`;
    const { closed } = await deps.callbacks.fail(watch.token, 'AlarmTriggered', cause);
    await deps.store.deleteCallback(watch.token);
    if (closed) continue; // the bake had already passed, the sign-off was decided: nothing to stop
    // The alarm, not a vote or the clock, ended this sign-off: a late click must hear so, and the
    // record must not read "expired" later.
    if (watch.approvalId) await deps.store.closeApproval(watch.approvalId, 'aborted', deps.now());
    failedBakes.push(watch.executionId);
    await deps.store.appendAudit({
      executionId: watch.executionId,
      service: watch.service,
      step: watch.state ?? (watch.kind === 'bake' ? 'Bake' : 'SignOff'),
      action: 'alarm',
      actor: `alarm:${alarmName}`,
      verifiedBy: 'system',
      outcome: 'info',
      summary: cause,
      evidence: { alarm: event.detail },
      at: deps.now().toISOString(),
    });
  }
  return { failedBakes };
}
