import { rmSync } from 'node:fs';
import { DescribeExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { castVote } from '../../lambdas/core/steps/approval';
import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';

describe('locks and approvals on the local engine', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness({
      config: testConfig({
        slack: { approvers: ['U_APPROVER_ANA', 'U_APPROVER_BEN', REQUESTER] },
        approval: { minApprovals: 2, timeoutSeconds: 60 },
      }),
    });
  });
  afterAll(async () => {
    await h.close();
    rmSync(h.home, { recursive: true, force: true });
  });

  it('refuses a second go-live of the same service with LockHeld and leaves the first one alone', async () => {
    const first = await h.start({ version: '2.0.0' });
    await h.waitForCallback(first, 'SignOff');
    const weightsDuringFirst = h.rt.targets.get('demo')!.router.weights();

    const second = await h.start({ version: '2.0.1' });
    const refused = await h.finished(second);

    expect({ status: refused.status, error: refused.error }).toEqual({ status: 'FAILED', error: 'LockHeld' });
    expect(refused.cause).toContain(first.split(':').pop());
    expect((await h.rt.store.getLock('demo'))?.executionId).toBe(first);
    expect(h.rt.targets.get('demo')!.router.weights()).toEqual(weightsDuringFirst);
    expect(h.rt.alerts.muteRules()).toHaveLength(1);

    // N-of-M with self-approval refused: the requester is an approver but cannot approve their own go-live.
    const self = await castVote(h.rt.deps, { executionId: first }, { voter: REQUESTER, decision: 'approve' });
    expect(self.kind).toBe('refused');
    const stranger = await castVote(h.rt.deps, { executionId: first }, { voter: 'U_SOMEONE', decision: 'approve' });
    expect(stranger).toMatchObject({ kind: 'refused', message: expect.stringContaining('not an approver') });
    const noReason = await castVote(h.rt.deps, { executionId: first }, { voter: 'U_APPROVER_BEN', decision: 'reject' });
    expect(noReason).toMatchObject({ kind: 'refused', message: expect.stringContaining('reason') });
    const one = await castVote(
      h.rt.deps,
      { executionId: first },
      { voter: APPROVER, decision: 'approve', attest: ['all'] },
    );
    expect(one).toMatchObject({ kind: 'recorded', message: 'approval recorded: 1 of 2 needed' });
    const again = await castVote(h.rt.deps, { executionId: first }, { voter: APPROVER, decision: 'approve' });
    expect(again.kind).toBe('duplicate');
    expect((await h.rt.store.findApprovalByExecution(first))?.votes).toHaveLength(1);
    expect((await h.rt.sfn.send(new DescribeExecutionCommand({ executionArn: first }))).status).toBe('RUNNING');

    const two = await castVote(
      h.rt.deps,
      { executionId: first },
      { voter: 'U_APPROVER_BEN', decision: 'approve', attest: ['all'] },
    );

    expect(two).toMatchObject({ kind: 'decided', status: 'approved' });
    expect((await h.finished(first)).status).toBe('SUCCEEDED');
    expect(await h.rt.store.getLock('demo')).toBeUndefined();
  });

  it('reads an execution history back through GetExecutionHistory after the runtime restarted', async () => {
    const home = h.home;
    const list = await h.rt.engine.listExecutions({ stateMachineArn: h.rt.stateMachineArn });
    const done = list.executions.find((e) => e.status === 'SUCCEEDED')!;
    const before = await h.rt.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: done.executionArn, maxResults: 1000 }),
    );
    await h.close({ keepHome: true });

    h = await startHarness({ home, config: testConfig() });
    const after = await h.rt.sfn.send(
      new GetExecutionHistoryCommand({ executionArn: done.executionArn, maxResults: 1000 }),
    );

    expect(after.events!.length).toBe(before.events!.length);
    expect(after.events!.map((e) => e.type)).toEqual(before.events!.map((e) => e.type));
    expect(after.events!.at(-1)!.type).toBe('ExecutionSucceeded');
    expect((await h.rt.sfn.send(new DescribeExecutionCommand({ executionArn: done.executionArn }))).status).toBe(
      'SUCCEEDED',
    );
  });
});
