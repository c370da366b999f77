import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Page } from 'playwright-core';
import { renderHtml } from '../../lambdas/core/report/html';
import { renderEvidencePack, type EvidencePackEntry, type EvidencePackInput } from '../../lambdas/core/report/pack';
import { buildAuditReport } from '../../lambdas/core/report/report';
import { CANARY_ARN, canaryTrail } from '../audit/canary-trail';
import { keepScreenshot, launchChromium } from '../support/browser';

const verified: EvidencePackEntry = {
  execution: 'demo-3.1.0-20261101T100000Z',
  service: 'demo',
  version: '3.1.0',
  requestedBy: 'U_RELEASE_MANAGER',
  requestedByName: 'Rita Manager',
  status: 'SUCCEEDED',
  startedAt: '2026-11-01T10:00:00.000Z',
  endedAt: '2026-11-01T10:20:00.000Z',
  flags: ['waiver: db-private-network by U_APPROVER_BEN (VPC peering audited last week)'],
  reportHref: 'reports/demo-3.1.0-20261101T100000Z.html',
  verification: {
    ok: true,
    summary: 'intact: 19 records',
    anchors: [
      { name: 'chain', status: 'ok', detail: '19 records, final hash 5d41402abc4b…' },
      { name: 'execution output', status: 'ok', detail: 'final hash matches the NotifySuccess output' },
      { name: 'seal log', status: 'ok', detail: 'sealed 2026-11-01T10:20:01.000Z' },
      { name: 'Object Lock archive', status: 'skipped', detail: 'local runtime: no archive bucket' },
    ],
  },
};

const tampered: EvidencePackEntry = {
  execution: 'demo-3.2.0-20261115T090000Z',
  service: 'demo',
  version: '3.2.0',
  requestedBy: 'U_RELEASE_MANAGER',
  status: 'FAILED',
  error: 'AlarmTriggered',
  startedAt: '2026-11-15T09:00:00.000Z',
  endedAt: '2026-11-15T09:04:00.000Z',
  flags: ['break-glass', '<script>alert(1)</script>'],
  reportHref: 'reports/demo-3.2.0-20261115T090000Z.html',
  verification: {
    ok: false,
    summary: 'altered: record #7 (hash mismatch)',
    anchors: [
      { name: 'chain', status: 'failed', detail: 'record #7: hash does not match its content' },
      { name: 'execution output', status: 'failed', detail: 'final hash differs from the NotifyRollback output' },
      { name: 'seal log', status: 'missing', detail: 'no seal for this execution' },
    ],
  },
};

const pack = (goLives: EvidencePackEntry[]): EvidencePackInput => ({
  period: { since: '2026-10-01', until: '2026-12-31' },
  generatedAt: '2026-12-31T23:59:00.000Z',
  goLives,
});

describe('renderEvidencePack', () => {
  it('refuses a report link that would leave the pack, naming the field and the fix', () => {
    for (const href of ['/etc/passwd', 'https://example.com/r.html', '../r.html', 'reports/../../r.html', '']) {
      expect(() => renderEvidencePack(pack([{ ...verified, reportHref: href }]))).toThrow(
        /goLives\[0\]\.reportHref .* must be a path relative to the index inside the pack, e\.g\. "reports\/demo-3\.1\.0-/,
      );
    }
  });

  it('says so when the period holds no go-live', () => {
    const html = renderEvidencePack(pack([]));

    expect(html).toContain('No go-live in this period.');
    expect(html).not.toContain('data-testid="go-lives"');
  });
});

describe('evidence pack index in headless Chromium, offline from file://', () => {
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let dir: string;
  let index: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'golive-pack-'));
    mkdirSync(join(dir, 'reports'));
    // A real report for each row, written next to the index as the export writes them.
    const report = renderHtml(buildAuditReport({ executionArn: CANARY_ARN, records: canaryTrail() }));
    for (const e of [verified, tampered]) writeFileSync(join(dir, e.reportHref), report);
    index = join(dir, 'index.html');
    writeFileSync(index, renderEvidencePack(pack([verified, tampered])));
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Opens the index, recording every request; keeps a screenshot if `check` fails. */
  async function open(name: string, check: (page: Page) => Promise<void>): Promise<string[]> {
    const page = await browser.newPage();
    const requests: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    try {
      await page.setViewportSize({ width: 1300, height: 900 });
      await page.goto(pathToFileURL(index).href, { waitUntil: 'load' });
      await check(page);
      return requests;
    } catch (err) {
      await keepScreenshot(page, `pack-${name}`);
      throw err;
    } finally {
      await page.close();
    }
  }

  it('names the period and when it was written, and shows every go-live with its verdict and anchors', async () => {
    const requests = await open('verdicts', async (page) => {
      const rows = page.getByTestId('go-live');
      const ok = page.locator(`[data-execution="${verified.execution}"]`);
      const bad = page.locator(`[data-execution="${tampered.execution}"]`);

      expect(await page.title()).toBe('golive evidence pack — 2026-10-01 to 2026-12-31');
      expect(await page.getByTestId('title').innerText()).toBe('Evidence pack: go-lives from 2026-10-01 to 2026-12-31');
      expect(await page.locator('main > p').first().innerText()).toMatch(
        /^generated 2026-12-31T23:59:00.000Z — 2 go-live\(s\); 1 verified, 1 failed verification\./,
      );
      expect(await rows.count()).toBe(2);
      expect(await ok.getByTestId('verdict').innerText()).toBe('verified');
      expect(await bad.getByTestId('verdict').innerText()).toBe('VERIFICATION FAILED');
      expect(await ok.innerText()).toMatch(
        /demo\s+3\.1\.0\s+Rita Manager \(U_RELEASE_MANAGER\)\s+SUCCEEDED\s+2026-11-01T10:00:00.000Z\s+2026-11-01T10:20:00.000Z\s+waiver: db-private-network by U_APPROVER_BEN \(VPC peering audited last week\)/,
      );
      expect(await bad.innerText()).toMatch(/FAILED\s+AlarmTriggered/);
      expect(await bad.getByTestId('flag').allInnerTexts()).toEqual(['break-glass', '<script>alert(1)</script>']);
      expect(await page.locator('script').count()).toBe(0);
      for (const [row, entry] of [
        [ok, verified],
        [bad, tampered],
      ] as const) {
        const anchors = row.getByTestId('anchor');
        expect(await anchors.count()).toBe(entry.verification.anchors.length);
        for (const [i, a] of entry.verification.anchors.entries()) {
          expect(await anchors.nth(i).isVisible()).toBe(true);
          expect(await anchors.nth(i).innerText()).toBe(`${a.status} ${a.name}: ${a.detail}`);
        }
      }
    });

    expect(requests).toEqual([pathToFileURL(index).href]);
  });

  it('makes a failed verdict stand out: a banner at the top linking to it, and its row marked', async () => {
    await open('failed-verdict', async (page) => {
      const banner = page.getByTestId('failed-verification');
      const background = (execution: string) =>
        page
          .locator(`[data-execution="${execution}"] td`)
          .first()
          .evaluate(
            (td) =>
              (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle(
                td,
              ).backgroundColor,
          );

      expect(await banner.isVisible()).toBe(true);
      expect(await banner.innerText()).toBe(`1 go-live(s) FAILED verification: ${tampered.execution}`);
      expect(await page.locator(`[data-execution="${tampered.execution}"]`).getAttribute('data-verdict')).toBe(
        'failed',
      );
      expect(await background(tampered.execution)).not.toBe(await background(verified.execution));
      await banner.getByRole('link', { name: tampered.execution }).click();
      expect(new URL(page.url()).hash).toBe(`#${tampered.execution}`);
    });
  });

  it('links each go-live to its report file next to the index, which opens offline', async () => {
    for (const entry of [verified, tampered]) {
      const requests = await open(`link-${entry.execution}`, async (page) => {
        await page.getByTestId('report-link').filter({ hasText: entry.execution }).click();
        await page.waitForURL(pathToFileURL(join(dir, entry.reportHref)).href);

        expect(await page.locator('h1').innerText()).toMatch(/^Go-live audit report: /);
      });

      expect(requests).toEqual([pathToFileURL(index).href, pathToFileURL(join(dir, entry.reportHref)).href]);
    }
  });
});
