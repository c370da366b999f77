import type { GoLiveConfig, ServiceConfig } from './config';
import { STRATEGIES, type Strategy } from './strategies';
import { InvalidRequest } from './errors';
import type { Slot } from './ports';
import { restoreBudgetFor, worstCaseRunSeconds, type RunTimings } from './workflow/budget';

/** Semantic Versioning 2.0.0 (the official regex, without a leading "v"). */
export const SEMVER =
  /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$/;

/** An instant with its zone: `2026-11-30T09:15:00Z` or `…+01:00` (a zoneless time is ambiguous). */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

/** Longest `notes` a request may carry. */
export const MAX_NOTES = 2000;

export interface GoLiveRequest {
  service: string;
  version: string;
  strategy: Strategy;
  requestedBy: string;
  /**
   * How `requestedBy` was identified by whoever started the execution (the Slack app, the control
   * API); absent means unverified, recorded as `local`.
   */
  verifiedBy?: 'slack' | 'iam' | 'local';
  notes?: string;
  /**
   * `undo` (golive rollback): the version that was live before the current one, back through the
   * fast path (no readiness gate or restore proof; the undo sign-off policy). Absent = a go-live.
   */
  kind?: 'go-live' | 'undo';
  /** When the change was committed (ISO 8601): DORA lead time for changes is measured from it. */
  commitAt?: string;
  /** A go-live inside a change freeze, approved by the emergency role: the reason is required. */
  breakGlass?: { reason: string };
}

export interface RolloutPlan {
  strategy: Strategy;
  /** Candidate weights (percent) of the canary steps, each followed by a bake. Empty for blue-green and all-at-once. */
  steps: number[];
  stepCount: number;
  bakeSeconds: number;
  /** Alarms are watched after promotion too (every strategy), with an instant switch back. */
  postPromotionBakeSeconds: number;
  /** `none`: an undo whose policy (controls.undoSignOff) asks for no sign-off. */
  signOff: 'before-traffic' | 'before-promotion' | 'none';
  approvalTimeoutSeconds: number;
  /** Approvals the sign-off needs: approval.minApprovals, or 1 for an undo. */
  minApprovals: number;
  /** An undo (golive rollback) takes the fast path: no readiness gate, no restore proof. */
  kind: 'go-live' | 'undo';
  /** `required`: the go-live starts inside a change freeze and waits for the emergency role (BreakGlass). */
  breakGlass: 'required' | 'no';
  breakGlassTimeoutSeconds: number;
  alarms: string[];
  stableSlot: Slot;
  candidateSlot: Slot;
  stableVersion?: string;
  /** Worst-case run time (workflow/budget.ts): the alert mute and the lock expire after it. */
  maxRunSeconds: number;
}

/** Validates the raw execution input; every message names the field and the fix. */
export function validateRequest(raw: unknown, config: GoLiveConfig): GoLiveRequest {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new InvalidRequest(
      'the input must be a JSON object like {"service":"demo","version":"2.0.0","requestedBy":"U123"}',
    );
  }
  const input = raw as Record<string, unknown>;
  const services = Object.keys(config.services);
  if (typeof input.service !== 'string' || !input.service) {
    throw new InvalidRequest(`"service" is missing: name one of ${services.join(', ')}`);
  }
  // Own keys only: a service named `constructor` or `__proto__` is unknown, not Object's.
  const service = Object.hasOwn(config.services, input.service) ? config.services[input.service] : undefined;
  if (!service) {
    throw new InvalidRequest(`unknown service "${input.service}": golive.config.yaml describes ${services.join(', ')}`);
  }
  if (typeof input.version !== 'string' || !SEMVER.test(input.version)) {
    throw new InvalidRequest(
      `"version" ${JSON.stringify(input.version ?? null)} is not a semantic version: use MAJOR.MINOR.PATCH, e.g. 2.4.0`,
    );
  }
  const strategy = input.strategy ?? service.strategy.default;
  if (typeof strategy !== 'string' || !(STRATEGIES as readonly string[]).includes(strategy)) {
    throw new InvalidRequest(`unknown strategy ${JSON.stringify(strategy)}: use one of ${STRATEGIES.join(', ')}`);
  }
  if (typeof input.requestedBy !== 'string' || !input.requestedBy) {
    throw new InvalidRequest('"requestedBy" is missing: the Slack user id (or --as user) of the release manager');
  }
  if (input.notes !== undefined && typeof input.notes !== 'string') {
    throw new InvalidRequest('"notes" must be a string');
  }
  // Carried in every state's payload: a long one would end the execution with States.DataLimitExceeded.
  if (typeof input.notes === 'string' && input.notes.length > MAX_NOTES) {
    throw new InvalidRequest(
      `"notes" is ${input.notes.length} characters: keep it to ${MAX_NOTES} (link a ticket for more)`,
    );
  }
  const kind = input.kind ?? 'go-live';
  if (kind !== 'go-live' && kind !== 'undo') {
    throw new InvalidRequest(`"kind" must be go-live or undo, got ${JSON.stringify(input.kind)}`);
  }
  if (
    input.commitAt !== undefined &&
    (typeof input.commitAt !== 'string' ||
      !ISO_INSTANT.test(input.commitAt) ||
      Number.isNaN(Date.parse(input.commitAt)))
  ) {
    throw new InvalidRequest(
      `"commitAt" ${JSON.stringify(input.commitAt)} is not an ISO 8601 time with a zone: use e.g. 2026-11-30T09:15:00Z (git log -1 --format=%cI)`,
    );
  }
  const breakGlass = input.breakGlass;
  if (breakGlass !== undefined) {
    const reason =
      breakGlass !== null && typeof breakGlass === 'object' && !Array.isArray(breakGlass)
        ? (breakGlass as Record<string, unknown>).reason
        : undefined;
    if (typeof reason !== 'string' || !reason.trim()) {
      throw new InvalidRequest('"breakGlass.reason" is missing: a break-glass go-live needs a reason (--reason "…")');
    }
    if (reason.length > MAX_NOTES) {
      throw new InvalidRequest(`"breakGlass.reason" is ${reason.length} characters: keep it to ${MAX_NOTES}`);
    }
  }
  const verifiedBy = input.verifiedBy ?? 'local';
  if (verifiedBy !== 'slack' && verifiedBy !== 'iam' && verifiedBy !== 'local') {
    throw new InvalidRequest(`"verifiedBy" must be slack, iam or local, got ${JSON.stringify(input.verifiedBy)}`);
  }
  return {
    service: input.service,
    version: input.version,
    strategy: strategy as Strategy,
    requestedBy: input.requestedBy,
    verifiedBy,
    ...(input.notes ? { notes: input.notes } : {}),
    ...(kind === 'undo' ? { kind } : {}),
    ...(typeof input.commitAt === 'string' ? { commitAt: new Date(input.commitAt).toISOString() } : {}),
    ...(breakGlass ? { breakGlass: { reason: (breakGlass as { reason: string }).reason.trim() } } : {}),
  };
}

/** The timings a strategy gives a service's go-live: what its worst-case run time depends on. */
export function timingsFor(
  strategy: Strategy,
  service: Pick<ServiceConfig, 'strategy' | 'backup'>,
  approval: Pick<GoLiveConfig['approval'], 'timeoutSeconds'>,
  holds: { holdSeconds: number; breakGlassSeconds: number } = { holdSeconds: 0, breakGlassSeconds: 0 },
): RunTimings {
  return {
    ...holds,
    canarySteps: strategy === 'canary' ? service.strategy.canarySteps.length : 0,
    bakeSeconds: service.strategy.bakeSeconds,
    // Every strategy watches alarms after promotion, with an instant switch back: production at
    // 100 % is never left unwatched while golive's mute is on.
    postPromotionBakeSeconds: service.strategy.bakeSeconds,
    approvalTimeoutSeconds: approval.timeoutSeconds,
    // The restore proof of the backup kind the service actually has (an Aurora cluster takes longest).
    restoreBudgetSeconds: restoreBudgetFor(service.backup).seconds,
  };
}

export function planRollout(
  request: GoLiveRequest,
  service: ServiceConfig,
  config: GoLiveConfig,
  slots: { stableSlot: Slot; candidateSlot: Slot; stableVersion?: string },
  options: { breakGlass?: boolean } = {},
): RolloutPlan {
  const undo = request.kind === 'undo';
  const steps = request.strategy === 'canary' && !undo ? service.strategy.canarySteps : [];
  const timings = timingsFor(undo ? 'blue-green' : request.strategy, service, config.approval, {
    holdSeconds: config.controls.maxHoldSeconds,
    breakGlassSeconds: options.breakGlass ? config.breakGlass.timeoutSeconds : 0,
  });
  return {
    strategy: undo ? 'blue-green' : request.strategy,
    steps,
    stepCount: steps.length,
    bakeSeconds: timings.bakeSeconds,
    postPromotionBakeSeconds: timings.postPromotionBakeSeconds,
    signOff: undo ? (config.controls.undoSignOff === 'none' ? 'none' : 'before-promotion') : config.approval.position,
    approvalTimeoutSeconds: timings.approvalTimeoutSeconds,
    minApprovals: undo ? 1 : config.approval.minApprovals,
    kind: undo ? 'undo' : 'go-live',
    breakGlass: options.breakGlass ? 'required' : 'no',
    breakGlassTimeoutSeconds: timings.breakGlassSeconds,
    alarms: service.alerts.alarms,
    ...slots,
    maxRunSeconds: worstCaseRunSeconds(timings),
  };
}

export function executionName(executionId: string): string {
  return executionId.split(':').pop() ?? executionId;
}
