import { describeCause } from '../lambdas/core/steps/step';
import type { LocalEngine } from './engine/engine';

/**
 * Logs every failed Task state (its error name and message), so a failure nobody injected (a store
 * write that failed, a bug) is seen in `golive local up`'s output, not only in the execution history.
 */
export function logFailedSteps(engine: LocalEngine, log: (line: string) => void): void {
  const current = new Map<string, string>();
  engine.on('history', (executionArn, event) => {
    if (event.type === 'TaskStateEntered') current.set(executionArn, event.stateEnteredEventDetails?.name ?? '?');
    const failed = event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails;
    if (failed) {
      const name = executionArn.split(':').at(-1);
      log(
        `${name}: step ${current.get(executionArn) ?? '?'} failed with ${failed.error}: ${describeCause(failed.cause)}`,
      );
    }
    if (event.type?.startsWith('Execution') && event.type !== 'ExecutionStarted') current.delete(executionArn);
  });
}

/**
 * Says loudly when a go-live ends RollbackFailed, from the engine alone: the store and the release
 * channel (SQLite locally) may be exactly what broke.
 */
export function alertRollbackFailures(engine: LocalEngine, alert: (line: string) => void): void {
  engine.on('executionStatusChange', (detail) => {
    if (detail.status !== 'FAILED' || detail.error !== 'RollbackFailed') return;
    alert(`🚨 ROLLBACK FAILED: ${detail.name}: ${detail.cause ?? 'see the execution history'}`);
  });
}
