import { AlarmTriggered } from '../errors';
import type { Deps } from '../ports';
import type { StepPayload } from '../workflow/definition';
import { runStep } from './step';

/**
 * Bake / PostPromotionBake (a callback task). Registers the task token against the watched alarms
 * and returns; the task then waits. The state's timeout means the bake passed; an alarm state
 * change fails it at once (see onAlarmStateChange). An alarm already firing fails it right here.
 */
export function startBake(
  deps: Deps,
  event: StepPayload<'Bake' | 'PostPromotionBake'>,
): Promise<{ watching: string[]; seconds: number }> {
  const post = event.state === 'PostPromotionBake';
  return runStep(deps, event, event.state, 'bake', async () => {
    const alarms = event.plan.alarms;
    await deps.store.putCallback({
      token: event.taskToken,
      executionId: event.executionId,
      service: event.request.service,
      kind: 'bake',
      alarms,
      state: event.state,
      createdAt: deps.now().toISOString(),
    });
    const states = await deps.alerts.describe(alarms);
    const firing = states.filter((a) => a.state === 'ALARM');
    if (firing.length > 0) {
      await deps.store.deleteCallback(event.taskToken);
      throw new AlarmTriggered(`alarm ${firing.map((a) => a.name).join(', ')} already in ALARM when the bake started`, {
        evidence: { alarms: states },
      });
    }
    const seconds = post ? event.plan.postPromotionBakeSeconds : event.plan.bakeSeconds;
    return {
      result: { watching: alarms, seconds },
      summary: `baking ${event.weight}% for ${seconds}s while watching ${alarms.join(', ')}`,
      evidence: { alarms: states, weight: event.weight },
    };
  });
}
