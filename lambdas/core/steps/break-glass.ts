import { FreezeWindow, Unauthorized } from '../errors';
import type { AuditEntry, Deps } from '../ports';
import { executionName, type GoLiveRequest, type RolloutPlan } from '../request';
import { rolesFor, type ActorVerification } from '../roles';
import type { StepPayload } from '../workflow/definition';
import { runStep } from './step';

/**
 * Break-glass: a go-live inside a change freeze goes ahead only when N members of the emergency role
 * (breakGlass.approvers or services.<name>.roles.emergency) approve it, before anything changes.
 * Votes are write-once per voter and the decision is claimed once, so concurrent clicks cannot
 * double-count; MuteAlerts and every traffic change re-check the store (a leaked task token alone
 * never lets a frozen go-live through).
 */

export const BREAK_GLASS_VALUE = 'break-glass';
/** The review every approved break-glass opens; closed by a second, write-once value. */
export const REVIEW_VALUE = 'review';
export const REVIEW_CLOSED_VALUE = 'review:closed';

export interface Review {
  status: 'open';
  service: string;
  version: string;
  requestedBy: string;
  reason: string;
  approvedBy: string[];
  openedAt: string;
}
export interface ReviewClosure {
  by: string;
  verifiedBy?: ActorVerification;
  note: string;
  at: string;
}
const DECISION_VALUE = 'break-glass:decision';
const voteKey = (voter: string) => `break-glass:vote:${voter}`;

export interface BreakGlassRequest {
  reason: string;
  requestedBy: string;
  approvers: string[];
  minApprovals: number;
  token: string;
  createdAt: string;
  expiresAt: string;
}
export interface BreakGlassVote {
  voter: string;
  verifiedBy?: ActorVerification;
  voterName?: string;
  decision: 'approve' | 'reject';
  reason?: string;
  at: string;
}
export interface BreakGlassDecision {
  status: 'approved' | 'rejected';
  by: string[];
  at: string;
  /** The rejection's reason. */
  reason?: string;
}

/** The emergency approvers of a go-live: never its requester. */
const eligible = (deps: Pick<Deps, 'config'>, request: Pick<GoLiveRequest, 'service' | 'requestedBy'>) =>
  rolesFor(deps.config, request.service).emergency.filter((u) => u !== request.requestedBy);

/** BreakGlass (a callback task): records the request and asks the emergency role in the release channel. */
export function requestBreakGlass(deps: Deps, event: StepPayload<'BreakGlass'>): Promise<{ approvers: string[] }> {
  return runStep(deps, event, event.state, 'request-break-glass', async () => {
    const { request, plan } = event;
    const approvers = eligible(deps, request);
    const minApprovals = deps.config.breakGlass.minApprovals;
    if (approvers.length < minApprovals) {
      throw new FreezeWindow(
        `break-glass needs ${minApprovals} emergency approver(s) other than ${request.requestedBy}, and ${approvers.length} are configured: ` +
          `list them in breakGlass.approvers (or services.${request.service}.roles.emergency)`,
      );
    }
    const now = deps.now();
    const record: BreakGlassRequest = {
      reason: request.breakGlass?.reason ?? '',
      requestedBy: request.requestedBy,
      approvers,
      minApprovals,
      token: event.taskToken,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + plan.breakGlassTimeoutSeconds * 1000).toISOString(),
    };
    await deps.store.putExecutionValue(event.executionId, BREAK_GLASS_VALUE, record);
    await deps.store.putCallback({
      token: event.taskToken,
      executionId: event.executionId,
      service: request.service,
      kind: 'break-glass',
      alarms: [],
      state: event.state,
      createdAt: record.createdAt,
    });
    await deps.notifier.notify({
      kind: 'break-glass-requested',
      executionId: event.executionId,
      service: request.service,
      version: request.version,
      text:
        `🚨 Break-glass: ${request.service} ${request.version} inside a change freeze, requested by ${request.requestedBy}: ${record.reason}. ` +
        `${minApprovals} of ${approvers.join(', ')} must approve before ${record.expiresAt}; nothing changes until then.`,
      details: { approvers, minApprovals, reason: record.reason, expiresAt: record.expiresAt },
    });
    const { token: _token, ...evidence } = record;
    return {
      result: { approvers },
      summary: `break-glass requested (${record.reason}): ${minApprovals} of ${approvers.join(', ')} must approve`,
      evidence,
    };
  });
}

export type BreakGlassOutcome =
  | { kind: 'refused'; message: string }
  | { kind: 'recorded'; message: string }
  | { kind: 'decided'; status: 'approved' | 'rejected'; message: string };

/** A vote of the emergency role (CLI `golive break-glass approve|reject`, Slack buttons). */
export async function castBreakGlassVote(
  deps: Pick<Deps, 'store' | 'callbacks' | 'config' | 'now'>,
  executionId: string,
  vote: Omit<BreakGlassVote, 'at'>,
): Promise<BreakGlassOutcome> {
  const record = await deps.store.getExecutionValue<BreakGlassRequest>(executionId, BREAK_GLASS_VALUE);
  const name = executionName(executionId);
  if (!record) return { kind: 'refused', message: `${name} has no break-glass request` };
  const request = await deps.store.getExecutionValue<GoLiveRequest>(executionId, 'request');
  // Today's config decides who may vote (a member removed since the request no longer counts).
  const approvers = request ? eligible(deps, request) : [];
  const ctx: Settling = { deps, executionId, record, request, approvers };
  const decided = await deps.store.getExecutionValue<BreakGlassDecision>(executionId, DECISION_VALUE);
  if (decided) {
    // Finishes what an interrupted decision left (the review, the answer to the task); changes nothing else.
    await deliver(ctx, decided, false);
    return { kind: 'refused', message: `the break-glass of ${name} is already ${decided.status}` };
  }
  const now = deps.now();
  if (Date.parse(record.expiresAt) <= now.getTime())
    return { kind: 'refused', message: `the break-glass request expired at ${record.expiresAt}: nothing changed` };
  if (!approvers.includes(vote.voter) || !record.approvers.includes(vote.voter)) {
    return {
      kind: 'refused',
      message: `${vote.voter} is not in the emergency role of this go-live (${record.approvers.join(', ')}); the requester never approves their own break-glass`,
    };
  }
  if (vote.decision === 'reject' && !vote.reason?.trim())
    return { kind: 'refused', message: 'a rejection needs a reason (--reason "...")' };
  const full: BreakGlassVote = { ...vote, at: now.toISOString() };
  const counted = await deps.store.claimExecutionValue(executionId, voteKey(vote.voter), full);
  if (counted) {
    await audit(deps, executionId, request?.service ?? 'unknown', {
      action: vote.decision,
      actor: vote.voter,
      verifiedBy: vote.verifiedBy,
      actorName: vote.voterName,
      summary: `${vote.voter} voted ${vote.decision} on the break-glass${vote.reason ? `: ${vote.reason}` : ''}`,
      evidence: full,
    });
  }
  // Counted now or by an earlier call that died before deciding: the votes in the store decide.
  const outcome = await settle(ctx, vote, now);
  if (!counted && outcome.kind !== 'decided')
    return { kind: 'refused', message: `${vote.voter} already voted on this break-glass: counted once` };
  return outcome;
}

interface Settling {
  deps: Pick<Deps, 'store' | 'callbacks' | 'config' | 'now'>;
  executionId: string;
  record: BreakGlassRequest;
  request: GoLiveRequest | undefined;
  approvers: string[];
}

/** Decides once enough eligible approvals, or one eligible rejection, are in the store. */
async function settle(ctx: Settling, by: Omit<BreakGlassVote, 'at'>, now: Date): Promise<BreakGlassOutcome> {
  const { deps, executionId, record, approvers } = ctx;
  const votes = (await votesOf(deps, executionId, record.approvers)).filter((v) => approvers.includes(v.voter));
  const rejection = votes.find((v) => v.decision === 'reject');
  const approvals = votes.filter((v) => v.decision === 'approve').map((v) => v.voter);
  if (!rejection && approvals.length < record.minApprovals) {
    return {
      kind: 'recorded',
      message: `break-glass approval recorded: ${approvals.length} of ${record.minApprovals}`,
    };
  }
  const decision: BreakGlassDecision = rejection
    ? { status: 'rejected', by: [rejection.voter], at: now.toISOString(), reason: rejection.reason }
    : { status: 'approved', by: approvals, at: now.toISOString() };
  if (!(await deps.store.claimExecutionValue(executionId, DECISION_VALUE, decision))) {
    return { kind: 'refused', message: 'decided by someone else a moment ago: nothing changed' };
  }
  const closed = await deliver(ctx, decision, true);
  await audit(deps, executionId, ctx.request?.service ?? 'unknown', {
    action: decision.status,
    actor: by.voter,
    verifiedBy: by.verifiedBy,
    actorName: by.voterName,
    summary:
      decision.status === 'rejected'
        ? `break-glass rejected by ${decision.by.join(', ')}: ${decision.reason ?? ''}`
        : `break-glass approved by ${decision.by.join(', ')}${closed ? ' (the request had already ended: nothing went ahead)' : ''}`,
    evidence: decision,
  });
  return {
    kind: 'decided',
    status: decision.status,
    message:
      decision.status === 'rejected'
        ? 'break-glass rejected: the go-live rolls back, nothing was changed'
        : closed
          ? 'break-glass approved, but the request had already ended: nothing went ahead'
          : 'break-glass approved: the go-live goes ahead',
  };
}

/**
 * Carries a decision out: the review first (an approved break-glass is always reviewed), then the
 * answer to the waiting task. Safe to repeat after a crash: each part is written once, and a task
 * already answered changes nothing. Returns whether the task had already ended.
 */
async function deliver(ctx: Settling, decision: BreakGlassDecision, first: boolean): Promise<boolean> {
  const { deps, executionId, record, request } = ctx;
  if (decision.status === 'approved') {
    await deps.store.claimExecutionValue(executionId, REVIEW_VALUE, {
      status: 'open',
      service: request?.service ?? 'unknown',
      version: request?.version ?? '',
      requestedBy: record.requestedBy,
      reason: record.reason,
      approvedBy: decision.by,
      openedAt: decision.at,
    } satisfies Review);
  }
  const callback =
    decision.status === 'rejected'
      ? await deps.callbacks.fail(
          record.token,
          'BreakGlassRejected',
          `break-glass rejected by ${decision.by.join(', ')}: ${decision.reason ?? ''}`,
        )
      : await deps.callbacks.succeed(record.token, { approvedBy: decision.by });
  await deps.store.deleteCallback(record.token);
  if (first && callback.closed && decision.status === 'approved') {
    // Approved after the request had already ended (timed out): nothing went live, nothing to review.
    await deps.store.claimExecutionValue(executionId, REVIEW_CLOSED_VALUE, {
      by: 'system',
      verifiedBy: 'system',
      note: 'approved after the break-glass request had ended: the go-live did not go ahead',
      at: decision.at,
    } satisfies ReviewClosure);
  }
  return callback.closed;
}

async function votesOf(deps: Pick<Deps, 'store'>, executionId: string, voters: string[]): Promise<BreakGlassVote[]> {
  const votes = await Promise.all(
    voters.map((v) => deps.store.getExecutionValue<BreakGlassVote>(executionId, voteKey(v))),
  );
  return votes.filter((v): v is BreakGlassVote => v !== undefined);
}

async function audit(
  deps: Pick<Deps, 'store' | 'now'>,
  executionId: string,
  service: string,
  e: {
    action: string;
    actor: string;
    verifiedBy?: ActorVerification;
    actorName?: string;
    summary: string;
    evidence: unknown;
  },
): Promise<void> {
  await deps.store.appendAudit({
    executionId,
    service,
    step: 'BreakGlass',
    action: e.action,
    actor: e.actor,
    ...(e.verifiedBy ? { verifiedBy: e.verifiedBy } : {}),
    ...(e.actorName ? { actorName: e.actorName } : {}),
    outcome: 'info',
    summary: e.summary,
    evidence: e.evidence,
    at: deps.now().toISOString(),
  } satisfies AuditEntry);
}

/**
 * Before a break-glass go-live changes anything (alerts, traffic): the store must hold its approval
 * by enough distinct members of the emergency role as configured now, none of them the requester.
 */
export async function verifyBreakGlass(
  deps: Pick<Deps, 'store' | 'config'>,
  executionId: string,
  request: Pick<GoLiveRequest, 'service' | 'requestedBy'>,
  plan: Pick<RolloutPlan, 'breakGlass'>,
): Promise<void> {
  if (plan.breakGlass !== 'required') return;
  const decision = await deps.store.getExecutionValue<BreakGlassDecision>(executionId, DECISION_VALUE);
  const approvers = eligible(deps, request);
  const by = decision?.status === 'approved' ? decision.by.filter((v) => approvers.includes(v)) : [];
  if (new Set(by).size < deps.config.breakGlass.minApprovals) {
    throw new Unauthorized(
      `inside a change freeze nothing changes without the break-glass approvals: ${
        decision ? `${decision.status} by ${decision.by.join(', ')}` : 'none recorded'
      }, ${deps.config.breakGlass.minApprovals} eligible approval(s) required`,
      { evidence: { decision: decision ?? null } },
    );
  }
}

/** The break-glass of a go-live as the client, the card and the report show it. */
export async function breakGlassState(
  store: Deps['store'],
  executionId: string,
): Promise<{ reason: string; approvers: string[]; expiresAt: string; decision?: BreakGlassDecision } | undefined> {
  const record = await store.getExecutionValue<BreakGlassRequest>(executionId, BREAK_GLASS_VALUE);
  if (!record) return undefined;
  const decision = await store.getExecutionValue<BreakGlassDecision>(executionId, DECISION_VALUE);
  return {
    reason: record.reason,
    approvers: record.approvers,
    expiresAt: record.expiresAt,
    ...(decision ? { decision } : {}),
  };
}
