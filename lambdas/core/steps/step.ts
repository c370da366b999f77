import { AuditWriteFailed, errorMessage, GoLiveAborted, GoLiveError } from '../errors';
import type { AuditEntry, Deps, ProgressEvent } from '../ports';
import type { ActorVerification } from '../roles';
import type { StateName } from '../workflow/definition';

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
  step: StateName,
  action: string,
  fn: () => Promise<StepOutcome<T>>,
  options: { checkAbort?: boolean; actor?: string; verifiedBy?: ActorVerification } = {},
): Promise<T> {
  const service = typeof event.request.service === 'string' ? event.request.service : 'unknown';
  const entry = (outcome: AuditEntry['outcome'], summary: string, evidence?: unknown): AuditEntry => ({
    executionId: event.executionId,
    service,
    step,
    action,
    actor: options.actor ?? 'system',
    ...((options.verifiedBy ?? (options.actor === undefined ? 'system' : undefined))
      ? { verifiedBy: options.verifiedBy ?? 'system' }
      : {}),
    outcome,
    summary,
    ...(evidence === undefined ? {} : { evidence }),
    at: deps.now().toISOString(),
  });
  let outcome: StepOutcome<T>;
  try {
    if (options.checkAbort ?? true) {
      const abort = await deps.store.getExecutionValue<{ by: string; reason: string }>(event.executionId, 'abort');
      if (abort) throw new GoLiveAborted(`aborted by ${abort.by}: ${abort.reason}`);
    }
    await reportProgress(deps, event, step, 'started');
    outcome = await fn();
  } catch (err) {
    // By shape: an error from another realm (a native module) is still an error, name and all.
    const error = isErrorLike(err) ? err : new Error(String(err));
    const evidence = error instanceof GoLiveError ? error.evidence : undefined;
    try {
      await deps.store.appendAudit(entry('failed', `${error.name}: ${error.message}`, evidence));
    } catch (auditError) {
      // The step's own error keeps its name (the Catch and the people reading it need it); the
      // lost audit record is told in its message.
      error.message += ` (its audit record could not be written: ${errorMessage(auditError)})`;
    }
    await reportProgress(deps, event, step, 'failed', `${error.name}: ${error.message}`);
    throw error;
  }
  try {
    await deps.store.appendAudit(entry('succeeded', outcome.summary, outcome.evidence));
  } catch (auditError) {
    // What the step did is done: say so, so nobody takes it for undone (alerts restored, traffic moved).
    const error = new AuditWriteFailed(
      `${step} did its work (${outcome.summary}), but its audit record could not be written: ${errorMessage(auditError)}`,
      { evidence: outcome.evidence },
    );
    await reportProgress(deps, event, step, 'failed', `${error.name}: ${error.message}`);
    throw error;
  }
  await reportProgress(deps, event, step, 'succeeded', outcome.summary);
  return outcome.result;
}

function isErrorLike(value: unknown): value is Error {
  const e = value as { name?: unknown; message?: unknown } | null;
  return typeof e === 'object' && e !== null && typeof e.name === 'string' && typeof e.message === 'string';
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
