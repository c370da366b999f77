import { parseConfig, type GoLiveConfig } from '../../../lambdas/core/config';
import type { ReadinessReport } from '../../../lambdas/core/readiness/evaluate';
import { reconcile } from '../../../lambdas/core/steps/reconcile';
import { READINESS_VALUE } from '../../../lambdas/core/steps/readiness';
import {
  clockTime,
  remindApprovers,
  remindBeforeSeconds,
  reminderKey,
  timeLeftInWords,
  type ReminderMark,
} from '../../../lambdas/core/steps/remind';
import { createHandler as janitorHandler } from '../../../lambdas/janitor';
import {
  DEMO_REQUEST,
  EXECUTION_ID,
  NOW,
  approvedSignOff,
  demoConfigFile,
  fakeDeps,
  holdLock,
  pendingApproval,
  type FakeDeps,
} from '../../support/fake-deps';
import { testPlan } from '../../support/payloads';

const MINUTE = 60_000;
const ANA = 'U_APPROVER_ANA';
const BEN = 'U_APPROVER_BEN';

/** The demo config with the approval policy changed. */
function withApproval(approval: Partial<GoLiveConfig['approval']>): GoLiveConfig {
  const base = demoConfigFile();
  return { ...base, approval: { ...base.approval, ...approval } };
}

let f: FakeDeps;
beforeEach(() => {
  // Sign-offs of 15 minutes (pendingApproval expires at NOW + 15 min), reminded 10 minutes before.
  f = fakeDeps({ config: withApproval({ timeoutSeconds: 900, remindBeforeSeconds: 600 }) });
});
afterEach(() => f.close());

const reminders = () => f.notifier.of('approval-reminder');

/** Two approvals needed of Ana and Ben; Ana approved at NOW. */
async function halfApproved(): Promise<void> {
  await f.store.createApproval(pendingApproval({ approvers: [ANA, BEN], minApprovals: 2 }));
  await f.store.addVote('apr-1', { voter: ANA, decision: 'approve', at: NOW.toISOString() });
}

describe('remindApprovers', () => {
  it('sends nothing while more than remindBeforeSeconds are left', async () => {
    await halfApproved();
    f.clock.advance(4 * MINUTE); // 11 minutes left

    const outcome = await remindApprovers(f.deps, EXECUTION_ID);

    expect(outcome).toBe('not-yet');
    expect(f.notifier.notifications).toEqual([]);
    expect(await f.store.getExecutionValue(EXECUTION_ID, reminderKey('apr-1'))).toBeUndefined();
  });

  it('reminds inside the window: approvals so far, the expiry as a time and in words, who has not voted', async () => {
    await halfApproved();
    f.clock.advance(6 * MINUTE); // 9 minutes left

    const outcome = await remindApprovers(f.deps, EXECUTION_ID);

    expect(outcome).toBe('reminded');
    expect(reminders()).toEqual([
      {
        kind: 'approval-reminder',
        executionId: EXECUTION_ID,
        service: 'demo',
        version: '2.0.0',
        text:
          '⏰ Reminder: the sign-off of demo 2.0.0 still waits: 1 of 2 approvals; expires at 10:15 UTC, in 9 minutes, ' +
          'and the go-live then rolls back. Not voted yet: U_APPROVER_BEN.',
        details: {
          approvalId: 'apr-1',
          execution: 'run-1',
          approvals: 1,
          minApprovals: 2,
          expiresAt: '2026-11-26T10:15:00.000Z',
          waitingOn: [BEN],
          awaitingAttestation: [],
          mention: [BEN],
        },
      },
    ]);
    expect(await f.store.getExecutionValue<ReminderMark>(EXECUTION_ID, reminderKey('apr-1'))).toEqual({
      approvalId: 'apr-1',
      at: '2026-11-26T10:06:00.000Z',
      nudged: [BEN],
      delivered: true,
    });
  });

  it('reminds once: a later run, and a run at the same moment as another, send nothing more', async () => {
    await halfApproved();
    f.clock.advance(6 * MINUTE);

    const concurrent = await Promise.all([
      remindApprovers(f.deps, EXECUTION_ID),
      remindApprovers(f.deps, EXECUTION_ID),
    ]);
    f.clock.advance(5 * MINUTE);
    const later = await remindApprovers(f.deps, EXECUTION_ID);

    expect(concurrent.sort()).toEqual(['already-reminded', 'reminded']);
    expect(later).toBe('already-reminded');
    expect(reminders()).toHaveLength(1);
  });

  it('never reminds a sign-off that was decided, aborted or has expired', async () => {
    await approvedSignOff(f.store);
    f.clock.advance(6 * MINUTE);
    const decided = await remindApprovers(f.deps, EXECUTION_ID);

    const other = fakeDeps({ config: f.deps.config });
    await other.store.createApproval(pendingApproval());
    await other.store.closeApproval('apr-1', 'aborted', NOW);
    other.clock.advance(6 * MINUTE);
    const aborted = await remindApprovers(other.deps, EXECUTION_ID);
    other.close();

    const late = fakeDeps({ config: f.deps.config });
    await late.store.createApproval(pendingApproval());
    late.clock.advance(15 * MINUTE); // still pending in the store, but its time is up
    const expired = await remindApprovers(late.deps, EXECUTION_ID);
    const lateNotifications = late.notifier.notifications;
    late.close();

    expect([decided, aborted, expired]).toEqual(['closed', 'closed', 'closed']);
    expect(reminders()).toEqual([]);
    expect(lateNotifications).toEqual([]);
  });

  it('finds nothing to remind before the sign-off is requested', async () => {
    f.clock.advance(14 * MINUTE);

    expect(await remindApprovers(f.deps, EXECUTION_ID)).toBe('no-sign-off');
    expect(f.notifier.notifications).toEqual([]);
  });

  it('leaves out the requester, who may not approve, and the approvers who already voted', async () => {
    await f.store.createApproval(
      pendingApproval({ approvers: [ANA, BEN, DEMO_REQUEST.requestedBy, 'U_APPROVER_CARL'], minApprovals: 3 }),
    );
    await f.store.addVote('apr-1', { voter: ANA, decision: 'approve', at: NOW.toISOString() });
    f.clock.advance(14 * MINUTE + 30_000);

    await remindApprovers(f.deps, EXECUTION_ID);

    const [reminder] = reminders();
    expect(reminder.text).toContain('1 of 3 approvals; expires at 10:15 UTC, in less than a minute');
    expect(reminder.text).toContain('Not voted yet: U_APPROVER_BEN, U_APPROVER_CARL.');
    expect(reminder.details).toMatchObject({ waitingOn: [BEN, 'U_APPROVER_CARL'], mention: [BEN, 'U_APPROVER_CARL'] });
  });

  it('names the attesters of required checklist items still open, and mentions them', async () => {
    await f.store.createApproval(pendingApproval({ approvers: [ANA, BEN] }));
    const report: ReadinessReport = {
      service: 'demo',
      version: '2.0.0',
      passed: true,
      checkedAt: NOW.toISOString(),
      failing: [],
      awaitingAttestation: ['runbook'],
      items: [
        {
          id: 'runbook',
          category: 'Monitoring',
          title: 'Runbook reviewed',
          kind: 'attest',
          attestRole: 'sre',
          level: 'required',
          required: true,
          status: 'to-attest',
          summary: 'to be confirmed by sre (U_SRE_SAM)',
          evidence: { role: 'sre', attesters: ['U_SRE_SAM'] },
          attesters: ['U_SRE_SAM'],
          waivableBy: [],
        },
      ],
    };
    await f.store.putExecutionValue(EXECUTION_ID, READINESS_VALUE, report);
    f.clock.advance(6 * MINUTE);

    await remindApprovers(f.deps, EXECUTION_ID);

    const [reminder] = reminders();
    expect(reminder.text).toContain('0 of 1 approval;');
    expect(reminder.text).toContain('Not voted yet: U_APPROVER_ANA, U_APPROVER_BEN.');
    expect(reminder.text).toContain('Required items still to attest: Runbook reviewed [runbook] (U_SRE_SAM).');
    expect(reminder.details?.mention).toEqual([ANA, BEN, 'U_SRE_SAM']);
  });

  it('sends none when approval.remindBeforeSeconds is 0', async () => {
    f.deps.config = withApproval({ timeoutSeconds: 900, remindBeforeSeconds: 0 });
    await halfApproved();
    f.clock.advance(14 * MINUTE);

    expect(await remindApprovers(f.deps, EXECUTION_ID)).toBe('off');
    expect(f.notifier.notifications).toEqual([]);
  });

  it('reports a failed delivery and does not send it again', async () => {
    await halfApproved();
    f.clock.advance(6 * MINUTE);
    f.notifier.fails = new Error('slack is down');

    await expect(remindApprovers(f.deps, EXECUTION_ID)).rejects.toThrow('slack is down');
    f.notifier.fails = undefined;
    const next = await remindApprovers(f.deps, EXECUTION_ID);

    expect(next).toBe('already-reminded');
    expect(reminders()).toEqual([]);
    expect(await f.store.getExecutionValue<ReminderMark>(EXECUTION_ID, reminderKey('apr-1'))).toMatchObject({
      delivered: false,
    });
  });
});

describe('reconcile reminds the approvers of running go-lives', () => {
  beforeEach(async () => {
    await f.store.putExecutionValue(EXECUTION_ID, 'request', DEMO_REQUEST);
    await f.store.putExecutionValue(EXECUTION_ID, 'plan', testPlan());
    await holdLock(f.store);
    await halfApproved();
  });

  it('reminds on the scheduled run inside the window, once, and says so in its summary', async () => {
    const handler = janitorHandler(async () => f.deps);

    const early = await reconcile(f.deps);
    f.clock.advance(6 * MINUTE);
    const due = await handler({ reconcile: true });
    f.clock.advance(MINUTE);
    const after = await reconcile(f.deps);

    expect(early.reminded).toEqual([]);
    expect(due).toMatchObject({
      running: [{ executionArn: EXECUTION_ID, status: 'RUNNING' }],
      reminded: [{ service: 'demo', executionArn: EXECUTION_ID, status: 'RUNNING' }],
    });
    expect(after.reminded).toEqual([]);
    expect(reminders()).toHaveLength(1);
  });

  it('never reminds for a go-live whose execution has ended', async () => {
    f.executions.states.set(EXECUTION_ID, { status: 'ABORTED' });
    f.clock.advance(6 * MINUTE);

    const summary = await reconcile(f.deps);

    expect(summary.reminded).toEqual([]);
    expect(reminders()).toEqual([]);
  });

  it('reports a reminder that failed apart from the lock, which stays running', async () => {
    f.clock.advance(6 * MINUTE);
    f.notifier.fails = new Error('slack is down');

    const summary = await reconcile(f.deps);

    expect(summary.running).toEqual([{ service: 'demo', executionArn: EXECUTION_ID, status: 'RUNNING' }]);
    expect(summary.failed).toEqual([]);
    expect(summary.reminded).toEqual([
      expect.objectContaining({ executionArn: EXECUTION_ID, detail: 'reminder failed: Error: slack is down' }),
    ]);
  });
});

describe('reminder wording', () => {
  it.each([
    [59_000, 'in less than a minute'],
    [MINUTE, 'in 1 minute'],
    [9 * MINUTE + 59_000, 'in 9 minutes'],
    [60 * MINUTE, 'in 1 hour'],
    [125 * MINUTE, 'in 2 hours 5 minutes'],
    [50 * 60 * MINUTE, 'in 2 days 2 hours'],
  ])('says %i ms left as "%s"', (ms, words) => {
    expect(timeLeftInWords(ms)).toBe(words);
  });

  it('gives the clock time alone on the same day, with the date on another', () => {
    expect(clockTime(new Date('2026-11-26T14:05:30Z'), NOW)).toBe('14:05 UTC');
    expect(clockTime(new Date('2026-11-27T00:10:00Z'), NOW)).toBe('2026-11-27 00:10 UTC');
  });
});

describe('approval.remindBeforeSeconds', () => {
  const base = demoConfigFile();
  const parse = (approval: Record<string, unknown>) =>
    parseConfig({ ...base, approval: { ...base.approval, remindBeforeSeconds: undefined, ...approval } });

  it('defaults to 600 s, or half the timeout when that is shorter', () => {
    expect(remindBeforeSeconds(parse({ timeoutSeconds: 3600 }).approval)).toBe(600);
    expect(remindBeforeSeconds(parse({ timeoutSeconds: 900 }).approval)).toBe(450);
    expect(remindBeforeSeconds(parse({ timeoutSeconds: 60 }).approval)).toBe(30);
    expect(remindBeforeSeconds(parse({ timeoutSeconds: 3600, remindBeforeSeconds: 0 }).approval)).toBe(0);
  });

  it('is refused at or beyond the timeout, naming both fields and the fix', () => {
    expect(() => parse({ timeoutSeconds: 900, remindBeforeSeconds: 900 })).toThrow(
      'approval.remindBeforeSeconds: is 900 s but approval.timeoutSeconds is 900 s: the reminder must come before ' +
        'the sign-off expires; set it below 900, or to 0 for no reminder',
    );
    expect(() => parse({ remindBeforeSeconds: -1 })).toThrow('approval.remindBeforeSeconds');
  });
});
