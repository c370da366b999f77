/**
 * The workflow's Lambda functions: folder under lambdas/, the ASL `${Var}` that carries its ARN,
 * and what it does. The CDK stack, the local engine and the tests all read this one list.
 */
export const FUNCTIONS = {
  lock: {
    substitution: 'LockFunctionArn',
    description: 'Validate the request, plan the rollout, take and release the service lock',
  },
  readiness: { substitution: 'ReadinessFunctionArn', description: 'Production-readiness gate with evidence' },
  alerts: { substitution: 'AlertsFunctionArn', description: 'Self-expiring alarm mute and exact restore' },
  backup: {
    substitution: 'BackupFunctionArn',
    description: 'Restore the latest backup into a scratch target and validate it',
  },
  'smoke-test': {
    substitution: 'SmokeTestFunctionArn',
    description: 'HTTP smoke tests against the candidate or the live endpoint',
  },
  traffic: {
    substitution: 'TrafficFunctionArn',
    description: 'Shift, promote and roll back traffic, verified by read-back',
  },
  bake: { substitution: 'BakeFunctionArn', description: 'Register a bake (callback) against the watched alarms' },
  approval: { substitution: 'ApprovalFunctionArn', description: 'Request the sign-off (callback) from the approvers' },
  notify: { substitution: 'NotifyFunctionArn', description: 'Tell the release channel how the go-live ended' },
} as const;

/** Functions triggered by events rather than by the state machine. */
export const EVENT_FUNCTIONS = {
  'alarm-handler': { description: 'Alarm state change → fail the bakes watching that alarm (AlarmTriggered)' },
  janitor: {
    description:
      'Execution ABORTED / TIMED_OUT, or FAILED holding its lock or mute → roll back what the catch path could not',
  },
  'audit-export': { description: 'Execution ended → its complete audit record into the Object Lock archive' },
} as const;

/**
 * Functions behind an API of their own, invoked neither by the workflow nor by events: each is built
 * by its construct (lib/control-api.ts), with only the permissions its API needs.
 */
export const API_FUNCTIONS = {
  control: {
    description: 'Control API (IAM-authorized): start, list, describe, vote on and abort go-lives through GoLiveClient',
  },
} as const;
export type ApiFunctionKey = keyof typeof API_FUNCTIONS;

export type FunctionKey = keyof typeof FUNCTIONS;
export const functionName = (key: string): string => `golive-${key}`;

/** The workflow's definitionSubstitutions: each function's `${Var}` → `arnOf(function)`. */
export function workflowSubstitutions(arnOf: (key: FunctionKey) => string): Record<string, string> {
  return Object.fromEntries(
    (Object.keys(FUNCTIONS) as FunctionKey[]).map((key) => [FUNCTIONS[key].substitution, arnOf(key)]),
  );
}

export type EventFunctionKey = keyof typeof EVENT_FUNCTIONS;

/** An EventBridge event pattern, as golive uses them: lists of exact values, nested under `detail`. */
export interface EventPattern {
  readonly source: readonly string[];
  readonly 'detail-type': readonly string[];
  readonly detail?: Readonly<Record<string, unknown>>;
}

/** Which of a deployment's own resources a route is narrowed to (filled in by `routePattern`). */
export type RouteScope = 'watched-alarms' | 'this-state-machine';

export type EventRoute = {
  readonly description: string;
  readonly target: EventFunctionKey;
  /** Whether the local runtime delivers it too (the audit archive is an S3 bucket: AWS only). */
  readonly local: boolean;
} & (
  | { readonly pattern: EventPattern; readonly scope: RouteScope }
  | {
      readonly every: { readonly minutes: number };
      /** The local runtime's interval, when it differs from AWS's (default: `every`). */
      readonly localEvery?: { readonly minutes: number };
      readonly input: Readonly<Record<string, unknown>>;
    }
);

/** How often the local runtime fires a scheduled route: its `localEvery`, or its `every`. */
export function localIntervalMs(route: Extract<EventRoute, { every: unknown }>): number {
  return (route.localEvery ?? route.every).minutes * 60_000;
}

const EXECUTION_STATUS_CHANGE = {
  source: ['aws.states'],
  'detail-type': ['Step Functions Execution Status Change'],
} as const;

/**
 * Which events reach which event function: the one declaration the CDK stack (EventBridge rules)
 * and the local runtime (its event bus) both read.
 */
export const EVENT_ROUTES = {
  alarmStateChange: {
    description: 'a watched alarm went to ALARM -> fail the bakes watching it',
    target: 'alarm-handler',
    local: true,
    // Only ALARM fails a bake; filtering here saves invocations for OK / INSUFFICIENT_DATA.
    pattern: {
      source: ['aws.cloudwatch'],
      'detail-type': ['CloudWatch Alarm State Change'],
      detail: { state: { value: ['ALARM'] } },
    },
    scope: 'watched-alarms',
  },
  executionEnded: {
    description:
      'an execution was aborted, timed out or failed -> roll back what the catch path could not (a FAILED one that rolled back holds nothing: no-op)',
    target: 'janitor',
    local: true,
    pattern: { ...EXECUTION_STATUS_CHANGE, detail: { status: ['ABORTED', 'TIMED_OUT', 'FAILED'] } },
    scope: 'this-state-machine',
  },
  scratchSweep: {
    description: 'every 15 minutes -> retry deleting scratch restores that go-lives left behind',
    target: 'janitor',
    local: true,
    every: { minutes: 15 },
    input: { sweep: true },
  },
  reconcile: {
    description:
      'every 5 minutes (every minute locally) -> roll back the ended executions still holding their lock (their status change event was lost)',
    target: 'janitor',
    local: true,
    every: { minutes: 5 },
    localEvery: { minutes: 1 },
    input: { reconcile: true },
  },
  auditExport: {
    description: 'an execution ended -> archive its complete audit record (Object Lock)',
    target: 'audit-export',
    local: false,
    pattern: {
      ...EXECUTION_STATUS_CHANGE,
      detail: { status: ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'] },
    },
    scope: 'this-state-machine',
  },
} as const satisfies Record<string, EventRoute>;

export type EventRouteName = keyof typeof EVENT_ROUTES;

/** A route's pattern narrowed to one deployment: its watched alarms, or its state machine. */
export function routePattern(
  route: Extract<EventRoute, { pattern: EventPattern }>,
  deployment: { alarmNames: readonly string[]; stateMachineArn: string },
): EventPattern {
  const narrowed =
    route.scope === 'watched-alarms'
      ? { alarmName: [...deployment.alarmNames] }
      : { stateMachineArn: [deployment.stateMachineArn] };
  return { ...route.pattern, detail: { ...route.pattern.detail, ...narrowed } };
}
