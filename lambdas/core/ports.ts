import type { SlotMetrics } from './analysis/judge';
import type { ActorVerification } from './roles';
/**
 * Provider ports: the only way core logic touches the outside world. AWS adapters live in
 * lambdas/providers/aws, local ones in local/providers; core imports neither.
 */
import type { GoLiveConfig } from './config';

export type Slot = 'blue' | 'green';
export interface Weights {
  blue: number;
  green: number;
}
export interface Endpoints {
  live: string;
  blue: string;
  green: string;
}

export interface TrafficProvider {
  /** Weights as the router / load balancer reports them right now. */
  readWeights(service: string): Promise<Weights>;
  /** Applies the weights and returns what the router reports afterwards (the read-back). */
  setWeights(service: string, weights: Weights): Promise<Weights>;
  /** Makes sure the idle slot serves `version` (locally: deploys it; on AWS: resolves it). */
  prepareCandidate(service: string, slot: Slot, version: string): Promise<{ version: string }>;
  /** URLs of the live entry point and of each slot, for health checks and smoke tests. */
  endpoints(service: string): Promise<Endpoints>;
}

export type AlarmStateValue = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';
export interface AlarmInfo {
  name: string;
  state: AlarmStateValue;
  actionsEnabled: boolean;
  /** Covered by a mute rule that golive did not create. */
  muted: boolean;
  /**
   * How long the alarm needs, at the least, to go to ALARM once its metric breaches: period ×
   * datapoints to alarm. Absent where it decides on every sample (the local alarms) or on other
   * alarms (composite).
   */
  evaluationSeconds?: number;
}
export type MuteMode = 'mute-rule' | 'disable-actions';
export interface MuteRecord {
  mode: MuteMode;
  /** Name of the mute rule golive created (mute-rule mode). */
  ruleName?: string;
  /** Alarms golive muted; only these are unmuted afterwards. */
  muted: string[];
  /** Alarms that were already muted or had actions disabled before the go-live, left exactly as they were. */
  leftAlone: { name: string; reason: string }[];
  mutedAt: string;
  /** The mute expires by itself at this time, so a dead workflow cannot leave alerts muted for ever. */
  expiresAt: string;
}
export interface AlertsProvider {
  describe(alarmNames: string[]): Promise<AlarmInfo[]>;
  mute(request: { ruleName: string; alarms: string[]; mode: MuteMode; expiresAt: Date }): Promise<void>;
  unmute(record: MuteRecord): Promise<void>;
}

export interface BackupTable {
  name: string;
  expectedRows: number;
  restoredRows: number;
  match: boolean;
  [extra: string]: unknown;
}
export interface BackupEvidence {
  ok: boolean;
  kind: string;
  recoveryPointId: string;
  recoveryPointAt: string;
  restoredTo: string;
  integrityCheck: string;
  tables: BackupTable[];
  scratchDeleted: boolean;
  durationMs: number;
  [extra: string]: unknown;
}
export interface RecoveryPoint {
  id: string;
  /** When the data was captured (ISO 8601): its age is checked against the service's RPO. */
  at: string;
}
/**
 * A restore in progress. Plain JSON: it is kept in the store between the workflow's status checks,
 * which run in separate invocations (the workflow waits between them, never a Lambda).
 */
export interface RestoreHandle {
  kind: string;
  service: string;
  recoveryPointId: string;
  recoveryPointAt: string;
  /** Name or ARN of the scratch target the restore writes to. */
  restoredTo: string;
  startedAt: string;
  /** Provider state between checks (e.g. Aurora: cluster restored, instance being created). */
  detail: Record<string, unknown>;
  /**
   * Names of the restore's targets found held by resources golive did not create (a provider's
   * `scratchTaken`): never deleted in golive's name.
   */
  leaveAlone?: string[];
}
export interface RestoreProgress {
  status: 'pending' | 'ready';
  /** The handle, possibly moved on (a restore in several phases). */
  handle: RestoreHandle;
  /** What the provider saw, for the audit trail (e.g. `DescribeTable: CREATING`). */
  detail: string;
}
/**
 * Restore proof in phases so the workflow can poll: latest recovery point → start a restore into a
 * scratch target → status checks → validate and delete the scratch target. A failed restore throws
 * BackupVerificationFailed; transient faults throw ProviderUnavailable.
 */
export interface BackupProvider {
  latestRecoveryPoint(service: string): Promise<RecoveryPoint>;
  /**
   * The handle a restore of `point` into `scratchName` will have, before anything exists. No I/O.
   * StartRestore keeps it in the store before it calls startRestore (write-ahead): whoever cleans
   * up finds, and deletes, what the call creates even when the function dies right after it.
   */
  plannedRestore(service: string, point: RecoveryPoint, scratchName: string): RestoreHandle;
  /**
   * Starts restoring into a scratch target named after `scratchName`; returns at once. Idempotent:
   * a retry that finds the target already there adopts it when it is this restore's own (golive's
   * tags, the same source), `adopted: true`. A target of that name that is not golive's is never
   * adopted: BackupVerificationFailed with evidence `{ scratchTaken: <name> }` (checkRestore too,
   * for a target it creates later), and nothing of that name is deleted in golive's name.
   */
  startRestore(
    service: string,
    point: RecoveryPoint,
    scratchName: string,
  ): Promise<{ handle: RestoreHandle; pollSeconds: number; adopted?: boolean }>;
  /** One status check; never waits. */
  checkRestore(handle: RestoreHandle): Promise<RestoreProgress>;
  /** Validates the ready scratch target (integrity, counts / sample) and deletes it, whatever the verdict. */
  validateAndCleanUp(handle: RestoreHandle): Promise<BackupEvidence>;
  /** Deletes whatever the restore created so far (restore abandoned); true when nothing is left. */
  cleanUp(handle: RestoreHandle): Promise<boolean>;
}

export interface LockRecord {
  service: string;
  executionId: string;
  version: string;
  requestedBy: string;
  acquiredAt: string;
  /** A lock outlives its execution by at most this; a crashed run cannot block a service for ever. */
  expiresAt: string;
}
export type CallbackKind = 'bake' | 'approval' | 'hold' | 'break-glass';
export interface CallbackRecord {
  token: string;
  executionId: string;
  service: string;
  kind: CallbackKind;
  /** The alarms whose ALARM fails this task at once (a bake; a sign-off once traffic has moved). */
  alarms: string[];
  /** The Task state waiting on it (Bake, PostPromotionBake, SignOff), for the audit trail. */
  state?: string;
  approvalId?: string;
  createdAt: string;
}
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired' | 'aborted';
export interface Vote {
  voter: string;
  /** How the voter was identified (absent on votes recorded before it was kept). */
  verifiedBy?: ActorVerification;
  /** The voter's display name when known (Slack users.info). */
  voterName?: string;
  decision: 'approve' | 'reject';
  reason?: string;
  at: string;
}
export interface ApprovalRecord {
  approvalId: string;
  executionId: string;
  service: string;
  version: string;
  requestedBy: string;
  approvers: string[];
  minApprovals: number;
  allowSelfApproval: boolean;
  token: string;
  status: ApprovalStatus;
  createdAt: string;
  expiresAt: string;
  votes: Vote[];
  closedAt?: string;
}
export interface AuditEntry {
  executionId: string;
  service: string;
  step: string;
  action: string;
  actor: string;
  /** How the actor's identity was established: Slack's signature, IAM, `--as` locally (unverified), or golive itself. */
  verifiedBy?: ActorVerification;
  /** The actor's display name when it was known at the time (Slack users.info), for people reading the trail. */
  actorName?: string;
  outcome: 'started' | 'succeeded' | 'failed' | 'info';
  summary: string;
  evidence?: unknown;
  at: string;
}
export interface AuditRecord extends AuditEntry {
  seq: number;
  prevHash: string;
  hash: string;
}

/**
 * An execution whose scratch target (a restore's copy) could not be deleted: the index the sweep
 * (lambdas/core/steps/sweep.ts) works through until the target is gone.
 */
export interface ScratchLeft {
  executionId: string;
  service: string;
  restoredTo: string;
  /** When a deletion was first refused; later marks keep it (the sweep warns after a day). */
  since: string;
  /** When the release channel was told it was left for more than a day (told once). */
  warnedAt?: string;
}

export interface LiveVersionExtra {
  executionId?: string;
  previous?: { version: string; slot: Slot };
  /** Made live by an undo (golive rollback): its `previous` is the release that undo took back. */
  byUndo?: boolean;
}
export interface LiveVersion extends LiveVersionExtra {
  version: string;
  slot: Slot;
  at: string;
}

export interface Store {
  acquireLock(lock: LockRecord, now: Date): Promise<{ acquired: true } | { acquired: false; holder: LockRecord }>;
  getLock(service: string): Promise<LockRecord | undefined>;
  /** Releases only a lock held by this execution; returns whether it did. */
  releaseLock(service: string, executionId: string): Promise<boolean>;
  /** Every lock held (expired ones too, until deleted), by service: what the reconciler checks. */
  listLocks(): Promise<LockRecord[]>;
  putExecutionValue(executionId: string, key: string, value: unknown): Promise<void>;
  /** Writes the value only when the execution has none under `key`; returns whether this call wrote it. */
  claimExecutionValue(executionId: string, key: string, value: unknown): Promise<boolean>;
  getExecutionValue<T>(executionId: string, key: string): Promise<T | undefined>;
  putCallback(record: CallbackRecord): Promise<void>;
  findCallbacks(filter: { executionId?: string; alarmName?: string; kind?: CallbackKind }): Promise<CallbackRecord[]>;
  deleteCallback(token: string): Promise<void>;
  createApproval(record: ApprovalRecord): Promise<void>;
  getApproval(approvalId: string): Promise<ApprovalRecord | undefined>;
  findApprovalByExecution(executionId: string): Promise<ApprovalRecord | undefined>;
  /** Conditional: one vote per voter while the approval is pending. `added` false = repeat or closed. */
  addVote(approvalId: string, vote: Vote): Promise<{ added: boolean; record: ApprovalRecord }>;
  /** Conditional on the status being `pending`; returns whether this call closed it. */
  /**
   * Sets the approval's final status only while it is `from` (default pending): the one decision
   * that wins. False when it was not (decided, expired or aborted meanwhile).
   */
  closeApproval(
    approvalId: string,
    status: Exclude<ApprovalStatus, 'pending'>,
    at: Date,
    from?: ApprovalStatus,
  ): Promise<boolean>;
  appendAudit(entry: AuditEntry): Promise<AuditRecord>;
  listAudit(executionId: string): Promise<AuditRecord[]>;
  /** `previous`: what was live before (an undo takes it back); `executionId`: the go-live that made it live. */
  setLiveVersion(service: string, version: string, slot: Slot, at: Date, extra?: LiveVersionExtra): Promise<void>;
  getLiveVersion(service: string): Promise<LiveVersion | undefined>;
  /**
   * Indexes a scratch target left behind, or updates its entry: `since` is set by the first mark
   * only, `warnedAt` only when given (both kept otherwise).
   */
  markScratchLeft(
    executionId: string,
    info: { service: string; restoredTo: string; at: string; warnedAt?: string },
  ): Promise<void>;
  /** Removes the execution's entry (its scratch target is gone); nothing when there is none. */
  clearScratchLeft(executionId: string): Promise<void>;
  /** Every entry, oldest first. */
  listScratchLeft(): Promise<ScratchLeft[]>;
}

export interface NotificationEvent {
  kind:
    | 'approval-requested'
    /** A pending sign-off expires soon: the approvers who have not voted are reminded, once. */
    | 'approval-reminder'
    /** A go-live inside a change freeze asks the emergency role to approve it (break-glass). */
    | 'break-glass-requested'
    | 'succeeded'
    | 'rolled-back'
    | 'rollback-failed'
    | 'alarm'
    | 'decision'
    /** After the last audit record: the final chain hash, for everyone to see (not itself audited). */
    | 'audit-sealed'
    /** After the go-live ended: the sweeper deleted a scratch restore left behind, or gave up on it for 24 h. */
    | 'scratch';
  executionId: string;
  service: string;
  version: string;
  text: string;
  details?: Record<string, unknown>;
}
/** One step of a go-live starting, succeeding or failing (drives the live status card). */
export interface ProgressEvent {
  executionId: string;
  service: string;
  version: string;
  step: string;
  state: 'started' | 'succeeded' | 'failed';
  /** The step's summary (succeeded) or `Error: message` (failed). */
  summary?: string;
  requestedBy?: string;
  strategy?: string;
  /** Traffic weight of a ShiftTraffic / Bake step. */
  weight?: number;
  /** The error that sent the execution down the rollback path (rollback steps only). */
  error?: { Error: string; Cause?: string };
  at: string;
}
export interface Notifier {
  notify(event: NotificationEvent): Promise<{ delivered: boolean; ref?: string }>;
  /** Optional: step progress for a live status card. Failures are ignored by the caller. */
  progress?(event: ProgressEvent): Promise<void>;
}

/** SendTaskSuccess / SendTaskFailure; `closed` means the task had already ended (timeout, decided). */
export interface TaskCallbacks {
  succeed(token: string, output: unknown): Promise<{ closed: boolean }>;
  fail(token: string, error: string, cause: string): Promise<{ closed: boolean }>;
}

/** What the readiness checks observe about a service; core judges it (lambdas/core/readiness). */
export interface ObservedAlarm {
  name: string;
  /** Metric names the alarm watches (one, or several for metric math). */
  metrics: string[];
  actions: string[];
  actionsEnabled: boolean;
  state?: string;
}
export interface ObservedMetricFilter {
  logGroup: string;
  filterName: string;
  pattern: string;
  metricName?: string;
}
export interface ObservedRecoveryPoint {
  id: string;
  at: string;
  source: string;
}
export interface ObservedDatabase {
  id: string;
  kind: 'rds-instance' | 'rds-cluster' | 'dynamodb' | 'sqlite';
  multiAz?: boolean;
  replicas: string[];
  publiclyAccessible?: boolean;
  pointInTimeRecovery?: boolean;
}
export interface ObservedEnvironment {
  component: string;
  variables: { name: string; value?: string; valueFrom?: string }[];
}
export interface ObservedSecret {
  id: string;
  rotationEnabled: boolean;
  rotationDays?: number;
  lastRotatedAt?: string;
}
export interface ObservedCapacity {
  component: string;
  /** Every limit this component should have; undefined or null = not set. */
  limits: Record<string, number | null | undefined>;
}
export interface ObservedArtifact {
  exists: boolean;
  ref: string;
  detail?: unknown;
}
/** Facts for the automated readiness checks; `undefined` = nothing of that kind is declared for the service. */
export interface ReadinessProvider {
  alarms(service: string): Promise<ObservedAlarm[]>;
  metricFilters(service: string): Promise<ObservedMetricFilter[] | undefined>;
  latestRecoveryPoint(service: string): Promise<ObservedRecoveryPoint | undefined>;
  databases(service: string): Promise<ObservedDatabase[]>;
  environments(service: string): Promise<ObservedEnvironment[]>;
  secrets(service: string): Promise<ObservedSecret[]>;
  capacity(service: string): Promise<ObservedCapacity[]>;
  artifact(service: string, version: string): Promise<ObservedArtifact | undefined>;
}

/** What Step Functions reports about an execution (DescribeExecution), as much as golive reads. */
export interface ExecutionState {
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE. */
  status: string;
  error?: string;
  cause?: string;
}
export interface Executions {
  /** Undefined when the execution does not exist (never started, or its history has expired). */
  describe(executionArn: string): Promise<ExecutionState | undefined>;
}

/** One window of live traffic to judge: a bake, or the sign-off's wait. */
export interface MeasureWindow {
  service: string;
  from: Date;
  to: Date;
  candidateSlot: Slot;
  stableSlot: Slot;
}
/** What each slot served in the window (analysis/judge.ts compares them). */
export interface StepMeasurement {
  candidate: SlotMetrics;
  baseline: SlotMetrics;
  /** Where the numbers come from, for the evidence: the router's samples, or the CloudWatch metrics read. */
  source: string;
}
/** Requests, errors and latency per slot: the local router's samples, or CloudWatch (ALB, Lambda). */
export interface MetricsProvider {
  measure(window: MeasureWindow): Promise<StepMeasurement>;
}

export interface Deps {
  config: GoLiveConfig;
  store: Store;
  traffic: TrafficProvider;
  alerts: AlertsProvider;
  backup: BackupProvider;
  readiness: ReadinessProvider;
  notifier: Notifier;
  callbacks: TaskCallbacks;
  executions: Executions;
  metrics: MetricsProvider;
  /**
   * Starts must carry a start record written by a front end that verified the requester (Slack, the
   * control API): true on AWS, where anyone allowed StartExecution could claim any requester.
   */
  requireStartRecord?: boolean;
  now: () => Date;
  fetch: typeof fetch;
}
