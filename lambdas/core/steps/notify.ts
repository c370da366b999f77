import type { Deps, NotificationEvent } from '../ports';
import { executionName } from '../request';
import { describeCause, runStep, type StepEvent } from './step';

function message(event: StepEvent): Pick<NotificationEvent, 'kind' | 'text'> {
  const { service, version, requestedBy } = event.request;
  const what = `${service ?? 'unknown service'} ${version ?? ''}`.trim();
  switch (event.event) {
    case 'succeeded':
      return { kind: 'succeeded', text: `✅ ${what} is live (${event.plan.strategy}), requested by ${requestedBy}.` };
    case 'rollback-failed':
      return {
        kind: 'rollback-failed',
        text:
          `🚨 ROLLBACK FAILED for ${what}: ${event.error?.Error} (${describeCause(event.error?.Cause)}), then ` +
          `${event.rollbackError?.Error}: ${describeCause(event.rollbackError?.Cause)}. A human must check traffic, alerts and the lock now.`,
      };
    default:
      return {
        kind: 'rolled-back',
        text: `↩️ ${what} rolled back after ${event.error?.Error}: ${describeCause(event.error?.Cause)} (requested by ${requestedBy}).`,
      };
  }
}

/** NotifySuccess / NotifyRollback / NotifyRollbackFailed. */
export function notify(deps: Deps, event: StepEvent): Promise<{ delivered: boolean; ref?: string }> {
  const step =
    event.event === 'succeeded'
      ? 'NotifySuccess'
      : event.event === 'rollback-failed'
        ? 'NotifyRollbackFailed'
        : 'NotifyRollback';
  return runStep(
    deps,
    event,
    step,
    'notify',
    async () => {
      const { kind, text } = message(event);
      const sent = await deps.notifier.notify({
        kind,
        executionId: event.executionId,
        service: String(event.request.service ?? 'unknown'),
        version: String(event.request.version ?? ''),
        text,
        details: {
          execution: executionName(event.executionId),
          requestedBy: event.request.requestedBy,
          error: event.error,
        },
      });
      return { result: sent, summary: text, evidence: sent };
    },
    { checkAbort: false },
  );
}
