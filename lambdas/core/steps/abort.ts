import type { Deps } from '../ports';
import type { ActorVerification } from '../roles';

/**
 * A release manager aborts a running go-live: it rolls back like any failure. A waiting task
 * (bake or sign-off) is failed at once with GoLiveAborted; otherwise the next step refuses to run.
 */
export async function requestAbort(
  deps: Pick<Deps, 'store' | 'callbacks' | 'now'>,
  executionId: string,
  by: string,
  reason: string,
  identity: { verifiedBy?: ActorVerification; name?: string } = {},
): Promise<{ signalledTasks: number }> {
  await deps.store.putExecutionValue(executionId, 'abort', { by, reason, at: deps.now().toISOString() });
  const request = await deps.store.getExecutionValue<{ service: string }>(executionId, 'request');
  await deps.store.appendAudit({
    executionId,
    service: request?.service ?? 'unknown',
    step: 'Abort',
    action: 'abort',
    actor: by,
    ...(identity.verifiedBy ? { verifiedBy: identity.verifiedBy } : {}),
    ...(identity.name ? { actorName: identity.name } : {}),
    outcome: 'info',
    summary: `abort requested by ${by}: ${reason}`,
    at: deps.now().toISOString(),
  });
  let signalledTasks = 0;
  for (const callback of await deps.store.findCallbacks({ executionId })) {
    const { closed } = await deps.callbacks.fail(callback.token, 'GoLiveAborted', `aborted by ${by}: ${reason}`);
    await deps.store.deleteCallback(callback.token);
    if (callback.approvalId) await deps.store.closeApproval(callback.approvalId, 'aborted', deps.now());
    if (!closed) signalledTasks++;
  }
  return { signalledTasks };
}
