import { randomUUID } from 'node:crypto';
import type { ApprovalRecord, ApprovalStatus, Deps, Vote } from '../ports';
import { executionName } from '../request';
import type { ReadinessReport } from './readiness';
import { runStep, type StepEvent } from './step';

/** SignOff (a callback task): records the approval request with its policy and asks the approvers. */
export function requestApproval(deps: Deps, event: StepEvent): Promise<{ approvalId: string }> {
  return runStep(deps, event, 'SignOff', 'request-approval', async () => {
    if (!event.taskToken) throw new Error('SignOff needs a task token (the state must use .waitForTaskToken)');
    const { approval, slack } = deps.config;
    const now = deps.now();
    const record: ApprovalRecord = {
      approvalId: `apr-${randomUUID()}`,
      executionId: event.executionId,
      service: event.request.service,
      version: event.request.version,
      requestedBy: event.request.requestedBy,
      approvers: slack.approvers,
      minApprovals: approval.minApprovals,
      allowSelfApproval: approval.allowSelfApproval,
      token: event.taskToken,
      status: 'pending',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + event.plan.approvalTimeoutSeconds * 1000).toISOString(),
      votes: [],
    };
    await deps.store.createApproval(record);
    await deps.store.putCallback({
      token: event.taskToken,
      executionId: event.executionId,
      service: record.service,
      kind: 'approval',
      alarms: [],
      approvalId: record.approvalId,
      createdAt: record.createdAt,
    });
    const readiness = event.readiness as ReadinessReport | undefined;
    await deps.notifier.notify({
      kind: 'approval-requested',
      executionId: event.executionId,
      service: record.service,
      version: record.version,
      text:
        `Sign-off needed: ${record.service} ${record.version} (${event.plan.strategy}) requested by ${record.requestedBy}. ` +
        `${record.minApprovals} of ${record.approvers.length} approver(s) needed before ${record.expiresAt}.`,
      details: {
        approvalId: record.approvalId,
        approvers: record.approvers,
        readiness: readiness ? readiness.items.map((i) => ({ title: i.title, status: i.status })) : [],
        execution: executionName(event.executionId),
      },
    });
    const { token: _token, ...withoutToken } = record;
    return {
      result: { approvalId: record.approvalId },
      summary: `asked ${record.approvers.join(', ')} for ${record.minApprovals} approval(s), expiring ${record.expiresAt}`,
      evidence: withoutToken,
    };
  });
}

export type VoteOutcome =
  | { kind: 'refused'; message: string }
  | { kind: 'closed'; status: ApprovalStatus; message: string }
  | { kind: 'duplicate'; message: string; record: ApprovalRecord }
  | { kind: 'recorded'; message: string; record: ApprovalRecord }
  | { kind: 'decided'; status: 'approved' | 'rejected'; message: string; record: ApprovalRecord };

/** Pure policy check of one vote against an approval; no side effects. */
export function checkVote(record: ApprovalRecord, vote: Vote, now: Date): VoteOutcome | undefined {
  if (record.status !== 'pending') {
    return {
      kind: 'closed',
      status: record.status,
      message: `this approval is already ${record.status}: nothing changed`,
    };
  }
  if (Date.parse(record.expiresAt) <= now.getTime()) {
    return {
      kind: 'closed',
      status: 'expired',
      message: `this approval expired at ${record.expiresAt}: nothing changed`,
    };
  }
  if (!record.approvers.includes(vote.voter)) {
    return {
      kind: 'refused',
      message: `${vote.voter} is not an approver of this go-live (approvers: ${record.approvers.join(', ')})`,
    };
  }
  if (vote.voter === record.requestedBy && !record.allowSelfApproval) {
    return {
      kind: 'refused',
      message: `${vote.voter} requested this go-live and cannot approve or reject it (allowSelfApproval is off)`,
    };
  }
  if (vote.decision === 'reject' && !vote.reason?.trim()) {
    return { kind: 'refused', message: 'a rejection needs a reason (--reason "...")' };
  }
  const previous = record.votes.find((v) => v.voter === vote.voter);
  if (previous) {
    return {
      kind: 'duplicate',
      message: `${vote.voter} already voted ${previous.decision} at ${previous.at}: counted once`,
      record,
    };
  }
  return undefined;
}

/**
 * Casts a vote (CLI locally, Slack buttons on AWS): one vote per approver, N-of-M approvals,
 * any rejection (with a reason) decides. The decision resumes or fails the SignOff task.
 */
export async function castVote(
  deps: Pick<Deps, 'store' | 'callbacks' | 'now'>,
  target: { approvalId?: string; executionId?: string },
  vote: Omit<Vote, 'at'>,
): Promise<VoteOutcome> {
  const record = target.approvalId
    ? await deps.store.getApproval(target.approvalId)
    : target.executionId
      ? await deps.store.findApprovalByExecution(target.executionId)
      : undefined;
  if (!record) return { kind: 'refused', message: 'no sign-off has been requested for this go-live (yet)' };
  const now = deps.now();
  const full: Vote = { ...vote, ...(vote.reason ? { reason: vote.reason.trim() } : {}), at: now.toISOString() };
  const early = checkVote(record, full, now);
  if (early) return early;
  const { added, record: updated } = await deps.store.addVote(record.approvalId, full);
  if (!added) {
    return updated.status === 'pending'
      ? { kind: 'duplicate', message: `${vote.voter} already voted: counted once`, record: updated }
      : {
          kind: 'closed',
          status: updated.status,
          message: `this approval is already ${updated.status}: nothing changed`,
        };
  }
  await deps.store.appendAudit({
    executionId: record.executionId,
    service: record.service,
    step: 'SignOff',
    action: vote.decision,
    actor: vote.voter,
    outcome: 'info',
    summary: `${vote.voter} voted ${vote.decision}${full.reason ? `: ${full.reason}` : ''}`,
    evidence: { approvalId: record.approvalId, vote: full },
    at: full.at,
  });
  const approvals = updated.votes.filter((v) => v.decision === 'approve');
  const rejected = full.decision === 'reject';
  if (!rejected && approvals.length < updated.minApprovals) {
    return {
      kind: 'recorded',
      message: `approval recorded: ${approvals.length} of ${updated.minApprovals} needed`,
      record: updated,
    };
  }
  const status = rejected ? 'rejected' : 'approved';
  if (!(await deps.store.closeApproval(record.approvalId, status, now))) {
    const current = await deps.store.getApproval(record.approvalId);
    return {
      kind: 'closed',
      status: current?.status ?? 'expired',
      message: 'decided by someone else a moment ago: nothing changed',
    };
  }
  const callback = rejected
    ? await deps.callbacks.fail(record.token, 'ApprovalRejected', `rejected by ${vote.voter}: ${full.reason}`)
    : await deps.callbacks.succeed(record.token, {
        approvalId: record.approvalId,
        approvedBy: approvals.map((v) => v.voter),
        votes: updated.votes,
      });
  await deps.store.deleteCallback(record.token);
  if (callback.closed) {
    await deps.store.closeApproval(record.approvalId, 'expired', now);
    return { kind: 'closed', status: 'expired', message: 'the sign-off had already timed out: nothing changed' };
  }
  await deps.store.appendAudit({
    executionId: record.executionId,
    service: record.service,
    step: 'SignOff',
    action: status,
    actor: vote.voter,
    outcome: 'info',
    summary: rejected
      ? `sign-off rejected by ${vote.voter}: ${full.reason}`
      : `sign-off approved by ${approvals.map((v) => v.voter).join(', ')}`,
    evidence: { approvalId: record.approvalId, votes: updated.votes },
    at: now.toISOString(),
  });
  return {
    kind: 'decided',
    status,
    message: rejected
      ? `rejected: ${record.service} ${record.version} will roll back`
      : `approved: ${record.service} ${record.version} goes on`,
    record: updated,
  };
}
