import type { Deps } from '../ports';
import type { GoLiveRequest, RolloutPlan } from '../request';
import { unmuteAlerts } from './alerts';
import { release } from './lock';
import { notify } from './notify';
import { rollbackTraffic } from './traffic';

/**
 * For executions that ended outside the Catch path (ABORTED by StopExecution, TIMED_OUT, or a
 * local runtime that died mid-run): do what the rollback path would have done. That includes
 * deleting the scratch target of a restore stopped before VerifyBackup (rollbackTraffic does it,
 * once: a redelivered event finds it marked deleted).
 */
export async function cleanUpEndedExecution(
  deps: Deps,
  ended: { executionArn: string; status: string; error?: string; cause?: string },
): Promise<{ cleaned: boolean }> {
  if (ended.status !== 'ABORTED' && ended.status !== 'TIMED_OUT') return { cleaned: false };
  const request = await deps.store.getExecutionValue<GoLiveRequest>(ended.executionArn, 'request');
  const plan = await deps.store.getExecutionValue<RolloutPlan>(ended.executionArn, 'plan');
  if (!request || !plan) return { cleaned: false };
  // The rollback path's own payloads, as its Task states would have sent them.
  const event = {
    executionId: ended.executionArn,
    request,
    plan,
    error: {
      Error: ended.status === 'TIMED_OUT' ? 'States.Timeout' : 'ExecutionAborted',
      Cause: ended.cause ?? ended.status,
    },
  };
  await rollbackTraffic(deps, { ...event, state: 'Rollback', action: 'rollback' });
  await unmuteAlerts(deps, { ...event, state: 'UnmuteAfterRollback', action: 'unmute' });
  await release(deps, { ...event, state: 'ReleaseLockAfterRollback', action: 'release', outcome: 'rolled-back' });
  await notify(deps, { ...event, state: 'NotifyRollback', event: 'rolled-back' });
  return { cleaned: true };
}
