import { isRecord } from '../lambdas/core/json';
import type { Slot, Store, Weights } from '../lambdas/core/ports';
import type { GoLiveRequest, RolloutPlan } from '../lambdas/core/request';

/** What a service's blue/green target serves and how the router splits traffic. */
export interface TargetState {
  versions: Record<Slot, string>;
  weights: Weights;
  /** The go-live that was running (holds the lock), whose candidate and traffic were restored. */
  goLive?: string;
}

/** The steps that set the router's weights, with the weights as evidence. */
const TRAFFIC_STEPS: readonly string[] = ['ShiftTraffic', 'Promote', 'Rollback'];

const other = (slot: Slot): Slot => (slot === 'blue' ? 'green' : 'blue');
const allOn = (slot: Slot): Weights => (slot === 'blue' ? { blue: 100, green: 0 } : { blue: 0, green: 100 });

function isWeights(value: unknown): value is Weights {
  return isRecord(value) && typeof value.blue === 'number' && typeof value.green === 'number';
}

/** The weights the go-live last set (its audit trail), or all on its stable slot when it set none. */
async function lastWeights(store: Store, executionId: string, plan: RolloutPlan): Promise<Weights> {
  const audit = await store.listAudit(executionId);
  const set = audit
    .filter((r) => r.outcome === 'succeeded' && TRAFFIC_STEPS.includes(r.step))
    .map((r) => (isRecord(r.evidence) ? r.evidence.weights : undefined))
    .filter(isWeights);
  const last = set.at(-1);
  return last ? { blue: last.blue, green: last.green } : allOn(plan.stableSlot);
}

/**
 * What the store says a service's target was when the previous runtime stopped: the live version on
 * its slot with all the traffic; and, when a go-live still holds the lock, its candidate version on
 * the candidate slot and the weights it last set, so that its clean-up (the janitor's rollback) acts
 * on the true state. `defaults` fill what the store never recorded (a fresh home).
 */
export async function storedTargetState(
  store: Store,
  service: string,
  defaults: { stableVersion: string; candidateVersion: string },
): Promise<TargetState> {
  const live = await store.getLiveVersion(service);
  const liveSlot = live?.slot ?? 'blue';
  const versions = {
    [liveSlot]: live?.version ?? defaults.stableVersion,
    [other(liveSlot)]: defaults.candidateVersion,
  };
  const state: TargetState = { versions: versions as Record<Slot, string>, weights: allOn(liveSlot) };
  const lock = await store.getLock(service);
  if (!lock) return state;
  const request = await store.getExecutionValue<GoLiveRequest>(lock.executionId, 'request');
  const plan = await store.getExecutionValue<RolloutPlan>(lock.executionId, 'plan');
  if (!request || !plan?.stableSlot) return state; // stopped before it changed anything
  const stableVersion = live?.slot === plan.stableSlot ? live.version : (plan.stableVersion ?? versions[liveSlot]);
  return {
    versions: { [plan.stableSlot]: stableVersion, [plan.candidateSlot]: request.version } as Record<Slot, string>,
    weights: await lastWeights(store, lock.executionId, plan),
    goLive: lock.executionId,
  };
}

/** "blue 3.0.0 (10%) / green 2.5.0 (90%)", for the runtime's log. */
export function describeTarget({ versions, weights }: TargetState): string {
  return (['blue', 'green'] as const).map((slot) => `${slot} ${versions[slot]} (${weights[slot]}%)`).join(' / ');
}
