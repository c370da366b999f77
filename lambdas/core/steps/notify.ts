import { verifyChain } from '../audit';
import type { Deps, NotificationEvent } from '../ports';
import { executionName } from '../request';
import type { RestoreState } from './backup';
import type { FunctionPayload, StepPayload } from '../workflow/definition';
import { describeCause, runStep } from './step';

/**
 * A scratch copy of the backup check that is still there (AWS refused to delete it while busy, or
 * nobody could check): the release manager must hear of it, it costs money until deleted.
 */
async function scratchLeftBehind(deps: Deps, executionId: string): Promise<string> {
  try {
    const restore = await deps.store.getExecutionValue<RestoreState>(executionId, 'restore');
    if (!restore || restore.cleanedUp?.deleted) return '';
    return restore.cleanedUp
      ? ` ⚠️ Backup check: ${restore.cleanedUp.detail}. golive retries the deletion every 15 minutes and says here when it is gone.`
      : ` ⚠️ Backup check: the scratch copy ${restore.handle.restoredTo} may still exist; delete it by hand.`;
  } catch {
    return '';
  }
}

/** Whether the people on call will be paged: the first thing a human taking over needs to know. */
function alertsLine(event: StepPayload<'NotifyRollbackFailed'>): string {
  const { mute, unmute } = event;
  if (unmute && 'restored' in unmute)
    return ` Alerts are restored (${unmute.restored.length} alarm(s)): they page again.`;
  if (unmute?.error.Error === 'AuditWriteFailed')
    return ` Alerts are restored, but the audit trail could not record it: ${describeCause(unmute.error.Cause)}.`;
  if (!mute) return '';
  const why = unmute ? ` (${unmute.error.Error}: ${describeCause(unmute.error.Cause)})` : '';
  return (
    ` ⚠️ Alerts could NOT be restored${why}: ${mute.muted.join(', ') || 'none'} stay muted until ` +
    `${mute.expiresAt}; unmute them by hand.`
  );
}

/**
 * What a timeout means, in words: the sign-off expired (with how many approvals, at what time),
 * never "States.Timeout: States.Timeout".
 */
async function whyItFailed(deps: Deps, event: FunctionPayload<'notify'>): Promise<string | undefined> {
  if (!('error' in event) || event.error.Error !== 'States.Timeout') return undefined;
  const approval = await deps.store.findApprovalByExecution(event.executionId).catch(() => undefined);
  if (!approval || (approval.status !== 'pending' && approval.status !== 'expired')) return undefined;
  const approvals = new Set(approval.votes.filter((v) => v.decision === 'approve').map((v) => v.voter)).size;
  const at = approval.expiresAt.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC');
  return `the sign-off expired at ${at} with ${approvals} of ${approval.minApprovals} approval(s)`;
}

function message(event: FunctionPayload<'notify'>, why?: string): Pick<NotificationEvent, 'kind' | 'text'> {
  const { service, version, requestedBy } = event.request;
  const what = `${service ?? 'unknown service'} ${version ?? ''}`.trim();
  switch (event.state) {
    case 'NotifySuccess':
      return { kind: 'succeeded', text: `✅ ${what} is live (${event.plan.strategy}), requested by ${requestedBy}.` };
    case 'NotifyRollbackFailed':
      return {
        kind: 'rollback-failed',
        text:
          `🚨 ROLLBACK FAILED for ${what}: ${event.error.Error} (${describeCause(event.error.Cause)}), then ` +
          `${event.rollbackError.Error}: ${describeCause(event.rollbackError.Cause)}.${alertsLine(event)} ` +
          'A human must check traffic, alerts and the lock now; the lock stays held.',
      };
    case 'NotifyRollback':
      return {
        kind: 'rolled-back',
        text: why
          ? `↩️ ${what} rolled back: ${why} (requested by ${requestedBy}).`
          : `↩️ ${what} rolled back after ${event.error.Error}: ${describeCause(event.error.Cause)} (requested by ${requestedBy}).`,
      };
  }
}

/** The audit chain as it stands once the last step recorded itself: part of the execution's output. */
export interface AuditSeal {
  records: number;
  intact: boolean;
  finalHash?: string;
  /** Set when the chain is broken: the first record that does not verify. */
  firstBadRecord?: number;
}

/** NotifySuccess / NotifyRollback / NotifyRollbackFailed: the last step, so it also returns the final chain hash. */
export async function notify(
  deps: Deps,
  event: FunctionPayload<'notify'>,
): Promise<{ delivered: boolean; ref?: string; audit: AuditSeal }> {
  const sent = await runStep(
    deps,
    event,
    event.state,
    'notify',
    async () => {
      const { kind, text: base } = message(event, await whyItFailed(deps, event));
      const text = base + (await scratchLeftBehind(deps, event.executionId));
      const sent = await deps.notifier.notify({
        kind,
        executionId: event.executionId,
        service: String(event.request.service ?? 'unknown'),
        version: String(event.request.version ?? ''),
        text,
        details: {
          execution: executionName(event.executionId),
          requestedBy: event.request.requestedBy,
          error: 'error' in event ? event.error : undefined,
        },
      });
      return { result: sent, summary: text, evidence: sent };
    },
    { checkAbort: false },
  );
  const records = await deps.store.listAudit(event.executionId);
  const chain = verifyChain(records);
  const audit: AuditSeal = chain.intact
    ? { records: records.length, intact: true, finalHash: chain.finalHash }
    : { records: records.length, intact: false, firstBadRecord: chain.badSeq };
  // The seal comes after the last record by definition, so it is told, not recorded; and a
  // failure to tell it must not fail the step that already notified.
  await deps.notifier
    .notify({
      kind: 'audit-sealed',
      executionId: event.executionId,
      service: String(event.request.service ?? 'unknown'),
      version: String(event.request.version ?? ''),
      text: audit.intact
        ? `🔒 Audit trail sealed: ${audit.records} records, chain intact, final hash ${audit.finalHash}`
        : `⚠️ Audit chain does not verify from record ${audit.firstBadRecord}: run golive audit verify`,
      details: { audit },
    })
    .catch(() => undefined);
  return { ...sent, audit };
}
