import { randomUUID } from 'node:crypto';
import { AlarmTriggered } from '../errors';
import type { ApprovalRecord, ApprovalStatus, AuditEntry, Deps, Vote } from '../ports';
import { canaryLines, type CanaryStepLine } from '../client/summary';
import { renderLinks } from '../links';
import { rolesFor } from '../roles';
import { applyDecision, validateDecision, type ReadinessDecision } from '../readiness/evaluate';
import { checklistDigest } from '../readiness/render';
import { executionName } from '../request';
import type { StepPayload } from '../workflow/definition';
import { READINESS_VALUE, type ReadinessReport } from './readiness';
import { runStep } from './step';

/** SignOff (a callback task): records the approval request with its policy and asks the approvers. */
export function requestApproval(deps: Deps, event: StepPayload<'SignOff'>): Promise<{ approvalId: string }> {
  return runStep(deps, event, event.state, 'request-approval', async () => {
    const { approval } = deps.config;
    const now = deps.now();
    const record: ApprovalRecord = {
      approvalId: `apr-${randomUUID()}`,
      executionId: event.executionId,
      service: event.request.service,
      version: event.request.version,
      requestedBy: event.request.requestedBy,
      approvers: rolesFor(deps.config, event.request.service).approvers,
      // An undo needs one approver (controls.undoSignOff); a go-live approval.minApprovals.
      minApprovals: event.plan.minApprovals,
      allowSelfApproval: approval.allowSelfApproval,
      token: event.taskToken,
      status: 'pending',
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + event.plan.approvalTimeoutSeconds * 1000).toISOString(),
      votes: [],
    };
    await deps.store.createApproval(record);
    // Once canary steps have moved traffic, the alarms stay watched while the approvers decide, as
    // during a bake: registered first, then checked, so no state change falls between the two.
    const { plan } = event;
    const watching = plan.signOff === 'before-promotion' && plan.stepCount > 0 ? plan.alarms : [];
    await deps.store.putCallback({
      token: event.taskToken,
      executionId: event.executionId,
      service: record.service,
      kind: 'approval',
      alarms: watching,
      state: event.state,
      approvalId: record.approvalId,
      createdAt: record.createdAt,
    });
    const firing = watching.length > 0 ? (await deps.alerts.describe(watching)).filter((a) => a.state === 'ALARM') : [];
    if (firing.length > 0) {
      await deps.store.deleteCallback(event.taskToken);
      await deps.store.closeApproval(record.approvalId, 'aborted', now);
      throw new AlarmTriggered(
        `alarm ${firing.map((a) => a.name).join(', ')} already in ALARM when the sign-off opened`,
        { evidence: { alarms: firing } },
      );
    }
    const readiness: ReadinessReport = event.readiness;
    const context = await signOffContext(deps, event, record);
    await deps.notifier.notify({
      kind: 'approval-requested',
      executionId: event.executionId,
      service: record.service,
      version: record.version,
      text:
        `Sign-off needed: ${record.service} ${record.version} (${event.plan.strategy}) requested by ${record.requestedBy}. ` +
        `${record.minApprovals} of ${record.approvers.length} approver(s) needed before ${record.expiresAt}.` +
        // User ids: the Slack notifier writes them as mentions, so each approver is notified.
        ` Approvers: ${record.approvers.join(', ')}.` +
        ` ${contextLine(context)}` +
        (readiness ? ` Readiness: ${checklistDigest(readiness)}.` : '') +
        (readiness?.items.some((i) => i.status === 'to-attest')
          ? ' Approving attests only the items you tick; required items must be attested before the sign-off can pass.'
          : ''),
      details: {
        approvalId: record.approvalId,
        approvers: record.approvers,
        // The checklist with its evidence: what the approvers sign off on.
        readiness: readiness
          ? readiness.items.map((i) => ({
              id: i.id,
              category: i.category,
              title: i.title,
              status: i.status,
              level: i.level,
              summary: i.summary,
              ...(i.status === 'to-attest' ? { attesters: i.attesters } : {}),
              ...(i.waiver ? { waiver: i.waiver } : {}),
              ...(i.fix ? { fix: i.fix } : {}),
            }))
          : [],
        awaitingAttestation: readiness?.awaitingAttestation ?? [],
        execution: executionName(event.executionId),
        context,
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

/** What an approver needs beside the checklist: what changes, where traffic stands, what was measured, why. */
export interface SignOffContext {
  /** The version live now, and the one going live. */
  live?: string;
  candidate: string;
  strategy: string;
  /** The traffic split right now, read from the router or load balancer. */
  weights?: { stable: number; candidate: number };
  /** Each canary step so far: traffic %, requests, error rate, p99, verdict (AnalyzeCanary). */
  canary: CanaryStepLine[];
  notes?: string;
  /** The service's link templates, filled in (changelog, commit range, build…). */
  links: Record<string, string>;
  /** When the sign-off expires (and the go-live rolls back). */
  expiresAt: string;
}

async function signOffContext(
  deps: Deps,
  event: StepPayload<'SignOff'>,
  record: ApprovalRecord,
): Promise<SignOffContext> {
  const { request, plan } = event;
  // Best effort: the approver is told what can be read, never kept waiting by it.
  const weights = await deps.traffic.readWeights(request.service).catch(() => undefined);
  const canary = canaryLines(await deps.store.listAudit(event.executionId).catch(() => []));
  return {
    ...(plan.stableVersion ? { live: plan.stableVersion } : {}),
    candidate: request.version,
    strategy: plan.strategy,
    ...(weights ? { weights: { stable: weights[plan.stableSlot], candidate: weights[plan.candidateSlot] } } : {}),
    canary,
    ...(request.notes ? { notes: request.notes } : {}),
    links: renderLinks(deps.config.services[request.service].links, {
      service: request.service,
      version: request.version,
      ...(plan.stableVersion ? { previous: plan.stableVersion } : {}),
    }),
    expiresAt: record.expiresAt,
  };
}

/** One sentence of the context, for the notification's text (the details carry all of it). */
function contextLine(c: SignOffContext): string {
  const parts = [`${c.live ?? 'nothing recorded as live'} → ${c.candidate}`];
  if (c.weights) parts.push(`traffic now ${c.weights.candidate}% candidate / ${c.weights.stable}% stable`);
  if (c.canary.length)
    parts.push(
      `canary: ${c.canary.map((s) => `${s.weight}% ${s.verdict}${s.flagged ? ' (FLAGGED)' : ''}`).join(', ')}`,
    );
  if (c.notes) parts.push(`notes: ${c.notes}`);
  const links = Object.entries(c.links);
  if (links.length) parts.push(links.map(([name, url]) => `${name} ${url}`).join(', '));
  return `${parts.join('; ')}.`;
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
  vote: Omit<Vote, 'at'> & ChecklistAnswers,
): Promise<VoteOutcome> {
  const record = await findApproval(deps, target);
  if (!record) return { kind: 'refused', message: 'no sign-off has been requested for this go-live (yet)' };
  const now = deps.now();
  const { attest, waive, ...plain } = vote;
  const full: Vote = { ...plain, ...(plain.reason ? { reason: plain.reason.trim() } : {}), at: now.toISOString() };
  const early = checkVote(record, full, now);
  if (early) return early;
  // Approving attests exactly the items listed (`all`: every open one the voter is named for) and
  // applies the waivers given; nothing is attested on the voter's behalf.
  const checklist =
    full.decision === 'approve'
      ? await prepareAnswers(deps, record, full.voter, { attest, waive }, full.at)
      : undefined;
  if (checklist && 'refused' in checklist) return { kind: 'refused', message: checklist.refused };
  // An approval is a sign-off of the whole checklist: it is refused while a required item would still await attestation.
  if (checklist && checklist.report.awaitingAttestation.length > 0) {
    return { kind: 'refused', message: unattestedMessage(checklist.report, full.voter) };
  }
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
    ...actorFields(full),
    outcome: 'info',
    summary: `${vote.voter} voted ${vote.decision}${full.reason ? `: ${full.reason}` : ''}`,
    evidence: { approvalId: record.approvalId, vote: full },
    at: full.at,
  });
  const report = checklist ? await recordAnswers(deps, record, checklist, full) : undefined;
  const approvals = updated.votes.filter((v) => v.decision === 'approve');
  const rejected = full.decision === 'reject';
  if (!rejected && approvals.length < updated.minApprovals) {
    return {
      kind: 'recorded',
      message: `approval recorded: ${approvals.length} of ${updated.minApprovals} needed`,
      record: updated,
    };
  }
  if (!rejected && report && report.awaitingAttestation.length > 0) {
    return { kind: 'recorded', message: awaitingMessage(report), record: updated };
  }
  return decide(deps, record, updated, full, report);
}

/** Closes the approval and resumes (approved) or fails (rejected) the SignOff task. */
async function decide(
  deps: Pick<Deps, 'store' | 'callbacks' | 'now'>,
  record: ApprovalRecord,
  updated: ApprovalRecord,
  vote: Vote,
  report: ReadinessReport | undefined,
): Promise<VoteOutcome> {
  const now = deps.now();
  const full = vote;
  const approvals = updated.votes.filter((v) => v.decision === 'approve');
  const rejected = full.decision === 'reject';
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
        // The checklist as signed off (attestations and waivers included): part of the execution output.
        ...(report ? { readiness: report } : {}),
      });
  await deps.store.deleteCallback(record.token);
  if (callback.closed) {
    // The sign-off timed out before this decision reached it: the record must say so, not "approved".
    await deps.store.closeApproval(record.approvalId, 'expired', now, status);
    return { kind: 'closed', status: 'expired', message: 'the sign-off had already timed out: nothing changed' };
  }
  await deps.store.appendAudit({
    executionId: record.executionId,
    service: record.service,
    step: 'SignOff',
    action: status,
    actor: vote.voter,
    ...actorFields(vote),
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

/** How the audit trail names a voter: how they were verified and their display name, when known. */
function actorFields(vote: Pick<Vote, 'verifiedBy' | 'voterName'>): Pick<AuditEntry, 'verifiedBy' | 'actorName'> {
  return {
    ...(vote.verifiedBy ? { verifiedBy: vote.verifiedBy } : {}),
    ...(vote.voterName ? { actorName: vote.voterName } : {}),
  };
}

/** Why an approval waits for attestations: each required item open, and who may attest it. */
function unattestedMessage(report: ReadinessReport, voter: string): string {
  const open = report.items.filter((i) => report.awaitingAttestation.includes(i.id));
  const yours = open.filter((i) => i.attesters.includes(voter)).map((i) => i.id);
  const list = open.map((i) => `${i.id} (${i.attestRole}: ${i.attesters.join(', ')})`).join('; ');
  const others = 'have them attested or waived first (golive attest, or the Slack sign-off)';
  return (
    `not approved: required item(s) still unattested: ${list}. ` +
    (yours.length
      ? `Attest the ones you can vouch for with your approval (--attest ${yours.join(' --attest ')}, or --attest all), or ${others}.`
      : `${others[0].toUpperCase()}${others.slice(1)}.`)
  );
}

/** Answers to the readiness checklist given at the sign-off (optional on a vote). */
export interface ChecklistAnswers {
  /** Attest items confirmed; `all` stands for every open item the voter is named for. Nothing else is attested. */
  attest?: string[];
  /** Waivers, each with its reason. */
  waive?: { item: string; reason: string }[];
}

async function findApproval(
  deps: Pick<Deps, 'store'>,
  target: { approvalId?: string; executionId?: string },
): Promise<ApprovalRecord | undefined> {
  return target.approvalId
    ? deps.store.getApproval(target.approvalId)
    : target.executionId
      ? deps.store.findApprovalByExecution(target.executionId)
      : undefined;
}

interface PreparedAnswers {
  report: ReadinessReport;
  decisions: ReadinessDecision[];
}

/** Validates the answers against the execution's checklist; nothing is written. */
async function prepareAnswers(
  deps: Pick<Deps, 'store'>,
  record: ApprovalRecord,
  by: string,
  answers: ChecklistAnswers,
  at: string,
): Promise<PreparedAnswers | { refused: string } | undefined> {
  // The requester vouching for their own go-live's checklist is self-approval by another name.
  if (by === record.requestedBy && !record.allowSelfApproval && (answers.attest?.length || answers.waive?.length)) {
    return {
      refused: `${by} requested this go-live and cannot attest or waive its checklist items (allowSelfApproval is off)`,
    };
  }
  const report = await deps.store.getExecutionValue<ReadinessReport>(record.executionId, READINESS_VALUE);
  if (!report) {
    return answers.attest?.length || answers.waive?.length
      ? { refused: 'this go-live has no readiness checklist to answer' }
      : undefined;
  }
  const named = report.items.filter((i) => i.status === 'to-attest' && i.attesters.includes(by)).map((i) => i.id);
  const attest = [...new Set((answers.attest ?? []).flatMap((item) => (item === 'all' ? named : [item])))];
  const decisions: ReadinessDecision[] = [
    ...(answers.waive ?? []).map((w) => ({ item: w.item, kind: 'waiver' as const, by, reason: w.reason, at })),
    ...attest.map((item) => ({ item, kind: 'attestation' as const, by, at })),
  ];
  for (const decision of decisions) {
    const problem = validateDecision(report, decision);
    if (problem) return { refused: problem };
    applyDecision(report, decision);
  }
  return { report, decisions };
}

/** Keeps the answered checklist with the execution and records each answer, with who and why, in the audit trail. */
async function recordAnswers(
  deps: Pick<Deps, 'store'>,
  record: ApprovalRecord,
  { report, decisions }: PreparedAnswers,
  identity: Pick<Vote, 'verifiedBy' | 'voterName'>,
): Promise<ReadinessReport> {
  if (decisions.length === 0) return report;
  await deps.store.putExecutionValue(record.executionId, READINESS_VALUE, report);
  for (const d of decisions) {
    const item = report.items.find((i) => i.id === d.item)!;
    await deps.store.appendAudit({
      executionId: record.executionId,
      service: record.service,
      step: 'SignOff',
      action: d.kind === 'waiver' ? 'waive' : 'attest',
      actor: d.by,
      ...actorFields(identity),
      outcome: 'info',
      summary:
        d.kind === 'waiver'
          ? `${d.by} waived "${item.title}" [${item.id}]: ${d.reason}`
          : `${d.by} attested "${item.title}" [${item.id}]`,
      evidence: { approvalId: record.approvalId, decision: d, item },
      at: d.at,
    });
  }
  return report;
}

function awaitingMessage(report: ReadinessReport): string {
  const waiting = report.items
    .filter((i) => report.awaitingAttestation.includes(i.id))
    .map((i) => `${i.id} (${i.attestRole}: ${i.attesters.join(', ')})`);
  return `approval recorded; the sign-off completes once these required items are attested or waived: ${waiting.join('; ')}`;
}

/**
 * Attestations and waivers during the sign-off by anyone named for them (not only approvers;
 * `golive attest`/Slack). When they complete a sign-off that already has its approvals, it decides.
 */
export async function answerChecklist(
  deps: Pick<Deps, 'store' | 'callbacks' | 'now'>,
  target: { approvalId?: string; executionId?: string },
  by: string,
  answers: ChecklistAnswers,
  identity: Pick<Vote, 'verifiedBy' | 'voterName'> = {},
): Promise<VoteOutcome> {
  const record = await findApproval(deps, target);
  if (!record) return { kind: 'refused', message: 'no sign-off has been requested for this go-live (yet)' };
  const now = deps.now();
  if (record.status !== 'pending' || Date.parse(record.expiresAt) <= now.getTime()) {
    const status = record.status === 'pending' ? 'expired' : record.status;
    return { kind: 'closed', status, message: `this approval is already ${status}: nothing changed` };
  }
  if (!answers.attest?.length && !answers.waive?.length) {
    return { kind: 'refused', message: 'name the items to attest (--attest) or to waive (--waive with --reason)' };
  }
  const prepared = await prepareAnswers(deps, record, by, answers, now.toISOString());
  if (!prepared) return { kind: 'refused', message: 'this go-live has no readiness checklist to answer' };
  if ('refused' in prepared) return { kind: 'refused', message: prepared.refused };
  const report = await recordAnswers(deps, record, prepared, identity);
  const approvals = record.votes.filter((v) => v.decision === 'approve');
  if (approvals.length >= record.minApprovals && report.awaitingAttestation.length === 0) {
    return decide(deps, record, record, approvals[approvals.length - 1], report);
  }
  return {
    kind: 'recorded',
    message:
      report.awaitingAttestation.length > 0
        ? `recorded; still awaiting: ${awaitingMessage(report).split(': ').slice(1).join(': ')}`
        : `recorded: ${approvals.length} of ${record.minApprovals} approval(s) so far`,
    record,
  };
}
