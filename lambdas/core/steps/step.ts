import { z } from 'zod';
import { GoLiveAborted, GoLiveError } from '../errors';
import type { AuditEntry, Deps, ProgressEvent } from '../ports';
import type { GoLiveRequest, RolloutPlan } from '../request';

/** The Payload every Task state sends (see state-machines/go-live.asl.json). */
export const stepEventSchema = z.object({
  executionId: z.string().min(1),
  // Unvalidated until ValidateAndLock: a malformed execution input must end as InvalidRequest, not a parse error.
  request: z
    .unknown()
    .transform((v) =>
      v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : { input: v },
    ),
  plan: z.record(z.string(), z.unknown()).default({}),
  action: z.string().optional(),
  phase: z.string().optional(),
  event: z.string().optional(),
  outcome: z.string().optional(),
  weight: z.number().int().min(0).max(100).optional(),
  taskToken: z.string().optional(),
  startTime: z.string().optional(),
  readiness: z.unknown().optional(),
  error: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
  rollbackError: z.object({ Error: z.string(), Cause: z.string().optional() }).optional(),
});

export type RawStepEvent = z.infer<typeof stepEventSchema>;
/** After ValidateAndLock, request and plan are the validated ones. */
export interface StepEvent extends Omit<RawStepEvent, 'request' | 'plan'> {
  request: GoLiveRequest;
  plan: RolloutPlan;
}

export function parseStepEvent(event: unknown): RawStepEvent {
  return stepEventSchema.parse(event);
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
    await deps.notifier.progress({
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
    });
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
