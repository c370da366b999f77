import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../lambdas/core/config';
import type { ReadinessReport } from '../../lambdas/core/readiness/evaluate';
import { answerChecklist, castVote } from '../../lambdas/core/steps/approval';
import { factsFile } from '../../local/providers/readiness';
import { runCli as cli } from '../support/cli';
import { APPROVER, startHarness, testConfig, type Harness } from '../support/harness';
import { alertsSnapshot, expectRolledBack } from '../support/invariants';

const PLAINTEXT = {
  environments: [{ component: 'demo-green', variables: [{ name: 'DB_PASSWORD', value: 'hunter2' }] }],
};

describe('readiness gate, waivers and attestations on the local engine', () => {
  let h: Harness;
  let config: string[];

  beforeAll(async () => {
    h = await startHarness();
    config = ['--home', h.home];
  });
  afterAll(() => h.close());
  afterEach(() => {
    h.stopAutoApprove();
    rmSync(factsFile(h.home, 'demo'), { force: true });
  });

  it('stops the go-live before alerts or traffic change when a required item fails, naming it and its fix', async () => {
    writeFileSync(factsFile(h.home, 'demo'), JSON.stringify(PLAINTEXT));
    const before = await alertsSnapshot(h);

    const arn = await h.start();

    await expectRolledBack(h, arn, 'ReadinessCheckFailed', before);
    const audit = await h.rt.store.listAudit(arn);
    expect(audit.map((r) => r.step)).not.toContain('MuteAlerts');
    expect(audit.map((r) => r.step)).not.toContain('ShiftTraffic');
    const failed = audit.find((r) => r.step === 'CheckReadiness')!;
    expect(failed.summary).toContain(
      '[no-plaintext-secrets] — plain-text secret-looking value(s): demo-green DB_PASSWORD',
    );
    expect(failed.summary).toContain('fix: move DB_PASSWORD to Secrets Manager');
    expect(failed.evidence).toMatchObject({ passed: false, failing: ['no-plaintext-secrets'] });
    expect(JSON.stringify(failed)).not.toContain('hunter2');
    expect(await h.measureTraffic(10)).toEqual({ blue: 10, green: 0 });
  });

  it('lets a waived failure through, with who and why in the report, the audit trail and the execution output', async () => {
    writeFileSync(factsFile(h.home, 'demo'), JSON.stringify(PLAINTEXT));
    const refused = await cli([
      'readiness',
      'demo',
      ...config,
      '--waive',
      'no-plaintext-secrets',
      '--as',
      'U_NOBODY',
      '--reason',
      'x',
    ]);
    expect(refused).toMatchObject({
      code: 2,
      err: expect.stringContaining('U_NOBODY may not waive "no-plaintext-secrets"'),
    });

    const waived = await cli([
      'readiness',
      'demo',
      '--version',
      '2.0.1',
      ...config,
      '--waive',
      'no-plaintext-secrets',
      '--as',
      'U_APPROVER_BEN',
      '--reason',
      'rotated tonight; moving to Secrets Manager in 2.0.2',
    ]);
    expect(waived.code).toBe(0);
    expect(waived.out).toMatch(/waived {2}No password, token or key in plain text/);
    h.autoApprove();

    const arn = await h.start({ version: '2.0.1' });
    const exec = await h.finished(arn);

    expect(exec.status).toBe('SUCCEEDED');
    const output = JSON.parse(exec.output!) as {
      readiness: { value: ReadinessReport };
      approval: { readiness: ReadinessReport };
    };
    const item = output.readiness.value.items.find((i) => i.id === 'no-plaintext-secrets')!;
    expect(item).toMatchObject({
      status: 'waived',
      waiver: { by: 'U_APPROVER_BEN', reason: 'rotated tonight; moving to Secrets Manager in 2.0.2', was: 'fail' },
    });
    expect(output.approval.readiness.awaitingAttestation).toEqual([]);
    const gate = (await h.rt.store.listAudit(arn)).find((r) => r.step === 'CheckReadiness')!;
    expect(gate.outcome).toBe('succeeded');
    expect(gate.summary).toContain('waived: no-plaintext-secrets by U_APPROVER_BEN');
  });

  it('shows the checklist with evidence in the approval request; approving with `attest all` attests the items the approver is named for', async () => {
    h.autoApprove();

    const arn = await h.start();
    const exec = await h.finished(arn);

    expect(exec.status).toBe('SUCCEEDED');
    const request = h.rt.notifier.list(arn).find((n) => n.kind === 'approval-requested')!;
    expect(request.text).toContain('Readiness: 20/34 readiness items passed');
    expect(request.details?.readiness).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: 'health-green', status: 'pass', summary: expect.stringContaining('→ 200') }),
        expect.objectContaining({
          id: 'release-tagged',
          status: 'to-attest',
          attesters: expect.arrayContaining([APPROVER]),
        }),
      ]),
    );
    const attested = (await h.rt.store.listAudit(arn)).filter((r) => r.action === 'attest');
    expect(attested.map((r) => r.actor)).toEqual(expect.arrayContaining([APPROVER]));
    expect(attested.map((r) => r.summary)).toContain(
      `${APPROVER} attested "The release is tagged in git" [release-tagged]`,
    );
  });
});

describe('explicit attestation', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('refuses a plain approve while required items await attestation, listing them, and attests nothing', async () => {
    const arn = await h.start();
    await h.waitForCallback(arn, 'SignOff');

    const plain = await castVote(h.rt.deps, { executionId: arn }, { voter: APPROVER, decision: 'approve' });

    expect(plain.kind).toBe('refused');
    expect(plain.message).toMatch(
      /^not approved: required item\(s\) still unattested: .*release-tagged \(production-team: /,
    );
    expect(plain.message).toContain('--attest all');
    const audit = await h.rt.store.listAudit(arn);
    expect(audit.filter((r) => ['attest', 'approve', 'approved'].includes(r.action))).toEqual([]);
    expect((await h.rt.store.findApprovalByExecution(arn))?.votes).toEqual([]);

    const ticked = await castVote(
      h.rt.deps,
      { executionId: arn },
      { voter: APPROVER, decision: 'approve', attest: ['all'], verifiedBy: 'local', voterName: 'Ana' },
    );
    expect(ticked).toMatchObject({ kind: 'decided', status: 'approved' });
    expect(await h.finished(arn)).toMatchObject({ status: 'SUCCEEDED' });
    const votes = (await h.rt.store.listAudit(arn)).filter((r) => r.action === 'approve');
    expect(votes).toEqual([expect.objectContaining({ actor: APPROVER, verifiedBy: 'local', actorName: 'Ana' })]);
  });
});

describe('sign-off waiting for attestations by someone other than the approver', () => {
  let h: Harness;

  beforeAll(async () => {
    const base = testConfig();
    h = await startHarness({
      config: parseConfig({
        ...base,
        readiness: { ...base.readiness, roles: { ...base.readiness.roles, security: ['U_SECURITY_SAM'] } },
      }),
    });
  });
  afterAll(() => h.close());

  it('refuses the approval until the security attestation arrives; a waiver at the sign-off names who and why', async () => {
    const arn = await h.start();
    await h.waitForCallback(arn, 'SignOff');

    const approve = () =>
      castVote(
        h.rt.deps,
        { executionId: arn },
        {
          voter: APPROVER,
          decision: 'approve',
          attest: ['all'],
          waive: [{ item: 'production-access', reason: 'IAM review booked for Monday' }],
        },
      );
    // The approver cannot vouch for the security item: the approval waits for it, not the reverse.
    const early = await approve();
    expect(early.kind).toBe('refused');
    expect(early.message).toContain('secret-owners-named (security: U_SECURITY_SAM)');

    const wrong = await answerChecklist(h.rt.deps, { executionId: arn }, 'U_APPROVER_BEN', {
      attest: ['secret-owners-named'],
    });
    expect(wrong).toMatchObject({
      kind: 'refused',
      message: expect.stringContaining('may not attest "secret-owners-named"'),
    });

    const attested = await answerChecklist(h.rt.deps, { executionId: arn }, 'U_SECURITY_SAM', {
      attest: ['secret-owners-named'],
    });
    expect(attested).toMatchObject({ kind: 'recorded' });
    expect(await approve()).toMatchObject({ kind: 'decided', status: 'approved' });

    const exec = await h.finished(arn);
    expect(exec.status).toBe('SUCCEEDED');
    const signedOff = (JSON.parse(exec.output!) as { approval: { readiness: ReadinessReport } }).approval.readiness;
    expect(signedOff.items.find((i) => i.id === 'production-access')).toMatchObject({
      status: 'waived',
      waiver: { by: APPROVER, reason: 'IAM review booked for Monday', was: 'to-attest' },
    });
    expect(signedOff.items.find((i) => i.id === 'secret-owners-named')).toMatchObject({
      status: 'attested',
      attestation: { by: 'U_SECURITY_SAM' },
    });
    const audit = await h.rt.store.listAudit(arn);
    expect(audit.map((r) => `${r.action} ${r.actor}`)).toEqual(
      expect.arrayContaining(['waive U_APPROVER_ANA', 'attest U_SECURITY_SAM', 'approved U_APPROVER_ANA']),
    );
    expect(audit.find((r) => r.action === 'waive')!.summary).toBe(
      'U_APPROVER_ANA waived "Only the production team can change production; developers can read logs and monitoring" [production-access]: IAM review booked for Monday',
    );
  });
});

describe('golive readiness (CLI)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());
  afterEach(() => rmSync(factsFile(h.home, 'demo'), { force: true }));

  it('prints the checklist grouped by category with marks and evidence, and exits 0 when every required item passes', async () => {
    const result = await cli(['readiness', 'demo', '--home', h.home]);

    expect(result.code).toBe(0);
    expect(result.out).toContain('Readiness of demo 2.0.0');
    expect(result.out).toMatch(
      /\nHealth checks\n {2}✓ {2}Health endpoint of blue responds 200\n {7}GET http:\/\/127\.0\.0\.1:\d+\/health → 200/,
    );
    expect(result.out).toContain('to attest  The release is tagged in git');
    expect(result.out).toContain('READY: 20 passed, 0 failed');
  });

  it('exits 1 and names the failing item with its fix when a required item fails; --json gives the report', async () => {
    writeFileSync(factsFile(h.home, 'demo'), JSON.stringify({ secrets: [{ id: 'demo/db', rotationEnabled: false }] }));

    const result = await cli(['readiness', 'demo', '--home', h.home, '--json']);

    expect(result.code).toBe(1);
    const report = JSON.parse(result.out) as ReadinessReport;
    expect(report).toMatchObject({ passed: false, failing: ['secrets-rotation'] });
    expect(report.items.find((i) => i.id === 'secrets-rotation')!.fix).toBe(
      'turn rotation on for demo/db (RotateSecret)',
    );
  });

  it.each([
    [['readiness', 'payments'], 'unknown service "payments"'],
    [['readiness', 'demo', '--version', 'v2'], 'is not a semantic version'],
    [['readiness'], 'name the service'],
    [['readiness', 'demo', '--waive', 'db-not-public', '--as', 'U_APPROVER_ANA'], 'needs a reason'],
  ])('refuses `golive %j` with exit 2', async (args, message) => {
    const result = await cli([...args, '--home', h.home]);

    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
  });

  it('exits 3 with the fix when no local runtime is running for the state dir', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'golive-empty-'));
    try {
      const result = await cli(['readiness', 'demo', '--home', empty]);

      expect(result.code).toBe(3);
      expect(result.err).toContain('golive local up');
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
