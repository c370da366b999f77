import { createHash } from 'node:crypto';
import type { ExecutionRedriveStatus } from '@aws-sdk/client-sfn';
import { REDRIVE_ENTRY_STATE, type PreparedDefinition } from './definition';
import { SfnError } from './errors';
import type { ExecutionRow, StateMachineRow, StoredEvent } from './store';

/** AWS redrives an execution up to 14 days after it stopped. */
export const REDRIVABLE_PERIOD_MS = 14 * 24 * 60 * 60 * 1000;
/** AWS answers a repeated client token with the first answer for 15 minutes. */
export const CLIENT_TOKEN_VALIDITY_MS = 15 * 60 * 1000;

export interface RedriveStatus {
  redriveStatus: ExecutionRedriveStatus;
  /** Set when NOT_REDRIVABLE: AWS's reason text. */
  redriveStatusReason?: string;
}

/** Identifies the definition an execution started with (stored with it). */
export function definitionSha256(definition: string): string {
  return createHash('sha256').update(definition).digest('hex');
}

/**
 * Whether RedriveExecution would accept the execution now, with AWS's reason when it would not. AWS redrives
 * with the definition the execution started with; the local store keeps only the state machine's current
 * one, so an execution whose state machine has been updated since it started is not redrivable here.
 */
export function redriveStatusOf(row: ExecutionRow, now: number, machine: StateMachineRow | undefined): RedriveStatus {
  if (row.status === 'RUNNING' || row.status === 'SUCCEEDED') {
    return {
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: `Execution is ${row.status} and cannot be redriven.`,
    };
  }
  if (row.stopDate !== null && now - row.stopDate > REDRIVABLE_PERIOD_MS) {
    return { redriveStatus: 'NOT_REDRIVABLE', redriveStatusReason: 'Execution redrivable period exceeded.' };
  }
  if (!machine || (row.definitionSha256 !== null && row.definitionSha256 !== definitionSha256(machine.definition))) {
    return {
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason:
        'The state machine definition changed after this execution started, and the local runtime redrives only ' +
        'with the definition an execution started with: start a new execution instead.',
    };
  }
  return { redriveStatus: 'REDRIVABLE' };
}

/** RedriveExecution's optional clientToken: 1 to 64 visible ASCII characters, as AWS constrains it. */
export function clientTokenOf(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string' || !/^[!-~]{1,64}$/.test(value)) {
    throw new SfnError(
      'ValidationException',
      "1 validation error detected: Value at 'clientToken' failed to satisfy constraint: Member must have length " +
        'between 1 and 64 and consist of visible ASCII characters (pass another clientToken, or none)',
    );
  }
  return value;
}

/** Where a redriven run starts: the top-level state to enter and the input it gets. */
export interface RedrivePoint {
  stateName: string;
  input: unknown;
}

interface LastState {
  name: string;
  input: string;
  output?: string;
}

/**
 * The unsuccessful step of an ended execution, from its recorded history: the last top-level state it
 * entered (a Task whose error was not caught, a Fail state, the state running when it was aborted or timed
 * out), with the input that state received. A failure inside a Parallel or Map state re-runs that whole
 * state. An execution that ended between two states (it had left one and not yet entered the next) goes
 * on at the next one when it is fixed (`Next`, no Catch); otherwise the state it left runs again.
 */
export function redrivePoint(
  prepared: PreparedDefinition,
  events: StoredEvent[],
  executionInput: string,
): RedrivePoint {
  const states = prepared.library.States;
  const isTopLevel = (name: unknown): name is string =>
    typeof name === 'string' && name !== REDRIVE_ENTRY_STATE && Object.prototype.hasOwnProperty.call(states, name);
  let last: LastState | undefined;
  for (const event of events) {
    const details = (event.details ?? {}) as { name?: unknown; input?: unknown; output?: unknown };
    if (!isTopLevel(details.name)) continue;
    if (event.type.endsWith('StateEntered')) last = { name: details.name, input: String(details.input) };
    else if (event.type.endsWith('StateExited') && last?.name === details.name) last.output = String(details.output);
  }
  if (!last) return { stateName: prepared.library.StartAt, input: JSON.parse(executionInput) as unknown };
  if (last.output !== undefined) {
    const state = states[last.name];
    if (state.Type !== 'Choice' && typeof state.Next === 'string' && state.Catch === undefined) {
      return { stateName: state.Next, input: JSON.parse(last.output) as unknown };
    }
  }
  return { stateName: last.name, input: JSON.parse(last.input) as unknown };
}
