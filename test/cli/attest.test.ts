import { parseConfig } from '../../lambdas/core/config';
import { runCli } from '../support/cli';
import { APPROVER, startHarness, testConfig, type Harness } from '../support/harness';

/** `golive attest`: an attester who is no approver answers the checklist during the sign-off, through the control API. */
describe('golive attest', () => {
  let h: Harness;
  const cli = (args: string[]) => runCli([...args, '--api', h.rt.control.url, '--home', h.home]);

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

  it('lets the security attester answer the item only they may, after which the approver can approve', async () => {
    const arn = await h.start();
    await h.waitForCallback(arn, 'SignOff');
    const name = arn.split(':').at(-1)!;

    const early = await cli(['approve', name, '--as', APPROVER, '--attest', 'all']);
    expect(early.code).toBe(2);
    expect(early.err).toContain('secret-owners-named (security: U_SECURITY_SAM)');
    expect(early.err).toContain('golive attest');

    const wrong = await cli(['attest', name, '--as', 'U_APPROVER_BEN', '--attest', 'secret-owners-named']);
    expect(wrong.code).toBe(6);
    expect(wrong.err).toContain('may not attest "secret-owners-named"');

    const none = await cli(['attest', name, '--as', 'U_SECURITY_SAM']);
    expect(none.code).toBe(2);

    const sam = await cli(['attest', name, '--as', 'U_SECURITY_SAM', '--attest', 'all']);
    expect(sam).toMatchObject({ code: 0 });
    expect(sam.out).toMatch(/^recorded/);

    const approved = await cli(['approve', name, '--as', APPROVER, '--attest', 'all']);
    expect(approved.err).toBe('');
    expect(approved).toMatchObject({ code: 0, out: expect.stringContaining('approved') });
    expect((await h.finished(arn)).status).toBe('SUCCEEDED');
    const attested = (await h.rt.store.listAudit(arn)).filter(
      (r) => r.action === 'attest' && r.actor === 'U_SECURITY_SAM',
    );
    expect(attested.map((r) => r.summary)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('[secret-owners-named]'),
        expect.stringContaining('[production-access]'),
      ]),
    );
    expect(attested.every((r) => r.verifiedBy === 'local')).toBe(true);

    // One truth: golive status shows the checklist as signed off, who answered each item and when.
    const status = await cli(['status', name]);
    expect(status.out).toMatch(/^checklist {4}\d+ items: \d+ passed or attested, 0 waived, 0 open$/m);
    expect(status.out).toMatch(/^ {13}attested {2}secret-owners-named by U_SECURITY_SAM at \d{4}-/m);
    const json = JSON.parse((await cli(['status', name, '--json'])).out) as {
      checklist: { id: string; by?: string }[];
    };
    expect(json.checklist.find((i) => i.id === 'release-tagged')).toMatchObject({ by: APPROVER });
  });
});
