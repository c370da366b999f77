import type { Deps, MuteRecord } from '../ports';
import { errorMessage } from '../errors';
import { executionName } from '../request';
import type { StepPayload } from '../workflow/definition';
import { verifyBreakGlass } from './break-glass';
import { runStep } from './step';

/** CloudWatch mute rule names: letters, digits, `_`, `-`, `.`; at most 255 characters. */
export function muteRuleName(service: string, executionId: string): string {
  return `golive-${service}-${executionName(executionId)}`.replace(/[^A-Za-z0-9_.-]/g, '-').slice(0, 255);
}

export function muteAlerts(deps: Deps, event: StepPayload<'MuteAlerts'>): Promise<MuteRecord> {
  return runStep(deps, event, event.state, event.action, async () => {
    const { service } = event.request;
    // The first change a go-live makes: inside a freeze, only with the break-glass approvals in the store.
    await verifyBreakGlass(deps, event.executionId, event.request, event.plan);
    const mode = deps.config.services[service].alerts.muteMode;
    const before = await deps.alerts.describe(event.plan.alarms);
    const leftAlone = before
      .filter((a) => a.muted || !a.actionsEnabled)
      .map((a) => ({
        name: a.name,
        reason: a.muted ? 'already muted before the go-live' : 'actions already disabled before the go-live',
      }));
    const toMute = before.filter((a) => !a.muted && a.actionsEnabled).map((a) => a.name);
    const now = deps.now();
    const record: MuteRecord = {
      mode,
      ...(mode === 'mute-rule' ? { ruleName: muteRuleName(service, event.executionId) } : {}),
      muted: toMute,
      leftAlone,
      mutedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + event.plan.maxRunSeconds * 1000).toISOString(),
    };
    // Saved before muting: if the call half-succeeds, the unmute still knows what to undo.
    await deps.store.putExecutionValue(event.executionId, 'mute', record);
    if (toMute.length > 0) {
      await deps.alerts.mute({
        ruleName: record.ruleName ?? muteRuleName(service, event.executionId),
        alarms: toMute,
        mode,
        expiresAt: new Date(record.expiresAt),
      });
    }
    return {
      result: record,
      summary: `muted ${toMute.length} alarm(s) until ${record.expiresAt}; ${leftAlone.length} left as they were`,
      evidence: { before, record },
    };
  });
}

export interface UnmuteResult {
  restored: string[];
  leftAlone: { name: string; reason: string }[];
}

/**
 * What this execution muted: the store's record, else the copy in the state data. A rollback must
 * restore alerts even when the store cannot be read (a failed rollback has to page someone).
 */
async function muteRecordFor(
  deps: Deps,
  event: StepPayload<'UnmuteAlerts' | 'UnmuteAfterRollback' | 'UnmuteAfterFailedRollback'>,
): Promise<{ record?: MuteRecord; source: string }> {
  try {
    const stored = await deps.store.getExecutionValue<MuteRecord>(event.executionId, 'mute');
    if (stored) return { record: stored, source: 'store' };
  } catch (err) {
    if (!event.mute) throw err;
    return { record: event.mute, source: `execution state (the store could not be read: ${errorMessage(err)})` };
  }
  return event.mute ? { record: event.mute, source: 'execution state' } : { source: 'store' };
}

/**
 * UnmuteAlerts, and on the rollback path UnmuteAfterRollback and UnmuteAfterFailedRollback (which
 * run even if an abort was asked).
 */
export function unmuteAlerts(
  deps: Deps,
  event: StepPayload<'UnmuteAlerts' | 'UnmuteAfterRollback' | 'UnmuteAfterFailedRollback'>,
): Promise<UnmuteResult> {
  const afterRollback = event.state !== 'UnmuteAlerts';
  return runStep(
    deps,
    event,
    event.state,
    event.action,
    async () => {
      const { record, source } = await muteRecordFor(deps, event);
      if (!record) {
        return { result: { restored: [], leftAlone: [] }, summary: 'nothing was muted by this execution' };
      }
      await deps.alerts.unmute(record);
      const after = await deps.alerts.describe([...record.muted, ...record.leftAlone.map((a) => a.name)]);
      return {
        result: { restored: record.muted, leftAlone: record.leftAlone },
        summary: `unmuted ${record.muted.length} alarm(s); ${record.leftAlone.length} left as they were before`,
        evidence: { record, source, after },
      };
    },
    { checkAbort: !afterRollback },
  );
}
