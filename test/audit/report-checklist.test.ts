import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { preDecisionKey, type ReadinessReport } from '../../lambdas/core/readiness/evaluate';
import { answerChecklist, castVote } from '../../lambdas/core/steps/approval';
import { READINESS_VALUE } from '../../lambdas/core/steps/readiness';
import { runCli } from '../support/cli';
import { APPROVER, REPO_ROOT, startHarness, type Harness } from '../support/harness';

const BEN = 'U_APPROVER_BEN';
const VERSION = '5.0.0';

/** The rows of the HTML report's readiness table: item id → status recorded, and the cell's text. */
function readinessRows(html: string): Map<string, { status: string; text: string }> {
  const rows = new Map<string, { status: string; text: string }>();
  for (const m of html.matchAll(
    /<tr data-testid="readiness-item" data-item="([^"]+)" data-status="([^"]+)">([\s\S]*?)<\/tr>/g,
  )) {
    // The evidence column is left out: it is the item's raw evidence, not its state.
    const state = m[3].replace(/<details>[\s\S]*?<\/details>/g, '');
    rows.set(m[1], {
      status: m[2],
      text: state
        .replace(/<[^>]+>/g, ' ')
        .replace(/\s+/g, ' ')
        .trim(),
    });
  }
  return rows;
}

describe('audit report checklist: each item in its final state, as the Decisions tell it', () => {
  let h: Harness;
  let dir: string;
  let html: string;
  let anas: string[];

  beforeAll(async () => {
    h = await startHarness();
    dir = mkdtempSync(join(tmpdir(), 'golive-checklist-'));
    // Answered ahead of the go-live, as `golive readiness --attest` records it.
    await h.rt.store.putExecutionValue(preDecisionKey('demo', VERSION), 'decisions', [
      { item: 'request-tracing', kind: 'attestation', by: BEN, at: '2026-01-02T03:04:05.000Z' },
    ]);
    const arn = await h.start({ version: VERSION }, `checklist-${Date.now()}`);
    await h.waitForCallback(arn, 'SignOff');
    // Ben answers without voting (golive attest / Slack): one attestation, one waiver.
    const ben = await answerChecklist(
      h.rt.deps,
      { executionId: arn },
      BEN,
      { attest: ['ingress-through-gateway'], waive: [{ item: 'db-private-network', reason: 'VPC peering audited' }] },
      { verifiedBy: 'slack', voterName: 'Ben Okafor' },
    );
    expect(ben.kind).toBe('recorded');
    // Ana approves, attesting exactly the required items still open; advisory ones stay unanswered.
    const open = await h.rt.store.getExecutionValue<ReadinessReport>(arn, READINESS_VALUE);
    anas = open!.awaitingAttestation;
    const vote = await castVote(
      h.rt.deps,
      { executionId: arn },
      { voter: APPROVER, voterName: 'Ana Lopez', verifiedBy: 'slack', decision: 'approve', attest: anas },
    );
    expect(vote).toMatchObject({ kind: 'decided', status: 'approved' });
    await h.finished(arn);
    const file = join(dir, 'report.html');
    const args = ['--endpoint', h.rt.endpointUrl, '--home', h.home, '--config', join(REPO_ROOT, 'golive.config.yaml')];
    const exported = await runCli([
      'audit',
      'export',
      arn.split(':').pop()!,
      '--format',
      'html',
      '--out',
      file,
      ...args,
    ]);
    expect(exported.code).toBe(0);
    html = readFileSync(file, 'utf8');
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows what the Decisions list as attested or waived in that state, and nothing else as answered', () => {
    const rows = readinessRows(html);
    const answered = [...html.matchAll(/<tr data-testid="decision">[\s\S]*?<\/tr>/g)]
      .map((m) => m[0].replace(/<[^>]+>/g, ' '))
      .flatMap((text) => {
        const found = /(attested|waived) (?:&quot;|").*?(?:&quot;|") \[([^\]]+)\]/.exec(text);
        return found ? [{ id: found[2], status: found[1] }] : [];
      });

    expect(answered.length).toBe(anas.length + 2);
    for (const { id, status } of answered) expect({ id, status: rows.get(id)?.status }).toEqual({ id, status });
    expect([...rows.values()].filter((r) => r.status === 'attested' || r.status === 'waived')).toHaveLength(
      answered.length + 1,
    );
  });

  it('says who attested, when, and where: with an approval, without voting, or before the go-live', () => {
    const rows = readinessRows(html);

    expect(anas.length).toBeGreaterThan(0);
    for (const id of anas) {
      expect(rows.get(id)?.text).toMatch(
        /attested attested by Ana Lopez \(U_APPROVER_ANA\) verified by Slack at \d{4}-\S+ at the sign-off, with their approval$/,
      );
    }
    expect(rows.get('ingress-through-gateway')?.text).toMatch(
      /attested attested by Ben Okafor \(U_APPROVER_BEN\) verified by Slack at \d{4}-\S+ at the sign-off, without voting \(golive attest\)$/,
    );
    expect(rows.get('request-tracing')).toEqual({
      status: 'attested',
      text: expect.stringMatching(
        /attested attested by Ben Okafor \(U_APPROVER_BEN\) unrecorded at 2026-01-02T03:04:05.000Z before the go-live \(golive readiness\)$/,
      ),
    });
  });

  it('says who waived, when and why, and what the item was before', () => {
    expect(readinessRows(html).get('db-private-network')).toEqual({
      status: 'waived',
      text: expect.stringMatching(
        /waived waived by Ben Okafor \(U_APPROVER_BEN\) verified by Slack at \d{4}-\S+ at the sign-off, without voting \(golive attest\) VPC peering audited \(was not attested\)$/,
      ),
    });
  });

  it('shows passed checks with what they found, and to-attest only for items nobody ever answered', () => {
    const rows = readinessRows(html);
    const never = [...rows.entries()].filter(([, r]) => r.status === 'to-attest');

    expect(rows.get('version-semver')?.text).toMatch(/yes passed 5\.0\.0 is semver$/);
    expect(never.map(([id]) => id).sort()).toEqual(
      [
        'multi-location',
        'log-error-alarms',
        'third-party-health',
        'capacity-needs-known',
        'clocks-synchronised',
      ].sort(),
    );
    for (const [, r] of never)
      expect(r.text).toMatch(/no never attested nobody of production-team attested this advisory item/);
    expect(html).toMatch(/data-testid="readiness-note">as checked before the sign-off;/);
  });
});
