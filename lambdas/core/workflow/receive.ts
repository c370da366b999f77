import type { FunctionKey } from '../../catalog';
import { isRecord } from '../json';
import { isRef, type PayloadSpec } from './asl';
import { isTaskName, TASK_NAMES, TASKS, type FunctionPayload } from './definition';
import { InvalidStepEvent } from './payload';

/**
 * The handler boundary: checks what a Task state sent `fn` against that state's Payload in the
 * definition — the state must be one that invokes `fn`, every constant must match, every
 * reference must pass its check — and returns it typed. Only the fields the definition names are
 * kept; the first bad one is named.
 */
export function parseTaskPayload<F extends FunctionKey>(fn: F, event: unknown): FunctionPayload<F> {
  if (!isRecord(event)) throw new InvalidStepEvent('expected a JSON object');
  const { state } = event;
  if (!isTaskName(state) || TASKS[state].fn !== fn) {
    const states = TASK_NAMES.filter((name) => TASKS[name].fn === fn);
    throw new InvalidStepEvent(
      `state must name a Task state that invokes ${fn} (${states.join(', ')}); got ${JSON.stringify(state) ?? 'nothing'}`,
    );
  }
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
  // Checked field by field against the very spec FunctionPayload<F> is derived from.
  return payload as FunctionPayload<F>;
}
