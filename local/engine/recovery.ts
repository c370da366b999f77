import type { EngineNotifier, HistoryRecorder } from './history-recorder';
import type { EngineStore } from './store';

export const RESTART_ABORT_ERROR = 'States.Runtime';
export const RESTART_ABORT_CAUSE = 'local runtime restarted while the execution was running';

/**
 * One engine per database file: executions found RUNNING when an engine opens it lost their process, so
 * they are recorded ABORTED and every open token is closed. Returns their ARNs and the pending notice.
 */
export function recoverInterruptedExecutions(
  store: EngineStore,
  recorder: HistoryRecorder,
  notify: EngineNotifier,
): { arns: string[]; notice?: NodeJS.Immediate } {
  const interrupted = store.runningExecutions();
  const events = interrupted.map((row) => ({
    arn: row.arn,
    event: recorder.abortDetached(row, RESTART_ABORT_ERROR, RESTART_ABORT_CAUSE),
  }));
  store.closeOpenTokens();
  const arns = interrupted.map((r) => r.arn);
  if (events.length === 0) return { arns };
  // Deferred so that listeners attached right after construction hear about them.
  const notice = setImmediate(() => {
    for (const { arn, event } of events) {
      notify.history(arn, event);
      const row = store.isOpen ? store.getExecution(arn) : undefined;
      if (row) notify.status(row);
    }
  });
  return { arns, notice };
}
