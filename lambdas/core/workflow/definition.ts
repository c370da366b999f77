import type { FunctionKey } from '../../catalog';
import {
  ref,
  type CatchRule,
  type ChoiceState,
  type PassState,
  type PayloadOf,
  type PayloadSpec,
  type State,
  type TaskState,
  type TaskTimeout,
  type WaitState,
  type Workflow,
} from './asl';
import {
  anything,
  goLiveRequest,
  muteSeen,
  percent,
  planSeen,
  readinessReport,
  requestSeen,
  rolloutPlan,
  stepError,
  text,
  wholeNumber,
  unmuteSeen,
} from './payload';

/**
 * The go-live workflow, written once. `npm run asl` renders it to state-machines/go-live.asl.json
 * (a test fails when the committed file differs); AWS Step Functions and the local engine run that
 * file. State names, timeouts, the retry policy, payload types and time budgets all come from here.
 */

/** What the Task states read from the state data and the context object, with the check applied on receipt. */
const data = {
  executionId: ref('$$.Execution.Id', text),
  startTime: ref('$$.Execution.StartTime', text),
  taskToken: ref('$$.Task.Token', text),
  /** The execution input as given: ValidateAndLock validates it. */
  rawRequest: ref('$.request', anything),
  request: ref('$.request', goLiveRequest),
  plan: ref('$.plan', rolloutPlan),
  requestSeen: ref('$.request', requestSeen),
  planSeen: ref('$.plan', planSeen),
  error: ref('$.error', stepError),
  rollbackError: ref('$.rollbackError', stepError),
  /** What MuteAlerts muted (null before it did): the rollback path needs it when the store cannot be read. */
  mute: ref('$.mute', muteSeen),
  /** Restoring the alerts on the rollback path: null (not tried), done, or its error. */
  unmute: ref('$.unmute', unmuteSeen),
  canaryWeight: ref('States.ArrayGetItem($.plan.steps, $.canary.index)', percent),
  bakeWeight: ref('$.traffic.value.weight', percent),
  readiness: ref('$.readiness.value', readinessReport),
  canaryIndex: ref('$.canary.index', wholeNumber),
};

/** Forward states: the request and plan ValidateAndLock validated. */
const forward = { executionId: data.executionId, request: data.request, plan: data.plan };
/** Rollback path: whatever of the request and plan exists, and the first error. */
const rollingBack = {
  executionId: data.executionId,
  request: data.requestSeen,
  plan: data.planSeen,
  error: data.error,
};

const toRollback = { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Rollback' } as const;
const toRollbackFailed = {
  ErrorEquals: ['States.ALL'],
  ResultPath: '$.rollbackError',
  Next: 'NotifyRollbackFailed',
} as const;
/** A callback's timeout is its success (a bake that saw no alarm passed). */
const timeoutPasses = <const N extends string>(next: N) =>
  ({ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: next }) as const;
/** A hold resumed before it began goes straight back to its boundary. */
const holdEnded = <const N extends string>(next: N) =>
  ({ ErrorEquals: ['HoldEnded'], ResultPath: null, Next: next }) as const;
/** A notification failure is recorded, never a reason to roll back production. */
const notificationFails = <const N extends string>(next: N) =>
  ({ ErrorEquals: ['States.ALL'], ResultPath: '$.notificationError', Next: next }) as const;

const selectValue = { 'value.$': '$.Payload' } as const;

interface TaskOptions<N extends string, F extends FunctionKey, P extends PayloadSpec> {
  Comment?: string;
  fn: F;
  callback?: boolean;
  payload: P;
  timeout: TaskTimeout;
  resultSelector?: Readonly<Record<string, unknown>>;
  resultPath?: string | null;
  catches: readonly CatchRule<N>[];
  Next: N;
}

/** A Lambda Task (the retry policy is every Task's); `state` is the name it is registered under. */
function task<const S extends string, const N extends string, const F extends FunctionKey, const P extends PayloadSpec>(
  state: S,
  options: TaskOptions<N, F, P>,
): TaskState<N, F, P, S> {
  const { callback = false, ...rest } = options;
  return { Type: 'Task', state, callback, ...rest };
}

const choice = <const N extends string>(state: Omit<ChoiceState<N>, 'Type'>): ChoiceState<N> => ({
  Type: 'Choice',
  ...state,
});
const pass = <const N extends string>(state: Omit<PassState<N>, 'Type'>): PassState<N> => ({ Type: 'Pass', ...state });
const wait = <const N extends string>(state: Omit<WaitState<N>, 'Type'>): WaitState<N> => ({ Type: 'Wait', ...state });

/** Faults of AwaitRetry itself, never one it throws on purpose (those are the go-live's own errors). */
export const AWAIT_RETRY_FAULTS = [
  'States.Timeout',
  'Lambda.Unknown',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'Lambda.ClientExecutionTimeoutException',
] as const;

/** Longest a bake or sign-off function may take to register its callback (its Lambda timeout). */
const CALLBACK_INVOKE_SECONDS = 30;

/** A step boundary (Checkpoint, CheckpointBeforePromotion): continue, hold or promote (controls.ts). */
const checkpointPayload = { ...forward, action: 'checkpoint', canaryIndex: data.canaryIndex } as const;
const checkpointTask = <const S extends string, const N extends string>(state: S, Comment: string, Next: N) =>
  task<S, N | 'Rollback', 'lock', typeof checkpointPayload>(state, {
    Comment,
    fn: 'lock',
    payload: checkpointPayload,
    timeout: { seconds: 30 },
    resultSelector: selectValue,
    resultPath: '$.control',
    catches: [toRollback],
    Next,
  });

/** A hold at a boundary (Paused, PausedBeforePromotion): back to the boundary when resumed or due for a look. */
const holdPayload = { ...forward, taskToken: data.taskToken, action: 'hold', canaryIndex: data.canaryIndex } as const;
const holdTask = <const S extends string, const B extends string>(state: S, Comment: string, boundary: B) =>
  task<S, B | 'Rollback', 'bake', typeof holdPayload>(state, {
    Comment,
    fn: 'bake',
    callback: true,
    payload: holdPayload,
    timeout: { path: '$.control.value.holdSeconds', invokeSeconds: CALLBACK_INVOKE_SECONDS },
    resultPath: null,
    catches: [timeoutPasses(boundary), holdEnded(boundary), toRollback],
    Next: boundary,
  });

const states = {
  Init: pass({
    Comment: 'Keep the raw request where every later state (and the rollback path) finds it.',
    // Every path a rollback-path state reads exists from here on (a missing path fails the state).
    Parameters: { 'request.$': '$', plan: {}, lock: {}, mute: null, unmute: null, retry: { resumeAt: 'none' } },
    Next: 'ValidateAndLock',
  }),
  ValidateAndLock: task('ValidateAndLock', {
    Comment: 'Validate the request against the config, plan the rollout and take the per-service lock.',
    fn: 'lock',
    payload: { executionId: data.executionId, request: data.rawRequest, action: 'acquire', startTime: data.startTime },
    timeout: { seconds: 30 },
    // No ResultPath: the selected result is the state data from here on.
    resultSelector: {
      'request.$': '$.Payload.request',
      'plan.$': '$.Payload.plan',
      'lock.$': '$.Payload.lock',
      canary: { index: 0 },
      mute: null,
      unmute: null,
      retry: { resumeAt: 'none' },
    },
    catches: [toRollback],
    Next: 'BreakGlass?',
  }),
  'BreakGlass?': choice({
    Comment: 'Inside a change freeze, a break-glass go-live waits for the emergency role before anything changes.',
    Choices: [{ Variable: '$.plan.breakGlass', StringEquals: 'required', Next: 'BreakGlass' }],
    Default: 'CheckReadiness',
  }),
  BreakGlass: task('BreakGlass', {
    Comment:
      'Ask the emergency role to approve a go-live inside a change freeze; N approvals resume it, a rejection or the timeout rolls back (nothing has changed yet).',
    fn: 'approval',
    callback: true,
    payload: { ...forward, taskToken: data.taskToken },
    timeout: { path: '$.plan.breakGlassTimeoutSeconds', invokeSeconds: CALLBACK_INVOKE_SECONDS },
    // The caller's output is never trusted: MuteAlerts and every traffic change re-check the store.
    resultPath: null,
    catches: [toRollback],
    Next: 'CheckReadiness',
  }),
  CheckReadiness: task('CheckReadiness', {
    Comment: 'Production-readiness gate: required items failing stop the go-live before anything changes.',
    fn: 'readiness',
    payload: forward,
    timeout: { seconds: 120 },
    resultSelector: selectValue,
    resultPath: '$.readiness',
    catches: [toRollback],
    Next: 'MuteAlerts',
  }),
  MuteAlerts: task('MuteAlerts', {
    Comment:
      "Self-expiring mute of the service's alarms; alarms already muted or disabled are recorded and left alone.",
    fn: 'alerts',
    payload: { ...forward, action: 'mute' },
    timeout: { seconds: 60 },
    resultSelector: selectValue,
    resultPath: '$.mute',
    catches: [toRollback],
    Next: 'AfterMute?',
  }),
  'AfterMute?': choice({
    Comment:
      'An undo takes the fast path (no restore proof: it goes back to a version that was live); a retry resumes where its go-live failed.',
    Choices: [
      { Variable: '$.plan.kind', StringEquals: 'undo', Next: 'PreTrafficSmokeTests' },
      { Variable: '$.retry.resumeAt', StringEquals: 'PreTrafficSmokeTests', Next: 'PreTrafficSmokeTests' },
    ],
    Default: 'StartRestore',
  }),
  StartRestore: task('StartRestore', {
    Comment:
      'Latest recovery point within RPO; its scratch target recorded, then its restore started (a retry adopts what an earlier attempt started). Restores take minutes to an hour or more: the loop below polls, within the budget of the backup kind.',
    fn: 'backup',
    payload: { ...forward, action: 'start' },
    timeout: { seconds: 300 },
    resultSelector: selectValue,
    resultPath: '$.restore',
    catches: [toRollback],
    Next: 'RestoreReady?',
  }),
  'RestoreReady?': choice({
    Comment:
      'Bounded polling: the restore is validated once ready, or once the attempts are used up (VerifyBackup then deletes the scratch target and fails with BackupVerificationFailed).',
    Choices: [
      { Variable: '$.restore.value.status', StringEquals: 'ready', Next: 'VerifyBackup' },
      {
        Variable: '$.restore.value.attempt',
        NumericGreaterThanEqualsPath: '$.restore.value.maxAttempts',
        Next: 'VerifyBackup',
      },
    ],
    Default: 'WaitForRestore',
  }),
  WaitForRestore: wait({ SecondsPath: '$.restore.value.pollSeconds', Next: 'CheckRestore' }),
  CheckRestore: task('CheckRestore', {
    Comment: 'One status check of the restore; never waits (the Wait state does).',
    fn: 'backup',
    payload: { ...forward, action: 'check' },
    timeout: { seconds: 300 },
    resultSelector: selectValue,
    resultPath: '$.restore',
    catches: [toRollback],
    Next: 'RestoreReady?',
  }),
  VerifyBackup: task('VerifyBackup', {
    Comment: 'Validate the restored scratch target (integrity, row counts / sample), then delete it.',
    fn: 'backup',
    payload: { ...forward, action: 'validate' },
    timeout: { seconds: 300 },
    resultSelector: selectValue,
    resultPath: '$.backup',
    catches: [toRollback],
    Next: 'PreTrafficSmokeTests',
  }),
  PreTrafficSmokeTests: task('PreTrafficSmokeTests', {
    Comment: 'Smoke-test the candidate (green) directly, before it takes any traffic.',
    fn: 'smoke-test',
    payload: { ...forward, phase: 'pre-traffic' },
    timeout: { seconds: 300 },
    resultSelector: selectValue,
    resultPath: '$.smoke.preTraffic',
    catches: [toRollback],
    Next: 'SignOffBeforeTraffic?',
  }),
  'SignOffBeforeTraffic?': choice({
    Choices: [{ Variable: '$.plan.signOff', StringEquals: 'before-traffic', Next: 'SignOff' }],
    Default: 'Checkpoint',
  }),
  Checkpoint: checkpointTask(
    'Checkpoint',
    'A step boundary before each traffic change: hold here while paused (or skip the remaining canary steps when promoted); a hold beyond controls.maxHoldSeconds rolls back.',
    'Held?',
  ),
  'Held?': choice({
    Choices: [
      { Variable: '$.control.value.action', StringEquals: 'hold', Next: 'Paused' },
      { Variable: '$.control.value.action', StringEquals: 'promote', Next: 'SignOffBeforePromotion?' },
    ],
    Default: 'MoreCanarySteps?',
  }),
  Paused: holdTask(
    'Paused',
    'Held at a step boundary until resumed or the hold is due for another look; the watch goes on: once traffic has moved, an alarm fails it at once (AlarmTriggered).',
    'Checkpoint',
  ),
  'MoreCanarySteps?': choice({
    Choices: [{ Variable: '$.canary.index', NumericLessThanPath: '$.plan.stepCount', Next: 'ShiftTraffic' }],
    Default: 'SignOffBeforePromotion?',
  }),
  ShiftTraffic: task('ShiftTraffic', {
    Comment: 'Shift the next canary share of traffic to the candidate and read the weights back.',
    fn: 'traffic',
    payload: { ...forward, action: 'shift', weight: data.canaryWeight },
    timeout: { seconds: 120 },
    resultSelector: selectValue,
    resultPath: '$.traffic',
    catches: [toRollback],
    Next: 'BakeRequired?',
  }),
  'BakeRequired?': choice({
    Choices: [{ Variable: '$.plan.bakeSeconds', NumericGreaterThan: 0, Next: 'Bake' }],
    Default: 'NextCanaryStep',
  }),
  Bake: task('Bake', {
    Comment:
      'Watch alarms for bakeSeconds. The timeout means the bake passed; an alarm fails the task at once (AlarmTriggered).',
    fn: 'bake',
    callback: true,
    payload: { ...forward, taskToken: data.taskToken, phase: 'canary', weight: data.bakeWeight },
    timeout: { path: '$.plan.bakeSeconds', invokeSeconds: CALLBACK_INVOKE_SECONDS },
    resultPath: null,
    catches: [timeoutPasses('AnalyzeCanary'), toRollback],
    Next: 'AnalyzeCanary',
  }),
  AnalyzeCanary: task('AnalyzeCanary', {
    Comment:
      'Judge what the candidate served during the bake against the stable version (requests, 5xx rate, latency); a failing verdict rolls back with CanaryAnalysisFailed.',
    fn: 'bake',
    payload: { ...forward, action: 'analyze', weight: data.bakeWeight },
    timeout: { seconds: 60 },
    resultSelector: selectValue,
    resultPath: '$.analysis',
    catches: [toRollback],
    Next: 'NextCanaryStep',
  }),
  NextCanaryStep: pass({
    Parameters: { 'index.$': 'States.MathAdd($.canary.index, 1)' },
    ResultPath: '$.canary',
    Next: 'Checkpoint',
  }),
  'SignOffBeforePromotion?': choice({
    Choices: [{ Variable: '$.plan.signOff', StringEquals: 'before-promotion', Next: 'SignOff' }],
    Default: 'CheckpointBeforePromotion',
  }),
  SignOff: task('SignOff', {
    Comment:
      'Ask the approvers in Slack; N-of-M approvals resume the workflow, a rejection or the timeout rolls back. Once traffic has moved, a watched alarm fails it at once (AlarmTriggered).',
    fn: 'approval',
    callback: true,
    payload: { ...forward, taskToken: data.taskToken, readiness: data.readiness },
    timeout: { path: '$.plan.approvalTimeoutSeconds', invokeSeconds: CALLBACK_INVOKE_SECONDS },
    resultPath: '$.approval',
    catches: [toRollback],
    Next: 'AfterSignOff',
  }),
  AfterSignOff: choice({
    Choices: [{ Variable: '$.plan.signOff', StringEquals: 'before-traffic', Next: 'Checkpoint' }],
    Default: 'CheckpointBeforePromotion',
  }),
  CheckpointBeforePromotion: checkpointTask(
    'CheckpointBeforePromotion',
    'The boundary before promotion: held while paused, or while a change freeze that began during the go-live is in force (freezePolicy.duringRun: hold).',
    'HeldBeforePromotion?',
  ),
  'HeldBeforePromotion?': choice({
    Choices: [{ Variable: '$.control.value.action', StringEquals: 'hold', Next: 'PausedBeforePromotion' }],
    Default: 'Promote',
  }),
  PausedBeforePromotion: holdTask(
    'PausedBeforePromotion',
    'Held before promotion, watched like Paused.',
    'CheckpointBeforePromotion',
  ),
  Promote: task('Promote', {
    Comment: 'Send 100% of traffic to the candidate and read the weights back.',
    fn: 'traffic',
    payload: { ...forward, action: 'promote' },
    timeout: { seconds: 120 },
    resultSelector: selectValue,
    resultPath: '$.traffic',
    catches: [toRollback],
    Next: 'PostPromotionSmokeTests',
  }),
  PostPromotionSmokeTests: task('PostPromotionSmokeTests', {
    Comment: 'Smoke-test the live endpoint after promotion.',
    fn: 'smoke-test',
    payload: { ...forward, phase: 'post-promotion' },
    timeout: { seconds: 300 },
    resultSelector: selectValue,
    resultPath: '$.smoke.postPromotion',
    catches: [toRollback],
    Next: 'PostPromotionBake?',
  }),
  'PostPromotionBake?': choice({
    Choices: [{ Variable: '$.plan.postPromotionBakeSeconds', NumericGreaterThan: 0, Next: 'PostPromotionBake' }],
    Default: 'UnmuteAlerts',
  }),
  PostPromotionBake: task('PostPromotionBake', {
    Comment: 'Watch alarms after promotion (every strategy); an alarm switches back at once.',
    fn: 'bake',
    callback: true,
    payload: { ...forward, taskToken: data.taskToken, phase: 'post-promotion', weight: 100 },
    timeout: { path: '$.plan.postPromotionBakeSeconds', invokeSeconds: CALLBACK_INVOKE_SECONDS },
    resultPath: null,
    catches: [timeoutPasses('UnmuteAlerts'), toRollback],
    Next: 'UnmuteAlerts',
  }),
  UnmuteAlerts: task('UnmuteAlerts', {
    Comment: 'Remove the mute rules golive created; alarms muted before the go-live stay as they were.',
    fn: 'alerts',
    payload: { ...forward, action: 'unmute', mute: data.mute },
    timeout: { seconds: 60 },
    resultSelector: selectValue,
    resultPath: '$.unmute',
    catches: [toRollback],
    Next: 'ReleaseLock',
  }),
  ReleaseLock: task('ReleaseLock', {
    Comment: 'Record the new live version and release the service lock.',
    fn: 'lock',
    payload: { ...forward, action: 'release', outcome: 'succeeded' },
    timeout: { seconds: 30 },
    resultSelector: selectValue,
    resultPath: '$.release',
    catches: [toRollback],
    Next: 'NotifySuccess',
  }),
  NotifySuccess: task('NotifySuccess', {
    Comment: 'Tell the release channel. A notification failure is recorded, never a reason to roll back production.',
    fn: 'notify',
    payload: { ...forward, event: 'succeeded' },
    timeout: { seconds: 30 },
    resultSelector: selectValue,
    resultPath: '$.notification',
    catches: [notificationFails('GoLiveSucceeded')],
    Next: 'GoLiveSucceeded',
  }),
  GoLiveSucceeded: { Type: 'Succeed' },
  Rollback: task('Rollback', {
    Comment:
      'Traffic 100% back on the stable version (read back to prove it); only what this execution changed is undone.',
    fn: 'traffic',
    payload: { ...rollingBack, action: 'rollback' },
    timeout: { seconds: 300 },
    resultSelector: selectValue,
    resultPath: '$.rollback',
    // Traffic could not be restored: alerts come back first, so the failure pages someone.
    catches: [{ ...toRollbackFailed, Next: 'UnmuteAfterFailedRollback' }],
    Next: 'UnmuteAfterRollback',
  }),
  UnmuteAfterFailedRollback: task('UnmuteAfterFailedRollback', {
    Comment:
      'The traffic rollback failed: restore alerts anyway, so the service pages its on-call while a human takes over.',
    fn: 'alerts',
    payload: { ...rollingBack, action: 'unmute', mute: data.mute, rollbackError: data.rollbackError },
    timeout: { seconds: 60 },
    resultSelector: selectValue,
    resultPath: '$.unmute',
    // Its error takes the result's place, so NotifyRollbackFailed says whether alerts are back.
    catches: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.unmute', Next: 'NotifyRollbackFailed' }],
    Next: 'NotifyRollbackFailed',
  }),
  UnmuteAfterRollback: task('UnmuteAfterRollback', {
    Comment: 'Restore alerts exactly as they were before the go-live.',
    fn: 'alerts',
    payload: { ...rollingBack, action: 'unmute', mute: data.mute },
    timeout: { seconds: 60 },
    resultSelector: selectValue,
    resultPath: '$.unmute',
    catches: [toRollbackFailed],
    Next: 'ReleaseLockAfterRollback',
  }),
  ReleaseLockAfterRollback: task('ReleaseLockAfterRollback', {
    Comment: "Release the lock if this execution holds it (a LockHeld failure leaves the other go-live's lock alone).",
    fn: 'lock',
    payload: { ...rollingBack, action: 'release', outcome: 'rolled-back' },
    timeout: { seconds: 30 },
    resultSelector: selectValue,
    resultPath: '$.release',
    catches: [toRollbackFailed],
    Next: 'NotifyRollback',
  }),
  NotifyRollback: task('NotifyRollback', {
    Comment: 'Tell the requester and the channel what failed and that everything was rolled back.',
    fn: 'notify',
    payload: { ...rollingBack, event: 'rolled-back' },
    timeout: { seconds: 30 },
    resultSelector: selectValue,
    resultPath: '$.notification',
    catches: [notificationFails('AwaitRetry')],
    Next: 'AwaitRetry',
  }),
  AwaitRetry: task('AwaitRetry', {
    Comment:
      'Rolled back. A failure golive retry may redrive (a provider outage, a smoke test or backup proof failing on the environment) ends the execution here, failing with its first error; redriven by golive retry, it re-checks who asked, the freeze and the lock, then resumes.',
    fn: 'lock',
    payload: { ...rollingBack, action: 'await-retry' },
    timeout: { seconds: 60 },
    resultSelector: selectValue,
    resultPath: '$.retry',
    // Its deliberate failure (the first error, again) is the point a redrive continues from: left
    // uncaught. A fault of its own ends the go-live as GoLiveFailed would, with the first error.
    catches: [{ ErrorEquals: [...AWAIT_RETRY_FAULTS], ResultPath: null, Next: 'GoLiveFailed' }],
    Next: 'Retrying?',
  }),
  'Retrying?': choice({
    Choices: [{ Variable: '$.retry.value.resumeAt', StringEquals: 'none', Next: 'GoLiveFailed' }],
    Default: 'ResetForRetry',
  }),
  ResetForRetry: pass({
    Comment: 'A retry starts its traffic from the first canary step, with alerts muted afresh.',
    Parameters: { 'resumeAt.$': '$.retry.value.resumeAt', 'lock.$': '$.retry.value.lock' },
    ResultPath: '$.retry',
    Next: 'ResetCanary',
  }),
  ResetCanary: pass({ Parameters: { index: 0 }, ResultPath: '$.canary', Next: 'ResetMute' }),
  ResetMute: pass({ Result: null, ResultPath: '$.mute', Next: 'ResetUnmute' }),
  ResetUnmute: pass({ Result: null, ResultPath: '$.unmute', Next: 'ResumeAt?' }),
  'ResumeAt?': choice({
    Choices: [{ Variable: '$.retry.resumeAt', StringEquals: 'CheckReadiness', Next: 'CheckReadiness' }],
    Default: 'MuteAlerts',
  }),
  GoLiveFailed: {
    Type: 'Fail',
    Comment: "Ends with the first error's name and cause.",
    ErrorPath: '$.error.Error',
    CausePath: '$.error.Cause',
  },
  NotifyRollbackFailed: task('NotifyRollbackFailed', {
    Comment: 'Loud notification: the rollback itself failed and needs a human.',
    fn: 'notify',
    payload: {
      ...rollingBack,
      event: 'rollback-failed',
      rollbackError: data.rollbackError,
      mute: data.mute,
      unmute: data.unmute,
    },
    timeout: { seconds: 30 },
    resultSelector: selectValue,
    resultPath: '$.notification',
    catches: [notificationFails('DescribeRollbackFailure')],
    Next: 'DescribeRollbackFailure',
  }),
  DescribeRollbackFailure: pass({
    Comment:
      "The execution's own output names both failures, so a rollback failure is told even when Slack and the store are down.",
    Parameters: {
      'cause.$':
        "States.Format('The rollback did not complete: rolling back after {} failed with {}. Traffic, alerts or the lock may need a human; the lock stays held. See the execution history and the audit trail.', $.error.Error, $.rollbackError.Error)",
    },
    ResultPath: '$.rollbackFailure',
    Next: 'RollbackFailed',
  }),
  RollbackFailed: {
    Type: 'Fail',
    Error: 'RollbackFailed',
    CausePath: '$.rollbackFailure.cause',
  },
} as const;

/** Every state of the go-live workflow, by name: a misspelt name does not compile. */
export type StateName = keyof typeof states;
type States = typeof states;
/** The Task states (those that invoke a function). */
export type TaskName = { [K in StateName]: States[K] extends { Type: 'Task' } ? K : never }[StateName];

// Every Next, Default and Catch names a state of this workflow, and every Task registers under
// its own name: checked here, by the compiler.
const checked: {
  readonly [K in StateName]: States[K] extends { Type: 'Task' }
    ? TaskState<StateName, FunctionKey, PayloadSpec, K>
    : State<StateName>;
} = states;

/** The go-live workflow (`renderAsl(GO_LIVE)` is state-machines/go-live.asl.json). */
export const GO_LIVE: Workflow<StateName> = {
  Comment:
    'golive: one go-live of one service, from readiness to promotion, with automatic rollback. Shared by AWS Step Functions and the local engine.',
  StartAt: 'Init',
  // A whole go-live must fit in it (config validation checks the worst case against it).
  TimeoutSeconds: 86400,
  States: checked,
};

type TaskOf<S extends TaskName> = States[S] extends TaskState<string, FunctionKey, infer P, string> ? P : never;

/** What the Task state S sends its function: the state's name, then each field of its Payload. */
export type StepPayload<S extends TaskName> = S extends TaskName ? { state: S } & PayloadOf<TaskOf<S>> : never;

/** Every payload function F may receive, discriminated by `state`. */
export type FunctionPayload<F extends FunctionKey> = {
  [S in TaskName]: States[S] extends { fn: F } ? StepPayload<S> : never;
}[TaskName];

/** The rollback path's Task states, from the first Catch to the last notification. */
export const ROLLBACK_PATH = [
  'Rollback',
  'UnmuteAfterRollback',
  'UnmuteAfterFailedRollback',
  'ReleaseLockAfterRollback',
  'NotifyRollback',
  'NotifyRollbackFailed',
] as const satisfies readonly TaskName[];

/** The Task states, by name. */
export const TASKS = Object.fromEntries(
  Object.entries<State<StateName>>(states).filter(([, s]) => s.Type === 'Task'),
) as { readonly [S in TaskName]: States[S] };

export const TASK_NAMES = Object.keys(TASKS) as TaskName[];

export const isTaskName = (name: unknown): name is TaskName =>
  typeof name === 'string' && Object.prototype.hasOwnProperty.call(TASKS, name);
