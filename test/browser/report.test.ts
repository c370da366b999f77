import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { main, type Io } from '../../bin/cli/main';
import { castVote } from '../../lambdas/core/steps/approval';
import { keepScreenshot, launchChromium } from '../support/browser';
import { APPROVER, REPO_ROOT, startHarness, type Harness } from '../support/harness';

/** Exports an execution's HTML report through the CLI, as an auditor would. */
async function exportHtml(h: Harness, executionArn: string, file: string): Promise<string> {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), isTTY: false };
  const args = ['--endpoint', h.rt.endpointUrl, '--home', h.home, '--config', join(REPO_ROOT, 'golive.config.yaml')];
  const code = await main(['audit', 'export', executionArn, '--format', 'html', '--out', file, ...args], io);
  if (code !== 0) throw new Error(`golive audit export failed (${code}): ${lines.join('\n')}`);
  return file;
}

describe('HTML audit report in headless Chromium', () => {
  let h: Harness;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let dir: string;
  let approvedReport: string;
  let rolledBackReport: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golive-report-'));
    [h, browser] = await Promise.all([startHarness(), launchChromium()]);

    const approved = await h.start({ version: '2.0.0' }, `report-ok-${Date.now()}`);
    await h.waitForCallback(approved, 'SignOff');
    await castVote(
      h.rt.deps,
      { executionId: approved },
      {
        voter: APPROVER,
        voterName: 'Ana Lopez',
        verifiedBy: 'slack',
        decision: 'approve',
        attest: ['all'],
        reason: 'dashboards green, error budget fine',
      },
    );
    await h.finished(approved);
    approvedReport = await exportHtml(h, approved, join(dir, 'approved.html'));

    // The second canary's bake is failed by the alarm: a rollback with an alarm on the traffic chart.
    h.rt.faults.set('Bake', 'AlarmTriggered');
    const rolledBack = await h.start({ version: '2.0.1' }, `report-alarm-${Date.now()}`);
    await h.finished(rolledBack);
    h.rt.faults.clear();
    rolledBackReport = await exportHtml(h, rolledBack, join(dir, 'rolled-back.html'));
  });
  afterAll(async () => {
    await Promise.all([browser?.close(), h?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens a report from disk, recording every request the page makes; keeps a screenshot if `check` fails. */
  async function open(file: string, name: string, check: (page: Page) => Promise<void>): Promise<string[]> {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    try {
      await page.setViewportSize({ width: 1200, height: 900 });
      await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
      await check(page);
      return requests;
    } catch (err) {
      await keepScreenshot(page, `report-${name}`);
      throw err;
    } finally {
      await page.close();
    }
  }

  it('shows the timeline and the approval, and loads nothing but the file itself', async () => {
    const requests = await open(approvedReport, 'approved', async (page) => {
      const timeline = page.getByTestId('timeline-chart');
      const approval = page.getByTestId('approval');

      await timeline.scrollIntoViewIfNeeded();
      const timelineShot = await timeline.screenshot();
      await approval.scrollIntoViewIfNeeded();
      const approvalShot = await approval.screenshot();

      expect(await timeline.isVisible()).toBe(true);
      const rows = page.getByTestId('timeline-row');
      expect(await rows.count()).toBeGreaterThanOrEqual(15);
      expect(await timeline.locator('g[data-step]').count()).toBe(await rows.count());
      expect((await timeline.boundingBox())!.height).toBeGreaterThan(200);
      await expectText(
        rows.filter({ has: page.locator('td:first-child', { hasText: /^Bake$/ }) }).first(),
        /bake passed/,
      );
      await expectText(rows.last(), /NotifySuccess.*succeeded/s);
      expect(await approval.isVisible()).toBe(true);
      await expectText(
        approval.getByTestId('vote'),
        /Ana Lopez \(U_APPROVER_ANA\) verified by Slack\s*approve.*dashboards green, error budget fine/s,
      );
      await expectText(page.getByTestId('chain'), /chain intact.*final hash [0-9a-f]{64}/s);
      expect(await page.getByTestId('traffic-chart').isVisible()).toBe(true);
      // Real pixels, not an empty box: both screenshots are sizeable PNGs.
      expect(timelineShot.length).toBeGreaterThan(5_000);
      expect(approvalShot.length).toBeGreaterThan(2_000);
    });

    expect(requests).toEqual([pathToFileURL(approvedReport).href]);
  });

  it('shows the checklist as signed off: no item the Decisions list as attested shows as to-attest', async () => {
    await open(approvedReport, 'checklist', async (page) => {
      const items = page.getByTestId('readiness-item');
      const decisions = await page.getByTestId('decision').allInnerTexts();
      const attestedInDecisions = decisions.flatMap((d) => /attested ".*" \[([^\]]+)\]/.exec(d)?.[1] ?? []);

      expect(attestedInDecisions.length).toBeGreaterThan(0);
      expect(await items.filter({ has: page.locator('.badge', { hasText: /^attested$/ }) }).count()).toBe(
        attestedInDecisions.length,
      );
      for (const id of attestedInDecisions) {
        const row = page.locator(`[data-testid="readiness-item"][data-item="${id}"]`);
        await expectText(row, /attested\s+attested by Ana Lopez \(U_APPROVER_ANA\) verified by Slack\s+at \d{4}-/);
      }
      expect(await items.filter({ has: page.locator('.badge', { hasText: /^to-attest$/ }) }).count()).toBe(0);
      await expectText(page.getByTestId('requested-by'), /U_RELEASE_MANAGER local \(unverified\)/);
    });
  });

  it('shows the rollback and marks the alarm on the traffic chart', async () => {
    await open(rolledBackReport, 'rolled-back', async (page) => {
      const marker = page.getByTestId('traffic-chart').getByTestId('alarm-marker');

      await expectText(page.locator('h1'), /FAILED/);
      await expectText(page.getByTestId('rollback'), /rollback succeeded.*AlarmTriggered/s);
      expect(await marker.count()).toBe(1);
      expect(await marker.isVisible()).toBe(true);
      const bake = page
        .getByTestId('timeline-row')
        .filter({ has: page.locator('td:first-child', { hasText: /^Bake$/ }) });
      await expectText(bake, /failed.*AlarmTriggered/s);
      expect(await page.getByTestId('approval').textContent()).toContain('No sign-off was requested');
    });
  });
});

async function expectText(locator: import('playwright-core').Locator, pattern: RegExp): Promise<void> {
  expect(await locator.innerText()).toMatch(pattern);
}
