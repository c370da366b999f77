import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Locator, Page } from 'playwright-core';
import { main, type Io } from '../../bin/cli/main';
import { renderHtml } from '../../lambdas/core/report/html';
import { buildAuditReport, type AuditReport } from '../../lambdas/core/report/report';
import { castVote } from '../../lambdas/core/steps/approval';
import { startTrafficGenerator } from '../../local/demo';
import { CANARY_ARN, canaryTrail } from '../audit/canary-trail';
import { keepScreenshot, launchChromium } from '../support/browser';
import { APPROVER, REPO_ROOT, startHarness, type Harness } from '../support/harness';

/** Exports an execution's report (HTML by default) through the CLI, as an auditor would. */
async function exportHtml(h: Harness, executionArn: string, file: string, format = 'html'): Promise<string> {
  const lines: string[] = [];
  const io: Io = { out: (l) => lines.push(l), err: (l) => lines.push(l), isTTY: false };
  const args = ['--endpoint', h.rt.endpointUrl, '--home', h.home, '--config', join(REPO_ROOT, 'golive.config.yaml')];
  const code = await main(['audit', 'export', executionArn, '--format', format, '--out', file, ...args], io);
  if (code !== 0) throw new Error(`golive audit export failed (${code}): ${lines.join('\n')}`);
  return file;
}

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}
const overlap = (a: Box, b: Box) =>
  a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
const inside = (inner: Box, outer: Box) =>
  inner.x >= outer.x &&
  inner.y >= outer.y &&
  inner.x + inner.width <= outer.x + outer.width &&
  inner.y + inner.height <= outer.y + outer.height;

/** The canary chart's geometry in its own units (getBBox, as laid out by Chromium): what is drawn where. */
async function chartGeometry(chart: Locator): Promise<{
  viewBox: Box;
  legend: Box;
  axes: Box[];
  texts: { text: string; box: Box }[];
  marks: { verdict: string; badge: Box; text: Box }[];
}> {
  // The DOM as far as this reads it (the project compiles without the DOM library).
  interface SvgElement {
    getBBox(): Box;
    querySelector(selector: string): SvgElement | null;
    querySelectorAll(selector: string): Iterable<SvgElement>;
    getAttribute(name: string): string | null;
    textContent: string | null;
    viewBox: { baseVal: Box };
  }
  return chart.evaluate((node) => {
    const svg = node as unknown as SvgElement;
    const box = (e: SvgElement) => {
      const b = e.getBBox();
      return { x: b.x, y: b.y, width: b.width, height: b.height };
    };
    const all = (selector: string) => Array.from(svg.querySelectorAll(selector));
    const vb = svg.viewBox.baseVal;
    return {
      viewBox: { x: vb.x, y: vb.y, width: vb.width, height: vb.height },
      legend: box(svg.querySelector('[data-testid="canary-legend"]')!),
      axes: all('[data-testid="canary-axis"]').map(box),
      texts: all('text').map((t) => ({ text: t.textContent ?? '', box: box(t) })),
      marks: all('[data-testid="canary-verdict"]').map((g) => ({
        verdict: g.getAttribute('data-verdict') ?? '',
        badge: box(g.querySelector('rect')!),
        text: box(g.querySelector('text')!),
      })),
    };
  });
}

/** The canary chart drawn readably: legend inside the viewBox and clear of the axes, no label cut off or over another. */
async function expectReadableCanaryChart(chart: Locator): Promise<void> {
  const g = await chartGeometry(chart);
  expect(inside(g.legend, g.viewBox)).toBe(true);
  expect(g.axes).toHaveLength(2);
  for (const axis of g.axes) expect(overlap(g.legend, { ...axis, height: Math.max(axis.height, 1) })).toBe(false);
  for (const t of g.texts)
    expect({ text: t.text, inside: inside(t.box, g.viewBox) }).toEqual({ text: t.text, inside: true });
  g.texts.forEach((a, i) =>
    g.texts
      .slice(i + 1)
      .forEach((b) =>
        expect({ a: a.text, b: b.text, overlap: overlap(a.box, b.box) }).toMatchObject({ overlap: false }),
      ),
  );
  for (const m of g.marks) expect(inside(m.text, m.badge)).toBe(true);
}

/** The traffic chart's geometry in its own units: legend, time axis, alarm labels, every text. */
async function trafficGeometry(
  chart: Locator,
): Promise<{ viewBox: Box; legend: Box; axis: Box; alarmLabels: Box[]; texts: { text: string; box: Box }[] }> {
  interface SvgElement {
    getBBox(): Box;
    querySelector(selector: string): SvgElement | null;
    querySelectorAll(selector: string): Iterable<SvgElement>;
    textContent: string | null;
    viewBox: { baseVal: Box };
  }
  return chart.evaluate((node) => {
    const svg = node as unknown as SvgElement;
    const box = (e: SvgElement) => {
      const b = e.getBBox();
      return { x: b.x, y: b.y, width: b.width, height: b.height };
    };
    const vb = svg.viewBox.baseVal;
    return {
      viewBox: { x: vb.x, y: vb.y, width: vb.width, height: vb.height },
      legend: box(svg.querySelector('[data-testid="traffic-legend"]')!),
      axis: box(svg.querySelector('[data-testid="traffic-axis"]')!),
      alarmLabels: Array.from(svg.querySelectorAll('[data-testid="alarm-label"]')).map(box),
      texts: Array.from(svg.querySelectorAll('text')).map((t) => ({ text: t.textContent ?? '', box: box(t) })),
    };
  });
}

/**
 * The text of a PDF as poppler's pdftotext reads it (installed by .ci/run with Chromium), in the
 * order it was drawn (`-raw`): the default layout mode merges table cells side by side into one line.
 */
function pdfText(file: string): string {
  try {
    return execFileSync('pdftotext', ['-raw', '-enc', 'UTF-8', file, '-'], {
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error(
        'pdftotext not found: install poppler-utils (apt-get install -y poppler-utils, as .ci/run does)',
        { cause: err },
      );
    }
    throw err;
  }
}

/** Text compared without its layout: the PDF and print wrap long evidence lines wherever they fit. */
const squeeze = (text: string) => text.replace(/\s+/g, '');

describe('HTML audit report in headless Chromium', () => {
  let h: Harness;
  let browser: Awaited<ReturnType<typeof launchChromium>>;
  let dir: string;
  let approvedReport: string;
  let rolledBackReport: string;
  let slowReport: string;
  let slowJson: AuditReport;
  let trailReport: string;

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

    // Real traffic; the candidate answers 150 ms slower from the second canary step: the analysis rolls it back.
    const target = h.rt.targets.get('demo')!;
    const candidate = target[target.router.weights().blue === 100 ? 'green' : 'blue'];
    let shifts = 0;
    h.rt.onTask('ShiftTraffic', () => {
      if (++shifts === 2) candidate.setFaults({ latencyMs: 150 });
    });
    const traffic = startTrafficGenerator(target.router.url, {
      ratePerSecond: 80,
      paths: ['/api/orders'],
    });
    const slow = await h.start({ version: '2.0.2' }, `report-slow-${Date.now()}`);
    await h.finished(slow);
    await traffic.stop();
    candidate.setFaults({ latencyMs: 0 });
    slowReport = await exportHtml(h, slow, join(dir, 'slow.html'));
    slowJson = JSON.parse(
      readFileSync(await exportHtml(h, slow, join(dir, 'slow.json'), 'json'), 'utf8'),
    ) as AuditReport;

    // Four steps, one of each verdict: the widest chart.
    trailReport = join(dir, 'canary-trail.html');
    writeFileSync(trailReport, renderHtml(buildAuditReport({ executionArn: CANARY_ARN, records: canaryTrail() })));
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

  it('keeps the evidence behind toggles on screen, opens all of it in print, and the PDF contains it', async () => {
    await open(approvedReport, 'print', async (page) => {
      const details = page.locator('details');
      const pres = page.locator('details pre');
      const count = await details.count();
      const evidence = (await pres.allTextContents()).map(squeeze);
      const readinessEvidence = page.getByTestId('readiness-item').first().locator('details');

      // On screen: folded, one click away.
      expect(count).toBeGreaterThan(20);
      expect(await pres.first().isVisible()).toBe(false);
      await readinessEvidence.locator('summary').click();
      expect(await readinessEvidence.locator('pre').isVisible()).toBe(true);
      expect(squeeze(await readinessEvidence.locator('pre').innerText())).toBe(
        squeeze((await readinessEvidence.locator('pre').textContent()) ?? ''),
      );
      await readinessEvidence.locator('summary').click();

      // The print script runs under the report's CSP: it opens every <details>, and closes them after.
      await page.evaluate("dispatchEvent(new Event('beforeprint'))");
      expect(await page.locator('details[open]').count()).toBe(count);
      await page.evaluate("dispatchEvent(new Event('afterprint'))");
      expect(await page.locator('details[open]').count()).toBe(0);

      // Print media alone (no event): every piece of evidence is laid out, whole (no scroll box).
      await page.emulateMedia({ media: 'print' });
      const printed = await pres.evaluateAll((nodes) =>
        nodes.map((n) => {
          const el = n as unknown as { innerText: string; scrollHeight: number; clientHeight: number };
          return { text: el.innerText, clipped: el.scrollHeight > el.clientHeight + 1 };
        }),
      );
      expect(printed.map((p) => squeeze(p.text))).toEqual(evidence);
      expect(printed.filter((p) => p.clipped)).toEqual([]);

      const pdf = join(dir, 'approved.pdf');
      await page.pdf({ path: pdf, format: 'A4', printBackground: true });
      const text = squeeze(pdfText(pdf));
      expect(evidence.filter((e) => !text.includes(e))).toEqual([]);
      expect(text).toContain(squeeze('"status": "pass"'));
    });
  });

  it('draws the traffic chart legibly: versions named, legend clear of the axis, alarm label inside', async () => {
    await open(rolledBackReport, 'traffic-chart', async (page) => {
      const chart = page.getByTestId('traffic-chart');
      await chart.scrollIntoViewIfNeeded();
      const g = await trafficGeometry(chart);
      const legend = await chart.getByTestId('traffic-legend').textContent();

      // 2.0.0 went live first, so 2.0.1 came in on the other slot against it.
      expect(legend).toMatch(/green · 2\.0\.0 \(stable\)/);
      expect(legend).toMatch(/blue · 2\.0\.1 \(candidate\)/);
      expect(inside(g.legend, g.viewBox)).toBe(true);
      expect(overlap(g.legend, { ...g.axis, height: Math.max(g.axis.height, 1) })).toBe(false);
      expect(g.alarmLabels).toHaveLength(1);
      for (const label of g.alarmLabels) expect(inside(label, g.viewBox)).toBe(true);
      for (const t of g.texts)
        expect({ text: t.text, inside: inside(t.box, g.viewBox) }).toEqual({ text: t.text, inside: true });
      for (const t of g.texts.filter((x) => !x.text.startsWith('⚠')))
        expect({ text: t.text, onAlarmLabel: overlap(t.box, g.alarmLabels[0]) }).toEqual({
          text: t.text,
          onAlarmLabel: false,
        });
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

  it('charts the canary analysis of a slow candidate: each step candidate vs baseline, the verdicts, the reasons', async () => {
    await open(slowReport, 'canary-slow', async (page) => {
      const chart = page.getByTestId('canary-chart');
      await chart.scrollIntoViewIfNeeded();
      const shot = await chart.screenshot();

      expect(slowJson.canary.length).toBeGreaterThanOrEqual(1);
      expect(slowJson.canary.at(-1)).toMatchObject({ verdict: 'fail', outcome: 'failed' });
      expect(await chart.isVisible()).toBe(true);
      expect(shot.length).toBeGreaterThan(5_000);
      await expectReadableCanaryChart(chart);
      // Each step's verdict is marked under its group in both panels, and reads as the JSON says.
      for (const c of slowJson.canary) {
        const marks = chart.locator(`[data-testid="canary-verdict"][data-step="${c.step}"]`);
        expect(await marks.count()).toBe(2);
        for (const mark of await marks.all()) {
          expect(await mark.isVisible()).toBe(true);
          expect(await mark.textContent()).toBe(`${c.verdict}${c.score === null ? '' : ` ${c.score}`}`);
        }
      }
      const failed = page.locator(`[data-testid="canary-step"][data-step="${slowJson.canary.at(-1)!.step}"]`);
      await expectText(failed, /fail\s+score \d+ — rolled back \(CanaryAnalysisFailed\)/);
      for (const m of slowJson.canary.at(-1)!.metrics) {
        const row = failed.locator(`[data-testid="canary-metric"][data-metric="${m.metric}"]`);
        expect(await row.isVisible()).toBe(true);
        await expectText(row, new RegExp(`${m.verdict}\\s+${m.reason.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`));
      }
      await expectText(page.getByTestId('rollback'), /rollback succeeded.*CanaryAnalysisFailed/s);
    });
  });

  it('keeps a four-step chart readable and the judgement in print: every verdict shown, nothing folded away', async () => {
    await open(trailReport, 'canary-trail', async (page) => {
      const chart = page.getByTestId('canary-chart');
      await expectReadableCanaryChart(chart);
      const marks = await chart.getByTestId('canary-verdict').allTextContents();
      expect(marks).toEqual([
        'inconclusive',
        'pass 100',
        'marginal 88',
        'fail 13',
        'inconclusive',
        'pass 100',
        'marginal 88',
        'fail 13',
      ]);
      const legend = chart.getByTestId('canary-legend');
      expect(await legend.isVisible()).toBe(true);
      expect(await legend.textContent()).toMatch(/^candidate 3\.1\.0 \(green\)baseline \(blue, stable\)/);

      await page.emulateMedia({ media: 'print' });
      expect(await chart.isVisible()).toBe(true);
      const rows = page.getByTestId('canary-metric');
      expect(await rows.count()).toBe(13);
      for (const row of await rows.all()) expect(await row.isVisible()).toBe(true);
      await expectText(
        page.locator('[data-testid="canary-step"][data-step="4"] [data-metric="error-rate"]'),
        /5xx error rate\s+10%\s+0.5%\s+two-proportion z\s+p < 0.000001\s+fail\s+5xx rate 10% vs 0.5%/,
      );
    });
  });
});

async function expectText(locator: import('playwright-core').Locator, pattern: RegExp): Promise<void> {
  expect(await locator.innerText()).toMatch(pattern);
}
