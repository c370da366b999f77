import { join } from 'node:path';
import { chainRecord, GENESIS_HASH } from '../../lambdas/core/audit';
import type { AuditEntry, AuditRecord } from '../../lambdas/core/ports';
import { renderHtml } from '../../lambdas/core/report/html';
import { buildAuditReport, type AuditReport } from '../../lambdas/core/report/report';
import { castVote } from '../../lambdas/core/steps/approval';
import { runCli as run } from '../support/cli';
import { APPROVER, REPO_ROOT, REQUESTER, startHarness, type Harness } from '../support/harness';

const nameOf = (arn: string) => arn.split(':').pop()!;

/** The rows of the HTML report's readiness table: item id → status shown, and the cell's text. */
function readinessRows(html: string): Map<string, { status: string; cell: string }> {
  const rows = new Map<string, { status: string; cell: string }>();
  for (const m of html.matchAll(
    /<tr data-testid="readiness-item" data-item="([^"]+)" data-status="([^"]+)">([\s\S]*?)<\/tr>/g,
  )) {
    rows.set(m[1], { status: m[2], cell: m[3].replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ') });
  }
  return rows;
}

describe('golive audit names people, says how they were verified, and shows one checklist', () => {
  let h: Harness;
  let common: string[];
  let approved: string;

  beforeAll(async () => {
    h = await startHarness();
    common = ['--endpoint', h.rt.endpointUrl, '--home', h.home, '--config', join(REPO_ROOT, 'golive.config.yaml')];
    // Started as Slack starts one: the start record says the requester was verified by Slack.
    approved = (
      await h.rt.client.start({ user: REQUESTER, verifiedBy: 'slack' }, { service: 'demo', version: '4.0.0' })
    ).executionArn;
    await h.waitForCallback(approved, 'SignOff');
    const vote = await castVote(
      h.rt.deps,
      { executionId: approved },
      { voter: APPROVER, voterName: 'Ana Lopez', verifiedBy: 'slack', decision: 'approve', attest: ['all'] },
    );
    expect(vote).toMatchObject({ kind: 'decided', status: 'approved' });
    await h.finished(approved);
  });
  afterAll(() => h.close());

  const show = async (): Promise<AuditReport> => {
    const result = await run(['audit', 'show', nameOf(approved), '--json', ...common]);
    expect(result).toMatchObject({ code: 0, err: '' });
    return JSON.parse(result.out) as AuditReport;
  };

  it('shows each person by name with the id beside it, and how they were verified', async () => {
    const report = await show();
    const text = await run(['audit', 'show', nameOf(approved), ...common]);
    const html = renderHtml(report);

    expect(report.people).toEqual({ [APPROVER]: 'Ana Lopez' });
    expect(report.execution).toMatchObject({ requestedBy: REQUESTER, requestedByVerification: 'slack' });
    expect(report.approval.outcome).toMatchObject({ by: APPROVER, byName: 'Ana Lopez', verifiedBy: 'slack' });
    const byAna = report.decisions.filter((d) => d.actor === APPROVER);
    expect(byAna.length).toBeGreaterThan(1);
    expect(byAna.filter((d) => d.actorName !== 'Ana Lopez' || d.verifiedBy !== 'slack')).toEqual([]);
    expect(text.out).toContain(`requested by ${REQUESTER} [verified by Slack]`);
    expect(text.out).toContain(
      `Ana Lopez (${APPROVER}) [verified by Slack]  SignOff/approve: ${APPROVER} voted approve`,
    );
    expect(html).toMatch(
      new RegExp(
        `<tr data-testid="vote"><td><span data-testid="person">Ana Lopez <span class="muted">\\(${APPROVER}\\)</span> ` +
          `<span class="verification verified" data-testid="verification">verified by Slack</span>`,
      ),
    );
    expect(html).toMatch(
      /data-testid="requested-by"><span data-testid="person">U_RELEASE_MANAGER <span[^>]*>verified by Slack</,
    );
  });

  it('shows the checklist as signed off: what the Decisions list as attested is attested, by whom and when', async () => {
    const report = await show();
    const html = renderHtml(report);
    const text = await run(['audit', 'show', nameOf(approved), ...common]);
    const attestedInDecisions = report.decisions
      .filter((d) => d.action === 'attest')
      .map((d) => /\[([^\]]+)\]$/.exec(d.summary)![1]);
    const rows = readinessRows(html);

    expect(attestedInDecisions.length).toBeGreaterThan(0);
    expect(report.readiness?.awaitingAttestation).toEqual([]);
    for (const id of attestedInDecisions) {
      expect(report.readiness?.items.find((i) => i.id === id)).toMatchObject({
        status: 'attested',
        attestation: { by: APPROVER },
        decidedBy: { id: APPROVER, name: 'Ana Lopez', verifiedBy: 'slack' },
      });
      expect(rows.get(id)).toEqual({
        status: 'attested',
        cell: expect.stringMatching(
          new RegExp(`attested by Ana Lopez \\(${APPROVER}\\) verified by Slack at \\d{4}-\\d\\d-\\d\\dT`),
        ),
      });
      expect(text.out).toMatch(
        new RegExp(`^  ${id}\\s+attested by Ana Lopez \\(${APPROVER}\\) \\[verified by Slack\\] at `, 'm'),
      );
    }
    expect([...rows.values()].filter((r) => r.status === 'to-attest')).toEqual([]);
    expect(report.readiness?.answeredAt).toBe(report.decisions.filter((d) => d.action === 'attest').at(-1)?.at);
  });
});

describe('audit report of records older than names and verification', () => {
  const arn = 'arn:aws:states:us-east-1:000000000000:execution:golive-go-live:old-1';
  const entry = (step: string, action: string, actor: string, extra: Partial<AuditEntry> = {}): AuditEntry => ({
    executionId: arn,
    service: 'demo',
    step,
    action,
    actor,
    outcome: 'info',
    summary: `${actor} ${action}`,
    at: '2026-01-01T12:00:00.000Z',
    ...extra,
  });
  const records: AuditRecord[] = [];
  for (const e of [
    entry('ValidateAndLock', 'lock', 'system', {
      outcome: 'succeeded',
      evidence: { request: { service: 'demo', version: '1.0.0', requestedBy: REQUESTER } },
    }),
    entry('SignOff', 'approve', APPROVER, {
      evidence: { vote: { voter: APPROVER, decision: 'approve', at: '2026-01-01T12:00:00.000Z' } },
    }),
    entry('SignOff', 'approved', APPROVER),
  ]) {
    records.push(chainRecord(e, records.length + 1, records.at(-1)?.hash ?? GENESIS_HASH));
  }

  it('shows the ids alone and says the verification was not recorded, inventing nothing', () => {
    const report = buildAuditReport({ executionArn: arn, records });
    const html = renderHtml(report);

    expect(report.people).toEqual({});
    expect(report.execution).not.toHaveProperty('requestedByVerification');
    expect(report.decisions[0]).not.toHaveProperty('verifiedBy');
    expect(html).toContain(
      `<tr data-testid="vote"><td><span data-testid="person">${APPROVER} <span class="verification unknown" data-testid="verification">unrecorded</span></span></td>`,
    );
    expect(html).toContain(
      `data-testid="requested-by"><span data-testid="person">${REQUESTER} <span class="verification unknown" data-testid="verification">unrecorded</span>`,
    );
  });
});
