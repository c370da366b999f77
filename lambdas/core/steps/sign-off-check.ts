import { Unauthorized } from '../errors';
import type { ApprovalRecord, Deps } from '../ports';
import type { ReadinessReport } from '../readiness/evaluate';
import type { GoLiveRequest } from '../request';
import { rolesFor } from '../roles';
import { READINESS_VALUE } from './readiness';

/** What the check found: recorded as the step's evidence. */
export interface SignOffProof {
  approvalId: string;
  /** When the sign-off opened: the wait the canary ran through unattended by a bake starts here. */
  openedAt: string;
  approvedBy: string[];
  required: number;
}

/**
 * Before a step after the sign-off changes traffic: the store must hold an approval of this very
 * execution, decided `approved` by enough distinct approvers who are eligible now (approvers of the
 * service; not the requester unless self-approval is allowed), with no rejection and no required
 * checklist item left unattested. The task token is in the execution history, so whoever can read
 * it could resume the sign-off with SendTaskSuccess: that alone never promotes.
 */
export async function verifySignOff(
  deps: Pick<Deps, 'store' | 'config' | 'now'>,
  executionId: string,
  request: Pick<GoLiveRequest, 'service' | 'requestedBy' | 'kind'>,
): Promise<SignOffProof | undefined> {
  // An undo goes back to the version that was live; today's config says whether it needs a sign-off.
  const undo = request.kind === 'undo';
  if (undo && deps.config.controls.undoSignOff === 'none') return undefined;
  const record = await deps.store.findApprovalByExecution(executionId);
  const refuse = async (why: string): Promise<never> => {
    // A sign-off resumed without a decision must not stay open for votes that can change nothing.
    if (record?.status === 'pending') await deps.store.closeApproval(record.approvalId, 'aborted', deps.now());
    throw new Unauthorized(`no traffic change without a valid sign-off: ${why}`, {
      evidence: record ? { approval: withoutToken(record) } : { approval: null },
    });
  };
  if (!record) return refuse('no sign-off was ever requested for this go-live');
  if (record.status !== 'approved')
    return refuse(`the sign-off is ${record.status}, not approved (was it resumed outside golive?)`);
  if (record.votes.some((v) => v.decision === 'reject')) return refuse('the sign-off has a rejection');
  const { approval } = deps.config;
  const eligible = new Set(rolesFor(deps.config, request.service).approvers);
  const selfAllowed = approval.allowSelfApproval && record.allowSelfApproval;
  const approvedBy = [
    ...new Set(
      record.votes
        .filter((v) => v.decision === 'approve' && eligible.has(v.voter))
        .filter((v) => selfAllowed || v.voter !== request.requestedBy)
        .map((v) => v.voter),
    ),
  ];
  const required = undo ? Math.max(1, record.minApprovals) : Math.max(approval.minApprovals, record.minApprovals);
  if (approvedBy.length < required) {
    return refuse(
      `${approvedBy.length} eligible approval(s) recorded (${approvedBy.join(', ') || 'none'}), ${required} required`,
    );
  }
  const readiness = await deps.store.getExecutionValue<ReadinessReport>(executionId, READINESS_VALUE);
  const open = readiness?.items.filter((i) => i.level === 'required' && i.status === 'to-attest') ?? [];
  if (open.length > 0) return refuse(`required item(s) still unattested: ${open.map((i) => i.id).join(', ')}`);
  // Answered at the sign-off by the requester themselves: not a second pair of eyes.
  const own = selfAllowed
    ? []
    : (readiness?.items ?? []).filter(
        (i) => i.attestation?.by === request.requestedBy || i.waiver?.by === request.requestedBy,
      );
  if (own.length > 0)
    return refuse(`item(s) attested or waived by the requester themselves: ${own.map((i) => i.id).join(', ')}`);
  return { approvalId: record.approvalId, openedAt: record.createdAt, approvedBy, required };
}

function withoutToken(record: ApprovalRecord): Omit<ApprovalRecord, 'token'> {
  const { token: _token, ...rest } = record;
  return rest;
}
