import { GoLiveError, TrafficShiftFailed } from '../errors';
import { isRecord } from '../json';
import type { Deps, Weights } from '../ports';
import { deleteAbandonedScratch, type ScratchCleanup } from './backup';
import type { RolloutPlan } from '../request';
import type { StepPayload } from '../workflow/definition';
import { isPlanned } from '../workflow/payload';
import { analysisSummary, judgeWindow } from './analysis';
import { verifyBreakGlass } from './break-glass';
import { verifySignOff } from './sign-off-check';
import { runStep, type StepOutcome } from './step';

export interface TrafficResult {
  weight: number;
  weights: Weights;
}

function targetWeights(plan: Pick<RolloutPlan, 'stableSlot' | 'candidateSlot'>, candidateWeight: number): Weights {
  const weights: Weights = { blue: 0, green: 0 };
  weights[plan.candidateSlot] = candidateWeight;
  weights[plan.stableSlot] = 100 - candidateWeight;
  return weights;
}

async function applyAndVerify(deps: Deps, service: string, wanted: Weights): Promise<Weights> {
  const readBack = await deps.traffic.setWeights(service, wanted);
  if (readBack.blue !== wanted.blue || readBack.green !== wanted.green) {
    throw new TrafficShiftFailed(
      `asked for blue ${wanted.blue}% / green ${wanted.green}% but the router reports blue ${readBack.blue}% / green ${readBack.green}%`,
      { evidence: { wanted, readBack } },
    );
  }
  return readBack;
}

/**
 * ShiftTraffic (a canary step) and Promote (100%). Any of them that comes after the sign-off first
 * proves from the store that the sign-off was really decided (verifySignOff).
 */
export function shiftTraffic(deps: Deps, event: StepPayload<'ShiftTraffic' | 'Promote'>): Promise<TrafficResult> {
  const weight = event.state === 'Promote' ? 100 : event.weight;
  // An undo whose policy needs no sign-off (controls.undoSignOff: none) is checked against today's config there.
  const afterSignOff = event.state === 'Promote' || event.plan.signOff === 'before-traffic';
  return runStep(deps, event, event.state, event.action, async () => {
    await verifyBreakGlass(deps, event.executionId, event.request, event.plan);
    const signOff = afterSignOff ? await verifySignOff(deps, event.executionId, event.request) : undefined;
    // While the approvers decided, canary traffic ran with no bake: judged like one before promoting.
    const signOffWait =
      event.state === 'Promote' && signOff && event.plan.signOff === 'before-promotion' && event.plan.stepCount > 0
        ? await judgeWindow(deps, event, {
            from: new Date(signOff.openedAt),
            to: deps.now(),
            weight: event.plan.steps[event.plan.steps.length - 1],
            what: 'the canary during the sign-off wait',
          })
        : undefined;
    // A bake that passed by timeout leaves its token behind; it must not be failed by a later alarm.
    for (const cb of await deps.store.findCallbacks({ executionId: event.executionId, kind: 'bake' })) {
      await deps.store.deleteCallback(cb.token);
    }
    const weights = await applyAndVerify(deps, event.request.service, targetWeights(event.plan, weight));
    return {
      result: { weight, weights },
      summary:
        `${event.plan.candidateSlot} (${event.request.version}) now takes ${weight}% of traffic` +
        (signOffWait ? `; ${analysisSummary('the canary during the sign-off wait', signOffWait)}` : ''),
      evidence: { weights, ...(signOff ? { signOff } : {}), ...(signOffWait ? { signOffWait } : {}) },
    };
  });
}

export interface RollbackResult {
  skipped: boolean;
  reason?: string;
  weights?: Weights;
  /** Present when a restore's scratch target was still there. */
  scratch?: ScratchCleanup;
}

async function restoreStableTraffic(deps: Deps, event: StepPayload<'Rollback'>): Promise<StepOutcome<RollbackResult>> {
  const { service } = event.request;
  const { plan } = event;
  const holder = service ? await deps.store.getLock(service) : undefined;
  if (!service || !holder || holder.executionId !== event.executionId || !isPlanned(plan)) {
    const reason = 'this execution changed nothing (it does not hold the lock)';
    return { result: { skipped: true, reason }, summary: `traffic untouched: ${reason}` };
  }
  const weights = await applyAndVerify(deps, service, targetWeights(plan, 0));
  return {
    result: { skipped: false, weights },
    summary: `traffic 100% back on ${plan.stableSlot} (stable) after ${event.error.Error}`,
    evidence: { weights, error: event.error },
  };
}

const scratchSummary = (scratch: ScratchCleanup) => `abandoned restore into ${scratch.restoredTo}: ${scratch.detail}`;

/**
 * The traffic failure is what a failed rollback reports, under its own name (the ASL retries and
 * catches on it); what became of the scratch target is added to its message and evidence.
 */
function withScratch(err: unknown, scratch: ScratchCleanup): Error {
  const error = err instanceof Error ? err : new Error(String(err));
  const evidence = error instanceof GoLiveError ? error.evidence : undefined;
  return new GoLiveError(error.name, `${error.message}; ${scratchSummary(scratch)}`, {
    cause: error,
    evidence: { ...(isRecord(evidence) ? evidence : {}), scratch },
  });
}

/**
 * Rollback: 100% back on the stable slot, read back to prove it; only if this execution holds the
 * lock. Then the scratch target of a restore this execution left behind is deleted (the go-live
 * failed or was stopped before VerifyBackup deleted it): its outcome, deleted or not, is part of
 * the step's record, and never a reason for the rollback to fail.
 */
export function rollbackTraffic(deps: Deps, event: StepPayload<'Rollback'>): Promise<RollbackResult> {
  return runStep<RollbackResult>(
    deps,
    event,
    event.state,
    event.action,
    async () => {
      let traffic: StepOutcome<RollbackResult>;
      try {
        traffic = await restoreStableTraffic(deps, event);
      } catch (err) {
        const scratch = await deleteAbandonedScratch(deps, event.executionId, 'Rollback');
        throw scratch ? withScratch(err, scratch) : err;
      }
      // After the traffic, which matters more and must not wait for the restore's API calls.
      const scratch = await deleteAbandonedScratch(deps, event.executionId, 'Rollback');
      if (!scratch) return traffic;
      return {
        result: { ...traffic.result, scratch },
        summary: `${traffic.summary}; ${scratchSummary(scratch)}`,
        evidence: { ...(isRecord(traffic.evidence) ? traffic.evidence : {}), scratch },
      };
    },
    { checkAbort: false },
  );
}
