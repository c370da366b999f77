import type { FunctionKey } from '../../catalog';
import { isRecord } from '../json';
import { isRef, type PayloadSpec } from './asl';
import { isTaskName, TASK_NAMES, TASKS, type FunctionPayload, type TaskName } from './definition';
import { InvalidStepEvent } from './payload';

/** Checks `event` against one state's Payload spec; returns the kept fields. Throws on the first bad one. */
function checkAgainst(state: TaskName, event: Record<string, unknown>): Record<string, unknown> {
  const spec: PayloadSpec = TASKS[state].payload;
  const payload: Record<string, unknown> = { state };
  for (const [field, expected] of Object.entries(spec)) {
    const value = event[field];
    if (isRef(expected)) payload[field] = expected.parse(value, field);
    else if (value === expected) payload[field] = value;
    else
      throw new InvalidStepEvent(
        `${field} must be ${JSON.stringify(expected)} in ${state}; got ${JSON.stringify(value)}`,
      );
  }
  return payload;
}

/**
 * A payload without `state` comes from an execution started before the definition named its
 * states: executions keep the definition they started with across a deploy, and such a go-live
 * must still roll back. Its state is the one invoking `fn` whose spec it satisfies (constants such
 * as `action`, `phase`, `event` and `outcome` tell them apart); where two are satisfied, the one
 * naming more fields (UnmuteAfterRollback carries the error UnmuteAlerts does not).
 */
function legacyState(fn: FunctionKey, event: Record<string, unknown>): TaskName | undefined {
  const fits = TASK_NAMES.filter((name) => {
    if (TASKS[name].fn !== fn) return false;
    try {
      checkAgainst(name, event);
      return true;
    } catch {
      return false;
    }
  });
  const size = (name: TaskName) => Object.keys(TASKS[name].payload).length;
  const [best, next] = fits.sort((a, b) => size(b) - size(a));
  return best && (!next || size(next) < size(best)) ? best : undefined;
}

/**
 * The handler boundary: checks what a Task state sent `fn` against that state's Payload in the
 * definition — the state must be one that invokes `fn`, every constant must match, every
 * reference must pass its check — and returns it typed. Only the fields the definition names are
 * kept; the first bad one is named.
 */
export function parseTaskPayload<F extends FunctionKey>(fn: F, event: unknown): FunctionPayload<F> {
  if (!isRecord(event)) throw new InvalidStepEvent('expected a JSON object');
  const state = event.state === undefined ? legacyState(fn, event) : event.state;
  if (!isTaskName(state) || TASKS[state].fn !== fn) {
    const states = TASK_NAMES.filter((name) => TASKS[name].fn === fn).join(', ');
    throw new InvalidStepEvent(
      event.state === undefined
        ? `state is missing, and the payload fits none of the Task states that invoke ${fn} (${states})`
        : `state must name a Task state that invokes ${fn} (${states}); got ${JSON.stringify(event.state)}`,
    );
  }
  // Checked field by field against the very spec FunctionPayload<F> is derived from.
  return checkAgainst(state, event) as FunctionPayload<F>;
}
