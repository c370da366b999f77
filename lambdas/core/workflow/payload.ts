import { isRecord } from '../json';
import type { MuteRecord, Slot } from '../ports';
import type { ReadinessReport } from '../readiness/evaluate';
import type { GoLiveRequest, RolloutPlan } from '../request';
import { STRATEGIES, type Strategy } from '../strategies';

/**
 * Checks of what a Task state sends, one per kind of value, applied at the handler boundary.
 * Written by hand, not with zod: they run in every function, and a schema library would triple
 * each bundle and its cold start. Each names the field it refuses.
 */
export class InvalidStepEvent extends Error {
  constructor(message: string) {
    super(`invalid step payload: ${message}`);
    this.name = 'InvalidStepEvent';
  }
}

const fail = (field: string, expected: string): never => {
  throw new InvalidStepEvent(`${field} must be ${expected}`);
};

export function text(value: unknown, field: string): string {
  return typeof value === 'string' && value.length > 0 ? value : fail(field, 'a non-empty string');
}

/** Any JSON at all: ValidateAndLock validates the raw execution input against the config itself. */
export const anything = (value: unknown): unknown => value;

export function percent(value: unknown, field: string): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 100
    ? value
    : fail(field, 'a whole percentage from 0 to 100');
}

const wholeSeconds = (value: unknown, field: string): number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fail(field, 'whole seconds (≥ 0)');

export const wholeNumber = (value: unknown, field: string): number =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fail(field, 'a whole number (≥ 0)');

const slot = (value: unknown, field: string): Slot =>
  value === 'blue' || value === 'green' ? value : fail(field, '"blue" or "green"');

const strategy = (value: unknown, field: string): Strategy =>
  (STRATEGIES as readonly unknown[]).includes(value) ? (value as Strategy) : fail(field, STRATEGIES.join(' | '));

const object = (value: unknown, field: string): Record<string, unknown> =>
  isRecord(value) ? value : fail(field, 'an object');

/** The request ValidateAndLock returned (checked against the config there; here only its shape). */
export function goLiveRequest(value: unknown, field: string): GoLiveRequest {
  const raw = object(value, field);
  if (raw.notes !== undefined && typeof raw.notes !== 'string') fail(`${field}.notes`, 'a string');
  return {
    service: text(raw.service, `${field}.service`),
    version: text(raw.version, `${field}.version`),
    strategy: strategy(raw.strategy, `${field}.strategy`),
    requestedBy: text(raw.requestedBy, `${field}.requestedBy`),
    ...(raw.verifiedBy === 'slack' || raw.verifiedBy === 'iam' || raw.verifiedBy === 'local'
      ? { verifiedBy: raw.verifiedBy }
      : {}),
    ...(typeof raw.notes === 'string' && raw.notes ? { notes: raw.notes } : {}),
    ...(raw.kind === 'undo' ? { kind: 'undo' as const } : {}),
    ...(typeof raw.commitAt === 'string' ? { commitAt: raw.commitAt } : {}),
    ...(isRecord(raw.breakGlass) && typeof raw.breakGlass.reason === 'string'
      ? { breakGlass: { reason: raw.breakGlass.reason } }
      : {}),
  };
}

/** The rollout plan ValidateAndLock returned. */
export function rolloutPlan(value: unknown, field: string): RolloutPlan {
  const raw = object(value, field);
  const steps = Array.isArray(raw.steps) ? raw.steps.map((w, i) => percent(w, `${field}.steps[${i}]`)) : [];
  if (!Array.isArray(raw.steps)) fail(`${field}.steps`, 'an array of percentages');
  const alarms = Array.isArray(raw.alarms) ? raw.alarms.map((a, i) => text(a, `${field}.alarms[${i}]`)) : [];
  if (!Array.isArray(raw.alarms)) fail(`${field}.alarms`, 'an array of alarm names');
  const signOff =
    raw.signOff === 'before-traffic' || raw.signOff === 'before-promotion' || raw.signOff === 'none'
      ? raw.signOff
      : fail(`${field}.signOff`, '"before-traffic", "before-promotion" or "none"');
  if (raw.stableVersion !== undefined) text(raw.stableVersion, `${field}.stableVersion`);
  return {
    strategy: strategy(raw.strategy, `${field}.strategy`),
    steps,
    stepCount: wholeSeconds(raw.stepCount, `${field}.stepCount`),
    bakeSeconds: wholeSeconds(raw.bakeSeconds, `${field}.bakeSeconds`),
    postPromotionBakeSeconds: wholeSeconds(raw.postPromotionBakeSeconds, `${field}.postPromotionBakeSeconds`),
    signOff,
    approvalTimeoutSeconds: wholeSeconds(raw.approvalTimeoutSeconds, `${field}.approvalTimeoutSeconds`),
    alarms,
    stableSlot: slot(raw.stableSlot, `${field}.stableSlot`),
    candidateSlot: slot(raw.candidateSlot, `${field}.candidateSlot`),
    ...(typeof raw.stableVersion === 'string' ? { stableVersion: raw.stableVersion } : {}),
    maxRunSeconds: wholeSeconds(raw.maxRunSeconds, `${field}.maxRunSeconds`),
    // Plans made before release controls existed lack these: an ordinary go-live, no hold budget.
    kind: raw.kind === 'undo' ? 'undo' : 'go-live',
    breakGlass: raw.breakGlass === 'required' ? 'required' : 'no',
    breakGlassTimeoutSeconds:
      raw.breakGlassTimeoutSeconds === undefined
        ? 0
        : wholeSeconds(raw.breakGlassTimeoutSeconds, `${field}.breakGlassTimeoutSeconds`),
    minApprovals: raw.minApprovals === undefined ? 1 : wholeSeconds(raw.minApprovals, `${field}.minApprovals`),
  };
}

/**
 * What the rollback path knows of the request: all of it once ValidateAndLock passed; only the
 * well-typed fields of the raw input when it failed there (InvalidRequest, LockHeld).
 */
export type RequestSeen = Partial<GoLiveRequest>;

export function requestSeen(value: unknown): RequestSeen {
  if (!isRecord(value)) return {};
  const seen: RequestSeen = {};
  for (const key of ['service', 'version', 'requestedBy', 'notes', 'commitAt'] as const) {
    if (typeof value[key] === 'string') seen[key] = value[key];
  }
  if (value.kind === 'undo') seen.kind = 'undo';
  if (isRecord(value.breakGlass) && typeof value.breakGlass.reason === 'string')
    seen.breakGlass = { reason: value.breakGlass.reason };
  if ((STRATEGIES as readonly unknown[]).includes(value.strategy)) seen.strategy = value.strategy as Strategy;
  return seen;
}

/** The plan on the rollback path: the full plan, or none (`{}`) when ValidateAndLock failed. */
export type PlanSeen = RolloutPlan | Record<string, never>;

/** True once ValidateAndLock planned the rollout (the rollback path may run before it did). */
export const isPlanned = (plan: PlanSeen): plan is RolloutPlan => 'stableSlot' in plan;

export function planSeen(value: unknown, field: string): PlanSeen {
  return isRecord(value) && Object.keys(value).length === 0 ? {} : rolloutPlan(value, field);
}

/** The `{Error, Cause}` object a Catch puts in the state data. */
export interface StepError {
  Error: string;
  Cause?: string;
}

export function stepError(value: unknown, field: string): StepError {
  if (
    !isRecord(value) ||
    typeof value.Error !== 'string' ||
    (value.Cause !== undefined && typeof value.Cause !== 'string')
  ) {
    return fail(field, '{"Error": string, "Cause"?: string}');
  }
  return { Error: value.Error, ...(value.Cause === undefined ? {} : { Cause: value.Cause }) };
}

/** The readiness report CheckReadiness returned (its items are rendered, so their list is checked). */
export function readinessReport(value: unknown, field: string): ReadinessReport {
  const raw = object(value, field);
  if (!Array.isArray(raw.items)) fail(`${field}.items`, 'an array');
  if (!Array.isArray(raw.awaitingAttestation)) fail(`${field}.awaitingAttestation`, 'an array');
  return raw as unknown as ReadinessReport;
}

const strings = (value: unknown, field: string): string[] =>
  Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : fail(field, 'an array of strings');

/**
 * The alerts MuteAlerts muted, as the state data keeps them (`{value: MuteRecord}`), or null before
 * anything was muted. The rollback path unmutes from it when the store cannot be read.
 */
export function muteSeen(value: unknown, field: string): MuteRecord | null {
  // Absent: sent by an execution started with an earlier definition (it keeps it across a deploy).
  if (value === null || value === undefined) return null;
  const record = object(object(value, field).value, `${field}.value`);
  if (record.mode !== 'mute-rule' && record.mode !== 'disable-actions')
    fail(`${field}.value.mode`, '"mute-rule" or "disable-actions"');
  if (record.ruleName !== undefined) text(record.ruleName, `${field}.value.ruleName`);
  strings(record.muted, `${field}.value.muted`);
  if (!Array.isArray(record.leftAlone)) fail(`${field}.value.leftAlone`, 'an array');
  text(record.mutedAt, `${field}.value.mutedAt`);
  text(record.expiresAt, `${field}.value.expiresAt`);
  return record as unknown as MuteRecord;
}

/** What became of restoring the alerts on the rollback path: not tried (null), done, or failed. */
export type UnmuteSeen = null | { restored: string[] } | { error: StepError };

export function unmuteSeen(value: unknown, field: string): UnmuteSeen {
  if (value === null || value === undefined) return null;
  const raw = object(value, field);
  if ('Error' in raw) return { error: stepError(raw, field) };
  return { restored: strings(object(raw.value, `${field}.value`).restored, `${field}.value.restored`) };
}
