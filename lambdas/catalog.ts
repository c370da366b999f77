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
  janitor: { description: 'Execution ABORTED / TIMED_OUT → roll back what the catch path could not' },
  'audit-export': { description: 'Execution ended → its complete audit record into the Object Lock archive' },
} as const;

export type FunctionKey = keyof typeof FUNCTIONS;
export const functionName = (key: string): string => `golive-${key}`;
