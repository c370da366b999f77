import { FreezeWindow, InvalidRequest, LockHeld, Unauthorized } from '../errors';
import { activeFreezes, freezeMessage, type FreezeOccurrence } from '../freeze';
import { hasRole, rolesFor } from '../roles';
import { isRecord } from '../json';
import type { Deps, LiveVersion, LockRecord, Slot } from '../ports';
import { executionName, planRollout, validateRequest, type GoLiveRequest, type RolloutPlan } from '../request';
import type { StepPayload } from '../workflow/definition';
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
      const now = deps.now();
      const live = await deps.store.getLiveVersion(request.service);
      if (request.kind === 'undo') refuseStaleUndo(request, live);
      // Refused before the lock is taken: inside a freeze nothing is touched without break-glass.
      // An undo goes back to what was live before, the way out of a bad release: allowed, and recorded.
      const freeze = activeFreezes(deps.config.freezes, request.service, now)[0];
      if (freeze && request.kind === 'undo' && live?.byUndo) refuseRedoInFreeze(request, live, freeze, now);
      if (freeze && !request.breakGlass && request.kind !== 'undo') {
        throw new FreezeWindow(
          `${request.service} ${request.version} refused: ${freezeMessage(freeze, now)}. ` +
            'Wait for it to end, or go live with --break-glass --reason "…" and the emergency role\'s approval',
          { evidence: { freeze } },
        );
      }
      const weights = await deps.traffic.readWeights(request.service);
      const stableSlot: Slot = weights.green === 100 ? 'green' : 'blue';
      const candidateSlot: Slot = stableSlot === 'blue' ? 'green' : 'blue';
      const plan = planRollout(
        request,
        service,
        deps.config,
        { stableSlot, candidateSlot, ...(live ? { stableVersion: live.version } : {}) },
        { breakGlass: freeze !== undefined && request.breakGlass !== undefined && request.kind !== 'undo' },
      );
      await refuseBlindBakes(deps, plan);
      const lock = lockRecord(event.executionId, request, plan, now);
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
      // A break-glass go-live deploys nothing before the emergency role approved it (CheckReadiness does, then).
      const candidate =
        plan.breakGlass === 'required'
          ? { deferred: 'until the break-glass is approved' }
          : await deps.traffic.prepareCandidate(request.service, candidateSlot, request.version);
      // A break-glass is what a freeze makes it: asked outside one (or for an undo), the go-live is an
      // ordinary one, and its request says so to everything that reads it (audit filters, DORA, report).
      const { breakGlass: asked, ...ordinary } = request;
      const kept: GoLiveRequest = plan.breakGlass === 'required' ? request : ordinary;
      await deps.store.putExecutionValue(event.executionId, 'request', kept);
      await deps.store.putExecutionValue(event.executionId, 'plan', plan);
      const flags = [
        request.kind === 'undo' ? `undo of ${live?.version}` : '',
        plan.breakGlass === 'required' ? `BREAK-GLASS inside ${freeze?.name}: ${request.breakGlass?.reason}` : '',
        freeze && request.kind === 'undo' ? `inside change freeze ${freeze.name} (an undo is allowed)` : '',
        asked && plan.breakGlass !== 'required' ? 'break-glass asked but not needed here: an ordinary go-live' : '',
      ].filter(Boolean);
      return {
        result: { request: kept, plan, lock },
        summary:
          `${request.service} ${request.version} (${plan.strategy}) requested by ${request.requestedBy}; lock taken; stable ${stableSlot}, candidate ${candidateSlot}` +
          (flags.length ? `; ${flags.join('; ')}` : ''),
        evidence: {
          request: kept,
          plan,
          weights,
          candidate,
          ...(freeze ? { freeze } : {}),
          ...(asked && kept === ordinary ? { breakGlassNotNeeded: asked } : {}),
        },
      };
    },
  );
}

/** The service lock a go-live takes: it expires after the go-live's worst-case run time. */
export function lockRecord(
  executionId: string,
  request: Pick<GoLiveRequest, 'service' | 'version' | 'requestedBy'>,
  plan: Pick<RolloutPlan, 'maxRunSeconds'>,
  now: Date,
): LockRecord {
  return {
    service: request.service,
    executionId,
    version: request.version,
    requestedBy: request.requestedBy,
    acquiredAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + plan.maxRunSeconds * 1000).toISOString(),
  };
}

/**
 * An undo inside a freeze goes back to what ran before: allowed. An undo of an undo would bring
 * back the very release the first one took out, a release like any other: refused like one.
 */
function refuseRedoInFreeze(request: GoLiveRequest, live: LiveVersion, freeze: FreezeOccurrence, now: Date): never {
  throw new FreezeWindow(
    `${request.service} ${request.version} refused: ${live.version} was itself made live by an undo, so this undo would ` +
      `bring back ${request.version}, the release it took out, ${freezeMessage(freeze, now)}. ` +
      'Wait for the freeze to end, or go live with --break-glass --reason "…" and the emergency role\'s approval',
    { evidence: { freeze, live } },
  );
}

/**
 * An undo goes back to exactly the version that was live before the current one (the live record's
 * `previous`), never to one the request names: checked here, whatever front end asked.
 */
function refuseStaleUndo(request: GoLiveRequest, live: LiveVersion | undefined): void {
  if (!live?.previous) {
    throw new InvalidRequest(
      `nothing to undo for ${request.service}: no earlier version is recorded as live before ${live?.version ?? 'the current one'}`,
    );
  }
  if (live.previous.version !== request.version) {
    throw new InvalidRequest(
      `an undo of ${request.service} goes back to ${live.previous.version} (live before ${live.version}), not ${request.version}: ` +
        'golive rollback <service> picks it for you',
      { evidence: { live } },
    );
  }
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

// Releasing lives apart (release.ts): the janitor bundles it without the freeze calendar.
export { closeLeftovers, release, type ReleaseResult } from './release';
