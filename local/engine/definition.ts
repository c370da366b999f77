import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { SfnError } from './errors';

/**
 * Longest timer Node can arm: setTimeout silently turns anything above 2^31-1 ms into 1 ms, which would
 * make a "never" timeout fire at once. AWS allows up to 99999999 s; locally we cap at ~24.8 days.
 */
export const MAX_TIMER_SECONDS = Math.floor(0x7fffffff / 1000);

export const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';
export const LAMBDA_INVOKE_CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';
const LAMBDA_FUNCTION_ARN = /^arn:aws[\w-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9_$-]+)?$/;

/** How a Task state talks to Lambda, which decides the result shape and the history events. */
export type TaskKind = 'invoke' | 'callback' | 'function';

/**
 * What the rewritten Parameters of every Task state resolve to: the engine's wrapper gets the state's
 * identity, its resolved timeout and the original resolved Parameters in one object.
 */
export interface WrappedTaskInput {
  __golive: { state: string; kind: TaskKind; resource: string; defaultTimeout: boolean };
  /** The state's Parameters resolved exactly as AWS would (or the effective input when there are none). */
  p: unknown;
  /** TimeoutSeconds, or the value TimeoutSecondsPath selected from the state input. */
  t: unknown;
}

export interface FailStateInfo {
  hasError: boolean;
  hasCause: boolean;
}

export interface PreparedDefinition {
  /** The definition as AWS would store it: substitutions applied, otherwise untouched. */
  definition: string;
  /** The definition handed to aws-local-stepfunctions (Task states rewritten, see prepareForLibrary). */
  machine: StateMachine;
  taskStateNames: string[];
  failStates: Map<string, FailStateInfo>;
  /** The definition object `machine` runs (what redriveMachine starts part-way through). */
  library: JsonObject & { StartAt: string; States: Record<string, JsonObject> };
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): SfnError {
  return new SfnError('InvalidDefinition', message);
}

export function lambdaArn(region: string, accountId: string, functionName: string): string {
  return `arn:aws:lambda:${region}:${accountId}:function:${functionName}`;
}

/**
 * Apply CloudFormation-style definitionSubstitutions. Values are Lambda function names (keys of the
 * engine's `functions`), turned into function ARNs; a value that already is an ARN is used as is.
 */
export function applySubstitutions(
  definition: string,
  substitutions: Record<string, string>,
  knownFunctions: readonly string[],
  region: string,
  accountId: string,
): string {
  const missing = new Set<string>();
  const result = definition.replace(/\$\{([^}]*)\}/g, (match, key: string) => {
    if (!Object.prototype.hasOwnProperty.call(substitutions, key)) {
      missing.add(key);
      return match;
    }
    const value = substitutions[key];
    if (value.startsWith('arn:')) return value;
    if (!knownFunctions.includes(value)) {
      throw invalid(
        `Substitution \${${key}} maps to function '${value}', which is not registered with the local engine ` +
          `(registered: ${knownFunctions.join(', ') || 'none'}).`,
      );
    }
    return lambdaArn(region, accountId, value);
  });
  if (missing.size > 0) {
    const names = [...missing].map((m) => `\${${m}}`).join(', ');
    throw invalid(
      `The definition references ${names} but no substitution was given for ${missing.size > 1 ? 'them' : 'it'}; ` +
        `pass substitutions: { ${[...missing].map((m) => `${m}: '<function name>'`).join(', ')} }.`,
    );
  }
  return result;
}

function taskKind(stateName: string, resource: unknown): TaskKind {
  if (resource === LAMBDA_INVOKE) return 'invoke';
  if (resource === LAMBDA_INVOKE_CALLBACK) return 'callback';
  if (typeof resource === 'string' && LAMBDA_FUNCTION_ARN.test(resource)) return 'function';
  throw invalid(
    `Task state '${stateName}' uses Resource '${String(resource)}'; the local engine runs only ` +
      `${LAMBDA_INVOKE}, ${LAMBDA_INVOKE_CALLBACK} and Lambda function ARNs.`,
  );
}

function hasField(obj: JsonObject, field: string): boolean {
  return field in obj || `${field}.$` in obj;
}

/**
 * Rewrite one Task state for aws-local-stepfunctions, which differs from AWS in three ways we correct:
 * - it evaluates TimeoutSecondsPath against the *Parameters output* instead of the state input, so the
 *   path's value is resolved inside Parameters (as `t`) and TimeoutSecondsPath becomes `$.t`;
 * - without a timeout it applies a hidden 60 s default where AWS has none;
 * - its handlers are keyed by state name only, so the state's identity travels in the input.
 */
function rewriteTask(stateName: string, state: JsonObject): JsonObject {
  const kind = taskKind(stateName, state.Resource);
  if (kind !== 'function') {
    if (!isObject(state.Parameters) || !hasField(state.Parameters, 'FunctionName')) {
      throw invalid(`Task state '${stateName}' (${String(state.Resource)}) needs Parameters.FunctionName.`);
    }
  }
  const meta: WrappedTaskInput['__golive'] = {
    state: stateName,
    kind,
    resource: String(state.Resource),
    defaultTimeout: false,
  };
  const parameters: JsonObject = { __golive: meta };
  if ('Parameters' in state) parameters.p = state.Parameters;
  else parameters['p.$'] = '$';

  const rewritten: JsonObject = { ...state, Parameters: parameters };
  if (typeof state.TimeoutSeconds === 'number') {
    const seconds = Math.min(state.TimeoutSeconds, MAX_TIMER_SECONDS);
    rewritten.TimeoutSeconds = seconds;
    parameters.t = seconds;
  } else if (typeof state.TimeoutSecondsPath === 'string') {
    parameters['t.$'] = state.TimeoutSecondsPath;
    rewritten.TimeoutSecondsPath = '$.t';
  } else {
    meta.defaultTimeout = true;
    rewritten.TimeoutSeconds = MAX_TIMER_SECONDS;
    parameters.t = MAX_TIMER_SECONDS;
  }
  return rewritten;
}

interface WalkResult {
  taskStateNames: Set<string>;
  failStates: Map<string, FailStateInfo>;
}

function rewriteStates(states: unknown, acc: WalkResult): JsonObject {
  if (!isObject(states)) throw invalid('States must be an object.');
  const out: JsonObject = {};
  for (const [name, raw] of Object.entries(states)) {
    if (!isObject(raw)) throw invalid(`State '${name}' must be an object.`);
    if (raw.QueryLanguage === 'JSONata') throw invalid(`State '${name}': the local engine runs JSONPath states only.`);
    let state: JsonObject = raw;
    switch (raw.Type) {
      case 'Task':
        state = rewriteTask(name, raw);
        acc.taskStateNames.add(name);
        break;
      case 'Parallel':
        if (Array.isArray(raw.Branches)) {
          state = { ...raw, Branches: raw.Branches.map((b: unknown) => rewriteMachine(b, acc)) };
        }
        break;
      case 'Map':
        state = { ...raw };
        if (raw.ItemProcessor !== undefined) state.ItemProcessor = rewriteMachine(raw.ItemProcessor, acc);
        if (raw.Iterator !== undefined) state.Iterator = rewriteMachine(raw.Iterator, acc);
        break;
      case 'Fail':
        acc.failStates.set(name, {
          hasError: hasField(raw, 'Error') || 'ErrorPath' in raw,
          hasCause: 'Cause' in raw || 'CausePath' in raw,
        });
        break;
      default:
        break;
    }
    out[name] = state;
  }
  return out;
}

function rewriteMachine(machine: unknown, acc: WalkResult): JsonObject {
  if (!isObject(machine)) throw invalid('A (sub-)state machine must be an object.');
  return { ...machine, States: rewriteStates(machine.States, acc) };
}

/**
 * Substitute, parse, validate (with the library's own asl-validator pass, as AWS validates on create) and
 * prepare a definition for execution.
 */
export function prepareDefinition(
  definition: string,
  substitutions: Record<string, string>,
  knownFunctions: readonly string[],
  region: string,
  accountId: string,
): PreparedDefinition {
  const substituted = applySubstitutions(definition, substitutions, knownFunctions, region, accountId);
  return prepareSubstituted(substituted);
}

/** asl-validator compiles its JSON schemas on every call (~200 ms); a definition text valid once stays valid. */
const validatedDefinitions = new Set<string>();

/** Prepare an already-substituted definition (as stored), e.g. when a restarted engine reloads it. */
export function prepareSubstituted(substituted: string): PreparedDefinition {
  let parsed: unknown;
  try {
    parsed = JSON.parse(substituted);
  } catch (err) {
    throw invalid(`The definition is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw invalid('The definition must be a JSON object.');
  if (parsed.QueryLanguage === 'JSONata') throw invalid('The local engine runs JSONPath definitions only.');
  if (!validatedDefinitions.has(substituted)) {
    try {
      // Validation only: the library's constructor runs asl-validator on the definition as written (on a
      // copy, since the validator annotates the states it checks).
      new StateMachine(JSON.parse(substituted) as StateMachineDefinition);
    } catch (err) {
      throw invalid((err as Error).message);
    }
    validatedDefinitions.add(substituted);
  }
  const acc: WalkResult = { taskStateNames: new Set(), failStates: new Map() };
  const rewritten = rewriteMachine(parsed, acc);
  if (typeof rewritten.TimeoutSeconds === 'number') {
    rewritten.TimeoutSeconds = Math.min(rewritten.TimeoutSeconds, MAX_TIMER_SECONDS);
  }
  const machine = new StateMachine(rewritten as unknown as StateMachineDefinition, {
    validationOptions: { noValidate: true },
  });
  return {
    definition: substituted,
    machine,
    taskStateNames: [...acc.taskStateNames],
    failStates: acc.failStates,
    library: rewritten as PreparedDefinition['library'],
  };
}

/** The state a redriven run enters first, in place of StartAt; its events are not history (see redrive.ts). */
export const REDRIVE_ENTRY_STATE = '__golive_redrive__';

/**
 * The prepared machine, entered at `stateName` with `input` as that state's input. The library has no
 * "start at" option and sets `$$.Execution.Input` to the run input, so the run starts with the execution's
 * own input at a Pass state that hands `input` to `stateName` (wrapped: the library's Pass ignores a falsy
 * Result).
 */
export function redriveMachine(prepared: PreparedDefinition, stateName: string, input: unknown): StateMachine {
  const { library } = prepared;
  const entry = { Type: 'Pass', Result: { input }, OutputPath: '$.input', Next: stateName };
  return new StateMachine(
    { ...library, StartAt: REDRIVE_ENTRY_STATE, States: { [REDRIVE_ENTRY_STATE]: entry, ...library.States } } as never,
    { validationOptions: { noValidate: true } },
  );
}
