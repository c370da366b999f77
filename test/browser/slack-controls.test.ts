import type { Page } from 'playwright-core';
import { REQUESTER, startHarness, testConfig, type Harness } from '../support/harness';
import { keepScreenshot, launchChromium } from '../support/browser';

/**
 * The release controls clicked in the emulator page by a release manager, on real local go-lives
 * (bakeSeconds 1, canary 10 → 50; every sign-off approved as it is asked: the controls are tested here).
 */
describe('release controls in the Slack emulator, in headless Chromium', () => {
  let h: Harness;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let page: Page;

  beforeAll(async () => {
    h = await startHarness({ config: testConfig(), slack: { port: 0 } });
    h.autoApprove();
    browser = await launchChromium();
    page = await browser.newPage();
    page.setDefaultTimeout(20_000);
    await page.goto(h.rt.slack!.url);
    await page.getByTestId('user').selectOption(REQUESTER);
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  const withScreenshot = (name: string, fn: () => Promise<void>) => async () => {
    try {
      await fn();
    } catch (err) {
      await keepScreenshot(page, name).catch(() => undefined);
      throw err;
    }
  };
  const slash = async (text: string) => {
    await page.getByTestId('command').fill(text);
    await page.getByTestId('send').click();
  };
  const cards = (version: string) => page.getByTestId('message').filter({ hasText: `Go-live: demo ${version}` });
  /** The newest go-live of `version` (GoLiveClient.list answers newest first). */
  const executionOf = async (version: string) => {
    const { goLives } = await h.rt.client.list({ service: 'demo' });
    return goLives.find((g) => g.version === version)!.executionArn;
  };

  it(
    'pauses from the card (the go-live holds), resumes it to the end',
    withScreenshot('slack-controls-pause', async () => {
      await slash('/golive demo 2.0.0 canary');
      const card = cards('2.0.0').first();
      await card.getByTestId('button-golive_pause').click();

      await card.filter({ hasText: /Paused by @release-manager — holding at Checkpoint/ }).waitFor();
      const { goLives } = await h.rt.client.list({ service: 'demo', status: 'RUNNING' });
      expect(goLives).toHaveLength(1);
      const arn = goLives[0].executionArn;
      await h.waitForCallback(arn, 'Paused');
      expect(await h.rt.client.describe(arn)).toMatchObject({ status: 'RUNNING', paused: true, held: true });
      expect(await card.getByTestId('button-golive_pause').count()).toBe(0);

      await card.getByTestId('button-golive_resume').click();

      await card.filter({ hasText: '✅ Live' }).waitFor();
      expect((await h.finished(arn)).status).toBe('SUCCEEDED');
      expect(await card.textContent()).toContain('Resumed by @release-manager');
      expect(await card.getByTestId('button-golive_resume').count()).toBe(0);
    }),
  );

  it(
    'promotes during a canary after confirming, then rolls back from the success message',
    withScreenshot('slack-controls-promote-undo', async () => {
      await slash('/golive demo 2.1.0 canary');
      const card = cards('2.1.0').first();
      await card.getByTestId('button-golive_promote').click();
      await page.getByTestId('confirm').filter({ hasText: 'Promote now?' }).waitFor();
      await page.getByTestId('confirm-ok').click();

      await card.filter({ hasText: 'Promoted by @release-manager' }).waitFor();
      await card.filter({ hasText: '✅ Live' }).waitFor();
      const promoted = await h.rt.client.describe(await executionOf('2.1.0'));
      expect(promoted).toMatchObject({ status: 'SUCCEEDED', promote: { by: REQUESTER } });

      const rollBack = card.getByTestId('reply').getByTestId('button-golive_undo');
      expect(await rollBack.textContent()).toBe('Roll back to 2.0.0');
      await rollBack.click();
      await page.getByTestId('confirm-ok').click();

      await card.getByTestId('reply').filter({ hasText: 'Roll back to 2.0.0 started by @release-manager' }).waitFor();
      const undo = cards('2.0.0').last();
      await undo.filter({ hasText: '✅ Live' }).waitFor();
      expect(await cards('2.0.0').count()).toBe(2);
      expect(await h.rt.client.describe(await executionOf('2.0.0'))).toMatchObject({
        kind: 'undo',
        status: 'SUCCEEDED',
        version: '2.0.0',
      });
      expect(await rollBack.count()).toBe(0);
    }),
  );
});
