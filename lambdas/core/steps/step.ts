import { isRecord } from '../json';
import { GoLiveAborted, GoLiveError } from '../errors';
import type { AuditEntry, Deps, ProgressEvent } from '../ports';
import type { GoLiveRequest, RolloutPlan } from '../request';

/**
 * The Payload every Task state sends (see state-machines/go-live.asl.json). Checked by hand, not
 * by zod: this runs in every function, and a schema library would triple each bundle and its
 * cold start.
 */
export interface RawStepEvent {
  executionId: string;
  /** Unvalidated until ValidateAndLock: a malformed execution input must end as InvalidRequest, not a parse error. */
  request: Record<string, unknown>;
  plan: Record<string, unknown>;
  action?: string;
  phase?: string;
  event?: string;
  outcome?: string;
  weight?: number;
  taskToken?: string;
  startTime?: string;
  readiness?: unknown;
  error?: { Error: string; Cause?: string };
  rollbackError?: { Error: string; Cause?: string };
}

/** After ValidateAndLock, request and plan are the validated ones. */
export interface StepEvent extends Omit<RawStepEvent, 'request' | 'plan'> {
  request: GoLiveRequest;
  plan: RolloutPlan;
}

export class InvalidStepEvent extends Error {
  constructor(message: string) {
    super(`invalid step payload: ${message}`);
    this.name = 'InvalidStepEvent';
  }
}

const STRING_FIELDS = ['action', 'phase', 'event', 'outcome', 'taskToken', 'startTime'] as const;

function errorField(value: unknown, field: string): { Error: string; Cause?: string } | undefined {
  if (value === undefined) return undefined;
  if (
    !isRecord(value) ||
    typeof value.Error !== 'string' ||
    (value.Cause !== undefined && typeof value.Cause !== 'string')
  ) {
    throw new InvalidStepEvent(`${field} must be {"Error": string, "Cause"?: string}`);
  }
  return { Error: value.Error, ...(value.Cause === undefined ? {} : { Cause: value.Cause }) };
}

/** Keeps the known fields only, as the ASL sends them; names the first bad one. */
export function parseStepEvent(event: unknown): RawStepEvent {
  if (!isRecord(event)) throw new InvalidStepEvent('expected a JSON object');
  if (typeof event.executionId !== 'string' || !event.executionId) throw new InvalidStepEvent('executionId is missing');
  if (event.plan !== undefined && !isRecord(event.plan)) throw new InvalidStepEvent('plan must be an object');
  const parsed: RawStepEvent = {
    executionId: event.executionId,
    request: isRecord(event.request) ? event.request : { input: event.request },
    plan: (event.plan as Record<string, unknown> | undefined) ?? {},
  };
  for (const field of STRING_FIELDS) {
    const value = event[field];
    if (value === undefined) continue;
    if (typeof value !== 'string') throw new InvalidStepEvent(`${field} must be a string`);
    parsed[field] = value;
  }
  if (event.weight !== undefined) {
    const weight = event.weight;
    if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > 100) {
      throw new InvalidStepEvent('weight must be a whole percentage from 0 to 100');
    }
    parsed.weight = weight;
  }
  if (event.readiness !== undefined) parsed.readiness = event.readiness;
  const error = errorField(event.error, 'error');
  if (error) parsed.error = error;
  const rollbackError = errorField(event.rollbackError, 'rollbackError');
  if (rollbackError) parsed.rollbackError = rollbackError;
  return parsed;
}

export interface StepOutcome<T> {
  result: T;
  summary: string;
  evidence?: unknown;
}

/**
 * Runs one step: refuses to go on if a release manager asked to abort (forward steps only),
 * and appends the outcome, with its evidence, to the audit trail whether it succeeds or fails.
 * Errors are re-thrown unchanged: their name is what the ASL Catch matches.
 */
export async function runStep<T>(
  deps: Deps,
  event: { executionId: string; request: { service?: unknown } },
  step: string,
  action: string,
  fn: () => Promise<StepOutcome<T>>,
  options: { checkAbort?: boolean; actor?: string } = {},
): Promise<T> {
  const service = typeof event.request.service === 'string' ? event.request.service : 'unknown';
  const entry = (outcome: AuditEntry['outcome'], summary: string, evidence?: unknown): AuditEntry => ({
    executionId: event.executionId,
    service,
    step,
    action,
    actor: options.actor ?? 'system',
    outcome,
    summary,
    ...(evidence === undefined ? {} : { evidence }),
    at: deps.now().toISOString(),
  });
  try {
    if (options.checkAbort ?? true) {
      const abort = await deps.store.getExecutionValue<{ by: string; reason: string }>(event.executionId, 'abort');
      if (abort) throw new GoLiveAborted(`aborted by ${abort.by}: ${abort.reason}`);
    }
    await reportProgress(deps, event, step, 'started');
    const outcome = await fn();
    await deps.store.appendAudit(entry('succeeded', outcome.summary, outcome.evidence));
    await reportProgress(deps, event, step, 'succeeded', outcome.summary);
    return outcome.result;
  } catch (err) {
    const error = err instanceof Error ? err : new Error(String(err));
    const evidence = error instanceof GoLiveError ? error.evidence : undefined;
    await deps.store.appendAudit(entry('failed', `${error.name}: ${error.message}`, evidence));
    await reportProgress(deps, event, step, 'failed', `${error.name}: ${error.message}`);
    throw error;
  }
}

/**
 * How long a step waits for its status card update. The card is a view of the audit trail: when
 * Slack is slow or down, the step goes on (the update may still land) rather than spend its
 * function's time, and a rollback's, on it.
 */
export const PROGRESS_BUDGET_MS = 3000;

function withinBudget(work: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const budget = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
    // Never keeps a process (the local runtime, a CLI) alive on its own.
    timer.unref?.();
  });
  return Promise.race([work, budget]).finally(() => clearTimeout(timer));
}

/** Live progress (the Slack status card). A notification failure never fails a step. */
async function reportProgress(
  deps: Deps,
  event: { executionId: string; request: Record<string, unknown> | { service?: unknown } },
  step: string,
  state: ProgressEvent['state'],
  summary?: string,
): Promise<void> {
  if (!deps.notifier.progress) return;
  const request = event.request as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const extra = event as { weight?: unknown; error?: ProgressEvent['error']; plan?: { strategy?: unknown } };
  try {
    await withinBudget(
      deps.notifier.progress({
        executionId: event.executionId,
        service: text(request.service) ?? 'unknown',
        version: text(request.version) ?? '',
        step,
        state,
        ...(summary ? { summary } : {}),
        ...(text(request.requestedBy) ? { requestedBy: text(request.requestedBy) } : {}),
        ...((text(extra.plan?.strategy) ?? text(request.strategy))
          ? { strategy: text(extra.plan?.strategy) ?? text(request.strategy) }
          : {}),
        ...(typeof extra.weight === 'number' ? { weight: extra.weight } : {}),
        ...(extra.error ? { error: extra.error } : {}),
        at: deps.now().toISOString(),
      }),
      PROGRESS_BUDGET_MS,
    );
  } catch {
    // The card is a view of the audit trail, which already has this step; production goes on.
  }
}

/** The human message inside a Step Functions Cause (Lambda errors carry JSON with errorMessage). */
export function describeCause(cause: string | undefined): string {
  if (!cause) return '';
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
}
