import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  paginateListExecutions,
  RedriveExecutionCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionStatus,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import type { GoLiveConfig } from '../config';
import { InvalidRequest } from '../errors';
import type { Store, TaskCallbacks } from '../ports';
import { finalHashFromHistory, finalHashFromOutput } from '../report/history';
import { validateRequest, type GoLiveRequest, type RolloutPlan } from '../request';
import { hasRole, rolesFor, serviceConfig, type ActorVerification } from '../roles';
import { activeFreezes, freezeMessage } from '../freeze';
import { requestAbort } from '../steps/abort';
import {
  breakGlassState,
  castBreakGlassVote,
  REVIEW_CLOSED_VALUE,
  REVIEW_VALUE,
  type Review,
  type ReviewClosure,
} from '../steps/break-glass';
import { controlState, requestControl, type ControlAction } from '../steps/controls';
import { pendingRetry, RETRYABLE_VALUE, retryRequestKey, type Retryable, type RetryRequest } from '../steps/retry';
import { answerChecklist, castVote, type VoteOutcome } from '../steps/approval';
import { START_RECORD, type StartRecord } from '../steps/lock';
import { READINESS_VALUE } from '../steps/readiness';
import type { ReadinessReport } from '../readiness/evaluate';
import { GoLiveClientError } from './errors';
import { dedupeExecutionName, executionArnFor, executionNameFor, nameOf } from './names';
import {
  canaryLines,
  checklistLines,
  trafficOf,
  goLiveStatus,
  isGoLiveStatus,
  parseInput,
  signOffSummary,
  summarise,
  GO_LIVE_STATUSES,
  type GoLiveDetail,
  type GoLiveSummary,
} from './summary';

/** Who acts, and how that was established: Slack's signature, the caller's IAM principal, `--as` locally. */
export interface Actor {
  user: string;
  verifiedBy: ActorVerification;
  /** Display name, when the front end knows it (Slack users.info). */
  name?: string;
}

/** What GoLiveClient works with: the same ports on AWS (Lambda) and locally (the runtime). */
export interface GoLiveClientPorts {
  config: GoLiveConfig;
  /** Step Functions: AWS, or the local runtime's endpoint, which speaks the same API. */
  sfn: SFNClient;
  stateMachineArn: string;
  store: Store;
  callbacks: TaskCallbacks;
  now: () => Date;
}

/** A start as a front end received it: checked here, field by field. */
export interface StartRequest {
  service: unknown;
  version: unknown;
  strategy?: unknown;
  notes?: unknown;
  /** When the change was committed (ISO 8601 with a zone): DORA lead time starts there. */
  commitAt?: unknown;
  /** A go-live inside a change freeze: `{ reason }`, approved by the emergency role. */
  breakGlass?: unknown;
}
export interface StartOptions {
  /**
   * Starts at most once per key (a Slack trigger id): a repeat answers with the execution the
   * first one started, `duplicate: true`.
   */
  dedupeKey?: string;
  /** Marks the execution name of a deduplicated start (`<service>-<version>-<label>-<hash>`). @default 'slack' */
  dedupeLabel?: string;
  /** An undo (golive rollback): the version must be the one live before the current one. */
  undo?: boolean;
}
export interface Started {
  executionArn: string;
  name: string;
  request: GoLiveRequest;
  /** A repeat of a deduplicated start: nothing new was started. */
  duplicate: boolean;
}

export interface ListQuery {
  service?: string;
  status?: string;
  /** @default 20, at most 100 */
  limit?: number;
  /** From the previous page's answer. */
  nextToken?: string;
}
export interface GoLivePage {
  goLives: GoLiveSummary[];
  /** Present when there may be more: pass it back for the next page. */
  nextToken?: string;
}

export interface VoteRequest {
  decision: unknown;
  reason?: unknown;
  /** Checklist items this vote attests; `all` stands for every open item the voter is named for. */
  attest?: unknown;
  /** Items waived with this vote, each with its reason. */
  waive?: unknown;
}
export interface Voted {
  name: string;
  executionArn: string;
  /** `recorded`: counted, more is needed; `decided`: the sign-off is approved or rejected. */
  kind: 'recorded' | 'decided';
  status?: 'approved' | 'rejected';
  message: string;
}

export interface Aborted {
  name: string;
  executionArn: string;
  /** Waiting tasks (a bake, the sign-off) failed at once; otherwise the next step refuses to run. */
  signalledTasks: number;
  message: string;
}

export interface Controlled {
  name: string;
  executionArn: string;
  service: string;
  action: ControlAction;
  message: string;
}
export interface Retried {
  name: string;
  executionArn: string;
  /** The failed attempt being retried (1 = the go-live's first run). */
  attempt: number;
  resumeAt: string;
  message: string;
}
export interface ReviewLine extends Omit<Review, 'status'> {
  name: string;
  executionArn: string;
  status: 'open' | 'closed';
  closed?: ReviewClosure;
}

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Executions read per ListExecutions request. */
const EXECUTIONS_PER_REQUEST = 100;
/**
 * Executions examined per list call at most: a filter that matches few of many still answers in
 * bounded time (API Gateway waits 29 s), with a nextToken to go on from.
 */
const MAX_EXAMINED = 300;

/** Where a list call stopped: the ListExecutions token of the page it was reading, and how far in. */
interface Cursor {
  /** ListExecutions nextToken of the page (absent: the first page). */
  t?: string;
  /** Executions of that page already examined. */
  s: number;
  /** The filters it was made for: a token is only good for the same query. */
  f: string;
}

const filterKey = (service?: string, status?: string) => `${service ?? ''}|${status ?? ''}`;

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(token: string | undefined, filters: string): Cursor {
  if (token === undefined || token === '') return { s: 0, f: filters };
  let cursor: Partial<Cursor> | undefined;
  try {
    cursor = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Cursor>;
  } catch {
    cursor = undefined;
  }
  const valid =
    cursor &&
    typeof cursor === 'object' &&
    (cursor.t === undefined || typeof cursor.t === 'string') &&
    Number.isInteger(cursor.s) &&
    (cursor.s as number) >= 0 &&
    typeof cursor.f === 'string';
  if (!valid)
    throw new GoLiveClientError('InvalidRequest', 'nextToken is not one this API returned: list again without it');
  if (cursor!.f !== filters) {
    throw new GoLiveClientError('InvalidRequest', 'nextToken belongs to a list with other filters (service, status)');
  }
  return cursor as Cursor;
}

const isNotFound = (err: unknown) => (err as { name?: string } | undefined)?.name === 'ExecutionDoesNotExist';
const isAlreadyExists = (err: unknown) => (err as { name?: string } | undefined)?.name === 'ExecutionAlreadyExists';

function text(value: unknown, field: string, max = 2000): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new GoLiveClientError('InvalidRequest', `"${field}" must be a string`);
  const trimmed = value.trim();
  if (trimmed.length > max)
    throw new GoLiveClientError('InvalidRequest', `"${field}" is longer than ${max} characters`);
  return trimmed === '' ? undefined : trimmed;
}

function checkActor(actor: Actor): void {
  if (!actor || typeof actor.user !== 'string' || actor.user.trim() === '') {
    throw new GoLiveClientError('InvalidRequest', 'say who acts: no user given (locally: --as <user-id>)');
  }
}

/**
 * The one API through which the CLI (via the control API), the Slack app and the control API
 * itself start, list, describe, vote on and abort go-lives. Authorization is checked here, where
 * every front end passes: start and abort need a release manager of the service, votes an approver
 * (castVote). The workflow checks again where it matters (ValidateAndLock, the sign-off).
 */
export class GoLiveClient {
  /** Starts in progress per service, one after the other: two starts in one process never both pass the checks. */
  private readonly starting = new Map<string, Promise<unknown>>();

  constructor(private readonly ports: GoLiveClientPorts) {}

  get config(): GoLiveConfig {
    return this.ports.config;
  }

  /** The execution ARN of a go-live named by its execution name or ARN (InvalidRequest otherwise). */
  executionArn(ref: unknown): string {
    return executionArnFor(this.ports.stateMachineArn, ref);
  }

  /**
   * Starts a go-live requested by `actor`, who must be a release manager of the service. Refused
   * before anything starts when the service is locked by another go-live (LockHeld) or the same
   * version is already starting (AlreadyStarting).
   */
  async start(actor: Actor, raw: StartRequest, options: StartOptions = {}): Promise<Started> {
    checkActor(actor);
    if (actor.verifiedBy === 'system') {
      throw new GoLiveClientError('InvalidRequest', 'golive itself never starts a go-live: a person must');
    }
    const fields = (raw ?? {}) as Partial<StartRequest>;
    let request: GoLiveRequest;
    try {
      request = validateRequest(
        {
          service: fields.service,
          version: fields.version,
          ...(fields.strategy === undefined || fields.strategy === null ? {} : { strategy: fields.strategy }),
          ...(fields.notes === undefined || fields.notes === null ? {} : { notes: fields.notes }),
          ...(fields.commitAt === undefined || fields.commitAt === null ? {} : { commitAt: fields.commitAt }),
          ...(fields.breakGlass === undefined || fields.breakGlass === null ? {} : { breakGlass: fields.breakGlass }),
          ...(options.undo ? { kind: 'undo' } : {}),
          requestedBy: actor.user,
          verifiedBy: actor.verifiedBy,
        },
        this.ports.config,
      );
    } catch (err) {
      if (err instanceof InvalidRequest) throw new GoLiveClientError('InvalidRequest', err.message, { cause: err });
      throw err;
    }
    if (!hasRole(this.ports.config, request.service, 'releaseManagers', actor.user)) {
      const managers = rolesFor(this.ports.config, request.service).releaseManagers;
      throw new GoLiveClientError(
        'Unauthorized',
        `${actor.user} is not a release manager of ${request.service} (release managers: ${managers.join(', ') || 'none'}): nothing started`,
      );
    }
    // Said now, before anything starts; ValidateAndLock refuses it anyway.
    const freeze = activeFreezes(this.ports.config.freezes, request.service, this.ports.now())[0];
    if (freeze && !request.breakGlass && request.kind !== 'undo') {
      throw new GoLiveClientError(
        'FreezeWindow',
        `${request.service} ${request.version} refused: ${freezeMessage(freeze, this.ports.now())}. ` +
          'Wait for it to end, or go live with --break-glass --reason "…" and the emergency role\'s approval: nothing started',
      );
    }
    if (freeze && request.breakGlass) {
      const emergency = rolesFor(this.ports.config, request.service).emergency.filter((u) => u !== actor.user);
      if (emergency.length < this.ports.config.breakGlass.minApprovals) {
        throw new GoLiveClientError(
          'Unauthorized',
          `break-glass needs ${this.ports.config.breakGlass.minApprovals} emergency approver(s) other than ${actor.user}; ` +
            `${emergency.length} configured (breakGlass.approvers or services.${request.service}.roles.emergency): nothing started`,
        );
      }
    }
    const name = options.dedupeKey
      ? dedupeExecutionName(request.service, request.version, options.dedupeKey, options.dedupeLabel)
      : executionNameFor(request.service, request.version, this.ports.now());
    const executionArn = this.executionArn(name);
    if (options.dedupeKey && (await this.tryDescribe(executionArn))) {
      return { executionArn, name, request, duplicate: true };
    }
    return this.oneAtATime(request.service, async () => {
      // A repeat that waited for the first start (a Slack retry arriving while it ran) finds it now.
      if (options.dedupeKey && (await this.tryDescribe(executionArn))) {
        return { executionArn, name, request, duplicate: true };
      }
      await this.refuseBusyService(request);
      // Who starts it, as this client verified them: ValidateAndLock takes the requester from this
      // record, never from the execution input, which anyone allowed StartExecution could write.
      const intent: StartRecord = {
        requestedBy: actor.user,
        verifiedBy: actor.verifiedBy === 'system' ? 'local' : actor.verifiedBy,
        at: this.ports.now().toISOString(),
      };
      if (!(await this.ports.store.claimExecutionValue(executionArn, START_RECORD, intent))) {
        const existing = await this.ports.store.getExecutionValue<StartRecord>(executionArn, START_RECORD);
        if (existing?.requestedBy !== intent.requestedBy) {
          throw new GoLiveClientError(
            'AlreadyStarting',
            `${request.service} ${request.version} is already starting as ${name}: nothing new started (follow it: golive watch ${name})`,
          );
        }
      }
      try {
        const started = await this.ports.sfn.send(
          new StartExecutionCommand({
            stateMachineArn: this.ports.stateMachineArn,
            name,
            input: JSON.stringify(request),
          }),
        );
        return { executionArn: started.executionArn ?? executionArn, name, request, duplicate: false };
      } catch (err) {
        if (!isAlreadyExists(err)) throw err;
        if (options.dedupeKey) return { executionArn, name, request, duplicate: true };
        throw new GoLiveClientError(
          'AlreadyStarting',
          `${request.service} ${request.version} is already starting as ${name}: nothing new started (follow it: golive watch ${name})`,
          { cause: err },
        );
      }
    });
  }

  /** The go-lives, newest first, a page at a time; `service` and `status` filter (ABORTED included). */
  async list(query: ListQuery = {}): Promise<GoLivePage> {
    const service = query.service === undefined || query.service === '' ? undefined : query.service;
    if (service !== undefined && !serviceConfig(this.ports.config, service)) {
      throw new GoLiveClientError(
        'InvalidRequest',
        `unknown service "${service}": golive.config.yaml describes ${Object.keys(this.ports.config.services).join(', ')}`,
      );
    }
    const status = query.status === undefined || query.status === '' ? undefined : query.status;
    if (status !== undefined && !isGoLiveStatus(status)) {
      throw new GoLiveClientError(
        'InvalidRequest',
        `unknown status "${status}": use one of ${GO_LIVE_STATUSES.join(', ')}`,
      );
    }
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
      throw new GoLiveClientError(
        'InvalidRequest',
        `limit must be a whole number from 1 to ${MAX_PAGE_SIZE}, got ${limit}`,
      );
    }
    const filters = filterKey(service, status);
    const cursor = decodeCursor(query.nextToken, filters);
    // Step Functions filters the plain statuses itself; ABORTED also covers FAILED with GoLiveAborted.
    const statusFilter = status && status !== 'ABORTED' ? (status as ExecutionStatus) : undefined;
    const pages = paginateListExecutions(
      { client: this.ports.sfn, pageSize: EXECUTIONS_PER_REQUEST, ...(cursor.t ? { startingToken: cursor.t } : {}) },
      { stateMachineArn: this.ports.stateMachineArn, ...(statusFilter ? { statusFilter } : {}) },
    );
    const goLives: GoLiveSummary[] = [];
    let pageToken = cursor.t;
    let skip = cursor.s;
    let examined = 0;
    for await (const page of pages) {
      const items = page.executions ?? [];
      for (let i = skip; i < items.length; i++) {
        const item = items[i];
        const described = await this.tryDescribe(item.executionArn ?? '');
        examined++;
        const summary = described && summarise(described, item);
        const matches = summary && (!service || summary.service === service) && (!status || summary.status === status);
        if (matches) goLives.push(summary);
        if (goLives.length === limit || examined >= MAX_EXAMINED) {
          const next: Cursor | undefined =
            i + 1 < items.length
              ? { t: pageToken, s: i + 1, f: filters }
              : page.nextToken
                ? { t: page.nextToken, s: 0, f: filters }
                : undefined;
          return { goLives, ...(next ? { nextToken: encodeCursor(next) } : {}) };
        }
      }
      skip = 0;
      pageToken = page.nextToken;
    }
    return { goLives };
  }

  /** The newest go-lives of a service (the Slack app's `/golive history` and `/golive status <service>`). */
  async listGoLives(service: string, limit = 10): Promise<GoLiveSummary[]> {
    return (await this.list({ service, limit })).goLives;
  }

  /** One go-live: status (ABORTED as such), current step, sign-off and audit hash. NotFound when there is none. */
  async describe(ref: unknown): Promise<GoLiveDetail> {
    const executionArn = this.executionArn(ref);
    const described = await this.describeOrNotFound(executionArn);
    const summary = summarise(described);
    const input = parseInput(described.input);
    const { events = [] } = await this.ports.sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 50 }),
    );
    const currentStep =
      summary.status === 'RUNNING'
        ? events.find((e) => e.type?.endsWith('StateEntered'))?.stateEnteredEventDetails?.name
        : undefined;
    const auditHash = finalHashFromOutput(described.output) ?? finalHashFromHistory([...events].reverse())?.finalHash;
    const approval = await this.ports.store.findApprovalByExecution(executionArn);
    const abort = await this.ports.store.getExecutionValue<{ by: string; reason: string; at: string }>(
      executionArn,
      'abort',
    );
    const notes = typeof input.notes === 'string' && input.notes ? input.notes : undefined;
    const readiness = await this.ports.store.getExecutionValue<ReadinessReport>(executionArn, READINESS_VALUE);
    const records = await this.ports.store.listAudit(executionArn);
    const analysis = canaryLines(records);
    const plan = await this.ports.store.getExecutionValue<RolloutPlan>(executionArn, 'plan');
    const traffic = trafficOf(plan, summary.version, records);
    const controls = await controlState(this.ports.store, executionArn);
    const breakGlass = await breakGlassState(this.ports.store, executionArn);
    const retryable = await this.ports.store.getExecutionValue<Retryable>(executionArn, RETRYABLE_VALUE);
    return {
      paused: controls.paused,
      held: controls.held,
      ...(controls.pause ? { pause: controls.pause } : {}),
      ...(controls.promote ? { promote: controls.promote } : {}),
      ...(plan?.kind === 'undo' || input.kind === 'undo' ? { kind: 'undo' as const } : {}),
      ...(breakGlass ? { breakGlass } : {}),
      ...(retryable && summary.status !== 'RUNNING' && summary.status !== 'SUCCEEDED' ? { retryable } : {}),
      ...summary,
      ...(described.cause ? { cause: described.cause } : {}),
      ...(notes ? { notes } : {}),
      ...(currentStep ? { currentStep } : {}),
      ...(auditHash ? { auditHash } : {}),
      ...(approval ? { signOff: signOffSummary(approval) } : {}),
      ...(abort ? { abort } : {}),
      ...(readiness?.items ? { checklist: checklistLines(readiness) } : {}),
      ...(analysis.length ? { analysis } : {}),
      ...(traffic ? { traffic } : {}),
    };
  }

  /**
   * A vote on a go-live's sign-off, through castVote (which checks the approvers, self-approval,
   * and what the vote attests). A vote that changes nothing is refused with Conflict, saying why.
   */
  async vote(actor: Actor, ref: unknown, raw: VoteRequest): Promise<Voted> {
    checkActor(actor);
    const executionArn = this.executionArn(ref);
    const vote = parseVote(raw);
    const described = await this.describeOrNotFound(executionArn);
    const name = described.name ?? nameOf(executionArn);
    const status = goLiveStatus(described.status, described.error);
    if (status !== 'RUNNING') {
      throw new GoLiveClientError('Conflict', `${name} is not running (it is ${status}): nothing changed`);
    }
    const record = await this.ports.store.findApprovalByExecution(executionArn);
    if (!record) {
      throw new GoLiveClientError(
        'Conflict',
        `${name} has not asked for its sign-off yet: nothing changed (golive watch ${name} says when it does)`,
      );
    }
    const outcome = await castVote(
      { store: this.ports.store, callbacks: this.ports.callbacks, now: this.ports.now },
      { executionId: executionArn },
      {
        voter: actor.user,
        verifiedBy: actor.verifiedBy,
        ...(actor.name ? { voterName: actor.name } : {}),
        decision: vote.decision,
        ...(vote.reason ? { reason: vote.reason } : {}),
        ...(vote.attest ? { attest: vote.attest } : {}),
        ...(vote.waive ? { waive: vote.waive } : {}),
      },
    );
    const notEligible = () =>
      !record.approvers.includes(actor.user) || (actor.user === record.requestedBy && !record.allowSelfApproval);
    return votedFrom(outcome, name, executionArn, () => (notEligible() ? 'Unauthorized' : 'InvalidRequest'));
  }

  /**
   * Attests or waives checklist items during the sign-off without voting: for whoever the checklist
   * names (an attester need not be an approver). When the answers complete a sign-off that already
   * has its approvals, it decides.
   */
  async answerChecklist(actor: Actor, ref: unknown, raw: Pick<VoteRequest, 'attest' | 'waive'>): Promise<Voted> {
    checkActor(actor);
    const executionArn = this.executionArn(ref);
    const { attest, waive } = parseVote({ decision: 'approve', attest: raw?.attest, waive: raw?.waive });
    if (!attest && !waive) {
      throw new GoLiveClientError(
        'InvalidRequest',
        'name the items to attest (--attest) or to waive (--waive with --reason)',
      );
    }
    const described = await this.describeOrNotFound(executionArn);
    const name = described.name ?? nameOf(executionArn);
    const status = goLiveStatus(described.status, described.error);
    if (status !== 'RUNNING') {
      throw new GoLiveClientError('Conflict', `${name} is not running (it is ${status}): nothing changed`);
    }
    const outcome = await answerChecklist(
      { store: this.ports.store, callbacks: this.ports.callbacks, now: this.ports.now },
      { executionId: executionArn },
      actor.user,
      { ...(attest ? { attest } : {}), ...(waive ? { waive } : {}) },
      { verifiedBy: actor.verifiedBy, ...(actor.name ? { voterName: actor.name } : {}) },
    );
    return votedFrom(outcome, name, executionArn, () =>
      /may not (attest|waive)/.test(outcome.message) ? 'Unauthorized' : 'InvalidRequest',
    );
  }

  /** Aborts a running go-live: it rolls back like any failure. Only a release manager of its service may. */
  async abort(actor: Actor, ref: unknown, reason?: unknown): Promise<Aborted> {
    checkActor(actor);
    const executionArn = this.executionArn(ref);
    const why = text(reason, 'reason') ?? 'aborted';
    const { name } = await this.runningReleaseManagerOnly(actor, executionArn, 'abort');
    const earlier = await this.ports.store.getExecutionValue<{ by: string; reason: string; at: string }>(
      executionArn,
      'abort',
    );
    if (earlier) {
      throw new GoLiveClientError(
        'Conflict',
        `${earlier.by} already asked to abort ${name} at ${earlier.at} (${earlier.reason}): it is rolling back, nothing changed`,
      );
    }
    const { signalledTasks } = await requestAbort(
      { store: this.ports.store, callbacks: this.ports.callbacks, now: this.ports.now },
      executionArn,
      actor.user,
      why,
      { verifiedBy: actor.verifiedBy, ...(actor.name ? { name: actor.name } : {}) },
    );
    return {
      name,
      executionArn,
      signalledTasks,
      message: `abort requested for ${name}: ${signalledTasks ? 'the waiting step was failed; ' : ''}it rolls back now`,
    };
  }

  /**
   * Pause, resume or promote a running go-live (release managers of its service). The workflow acts
   * at its next step boundary; a resume or promote ends a hold at once. Conflict when it changes nothing.
   */
  async control(actor: Actor, ref: unknown, action: ControlAction, reason?: unknown): Promise<Controlled> {
    checkActor(actor);
    if (action !== 'pause' && action !== 'resume' && action !== 'promote') {
      throw new GoLiveClientError(
        'InvalidRequest',
        `unknown control ${JSON.stringify(action)}: pause, resume or promote`,
      );
    }
    const executionArn = this.executionArn(ref);
    const { name, service } = await this.runningReleaseManagerOnly(actor, executionArn, action);
    const outcome = await requestControl(this.ports, executionArn, action, {
      by: actor.user,
      verifiedBy: actor.verifiedBy,
      reason: text(reason, 'reason') ?? '',
      ...(actor.name ? { name: actor.name } : {}),
    });
    if (!outcome.changed) throw new GoLiveClientError('Conflict', `${name}: ${outcome.message}: nothing changed`);
    return { name, executionArn, service, action, message: `${name} ${outcome.message}` };
  }

  /** A vote of the emergency role on a break-glass go-live. */
  async breakGlassVote(actor: Actor, ref: unknown, raw: { decision: unknown; reason?: unknown }): Promise<Voted> {
    checkActor(actor);
    const executionArn = this.executionArn(ref);
    const decision = raw?.decision;
    if (decision !== 'approve' && decision !== 'reject') {
      throw new GoLiveClientError(
        'InvalidRequest',
        `"decision" must be approve or reject, got ${JSON.stringify(decision ?? null)}`,
      );
    }
    const described = await this.describeOrNotFound(executionArn);
    const name = described.name ?? nameOf(executionArn);
    const status = goLiveStatus(described.status, described.error);
    if (status !== 'RUNNING')
      throw new GoLiveClientError('Conflict', `${name} is not running (it is ${status}): nothing changed`);
    const reason = text(raw.reason, 'reason');
    const outcome = await castBreakGlassVote(this.ports, executionArn, {
      voter: actor.user,
      verifiedBy: actor.verifiedBy,
      ...(actor.name ? { voterName: actor.name } : {}),
      decision,
      ...(reason ? { reason } : {}),
    });
    if (outcome.kind === 'refused') {
      const code = /not in the emergency role/.test(outcome.message)
        ? 'Unauthorized'
        : /reason/.test(outcome.message)
          ? 'InvalidRequest'
          : 'Conflict';
      throw new GoLiveClientError(code, outcome.message);
    }
    return {
      name,
      executionArn,
      kind: outcome.kind,
      ...(outcome.kind === 'decided' ? { status: outcome.status } : {}),
      message: outcome.message,
    };
  }

  /**
   * Retries a failed go-live from the phase that failed, with Step Functions' RedriveExecution, when
   * its failure qualifies (AwaitRetry recorded it), within controls.retryWithinSeconds, and when
   * nothing has changed since: no freeze in force, the service not locked, no newer go-live live.
   */
  async retry(actor: Actor, ref: unknown, reason?: unknown): Promise<Retried> {
    checkActor(actor);
    const executionArn = this.executionArn(ref);
    const described = await this.describeOrNotFound(executionArn);
    const name = described.name ?? nameOf(executionArn);
    const input = parseInput(described.input);
    const service = typeof input.service === 'string' ? input.service : undefined;
    if (!service || !hasRole(this.ports.config, service, 'releaseManagers', actor.user)) {
      throw new GoLiveClientError(
        'Unauthorized',
        `${actor.user} is not a release manager of ${service ?? 'this service'}: nothing retried`,
      );
    }
    const status = goLiveStatus(described.status, described.error);
    const retryable = await pendingRetry(this.ports.store, executionArn);
    if (described.status !== 'FAILED' || !retryable) {
      throw new GoLiveClientError(
        'Conflict',
        described.status === 'FAILED'
          ? `${name} failed with ${described.error ?? '?'}, which a retry cannot cure (golive recorded no retry point): only a rolled-back ` +
              'failure of a provider, a pre-traffic smoke test, a backup proof or a canary traffic shift can be retried ' +
              '(an alarm, a canary analysis, a rejection, an expiry, an abort or a refusal at the start cannot): start a new go-live'
          : `${name} is ${status}: only a failed go-live can be retried`,
      );
    }
    const stopped = described.stopDate ? new Date(described.stopDate).getTime() : 0;
    const window = this.ports.config.controls.retryWithinSeconds;
    if (this.ports.now().getTime() - stopped > window * 1000) {
      throw new GoLiveClientError(
        'Conflict',
        `${name} failed more than controls.retryWithinSeconds (${window} s) ago: start a new go-live`,
      );
    }
    const freeze = activeFreezes(this.ports.config.freezes, service, this.ports.now())[0];
    const plan = await this.ports.store.getExecutionValue<RolloutPlan>(executionArn, 'plan');
    if (freeze && plan?.breakGlass !== 'required') {
      throw new GoLiveClientError('FreezeWindow', `${name} not retried: ${freezeMessage(freeze, this.ports.now())}`);
    }
    const lock = await this.ports.store.getLock(service);
    if (lock && Date.parse(lock.expiresAt) > this.ports.now().getTime()) {
      throw new GoLiveClientError(
        'LockHeld',
        `${service} is locked by ${nameOf(lock.executionId)} (${lock.version}): retry after it ends`,
      );
    }
    const live = await this.ports.store.getLiveVersion(service);
    if (live && Date.parse(live.at) > stopped) {
      throw new GoLiveClientError(
        'Conflict',
        `${service} ${live.version} went live after ${name} failed: start a new go-live instead`,
      );
    }
    const asked: RetryRequest = {
      by: actor.user,
      verifiedBy: actor.verifiedBy,
      ...(text(reason, 'reason') ? { reason: text(reason, 'reason') } : {}),
      at: this.ports.now().toISOString(),
    };
    let note = '';
    if (!(await this.ports.store.claimExecutionValue(executionArn, retryRequestKey(retryable.attempt), asked))) {
      // Still FAILED with this attempt unconsumed: that retry never reached Step Functions (a crash, a
      // throttled call). Sent again, idempotently (the same client token), as it was first asked.
      const earlier = await this.ports.store.getExecutionValue<RetryRequest>(
        executionArn,
        retryRequestKey(retryable.attempt),
      );
      note = ` (the retry ${earlier?.by ?? 'someone'} asked at ${earlier?.at ?? '?'} had not reached Step Functions: sent again)`;
    }
    try {
      await this.ports.sfn.send(
        new RedriveExecutionCommand({ executionArn, clientToken: `retry-${retryable.attempt}` }),
      );
    } catch (err) {
      const code = (err as { name?: string }).name;
      if (code === 'ExecutionNotRedrivable')
        throw new GoLiveClientError('Conflict', `Step Functions cannot redrive ${name}: ${(err as Error).message}`, {
          cause: err,
        });
      throw err;
    }
    return {
      name,
      executionArn,
      attempt: retryable.attempt,
      resumeAt: retryable.resumeAt,
      message: `${name} retried (attempt ${retryable.attempt + 1}): it resumes at ${retryable.resumeAt} after ${retryable.error.Error} at ${retryable.failedAt}${note}`,
    };
  }

  /**
   * Undo (golive rollback <service>): the version live before the current one goes back through the
   * fast path (smoke-tested, alarm-watched, audited, the undo sign-off policy). Release managers only.
   */
  async undo(actor: Actor, service: unknown, reason?: unknown): Promise<Started> {
    checkActor(actor);
    if (typeof service !== 'string' || !serviceConfig(this.ports.config, service)) {
      throw new GoLiveClientError(
        'InvalidRequest',
        `unknown service ${JSON.stringify(service ?? null)}: golive.config.yaml describes ${Object.keys(this.ports.config.services).join(', ')}`,
      );
    }
    const live = await this.ports.store.getLiveVersion(service);
    if (!live?.previous) {
      throw new GoLiveClientError(
        'Conflict',
        `nothing to undo for ${service}: no earlier version is recorded as live before ${live?.version ?? 'the current one'}`,
      );
    }
    const freeze = activeFreezes(this.ports.config.freezes, service, this.ports.now())[0];
    if (freeze && live.byUndo) {
      throw new GoLiveClientError(
        'FreezeWindow',
        `${live.version} was itself made live by an undo: undoing it would bring back ${live.previous.version}, the release it took out, ` +
          `${freezeMessage(freeze, this.ports.now())}. Wait for the freeze to end, or go live with --break-glass: nothing started`,
      );
    }
    return this.start(
      actor,
      { service, version: live.previous.version, notes: text(reason, 'reason') ?? `undo of ${live.version}` },
      { undo: true },
    );
  }

  /** Reviews of break-glass go-lives: open until closed with a note. */
  async reviews(query: { status?: 'open' | 'closed' | 'all' } = {}): Promise<ReviewLine[]> {
    const lines: ReviewLine[] = [];
    const pages = paginateListExecutions(
      { client: this.ports.sfn, pageSize: EXECUTIONS_PER_REQUEST },
      { stateMachineArn: this.ports.stateMachineArn },
    );
    for await (const page of pages) {
      for (const item of page.executions ?? []) {
        const executionArn = item.executionArn ?? '';
        const review = await this.ports.store.getExecutionValue<Review>(executionArn, REVIEW_VALUE);
        if (!review) continue;
        const closed = await this.ports.store.getExecutionValue<ReviewClosure>(executionArn, REVIEW_CLOSED_VALUE);
        const line: ReviewLine = {
          name: item.name ?? nameOf(executionArn),
          executionArn,
          ...review,
          status: closed ? 'closed' : 'open',
          ...(closed ? { closed } : {}),
        };
        if ((query.status ?? 'open') === 'all' || line.status === (query.status ?? 'open')) lines.push(line);
      }
    }
    return lines;
  }

  /** Closes the review of a break-glass go-live with a note (release managers or auditors of the service). */
  async closeReview(actor: Actor, ref: unknown, note: unknown): Promise<ReviewLine> {
    checkActor(actor);
    const executionArn = this.executionArn(ref);
    const why = text(note, 'note');
    if (!why) throw new GoLiveClientError('InvalidRequest', 'a review is closed with a note (--note "what was found")');
    const review = await this.ports.store.getExecutionValue<Review>(executionArn, REVIEW_VALUE);
    const name = nameOf(executionArn);
    if (!review) throw new GoLiveClientError('NotFound', `${name} has no break-glass review`);
    const may = ['releaseManagers', 'auditors'] as const;
    if (!may.some((role) => hasRole(this.ports.config, review.service, role, actor.user))) {
      throw new GoLiveClientError(
        'Unauthorized',
        `${actor.user} is neither a release manager nor an auditor of ${review.service}: the review stays open`,
      );
    }
    const closure: ReviewClosure = {
      by: actor.user,
      verifiedBy: actor.verifiedBy,
      note: why,
      at: this.ports.now().toISOString(),
    };
    if (!(await this.ports.store.claimExecutionValue(executionArn, REVIEW_CLOSED_VALUE, closure))) {
      const earlier = await this.ports.store.getExecutionValue<ReviewClosure>(executionArn, REVIEW_CLOSED_VALUE);
      throw new GoLiveClientError(
        'Conflict',
        `the review of ${name} was closed by ${earlier?.by} at ${earlier?.at}: nothing changed`,
      );
    }
    return { name, executionArn, ...review, status: 'closed', closed: closure };
  }

  /** The go-live, running, and a release manager of its service acting: or a refusal saying which is not so. */
  private async runningReleaseManagerOnly(
    actor: Actor,
    executionArn: string,
    what: string,
  ): Promise<{ name: string; service: string }> {
    const described = await this.describeOrNotFound(executionArn);
    const name = described.name ?? nameOf(executionArn);
    const service = parseInput(described.input).service;
    if (typeof service !== 'string' || !hasRole(this.ports.config, service, 'releaseManagers', actor.user)) {
      const managers = typeof service === 'string' ? rolesFor(this.ports.config, service).releaseManagers : [];
      throw new GoLiveClientError(
        'Unauthorized',
        `${actor.user} is not a release manager of ${service ?? 'this service'} (release managers: ${managers.join(', ') || 'none'}): nothing to ${what}`,
      );
    }
    const status = goLiveStatus(described.status, described.error);
    if (status !== 'RUNNING')
      throw new GoLiveClientError('Conflict', `${name} is not running (it is ${status}): nothing to ${what}`);
    return { name, service };
  }

  private async tryDescribe(executionArn: string): Promise<DescribeExecutionCommandOutput | undefined> {
    try {
      return await this.ports.sfn.send(new DescribeExecutionCommand({ executionArn }));
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  private async describeOrNotFound(executionArn: string): Promise<DescribeExecutionCommandOutput> {
    const described = await this.tryDescribe(executionArn);
    if (!described) {
      throw new GoLiveClientError(
        'NotFound',
        `no go-live named ${nameOf(executionArn)}: list them with \`golive history\``,
      );
    }
    return described;
  }

  /**
   * Refuses a start while the service is locked by another go-live, or while a go-live of it is
   * running (between its start and its lock): what ValidateAndLock would refuse anyway, said now,
   * before anything starts.
   */
  private async refuseBusyService(request: GoLiveRequest): Promise<void> {
    const { service, version } = request;
    const lock = await this.ports.store.getLock(service);
    const running: GoLiveSummary[] = [];
    const pages = paginateListExecutions(
      { client: this.ports.sfn, pageSize: EXECUTIONS_PER_REQUEST },
      { stateMachineArn: this.ports.stateMachineArn, statusFilter: 'RUNNING' },
    );
    for await (const page of pages) {
      for (const item of page.executions ?? []) {
        const described = await this.tryDescribe(item.executionArn ?? '');
        const summary = described && summarise(described, item);
        if (summary?.status === 'RUNNING' && summary.service === service) running.push(summary);
      }
    }
    const same = running.find((r) => r.version === version);
    if (same) {
      throw new GoLiveClientError(
        'AlreadyStarting',
        `${service} ${version} is already going live as ${same.name} (requested by ${same.requestedBy ?? '?'}): nothing new started (follow it: golive watch ${same.name})`,
      );
    }
    const other = running[0];
    if (other) {
      throw new GoLiveClientError(
        'LockHeld',
        `${service} is going live with ${other.version ?? '?'} as ${other.name}: one go-live per service at a time, nothing started`,
      );
    }
    if (lock && Date.parse(lock.expiresAt) > this.ports.now().getTime()) {
      throw new GoLiveClientError(
        'LockHeld',
        `${service} is locked by ${nameOf(lock.executionId)} (${lock.version}, requested by ${lock.requestedBy} at ${lock.acquiredAt}, until ${lock.expiresAt} at the latest): nothing started. ` +
          `A lock outliving its go-live means its rollback failed: see \`golive status ${nameOf(lock.executionId)}\``,
      );
    }
  }

  private async oneAtATime<T>(service: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.starting.get(service) ?? Promise.resolve();
    const run = previous.then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.starting.set(service, settled);
    try {
      return await run;
    } finally {
      if (this.starting.get(service) === settled) this.starting.delete(service);
    }
  }
}

interface ParsedVote {
  decision: 'approve' | 'reject';
  reason?: string;
  attest?: string[];
  waive?: { item: string; reason: string }[];
}

function parseVote(raw: VoteRequest): ParsedVote {
  const fields = (raw ?? {}) as Partial<VoteRequest>;
  const decision = fields.decision;
  if (decision !== 'approve' && decision !== 'reject') {
    throw new GoLiveClientError(
      'InvalidRequest',
      `"decision" must be approve or reject, got ${JSON.stringify(decision ?? null)}`,
    );
  }
  const reason = text(fields.reason, 'reason');
  if (decision === 'reject' && !reason) {
    throw new GoLiveClientError('InvalidRequest', 'a rejection needs a reason (--reason "what is wrong")');
  }
  const items = (value: unknown, field: string): string[] | undefined => {
    if (value === undefined || value === null) return undefined;
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || list.some((item) => typeof item !== 'string' || item.trim() === '')) {
      throw new GoLiveClientError('InvalidRequest', `"${field}" must be a list of checklist item ids (or "all")`);
    }
    return list.length ? (list as string[]).map((item) => item.trim()) : undefined;
  };
  const attest = items(fields.attest, 'attest');
  if (attest && decision === 'reject') {
    throw new GoLiveClientError('InvalidRequest', 'a rejection attests nothing: drop --attest');
  }
  let waive: ParsedVote['waive'];
  if (fields.waive !== undefined && fields.waive !== null) {
    const list = fields.waive;
    const valid =
      Array.isArray(list) &&
      list.every(
        (w) =>
          w !== null &&
          typeof w === 'object' &&
          typeof (w as { item?: unknown }).item === 'string' &&
          typeof (w as { reason?: unknown }).reason === 'string',
      );
    if (!valid) {
      throw new GoLiveClientError('InvalidRequest', '"waive" must be a list of {"item": "<id>", "reason": "<why>"}');
    }
    waive = (list as { item: string; reason: string }[]).map((w) => ({ item: w.item.trim(), reason: w.reason.trim() }));
    if (waive.some((w) => !w.reason)) {
      throw new GoLiveClientError('InvalidRequest', 'a waiver needs a reason (--reason "why it is acceptable")');
    }
    if (decision === 'reject' && waive.length) {
      throw new GoLiveClientError('InvalidRequest', 'a rejection waives nothing: drop --waive');
    }
    if (!waive.length) waive = undefined;
  }
  return { decision, ...(reason ? { reason } : {}), ...(attest ? { attest } : {}), ...(waive ? { waive } : {}) };
}

/** A vote's or an answer's outcome as the client answers it: what changed, or a refusal with its code. */
function votedFrom(
  outcome: VoteOutcome,
  name: string,
  executionArn: string,
  refusedCode: () => 'Unauthorized' | 'InvalidRequest',
): Voted {
  switch (outcome.kind) {
    case 'recorded':
      return { name, executionArn, kind: 'recorded', message: outcome.message };
    case 'decided':
      return { name, executionArn, kind: 'decided', status: outcome.status, message: outcome.message };
    case 'duplicate':
    case 'closed':
      throw new GoLiveClientError('Conflict', outcome.message);
    case 'refused':
      throw new GoLiveClientError(refusedCode(), outcome.message);
  }
}
