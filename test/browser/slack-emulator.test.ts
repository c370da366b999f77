import type { Page } from 'playwright-core';
import { APPROVER, REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { keepScreenshot, launchChromium } from '../support/browser';

/** One Chromium for the file; each test drives the emulator page like a person would. */
describe('Slack emulator in headless Chromium', () => {
  let h: Harness;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  beforeAll(async () => {
    h = await startHarness({ config: testConfig(), slack: { port: 0 } });
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(h.rt.slack!.url);
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  /** Keeps a screenshot under test-artifacts/ when the test fails. */
  const withScreenshot = (name: string, fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (err) {
      await keepScreenshot(page, name).catch(() => undefined);
      throw err;
    }
  };
  const actAs = (user: string) => page.getByTestId('user').selectOption(user);
  const slash = async (text: string) => {
    await page.getByTestId('command').fill(text);
    await page.getByTestId('send').click();
  };
  const card = (version: string) => page.getByTestId('message').filter({ hasText: `Go-live: demo ${version}` });
  const approval = (version: string) => page.getByTestId('message').filter({ hasText: `Sign-off: demo ${version}` });

  it(
    'starts a go-live as the release manager, approves it in the form ticking each item, and shows the card completed',
    withScreenshot('slack-approve', async () => {
      await actAs(REQUESTER);
      await slash('/golive demo 2.0.0 canary');
      await approval('2.0.0').getByTestId('button-golive_approve').waitFor();

      await actAs(APPROVER);
      await approval('2.0.0').filter({ hasText: 'Approving attests only what you tick' }).waitFor();
      // What the approver weighs beside the checklist: the change, the split now, each canary step judged.
      const asked = (await approval('2.0.0').textContent()) ?? '';
      expect(asked).toMatch(/Change\s*\(none recorded\) → 2\.0\.0\s*Traffic now\s*50% candidate · 50% stable/);
      expect(asked).toMatch(
        /Canary analysis \(candidate vs stable\).*10% (pass|marginal|fail|inconclusive).*requests \d+ vs \d+.*50% /s,
      );
      await approval('2.0.0').getByTestId('button-golive_approve').click();
      const form = page.getByTestId('modal');
      await form.filter({ hasText: 'Approving attests only the items you tick' }).waitFor();
      const boxes = form.locator('input[type=checkbox]');
      const offered = await boxes.count();
      // Nothing is ticked for the approver; submitting as is leaves required items open: refused in the form.
      expect(await form.locator('input[type=checkbox]:checked').count()).toBe(0);
      await page.getByTestId('modal-submit').click();
      await form.getByTestId('error-attest:0').filter({ hasText: 'Not approved' }).waitFor();
      for (let i = 0; i < offered; i++) await boxes.nth(i).check();
      await page.getByTestId('input-note').fill('checked on staging');
      await page.getByTestId('modal-submit').click();

      await card('2.0.0').filter({ hasText: '✅ Live' }).waitFor();
      await card('2.0.0').getByTestId('reply').filter({ hasText: 'took' }).waitFor();
      await approval('2.0.0').filter({ hasText: 'Approved' }).waitFor();
      await approval('2.0.0').filter({ hasText: 'Checklist at the sign-off' }).waitFor();
      expect(offered).toBeGreaterThan(10);
      expect(await approval('2.0.0').textContent()).toContain('attested by @approver-ana');
      expect(await page.getByTestId('modal').count()).toBe(0);
      expect(await approval('2.0.0').getByTestId('button-golive_approve').count()).toBe(0);
      expect(await page.getByTestId('message').filter({ hasText: 'Go-live: demo 2.0.0' }).count()).toBe(1);
      expect(await card('2.0.0').textContent()).toContain('Promote');
    }),
  );

  it(
    'rolls back when an approver rejects with a reason in the modal',
    withScreenshot('slack-reject', async () => {
      await actAs(REQUESTER);
      await slash('/golive demo 2.1.0 all-at-once');
      await approval('2.1.0').getByTestId('button-golive_reject').waitFor();

      await actAs(APPROVER);
      await approval('2.1.0').getByTestId('button-golive_reject').click();
      await page.getByTestId('modal').waitFor();
      await page.getByTestId('modal-submit').click();
      await page.getByTestId('error-reason').waitFor();
      await page.getByTestId('input-reason').fill('Rückgängig – 回滚');
      await page.getByTestId('modal-submit').click();

      await card('2.1.0').filter({ hasText: 'Rolled back' }).waitFor();
      await card('2.1.0').getByTestId('reply').filter({ hasText: 'Rückgängig – 回滚' }).first().waitFor();
      await approval('2.1.0').filter({ hasText: 'Rejected' }).waitFor();
      expect(await page.getByTestId('modal').count()).toBe(0);
      expect(await approval('2.1.0').getByTestId('button-golive_reject').count()).toBe(0);
    }),
  );
});
