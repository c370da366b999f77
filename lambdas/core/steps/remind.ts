import type { GoLiveConfig } from '../config';
import type { ApprovalRecord, Deps } from '../ports';
import { executionName } from '../request';
import { READINESS_VALUE, type ReadinessReport } from './readiness';

/** When approval.remindBeforeSeconds is not set: ten minutes, or half the timeout when that is shorter. */
export const DEFAULT_REMIND_BEFORE_SECONDS = 600;

/** How long before an unanswered sign-off expires its approvers are reminded; 0 = never. */
export function remindBeforeSeconds(approval: GoLiveConfig['approval']): number {
  return (
    approval.remindBeforeSeconds ?? Math.min(DEFAULT_REMIND_BEFORE_SECONDS, Math.floor(approval.timeoutSeconds / 2))
  );
}

/** Kept with the execution, claimed by one reconciler (a conditional write): the reminder is sent once. */
export interface ReminderMark {
  approvalId: string;
  /** When this reminder was claimed (and sent right after). */
  at: string;
  /** Who it mentioned. */
  nudged: string[];
  /** Whether the notifier delivered it (false when it threw); absent while it is being sent. */
  delivered?: boolean;
}
/** The key of the mark (Store.claimExecutionValue): one per approval. */
export const reminderKey = (approvalId: string) => `approval-reminder:${approvalId}`;

/** What the reminder check found for one go-live. */
export type ReminderOutcome =
  /** Reminders are off (approval.remindBeforeSeconds: 0). */
  | 'off'
  /** No sign-off has been requested (yet). */
  | 'no-sign-off'
  /** Decided, aborted or expired: never reminded. */
  | 'closed'
  /** More than remindBeforeSeconds left. */
  | 'not-yet'
  /** Already reminded (by this run's predecessor, or a concurrent one). */
  | 'already-reminded'
  /** Reminded now. */
  | 'reminded';

/** `14:05 UTC` on the day of `now`, `2026-11-30 14:05 UTC` on another day. */
export function clockTime(at: Date, now: Date): string {
  const iso = at.toISOString();
  const sameDay = iso.slice(0, 10) === now.toISOString().slice(0, 10);
  return `${sameDay ? '' : `${iso.slice(0, 10)} `}${iso.slice(11, 16)} UTC`;
}

const plural = (n: number, unit: string) => `${n} ${unit}${n === 1 ? '' : 's'}`;

/** "in 9 minutes", "in 1 hour 5 minutes", "in 2 days 3 hours": whole units, rounded down (never more time than is left). */
export function timeLeftInWords(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'in less than a minute';
  if (minutes < 60) return `in ${plural(minutes, 'minute')}`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `in ${plural(hours, 'hour')}${minutes % 60 ? ` ${plural(minutes % 60, 'minute')}` : ''}`;
  const days = Math.floor(hours / 24);
  return `in ${plural(days, 'day')}${hours % 24 ? ` ${plural(hours % 24, 'hour')}` : ''}`;
}

/** The approvers whose vote could still count: not voted yet, and not the requester (unless self-approval is on). */
export function notYetVoted(record: ApprovalRecord): string[] {
  const voted = new Set(record.votes.map((v) => v.voter));
  return record.approvers.filter((a) => !voted.has(a) && (record.allowSelfApproval || a !== record.requestedBy));
}

interface OpenAttestation {
  item: string;
  title: string;
  attesters: string[];
}

/** Required checklist items nobody has attested or waived yet: the sign-off cannot pass without them. */
async function openAttestations(deps: Deps, executionId: string): Promise<OpenAttestation[]> {
  const report = await deps.store.getExecutionValue<ReadinessReport>(executionId, READINESS_VALUE);
  if (!report) return [];
  return report.items
    .filter((i) => report.awaitingAttestation.includes(i.id))
    .map((i) => ({ item: i.id, title: i.title, attesters: i.attesters }));
}

/** The reminder's words: the approvals so far, the expiry as a time and as time left, who is waited on. */
export function reminderText(
  record: ApprovalRecord,
  now: Date,
  waitingOn: string[],
  attestations: OpenAttestation[],
): string {
  const approvals = new Set(record.votes.filter((v) => v.decision === 'approve').map((v) => v.voter)).size;
  const expires = new Date(record.expiresAt);
  const parts = [
    `⏰ Reminder: the sign-off of ${record.service} ${record.version} still waits: ` +
      `${approvals} of ${plural(record.minApprovals, 'approval')}; ` +
      `expires at ${clockTime(expires, now)}, ${timeLeftInWords(expires.getTime() - now.getTime())}, ` +
      'and the go-live then rolls back.',
  ];
  if (approvals < record.minApprovals) {
    parts.push(
      waitingOn.length
        ? `Not voted yet: ${waitingOn.join(', ')}.`
        : 'Every approver who may vote has voted: the sign-off cannot pass as configured.',
    );
  }
  if (attestations.length) {
    const open = attestations.map((a) => `${a.title} [${a.item}] (${a.attesters.join(', ')})`);
    parts.push(`Required items still to attest: ${open.join('; ')}.`);
  }
  return parts.join(' ');
}

/**
 * Reminds the approvers of a go-live's sign-off once, when it is still pending and expires within
 * approval.remindBeforeSeconds: a notification (Slack: a reply in the approval message's thread)
 * that mentions the approvers who have not voted and the attesters of required items still open,
 * with the approvals so far and the time left. The reconciler calls it for every go-live Step
 * Functions reports RUNNING (every 5 minutes on AWS, every minute locally), so the reminder comes
 * at the first run inside the window. Once only, across runs and concurrent runs: the first run to
 * claim the mark sends it; a delivery that fails is reported (thrown) and not retried (a nudge sent
 * twice is worse than one lost, and Slack's client already retries). Never for a decided, aborted or expired sign-off.
 */
export async function remindApprovers(deps: Deps, executionId: string): Promise<ReminderOutcome> {
  const lead = remindBeforeSeconds(deps.config.approval);
  if (lead <= 0) return 'off';
  const record = await deps.store.findApprovalByExecution(executionId);
  if (!record) return 'no-sign-off';
  const now = deps.now();
  const left = Date.parse(record.expiresAt) - now.getTime();
  if (record.status !== 'pending' || left <= 0) return 'closed';
  if (left > lead * 1000) return 'not-yet';
  const key = reminderKey(record.approvalId);
  if (await deps.store.getExecutionValue<ReminderMark>(executionId, key)) return 'already-reminded';

  const approvals = new Set(record.votes.filter((v) => v.decision === 'approve').map((v) => v.voter)).size;
  const waitingOn = approvals < record.minApprovals ? notYetVoted(record) : [];
  const attestations = await openAttestations(deps, executionId);
  const nudged = [...new Set([...waitingOn, ...attestations.flatMap((a) => a.attesters)])];
  const mark: ReminderMark = { approvalId: record.approvalId, at: now.toISOString(), nudged };
  // One reconciler wins; another, running at the same moment, leaves the reminder to it.
  if (!(await deps.store.claimExecutionValue(executionId, key, mark))) return 'already-reminded';
  let delivered = false;
  try {
    ({ delivered } = await deps.notifier.notify({
      kind: 'approval-reminder',
      executionId,
      service: record.service,
      version: record.version,
      text: reminderText(record, now, waitingOn, attestations),
      details: {
        approvalId: record.approvalId,
        execution: executionName(executionId),
        approvals,
        minApprovals: record.minApprovals,
        expiresAt: record.expiresAt,
        waitingOn,
        awaitingAttestation: attestations,
        // Everyone the reminder is for: the Slack notifier writes these ids as mentions.
        mention: nudged,
      },
    }));
  } finally {
    await deps.store.putExecutionValue(executionId, key, { ...mark, delivered } satisfies ReminderMark);
  }
  return 'reminded';
}
