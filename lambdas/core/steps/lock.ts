import { InvalidRequest, LockHeld, Unauthorized } from '../errors';
import { hasRole, rolesFor } from '../roles';
import { isRecord } from '../json';
import type { Deps, LockRecord, Slot } from '../ports';
import { executionName, planRollout, validateRequest, type GoLiveRequest, type RolloutPlan } from '../request';
import type { StepPayload } from '../workflow/definition';
import { isPlanned } from '../workflow/payload';
import { runStep } from './step';

/** Where the client (control API, Slack) records who starts an execution, before StartExecution. */
export const START_RECORD = 'start';
export interface StartRecord {
  requestedBy: string;
  verifiedBy: 'slack' | 'iam' | 'local';
  at: string;
}

/**
 * The request with the requester golive verified: the start record's, never the input's claim.
 * Without a record (a raw StartExecution): refused where starts must be recorded (AWS), else the
 * input's requester is kept but recorded as unverified (`local`), whatever the input claims.
 */
async function verifiedRequester(deps: Deps, executionId: string, request: GoLiveRequest): Promise<GoLiveRequest> {
  const record = await deps.store.getExecutionValue<StartRecord>(executionId, START_RECORD);
  if (record) return { ...request, requestedBy: record.requestedBy, verifiedBy: record.verifiedBy };
  if (deps.requireStartRecord) {
    throw new Unauthorized(
      `${executionName(executionId)} was started outside golive (no start record: a raw StartExecution); ` +
        'start go-lives through Slack or the control API (golive start), which verify who starts them',
      { evidence: { claimed: { requestedBy: request.requestedBy, verifiedBy: request.verifiedBy } } },
    );
  }
  return { ...request, verifiedBy: 'local' };
}

export interface AcquireResult {
  request: GoLiveRequest;
  plan: RolloutPlan;
  lock: LockRecord;
}

/** ValidateAndLock: validate, find the stable slot, plan the rollout, take the service lock. */
export function acquire(deps: Deps, event: StepPayload<'ValidateAndLock'>): Promise<AcquireResult> {
  return runStep(
    deps,
    { executionId: event.executionId, request: isRecord(event.request) ? event.request : {} },
    event.state,
    'acquire',
    async () => {
      const request = await verifiedRequester(deps, event.executionId, validateRequest(event.request, deps.config));
      // Nothing is touched for someone who may not start this service's go-lives, whatever path started it.
      if (!hasRole(deps.config, request.service, 'releaseManagers', request.requestedBy)) {
        const { releaseManagers } = rolesFor(deps.config, request.service);
        throw new Unauthorized(
          `${request.requestedBy} is not a release manager of ${request.service} (release managers: ${releaseManagers.join(', ')}): ` +
            `add them to services.${request.service}.roles.releaseManagers or slack.releaseManagers in golive.config.yaml`,
          { evidence: { requestedBy: request.requestedBy, verifiedBy: request.verifiedBy, releaseManagers } },
        );
      }
      const service = deps.config.services[request.service];
      const weights = await deps.traffic.readWeights(request.service);
      const stableSlot: Slot = weights.green === 100 ? 'green' : 'blue';
      const candidateSlot: Slot = stableSlot === 'blue' ? 'green' : 'blue';
      const live = await deps.store.getLiveVersion(request.service);
      const plan = planRollout(request, service, deps.config, {
        stableSlot,
        candidateSlot,
        ...(live ? { stableVersion: live.version } : {}),
      });
      await refuseBlindBakes(deps, plan);
      const now = deps.now();
      const lock: LockRecord = {
        service: request.service,
        executionId: event.executionId,
        version: request.version,
        requestedBy: request.requestedBy,
        acquiredAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + plan.maxRunSeconds * 1000).toISOString(),
      };
      const taken = await deps.store.acquireLock(lock, now);
      if (!taken.acquired) {
        throw new LockHeld(
          `${request.service} is already going live: ${executionName(taken.holder.executionId)} (version ${taken.holder.version}, ` +
            `by ${taken.holder.requestedBy}, since ${taken.holder.acquiredAt}). Wait for it to finish or abort it.`,
          { evidence: { holder: taken.holder } },
        );
      }
      if (weights[stableSlot] !== 100) {
        // Split traffic with no go-live holding the lock: someone changed it by hand or a run died.
        await deps.store.releaseLock(request.service, event.executionId);
        throw new InvalidRequest(
          `traffic of ${request.service} is split (blue ${weights.blue}% / green ${weights.green}%) outside any go-live: ` +
            'put 100% on the version that should be live, then start again',
          { evidence: { weights } },
        );
      }
      const candidate = await deps.traffic.prepareCandidate(request.service, candidateSlot, request.version);
      await deps.store.putExecutionValue(event.executionId, 'request', request);
      await deps.store.putExecutionValue(event.executionId, 'plan', plan);
      return {
        result: { request, plan, lock },
        summary: `${request.service} ${request.version} (${request.strategy}) requested by ${request.requestedBy}; lock taken; stable ${stableSlot}, candidate ${candidateSlot}`,
        evidence: { request, plan, weights, candidate },
      };
    },
  );
}

/**
 * A bake shorter than a watched alarm's evaluation window ends ("bake passed") before the alarm
 * could go to ALARM: it would pass blind. Refused before anything changes, naming the alarm and the
 * minimum. Local alarms decide on every request and carry no window.
 */
async function refuseBlindBakes(deps: Deps, plan: RolloutPlan): Promise<void> {
  if (plan.bakeSeconds === 0) return;
  const slowest = (await deps.alerts.describe(plan.alarms))
    .filter((a) => a.evaluationSeconds !== undefined)
    .sort((a, b) => b.evaluationSeconds! - a.evaluationSeconds!)[0];
  if (slowest && plan.bakeSeconds < slowest.evaluationSeconds!) {
    throw new InvalidRequest(
      `strategy.bakeSeconds is ${plan.bakeSeconds} s but alarm ${slowest.name} needs ${slowest.evaluationSeconds} s ` +
        '(period × datapoints to alarm) to go to ALARM: each bake would pass before it could fire. ' +
        `Set services.<name>.strategy.bakeSeconds to at least ${slowest.evaluationSeconds}`,
      { evidence: { bakeSeconds: plan.bakeSeconds, alarm: slowest } },
    );
  }
}

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
        await deps.store.setLiveVersion(service, version, event.plan.candidateSlot, deps.now());
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
