import type { Deps } from '../ports';
import type { StepPayload } from '../workflow/definition';
import { isPlanned } from '../workflow/payload';
import { runStep } from './step';

export interface ReleaseResult {
  released: boolean;
  liveVersion?: string;
}

/** ReleaseLock / ReleaseLockAfterRollback: only a lock this execution holds is released. */
export function release(
  deps: Deps,
  event: StepPayload<'ReleaseLock' | 'ReleaseLockAfterRollback'>,
): Promise<ReleaseResult> {
  const succeeded = event.state === 'ReleaseLock';
  return runStep(
    deps,
    event,
    event.state,
    'release',
    async () => {
      const { service, version } = event.request;
      const holder = typeof service === 'string' ? await deps.store.getLock(service) : undefined;
      const ours = holder?.executionId === event.executionId;
      if (succeeded && ours && service && version && isPlanned(event.plan)) {
        const { stableVersion, stableSlot } = event.plan;
        await deps.store.setLiveVersion(service, version, event.plan.candidateSlot, deps.now(), {
          executionId: event.executionId,
          // What golive rollback takes back (the version still deployed in the other slot).
          ...(stableVersion ? { previous: { version: stableVersion, slot: stableSlot } } : {}),
          ...(event.plan.kind === 'undo' ? { byUndo: true } : {}),
        });
      }
      await closeLeftovers(deps, event.executionId, 'error' in event ? event.error.Error : undefined);
      const released = ours && service ? await deps.store.releaseLock(service, event.executionId) : false;
      return {
        result: { released, ...(succeeded && ours ? { liveVersion: version } : {}) },
        summary: released
          ? `lock on ${service} released (${event.outcome})`
          : `lock on ${service} not held by this execution: left as it is`,
        evidence: { released, holder: holder ?? null },
      };
    },
    { checkAbort: succeeded },
  );
}

/** Pending approvals and callback tokens of an ended execution are closed so late clicks get a clear answer. */
export async function closeLeftovers(deps: Deps, executionId: string, errorName?: string): Promise<void> {
  const approval = await deps.store.findApprovalByExecution(executionId);
  if (approval?.status === 'pending') {
    await deps.store.closeApproval(
      approval.approvalId,
      errorName === 'States.Timeout' ? 'expired' : 'aborted',
      deps.now(),
    );
  }
  for (const callback of await deps.store.findCallbacks({ executionId })) {
    await deps.store.deleteCallback(callback.token);
  }
}
