import { join } from 'node:path';
import type { GoLiveConfig } from '../../lambdas/core/config';
import { loadConfig } from '../../lambdas/core/config-file';
import type {
  AlarmInfo,
  AlertsProvider,
  ApprovalRecord,
  AuditRecord,
  BackupEvidence,
  BackupProvider,
  Deps,
  Endpoints,
  ExecutionState,
  Executions,
  MeasureWindow,
  MetricsProvider,
  StepMeasurement,
  MuteMode,
  MuteRecord,
  NotificationEvent,
  Notifier,
  ObservedAlarm,
  ObservedArtifact,
  ObservedCapacity,
  ObservedDatabase,
  ObservedEnvironment,
  ObservedMetricFilter,
  ObservedRecoveryPoint,
  ObservedSecret,
  ProgressEvent,
  ReadinessProvider,
  RecoveryPoint,
  RestoreHandle,
  RestoreProgress,
  Slot,
  TaskCallbacks,
  TrafficProvider,
  Weights,
} from '../../lambdas/core/ports';
import type { GoLiveRequest } from '../../lambdas/core/request';
import type { RestoreState } from '../../lambdas/core/steps/backup';
import type { StepPayload, TaskName } from '../../lambdas/core/workflow/definition';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { testPlan } from './payloads';

/**
 * One fake of every provider port, each recording what it was asked, over a real in-memory
 * SqliteStore: for unit tests that call a step directly. Each fake is a plain class whose fields
 * a test sets (weights, alarm states, failures) and whose logs it reads; a method may also be
 * replaced on the instance for a one-off behaviour.
 */

export const EXECUTION_ID = 'arn:aws:states:eu-west-1:123456789012:execution:golive-go-live:run-1';
export const NOW = new Date('2026-11-26T10:00:00.000Z');
export const DEMO_REQUEST: GoLiveRequest = {
  service: 'demo',
  version: '2.0.0',
  strategy: 'canary',
  requestedBy: 'U_RELEASE_MANAGER',
};

let demoConfig: GoLiveConfig | undefined;
/** The bundled demo config (golive.config.yaml), read once. */
export function demoConfigFile(): GoLiveConfig {
  demoConfig ??= loadConfig(join(__dirname, '..', '..', 'golive.config.yaml'));
  return demoConfig;
}

export type TrafficCall =
  | { op: 'readWeights'; service: string }
  | { op: 'setWeights'; service: string; weights: Weights }
  | { op: 'prepareCandidate'; service: string; slot: Slot; version: string }
  | { op: 'endpoints'; service: string };

/** A router: 100% blue until told otherwise; `stuckAt` makes it report other weights than asked. */
export class FakeTraffic implements TrafficProvider {
  weights: Weights = { blue: 100, green: 0 };
  /** When set, setWeights leaves the weights as they are and reports these (a router that did not apply). */
  stuckAt?: Weights;
  endpointUrls: Endpoints = {
    live: 'http://live.demo.test',
    blue: 'http://blue.demo.test',
    green: 'http://green.demo.test',
  };
  readonly calls: TrafficCall[] = [];

  async readWeights(service: string): Promise<Weights> {
    this.calls.push({ op: 'readWeights', service });
    return { ...this.weights };
  }
  async setWeights(service: string, weights: Weights): Promise<Weights> {
    this.calls.push({ op: 'setWeights', service, weights });
    if (this.stuckAt) return { ...this.stuckAt };
    this.weights = { ...weights };
    return { ...this.weights };
  }
  async prepareCandidate(service: string, slot: Slot, version: string): Promise<{ version: string }> {
    this.calls.push({ op: 'prepareCandidate', service, slot, version });
    return { version };
  }
  async endpoints(service: string): Promise<Endpoints> {
    this.calls.push({ op: 'endpoints', service });
    return this.endpointUrls;
  }
  /** Only the weight changes asked for. */
  get sets(): Weights[] {
    return this.calls.flatMap((c) => (c.op === 'setWeights' ? [c.weights] : []));
  }
}

export interface MuteRequest {
  ruleName: string;
  alarms: string[];
  mode: MuteMode;
  expiresAt: Date;
}

/** CloudWatch alarms: every alarm is OK, enabled and unmuted unless set in `alarms`. */
export class FakeAlerts implements AlertsProvider {
  readonly alarms = new Map<string, AlarmInfo>();
  readonly described: string[][] = [];
  readonly mutes: MuteRequest[] = [];
  readonly unmutes: MuteRecord[] = [];

  /** Sets (part of) one alarm's state. */
  set(name: string, info: Partial<Omit<AlarmInfo, 'name'>>): void {
    this.alarms.set(name, { ...this.info(name), ...info });
  }
  private info(name: string): AlarmInfo {
    return this.alarms.get(name) ?? { name, state: 'OK', actionsEnabled: true, muted: false };
  }
  async describe(alarmNames: string[]): Promise<AlarmInfo[]> {
    this.described.push([...alarmNames]);
    return alarmNames.map((name) => this.info(name));
  }
  async mute(request: MuteRequest): Promise<void> {
    this.mutes.push(request);
  }
  async unmute(record: MuteRecord): Promise<void> {
    this.unmutes.push(record);
  }
}

/** A backup whose latest recovery point is `point`; restores are ready at the first check and validate. */
export class FakeBackup implements BackupProvider {
  point: RecoveryPoint = { id: 'rp-1', at: '2026-11-26T09:30:00.000Z' };
  pollSeconds = 30;
  /** Thrown by cleanUp when set (AWS refusing to delete a busy target). */
  cleanUpFails?: Error;
  /** Per scratch target: what cleanUp throws for it (before cleanUpFails). */
  readonly cleanUpFailsFor = new Map<string, Error>();
  readonly started: { service: string; point: RecoveryPoint; scratchName: string }[] = [];
  readonly checked: RestoreHandle[] = [];
  readonly validated: RestoreHandle[] = [];
  readonly cleanedUp: RestoreHandle[] = [];

  handle(service: string, point: RecoveryPoint, scratchName: string): RestoreHandle {
    return {
      kind: 'sqlite',
      service,
      recoveryPointId: point.id,
      recoveryPointAt: point.at,
      restoredTo: scratchName,
      startedAt: NOW.toISOString(),
      detail: {},
    };
  }
  async latestRecoveryPoint(_service: string): Promise<RecoveryPoint> {
    return this.point;
  }
  plannedRestore(service: string, point: RecoveryPoint, scratchName: string): RestoreHandle {
    return this.handle(service, point, scratchName);
  }
  async startRestore(
    service: string,
    point: RecoveryPoint,
    scratchName: string,
  ): Promise<{ handle: RestoreHandle; pollSeconds: number }> {
    this.started.push({ service, point, scratchName });
    return { handle: this.handle(service, point, scratchName), pollSeconds: this.pollSeconds };
  }
  async checkRestore(handle: RestoreHandle): Promise<RestoreProgress> {
    this.checked.push(handle);
    return { status: 'ready', handle, detail: 'restored' };
  }
  async validateAndCleanUp(handle: RestoreHandle): Promise<BackupEvidence> {
    this.validated.push(handle);
    return {
      ok: true,
      kind: handle.kind,
      recoveryPointId: handle.recoveryPointId,
      recoveryPointAt: handle.recoveryPointAt,
      restoredTo: handle.restoredTo,
      integrityCheck: 'ok',
      tables: [{ name: 'orders', expectedRows: 3, restoredRows: 3, match: true }],
      scratchDeleted: true,
      durationMs: 12,
    };
  }
  async cleanUp(handle: RestoreHandle): Promise<boolean> {
    this.cleanedUp.push(handle);
    const fails = this.cleanUpFailsFor.get(handle.restoredTo) ?? this.cleanUpFails;
    if (fails) throw fails;
    return true;
  }
}

/** Readiness facts: nothing observed unless a field is set. */
export class FakeReadiness implements ReadinessProvider {
  observedAlarms: ObservedAlarm[] = [];
  observedMetricFilters?: ObservedMetricFilter[];
  observedRecoveryPoint?: ObservedRecoveryPoint;
  observedDatabases: ObservedDatabase[] = [];
  observedEnvironments: ObservedEnvironment[] = [];
  observedSecrets: ObservedSecret[] = [];
  observedCapacity: ObservedCapacity[] = [];
  observedArtifact?: ObservedArtifact;

  async alarms(): Promise<ObservedAlarm[]> {
    return this.observedAlarms;
  }
  async metricFilters(): Promise<ObservedMetricFilter[] | undefined> {
    return this.observedMetricFilters;
  }
  async latestRecoveryPoint(): Promise<ObservedRecoveryPoint | undefined> {
    return this.observedRecoveryPoint;
  }
  async databases(): Promise<ObservedDatabase[]> {
    return this.observedDatabases;
  }
  async environments(): Promise<ObservedEnvironment[]> {
    return this.observedEnvironments;
  }
  async secrets(): Promise<ObservedSecret[]> {
    return this.observedSecrets;
  }
  async capacity(): Promise<ObservedCapacity[]> {
    return this.observedCapacity;
  }
  async artifact(): Promise<ObservedArtifact | undefined> {
    return this.observedArtifact;
  }
}

/** Slack: every notification and progress event is kept; `fails` makes notify throw. */
export class FakeNotifier implements Notifier {
  readonly notifications: NotificationEvent[] = [];
  readonly progressEvents: ProgressEvent[] = [];
  fails?: Error;

  async notify(event: NotificationEvent): Promise<{ delivered: boolean; ref?: string }> {
    if (this.fails) throw this.fails;
    this.notifications.push(event);
    return { delivered: true, ref: `msg-${this.notifications.length}` };
  }
  async progress(event: ProgressEvent): Promise<void> {
    this.progressEvents.push(event);
  }
  /** The notifications of one kind. */
  of(kind: NotificationEvent['kind']): NotificationEvent[] {
    return this.notifications.filter((n) => n.kind === kind);
  }
}

/** SendTaskSuccess / SendTaskFailure; a token in `closed` answers as a task that already ended. */
export class FakeCallbacks implements TaskCallbacks {
  readonly closed = new Set<string>();
  readonly succeeded: { token: string; output: unknown }[] = [];
  readonly failed: { token: string; error: string; cause: string }[] = [];

  async succeed(token: string, output: unknown): Promise<{ closed: boolean }> {
    this.succeeded.push({ token, output });
    return { closed: this.closed.has(token) };
  }
  async fail(token: string, error: string, cause: string): Promise<{ closed: boolean }> {
    this.failed.push({ token, error, cause });
    return { closed: this.closed.has(token) };
  }
}

/** What each slot served: `next` answers the next measure (default: nothing served); every window asked is kept. */
export class FakeMetrics implements MetricsProvider {
  next: StepMeasurement = {
    candidate: { requests: 0, errors: 0 },
    baseline: { requests: 0, errors: 0 },
    source: 'fake',
  };
  readonly windows: MeasureWindow[] = [];

  async measure(window: MeasureWindow): Promise<StepMeasurement> {
    this.windows.push(window);
    return this.next;
  }
}

/** DescribeExecution: every execution RUNNING unless set in `states`; one in `gone` no longer exists. */
export class FakeExecutions implements Executions {
  readonly states = new Map<string, ExecutionState>();
  readonly gone = new Set<string>();
  readonly described: string[] = [];

  async describe(executionArn: string): Promise<ExecutionState | undefined> {
    this.described.push(executionArn);
    if (this.gone.has(executionArn)) return undefined;
    return this.states.get(executionArn) ?? { status: 'RUNNING' };
  }
}

export interface FakeAnswer {
  status: number;
  body: string;
}

/** HTTP: answers each URL from `routes` (404 otherwise), or throws what `routes` holds for it. */
export class FakeFetch {
  readonly routes = new Map<string, FakeAnswer | Error>();
  readonly requests: { url: string; method: string }[] = [];

  readonly fetch: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.toString() : input.url;
    this.requests.push({ url, method: init?.method ?? 'GET' });
    const answer = this.routes.get(url) ?? { status: 404, body: 'not found' };
    if (answer instanceof Error) throw answer;
    return new Response(answer.body, { status: answer.status });
  };
}

/** The time `deps.now()` reports; tests move it on. */
export class FakeClock {
  constructor(public at: Date = NOW) {}
  advance(ms: number): Date {
    this.at = new Date(this.at.getTime() + ms);
    return this.at;
  }
}

export interface FakeDeps {
  /** What the step receives: the fakes below, or the port given in `overrides` instead. */
  deps: Deps;
  store: SqliteStore;
  traffic: FakeTraffic;
  alerts: FakeAlerts;
  backup: FakeBackup;
  readiness: FakeReadiness;
  notifier: FakeNotifier;
  callbacks: FakeCallbacks;
  executions: FakeExecutions;
  metrics: FakeMetrics;
  http: FakeFetch;
  clock: FakeClock;
  /** The audit trail of an execution (default: EXECUTION_ID). */
  audit(executionId?: string): Promise<AuditRecord[]>;
  /** Closes the store. */
  close(): void;
}

/** Fresh fakes and an empty in-memory store; `overrides` replace ports of `deps` (e.g. another config). */
export function fakeDeps(overrides: Partial<Deps> = {}): FakeDeps {
  const store = new SqliteStore(':memory:');
  const fakes = {
    store,
    traffic: new FakeTraffic(),
    alerts: new FakeAlerts(),
    backup: new FakeBackup(),
    readiness: new FakeReadiness(),
    notifier: new FakeNotifier(),
    callbacks: new FakeCallbacks(),
    executions: new FakeExecutions(),
    metrics: new FakeMetrics(),
    http: new FakeFetch(),
    clock: new FakeClock(),
  };
  const deps: Deps = {
    config: demoConfigFile(),
    store,
    traffic: fakes.traffic,
    alerts: fakes.alerts,
    backup: fakes.backup,
    readiness: fakes.readiness,
    notifier: fakes.notifier,
    callbacks: fakes.callbacks,
    executions: fakes.executions,
    metrics: fakes.metrics,
    fetch: fakes.http.fetch,
    now: () => fakes.clock.at,
    ...overrides,
  };
  return { ...fakes, deps, audit: (id = EXECUTION_ID) => store.listAudit(id), close: () => store.close() };
}

/** A go-live's lock as ValidateAndLock takes it, held by `executionId` (default: EXECUTION_ID). */
export async function holdLock(store: SqliteStore, executionId = EXECUTION_ID, service = 'demo'): Promise<void> {
  const taken = await store.acquireLock(
    {
      service,
      executionId,
      version: DEMO_REQUEST.version,
      requestedBy: DEMO_REQUEST.requestedBy,
      acquiredAt: NOW.toISOString(),
      expiresAt: new Date(NOW.getTime() + 3600_000).toISOString(),
    },
    NOW,
  );
  if (!taken.acquired) throw new Error(`lock on ${service} already held by ${taken.holder.executionId}`);
}

/** A sign-off of EXECUTION_ID still waiting (approval `apr-1`, task token `task-token-1`), as SignOff records it. */
export function pendingApproval(fields: Partial<ApprovalRecord> = {}): ApprovalRecord {
  return {
    approvalId: 'apr-1',
    executionId: EXECUTION_ID,
    service: 'demo',
    version: DEMO_REQUEST.version,
    requestedBy: DEMO_REQUEST.requestedBy,
    approvers: ['U_APPROVER_ANA'],
    minApprovals: 1,
    allowSelfApproval: false,
    token: 'task-token-1',
    status: 'pending',
    createdAt: NOW.toISOString(),
    expiresAt: new Date(NOW.getTime() + 900_000).toISOString(),
    votes: [],
    ...fields,
  };
}

/** A sign-off of EXECUTION_ID decided `approved` by U_APPROVER_ANA, stored as castVote leaves it. */
export async function approvedSignOff(
  store: SqliteStore,
  voters: string[] = ['U_APPROVER_ANA'],
  fields: Partial<ApprovalRecord> = {},
): Promise<void> {
  const record = pendingApproval({ approvers: ['U_APPROVER_ANA', 'U_APPROVER_BEN'], ...fields });
  await store.createApproval(record);
  for (const voter of voters) {
    await store.addVote(record.approvalId, { voter, decision: 'approve', at: NOW.toISOString() });
  }
  await store.closeApproval(record.approvalId, 'approved', NOW);
}

/** The restore state of a restore into `handle` still being created (one check made), as CheckRestore keeps it. */
export function pendingRestore(handle: RestoreHandle): RestoreState {
  return {
    handle,
    status: 'pending',
    attempt: 1,
    maxAttempts: 10,
    pollSeconds: 30,
    ageMinutes: 5,
    rpoMinutes: 60,
    detail: 'CREATING',
  };
}

const forward = { executionId: EXECUTION_ID, request: DEMO_REQUEST, plan: testPlan() };
const rollingBack = { ...forward, error: { Error: 'SmokeTestFailed', Cause: 'green answers 500' } };
const token = 'task-token-1';

/** What every Task state sends for the demo request and testPlan(), as the ASL would. */
const PAYLOADS: { [S in TaskName]: StepPayload<S> } = {
  ValidateAndLock: {
    state: 'ValidateAndLock',
    executionId: EXECUTION_ID,
    request: { service: 'demo', version: '2.0.0', requestedBy: 'U_RELEASE_MANAGER' },
    action: 'acquire',
    startTime: NOW.toISOString(),
  },
  CheckReadiness: { state: 'CheckReadiness', ...forward },
  MuteAlerts: { state: 'MuteAlerts', ...forward, action: 'mute' },
  StartRestore: { state: 'StartRestore', ...forward, action: 'start' },
  CheckRestore: { state: 'CheckRestore', ...forward, action: 'check' },
  VerifyBackup: { state: 'VerifyBackup', ...forward, action: 'validate' },
  PreTrafficSmokeTests: { state: 'PreTrafficSmokeTests', ...forward, phase: 'pre-traffic' },
  ShiftTraffic: { state: 'ShiftTraffic', ...forward, action: 'shift', weight: 10 },
  Bake: { state: 'Bake', ...forward, taskToken: token, phase: 'canary', weight: 10 },
  AnalyzeCanary: { state: 'AnalyzeCanary', ...forward, action: 'analyze', weight: 10 },
  SignOff: {
    state: 'SignOff',
    ...forward,
    taskToken: token,
    readiness: {
      service: 'demo',
      version: '2.0.0',
      passed: true,
      checkedAt: NOW.toISOString(),
      failing: [],
      awaitingAttestation: [],
      items: [],
    },
  },
  Promote: { state: 'Promote', ...forward, action: 'promote' },
  PostPromotionSmokeTests: { state: 'PostPromotionSmokeTests', ...forward, phase: 'post-promotion' },
  PostPromotionBake: { state: 'PostPromotionBake', ...forward, taskToken: token, phase: 'post-promotion', weight: 100 },
  UnmuteAlerts: { state: 'UnmuteAlerts', ...forward, action: 'unmute', mute: null },
  ReleaseLock: { state: 'ReleaseLock', ...forward, action: 'release', outcome: 'succeeded' },
  NotifySuccess: { state: 'NotifySuccess', ...forward, event: 'succeeded' },
  Rollback: { state: 'Rollback', ...rollingBack, action: 'rollback' },
  UnmuteAfterRollback: { state: 'UnmuteAfterRollback', ...rollingBack, action: 'unmute', mute: null },
  UnmuteAfterFailedRollback: {
    state: 'UnmuteAfterFailedRollback',
    ...rollingBack,
    action: 'unmute',
    mute: null,
    rollbackError: { Error: 'TrafficShiftFailed', Cause: 'router unreachable' },
  },
  ReleaseLockAfterRollback: {
    state: 'ReleaseLockAfterRollback',
    ...rollingBack,
    action: 'release',
    outcome: 'rolled-back',
  },
  NotifyRollback: { state: 'NotifyRollback', ...rollingBack, event: 'rolled-back' },
  AwaitRetry: { state: 'AwaitRetry', ...rollingBack, action: 'await-retry' },
  BreakGlass: { state: 'BreakGlass', ...forward, taskToken: token },
  Checkpoint: { state: 'Checkpoint', ...forward, action: 'checkpoint', canaryIndex: 0 },
  Paused: { state: 'Paused', ...forward, taskToken: token, action: 'hold', canaryIndex: 0 },
  CheckpointBeforePromotion: { state: 'CheckpointBeforePromotion', ...forward, action: 'checkpoint', canaryIndex: 2 },
  PausedBeforePromotion: {
    state: 'PausedBeforePromotion',
    ...forward,
    taskToken: token,
    action: 'hold',
    canaryIndex: 2,
  },
  NotifyRollbackFailed: {
    state: 'NotifyRollbackFailed',
    ...rollingBack,
    event: 'rollback-failed',
    rollbackError: { Error: 'TrafficShiftFailed', Cause: 'router unreachable' },
    mute: null,
    unmute: null,
  },
};

/**
 * What Task state `state` sends its function for the demo request and testPlan() (execution
 * EXECUTION_ID, task token `task-token-1`, rollback error SmokeTestFailed), with `fields` replaced.
 */
export function stepPayload<S extends TaskName>(state: S, fields: Partial<StepPayload<S>> = {}): StepPayload<S> {
  return { ...PAYLOADS[state], ...fields };
}
