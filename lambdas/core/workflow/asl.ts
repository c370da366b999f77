import { FUNCTIONS, type FunctionKey } from '../../catalog';

/**
 * A small typed builder for the subset of Amazon States Language (JSONPath) golive uses. The
 * workflow is written with it once (definition.ts) and rendered to state-machines/go-live.asl.json,
 * which AWS and the local engine both run. It knows no AWS SDK and no CDK, so the definition can be
 * bundled into the functions that need its facts (payload checks, time budgets).
 */

/**
 * A value Step Functions fills in when a state runs — a JSONPath into the state input, a context
 * path (`$$.…`) or an intrinsic function — with the check its receiver applies at the handler
 * boundary, which also gives its TypeScript type.
 */
export interface Ref<T> {
  readonly kind: 'ref';
  readonly path: string;
  readonly parse: (value: unknown, field: string) => T;
}

export function ref<T>(path: string, parse: (value: unknown, field: string) => T): Ref<T> {
  return { kind: 'ref', path, parse };
}

type Constant = string | number | boolean;
/** A Task's Payload: each field a constant or a Ref. */
export type PayloadSpec = { readonly [field: string]: Ref<unknown> | Constant };
/** What the function receives for a PayloadSpec. */
export type PayloadOf<S extends PayloadSpec> = { -readonly [K in keyof S]: S[K] extends Ref<infer T> ? T : S[K] };

export const isRef = (value: unknown): value is Ref<unknown> =>
  typeof value === 'object' && value !== null && (value as { kind?: unknown }).kind === 'ref';

/**
 * Transient faults every Task retries with backoff: Lambda's own service errors and a provider
 * outage a step reports as ProviderUnavailable. Anything else goes straight to the Catch.
 */
export const RETRY_POLICY = {
  ErrorEquals: [
    // The transient Lambda faults AWS documents for lambda:invoke Tasks, all four of them.
    'Lambda.ClientExecutionTimeoutException',
    'Lambda.ServiceException',
    'Lambda.AWSLambdaException',
    'Lambda.SdkClientException',
    'Lambda.TooManyRequestsException',
    'ProviderUnavailable',
  ],
  IntervalSeconds: 1,
  MaxAttempts: 3,
  BackoffRate: 2,
  MaxDelaySeconds: 10,
  JitterStrategy: 'FULL',
} as const;

/** The longest wait before each retry of RETRY_POLICY (full jitter only ever shortens it). */
export function retryDelaysSeconds(policy: typeof RETRY_POLICY = RETRY_POLICY): number[] {
  return Array.from({ length: policy.MaxAttempts }, (_, i) =>
    Math.min(policy.IntervalSeconds * policy.BackoffRate ** i, policy.MaxDelaySeconds),
  );
}

export interface CatchRule<N extends string> {
  readonly ErrorEquals: readonly string[];
  readonly ResultPath: string | null;
  readonly Next: N;
}

/** How long a Task may run: a fixed TimeoutSeconds, or (callback tasks) a path into the state input. */
export type TaskTimeout =
  | { readonly seconds: number }
  | {
      /** TimeoutSecondsPath: how long the callback waits (a bake, the sign-off). */
      readonly path: string;
      /**
       * The longest a failed invocation of the function takes before Step Functions retries it
       * (the function's own timeout; the CDK construct refuses a longer one). Budgets only.
       */
      readonly invokeSeconds: number;
    };

export interface TaskState<N extends string, F extends FunctionKey, P extends PayloadSpec, S extends string> {
  readonly Type: 'Task';
  readonly Comment?: string;
  /** The catalog function it invokes. */
  readonly fn: F;
  /** `.waitForTaskToken`: the task ends when someone calls SendTaskSuccess/Failure, or at its timeout. */
  readonly callback: boolean;
  /** Added to every payload as `state`: the receiving function knows which state called it. */
  readonly state: S;
  readonly payload: P;
  readonly timeout: TaskTimeout;
  readonly resultSelector?: Readonly<Record<string, unknown>>;
  /** Omitted: the (selected) result replaces the state data. */
  readonly resultPath?: string | null;
  readonly catches: readonly CatchRule<N>[];
  readonly Next: N;
}

type ChoiceTest =
  | { readonly StringEquals: string }
  | { readonly NumericGreaterThan: number }
  | { readonly NumericLessThanPath: string }
  | { readonly NumericGreaterThanEqualsPath: string };
export type ChoiceRule<N extends string> = { readonly Variable: string; readonly Next: N } & ChoiceTest;

export interface ChoiceState<N extends string> {
  readonly Type: 'Choice';
  readonly Comment?: string;
  readonly Choices: readonly ChoiceRule<N>[];
  readonly Default: N;
}
export interface PassState<N extends string> {
  readonly Type: 'Pass';
  readonly Comment?: string;
  readonly Parameters?: Readonly<Record<string, unknown>>;
  /** A constant result (what Parameters cannot give: null, a number, a string). */
  readonly Result?: unknown;
  readonly ResultPath?: string;
  readonly Next: N;
}
export interface WaitState<N extends string> {
  readonly Type: 'Wait';
  readonly Comment?: string;
  readonly SecondsPath: string;
  readonly Next: N;
}
export interface SucceedState {
  readonly Type: 'Succeed';
  readonly Comment?: string;
}
export interface FailState {
  readonly Type: 'Fail';
  readonly Comment?: string;
  readonly Error?: string;
  readonly Cause?: string;
  readonly ErrorPath?: string;
  readonly CausePath?: string;
}

export type State<N extends string> =
  | TaskState<N, FunctionKey, PayloadSpec, string>
  | ChoiceState<N>
  | PassState<N>
  | WaitState<N>
  | SucceedState
  | FailState;

/** The workflow as a whole; `States` keys are the state names. */
export interface Workflow<N extends string> {
  readonly Comment: string;
  readonly StartAt: N;
  readonly TimeoutSeconds: number;
  readonly States: { readonly [K in N]: State<N> };
}

const LAMBDA_INVOKE = 'arn:aws:states:::lambda:invoke';

function renderPayload(state: string, spec: PayloadSpec): Record<string, unknown> {
  const payload: Record<string, unknown> = {};
  for (const [field, value] of Object.entries(spec)) {
    if (isRef(value)) payload[`${field}.$`] = value.path;
    else payload[field] = value;
  }
  return { state, ...payload };
}

function renderTask(task: TaskState<string, FunctionKey, PayloadSpec, string>): Record<string, unknown> {
  const timeout =
    'seconds' in task.timeout ? { TimeoutSeconds: task.timeout.seconds } : { TimeoutSecondsPath: task.timeout.path };
  return {
    Type: 'Task',
    ...(task.Comment ? { Comment: task.Comment } : {}),
    Resource: task.callback ? `${LAMBDA_INVOKE}.waitForTaskToken` : LAMBDA_INVOKE,
    Parameters: {
      FunctionName: `\${${FUNCTIONS[task.fn].substitution}}`,
      Payload: renderPayload(task.state, task.payload),
    },
    ...timeout,
    ...(task.resultSelector ? { ResultSelector: task.resultSelector } : {}),
    ...(task.resultPath === undefined ? {} : { ResultPath: task.resultPath }),
    Retry: [RETRY_POLICY],
    Catch: task.catches,
    Next: task.Next,
  };
}

/** The ASL document, keys in the order Step Functions' own console shows them. */
export function renderAsl<N extends string>(workflow: Workflow<N>): Record<string, unknown> {
  const states: Record<string, unknown> = {};
  for (const [name, state] of Object.entries<State<N>>(workflow.States)) {
    states[name] = state.Type === 'Task' ? renderTask(state) : state;
  }
  return {
    Comment: workflow.Comment,
    StartAt: workflow.StartAt,
    TimeoutSeconds: workflow.TimeoutSeconds,
    States: states,
  };
}

/** The committed file's exact text (`npm run asl` writes it; a test compares it). */
export function renderAslText<N extends string>(workflow: Workflow<N>): string {
  return `${JSON.stringify(renderAsl(workflow), null, 2)}\n`;
}
