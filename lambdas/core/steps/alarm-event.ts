import { z } from 'zod';
import type { Deps } from '../ports';

/** The EventBridge "CloudWatch Alarm State Change" event, as much of it as golive reads. */
export const alarmStateChangeSchema = z
  .object({
    'detail-type': z.literal('CloudWatch Alarm State Change'),
    time: z.string(),
    detail: z
      .object({
        alarmName: z.string(),
        state: z
          .object({ value: z.string(), reason: z.string().default(''), timestamp: z.string().optional() })
          .passthrough(),
        previousState: z.object({ value: z.string() }).passthrough().optional(),
      })
      .passthrough(),
  })
  .passthrough();
export type AlarmStateChange = z.infer<typeof alarmStateChangeSchema>;

/**
 * An alarm went to ALARM: every bake watching it fails at once with AlarmTriggered
 * (SendTaskFailure), which sends its execution down the rollback path. No polling involved.
 */
export async function onAlarmStateChange(deps: Deps, event: AlarmStateChange): Promise<{ failedBakes: string[] }> {
  const { alarmName, state } = event.detail;
  if (state.value !== 'ALARM') return { failedBakes: [] };
  const failedBakes: string[] = [];
  for (const bake of await deps.store.findCallbacks({ alarmName, kind: 'bake' })) {
    const cause = `alarm ${alarmName} went to ALARM at ${state.timestamp ?? event.time}: ${state.reason}`;
    const { closed } = await deps.callbacks.fail(bake.token, 'AlarmTriggered', cause);
    await deps.store.deleteCallback(bake.token);
    if (closed) continue; // the bake had already passed: nothing to stop
    failedBakes.push(bake.executionId);
    await deps.store.appendAudit({
      executionId: bake.executionId,
      service: bake.service,
      step: 'Bake',
      action: 'alarm',
      actor: `alarm:${alarmName}`,
      outcome: 'info',
      summary: cause,
      evidence: { alarm: event.detail },
      at: deps.now().toISOString(),
    });
  }
  return { failedBakes };
}
