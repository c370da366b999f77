import { parseExecutionStatusChange, type ExecutionStatusChange } from '../core/execution-event';
import { isRecord } from '../core/json';
import { cleanUpEndedExecution } from '../core/steps/janitor';
import { sweepLeftoverScratch } from '../core/steps/sweep';
import type { DepsResolver } from '../handler';
import { awsDeps } from '../providers/aws';

const STATUS_CHANGE = 'Step Functions Execution Status Change';
const EXPECTED =
  `a "${STATUS_CHANGE}" event (detail.executionArn, detail.status) or a sweep ` +
  '({"sweep": true}, or an EventBridge "Scheduled Event" from source aws.events)';

/** What the janitor was asked to do: clean up after an ended execution, or sweep left-behind scratch targets. */
export type JanitorEvent = { sweep: true } | { sweep: false; ended: ExecutionStatusChange };

/** Checked by hand (no schema library in the bundle); anything else is refused, naming what was expected. */
export function parseJanitorEvent(event: unknown): JanitorEvent {
  if (isRecord(event)) {
    if (event.sweep === true) return { sweep: true };
    const detailType = event['detail-type'];
    if (detailType === 'Scheduled Event' && event.source === 'aws.events') return { sweep: true };
    if (detailType === STATUS_CHANGE || (detailType === undefined && event.sweep === undefined && 'detail' in event)) {
      return { sweep: false, ended: parseExecutionStatusChange(event) };
    }
  }
  const got = JSON.stringify(event) ?? String(event);
  throw new Error(`the janitor expects ${EXPECTED}; got ${got.length > 200 ? `${got.slice(0, 200)}…` : got}`);
}

/**
 * EventBridge rule targets: an execution ended ABORTED, TIMED_OUT or FAILED → undo what the catch
 * path could not (nothing for a FAILED one that rolled back); the 15-minute schedule → retry
 * deleting the scratch targets go-lives left behind.
 */
export const createHandler = (resolveDeps: DepsResolver) => async (event: unknown) => {
  const parsed = parseJanitorEvent(event);
  const deps = await resolveDeps();
  return parsed.sweep ? sweepLeftoverScratch(deps) : cleanUpEndedExecution(deps, parsed.ended);
};
export const handler = createHandler(awsDeps);
