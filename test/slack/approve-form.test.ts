import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { READINESS_VALUE, type ReadinessReport } from '../../lambdas/core/steps/readiness';
import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { findApprovalMessage, findCard, messageText, offeredItems, threadOf, ticked } from './helpers';

/** Explicit attestation in Slack, end to end: the emulator, the real Slack app over HTTP, the local engine. */
describe('the approve form on the local emulator', () => {
  let h: Harness;
  let executionArn: string;
  let approvalTs: string;
  beforeAll(async () => {
    h = await startHarness({ config: testConfig(), slack: { port: 0 } });
  });
  afterAll(() => h.close());
  const slack = () => h.rt.slack!.emulator;

  it('says on the approval message that approving attests only what is ticked, and opens the form on Approve', async () => {
    await slack().command(REQUESTER, 'demo 2.0.0 canary');
    const approval = await slack().waitFor(findApprovalMessage);
    approvalTs = approval.ts;
    [{ executionArn }] = h.rt.engine.listExecutions({ stateMachineArn: h.rt.stateMachineArn }).executions as {
      executionArn: string;
    }[];
    const report = await h.rt.store.getExecutionValue<ReadinessReport>(executionArn, READINESS_VALUE);
    const mine = report!.items.filter((i) => i.status === 'to-attest' && i.attesters.includes(APPROVER));

    const click = await slack().click(APPROVER, approval.ts, 'golive_approve');
    const open = await slack().waitFor((e) => e.openView(APPROVER));

    expect(click.status).toBe(200);
    expect(messageText(approval)).toContain('Approving attests only what you tick');
    expect(JSON.stringify(approval.blocks)).not.toContain('"confirm"');
    expect(offeredItems(open.view).sort()).toEqual(mine.map((i) => i.id).sort());
    expect(JSON.stringify(open.view)).not.toContain('initial_options');
    // The requester by name (users.info), not as a raw id, in the modal's text.
    expect(JSON.stringify(open.view)).toContain('requested by release-manager');
  });

  it('refuses in the form an approval that leaves required items unattested, recording nothing', async () => {
    const open = slack().openView(APPROVER)!;
    const required = (await h.rt.store.getExecutionValue<ReadinessReport>(executionArn, READINESS_VALUE))!
      .awaitingAttestation;

    const sent = await slack().submit(
      APPROVER,
      ticked(open.view, (item) => item !== required[0]),
    );
    const still = slack().openView(APPROVER);

    expect(sent.status).toBe(200);
    expect(still?.id).toBe(open.id);
    const error = Object.values(still?.errors ?? {}).join(' ');
    expect(error).toContain(`unattested: ${required[0]} (may attest: approver-ana, approver-ben`);
    expect(error).toContain('approver-ana');
    expect(error).not.toContain('U_APPROVER_ANA');
    const approval = await h.rt.store.findApprovalByExecution(executionArn);
    expect(approval?.votes).toEqual([]);
    const report = await h.rt.store.getExecutionValue<ReadinessReport>(executionArn, READINESS_VALUE);
    expect(report?.items.filter((i) => i.status === 'attested')).toEqual([]);
  });

  it('approves with every item ticked: attested by the approver, verified by Slack, by name; the message shows who attested what', async () => {
    const open = slack().openView(APPROVER)!;

    await slack().submit(APPROVER, { ...ticked(open.view), note: 'checked on staging' });
    await slack().waitFor((e) => {
      const c = findCard(e);
      return c && messageText(c).includes('✅ Live') && threadOf(e, c.ts).some((t) => t.includes('took'));
    });
    const end = await h.finished(executionArn);

    expect(end.status).toBe('SUCCEEDED');
    expect(slack().openView(APPROVER)).toBeUndefined();
    const approval = await h.rt.store.findApprovalByExecution(executionArn);
    expect(approval?.votes).toEqual([
      expect.objectContaining({
        voter: APPROVER,
        decision: 'approve',
        verifiedBy: 'slack',
        voterName: 'approver-ana',
        reason: 'checked on staging',
      }),
    ]);
    const report = await h.rt.store.getExecutionValue<ReadinessReport>(executionArn, READINESS_VALUE);
    const attested = report!.items.filter((i) => i.status === 'attested');
    expect(attested.map((i) => i.id).sort()).toEqual(offeredItems(open.view).sort());
    expect(attested.every((i) => i.attestation?.by === APPROVER)).toBe(true);
    const audit = await h.rt.store.listAudit(executionArn);
    expect(audit.filter((a) => a.action === 'attest' || a.action === 'approve')).not.toHaveLength(0);
    expect(
      audit
        .filter((a) => a.action === 'attest' || a.action === 'approve')
        .every((a) => a.verifiedBy === 'slack' && a.actorName === 'approver-ana'),
    ).toBe(true);
    const final = slack()
      .messages()
      .find((m) => m.ts === approvalTs)!;
    expect(messageText(final)).toContain('Checklist at the sign-off');
    expect(messageText(final)).toContain(`${attested[0].title} — attested by <@${APPROVER}> at `);
    expect(messageText(final)).not.toContain('golive_approve');
  });

  it('starts the execution with verifiedBy slack in its input', async () => {
    const described = await h.rt.sfn.send(new DescribeExecutionCommand({ executionArn }));

    expect(JSON.parse(described.input ?? '{}')).toEqual(
      expect.objectContaining({ requestedBy: REQUESTER, verifiedBy: 'slack' }),
    );
  });
});
