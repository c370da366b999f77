import { parseExecutionStatusChange, type ExecutionStatusChange } from '../core/execution-event';
import { isRecord } from '../core/json';
import { cleanUpEndedExecution } from '../core/steps/janitor';
import { reconcile } from '../core/steps/reconcile';
import { sweepLeftoverScratch } from '../core/steps/sweep';
import type { DepsResolver } from '../handler';
import { awsDeps } from '../providers/aws';

const STATUS_CHANGE = 'Step Functions Execution Status Change';
const EXPECTED =
  `a "${STATUS_CHANGE}" event (detail.executionArn, detail.status), a sweep ` +
  '({"sweep": true}, or an EventBridge "Scheduled Event" from source aws.events) or {"reconcile": true}';

/**
 * What the janitor was asked to do: clean up after an ended execution, sweep left-behind scratch
 * targets, or reconcile (clean up every ended execution still holding its lock).
 */
export type JanitorEvent =
  { sweep: true } | { sweep: false; reconcile: true } | { sweep: false; ended: ExecutionStatusChange };

/** Checked by hand (no schema library in the bundle); anything else is refused, naming what was expected. */
export function parseJanitorEvent(event: unknown): JanitorEvent {
  if (isRecord(event)) {
    if (event.sweep === true) return { sweep: true };
    if (event.reconcile === true) return { sweep: false, reconcile: true };
    const detailType = event['detail-type'];
    if (detailType === 'Scheduled Event' && event.source === 'aws.events') return { sweep: true };
    const plain = detailType === undefined && event.sweep === undefined && event.reconcile === undefined;
    if (detailType === STATUS_CHANGE || (plain && 'detail' in event)) {
      return { sweep: false, ended: parseExecutionStatusChange(event) };
    }
  }
  const got = JSON.stringify(event) ?? String(event);
  throw new Error(`the janitor expects ${EXPECTED}; got ${got.length > 200 ? `${got.slice(0, 200)}…` : got}`);
}

/**
 * EventBridge rule targets: an execution ended ABORTED, TIMED_OUT or FAILED → undo what the catch
 * path could not (nothing for a FAILED one that rolled back); the 15-minute schedule → retry
 * deleting the scratch targets go-lives left behind; the reconcile schedule → the same clean-up for
 * every ended execution still holding its lock (its status change event was lost).
 */
export const createHandler = (resolveDeps: DepsResolver) => async (event: unknown) => {
  const parsed = parseJanitorEvent(event);
  const deps = await resolveDeps();
  if (parsed.sweep) return sweepLeftoverScratch(deps);
  return 'ended' in parsed ? cleanUpEndedExecution(deps, parsed.ended) : reconcile(deps);
};
export const handler = createHandler(awsDeps);
