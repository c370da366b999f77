import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { canaryLines } from '../../lambdas/core/client/summary';
import { toJson } from '../../lambdas/core/report/formats';
import { renderHtml } from '../../lambdas/core/report/html';
import { buildAuditReport, type AuditReport } from '../../lambdas/core/report/report';
import type { CanaryAnalysis } from '../../lambdas/core/steps/analysis';
import { startTrafficGenerator } from '../../local/demo';
import { runCli as run } from '../support/cli';
import { REPO_ROOT, startHarness, testConfig, type Harness } from '../support/harness';
import { CANARY_ARN, CANARY_STEPS, canaryTrail } from './canary-trail';

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The canary section of the HTML report, and within it the tbody of each step. */
function canarySection(html: string): { section: string; steps: Map<string, string> } {
  const section = /<section data-testid="canary">([\s\S]*?)<\/section>/.exec(html)?.[1] ?? '';
  const steps = new Map<string, string>();
  for (const m of section.matchAll(
    /<tbody class="canary-step" data-testid="canary-step" data-step="(\d+)"[^>]*>([\s\S]*?)<\/tbody>/g,
  ))
    steps.set(m[1], m[2]);
  return { section, steps };
}

describe('audit report of a canary go-live: each step judged, candidate against baseline', () => {
  const records = canaryTrail();
  const report = buildAuditReport({ executionArn: CANARY_ARN, records, now: new Date('2026-03-02T11:00:00Z') });
  const judged = records.filter((r) => r.step === 'AnalyzeCanary' || r.step === 'Promote');

  it('has one canary entry per judgement: the status line, the raw figures, every metric and its reason', () => {
    expect(report.canary.map((c) => [c.step, c.phase, c.weight, c.verdict, c.outcome])).toEqual([
      [1, 'bake', 5, 'inconclusive', 'succeeded'],
      [2, 'bake', 10, 'pass', 'succeeded'],
      [3, 'bake', 50, 'marginal', 'succeeded'],
      [4, 'sign-off wait', 50, 'fail', 'failed'],
    ]);
    // The same line golive status and the Slack sign-off show, from the same records.
    const lines = canaryLines(records);
    expect(lines).toHaveLength(4);
    report.canary.forEach((c, i) => {
      const analysis = judged[i].evidence as CanaryAnalysis;
      expect(c).toEqual({
        ...lines[i],
        step: i + 1,
        at: judged[i].at,
        seq: judged[i].seq,
        outcome: judged[i].outcome,
        metrics: analysis.judgement.metrics,
      });
      expect(c.figures).toEqual({ ...analysis.measurement, from: analysis.from, to: analysis.to });
    });
    expect(report.canary[3]).toMatchObject({
      score: 13,
      requests: { candidate: 400, baseline: 1600 },
      errorRate: { candidate: 0.1, baseline: 0.005 },
      p99Ms: { candidate: 250, baseline: 100 },
      figures: {
        candidate: { requests: 400, errors: 40, p50: 30, p95: 80, p99: 250 },
        baseline: { requests: 1600, errors: 8, p50: 20, p95: 50, p99: 100 },
        source: 'CloudWatch: ALB target groups',
      },
    });
    expect(report.canary[0]).toMatchObject({ score: null, p99Ms: { candidate: null, baseline: null } });
  });

  it('reads the sign-off wait from the evidence of a Promote that promoted', () => {
    const promoted = canaryTrail('promoted');
    const wait = (promoted.find((r) => r.step === 'Promote')!.evidence as { signOffWait: CanaryAnalysis }).signOffWait;
    const { canary } = buildAuditReport({ executionArn: CANARY_ARN, records: promoted });

    expect(canary.map((c) => [c.phase, c.verdict, c.outcome])).toEqual([
      ['bake', 'inconclusive', 'succeeded'],
      ['bake', 'pass', 'succeeded'],
      ['bake', 'marginal', 'succeeded'],
      ['sign-off wait', 'marginal', 'succeeded'],
    ]);
    expect(canary[3]).toMatchObject({ weight: 50, metrics: wait.judgement.metrics, figures: { from: wait.from } });
  });

  it('exports the raw figures of every step in the JSON', () => {
    const exported = JSON.parse(toJson(report)) as AuditReport;

    expect(exported.canary).toEqual(report.canary);
    expect(exported.canary.map((c) => c.figures!.candidate.requests)).toEqual(
      CANARY_STEPS.map((s) => s.candidate.requests),
    );
    expect(exported.canary[1].metrics.map((m) => [m.metric, m.test, m.verdict])).toEqual([
      ['error-rate', 'two-proportion', 'pass'],
      ['latency-p50', 'mann-whitney', 'pass'],
      ['latency-p95', 'mann-whitney', 'pass'],
      ['latency-p99', 'mann-whitney', 'pass'],
    ]);
  });

  it('charts each step candidate against baseline, verdict marked, and lists every judgement in full', () => {
    const html = renderHtml(report);
    const { section, steps } = canarySection(html);

    expect(section).toContain('<svg data-testid="canary-chart"');
    // Two panels (5xx rate, p99), each with a group per step and its verdict under it.
    expect([...section.matchAll(/data-testid="canary-panel" data-metric="(\w+)"/g)].map((m) => m[1])).toEqual([
      'errorRate',
      'p99Ms',
    ]);
    const marks = [
      ...section.matchAll(
        /data-testid="canary-verdict" data-step="(\d)" data-verdict="(\w+)">.*?<text[^>]*>([^<]+)<\/text>/g,
      ),
    ];
    const perStep = ['1 inconclusive', '2 pass 100', '3 marginal 88', '4 fail 13'];
    const labels = ['step 1 · 5%', 'step 2 · 10%', 'step 3 · 50%', 'sign-off wait · 50%'];
    expect([...section.matchAll(/text-anchor="middle">([^<]+ · \d+%)<\/text>/g)].map((m) => m[1])).toEqual([
      ...labels,
      ...labels,
    ]);
    expect(marks.map((m) => `${m[1]} ${m[3]}`)).toEqual([...perStep, ...perStep]);
    expect(section).toContain('candidate 3.1.0 (green)');
    expect(section).toContain('baseline (blue, stable)');
    // The failing judgement's bars carry its figures: 10% vs 0.5% 5xx, 250 ms vs 100 ms p99.
    expect(section).toMatch(
      /<rect data-series="candidate"[^>]*><title>5xx error rate, candidate 3\.1\.0 \(green\), sign-off wait \(50%\): 10%<\/title>/,
    );
    expect(section).toMatch(/<title>p99 latency, baseline \(blue, stable\), sign-off wait \(50%\): 100 ms<\/title>/);

    expect([...steps.keys()]).toEqual(['1', '2', '3', '4']);
    const failed = steps.get('4')!;
    expect(failed).toMatch(
      /Sign-off wait: 50% of traffic while the approvers decided, judged before promoting.*fail<\/span> score 13 — <strong>rolled back<\/strong> \(CanaryAnalysisFailed\)/,
    );
    expect(failed).toContain(
      'candidate</span> 400 requests, 40 5xx; <span class="muted">baseline</span> 1600 requests, 8 5xx',
    );
    for (const m of report.canary[3].metrics) expect(failed).toContain(`<td>${esc(m.reason)}</td>`);
    expect(failed).toMatch(
      /data-metric="error-rate" data-verdict="fail"><td>5xx error rate<\/td><td>10%<\/td><td>0.5%<\/td><td>two-proportion z<\/td><td>p &lt; 0.000001<\/td>/,
    );
    expect(failed).toMatch(
      /data-metric="latency-p99" data-verdict="fail"><td>p99 latency<\/td><td>250 ms<\/td><td>100 ms<\/td><td>ratio<\/td><td>×2.5<\/td>/,
    );
    expect(steps.get('2')).toMatch(
      /data-metric="latency-p50" data-verdict="pass">.*?<td>Mann-Whitney U<\/td><td>(p = [\d.]+; )?×1<\/td>/,
    );
    expect(steps.get('1')).toContain('too few requests to judge: candidate 30, baseline 570 (at least 50 each)');
    // Print-friendly: nothing of it folded away, nothing scripted in it.
    expect(section).not.toContain('<details');
    expect(section).not.toContain('<script');
  });

  it('says so when no canary step was analysed', () => {
    const trail = records.filter((r) => r.step !== 'AnalyzeCanary' && r.step !== 'Promote');
    const without = buildAuditReport({ executionArn: CANARY_ARN, records: trail });

    expect(without.canary).toEqual([]);
    expect(canarySection(renderHtml(without)).section).toContain('No canary step was analysed.');
  });
});

describe('golive audit of a canary rolled back by the analysis (local runtime)', () => {
  let h: Harness;
  let common: string[];
  let arn: string;
  let dir: string;

  beforeAll(async () => {
    const base = testConfig();
    h = await startHarness({
      config: testConfig({
        demo: {
          strategy: { ...base.services.demo.strategy, bakeSeconds: 3, canarySteps: [50] },
          analysis: { ...base.services.demo.analysis, minRequests: 20 },
        },
      }),
    });
    common = ['--endpoint', h.rt.endpointUrl, '--home', h.home, '--config', join(REPO_ROOT, 'golive.config.yaml')];
    dir = mkdtempSync(join(tmpdir(), 'golive-canary-report-'));
    // Slower, not failing: only the analysis rolls it back.
    h.rt.onTask('ShiftTraffic', () => h.rt.targets.get('demo')!.green.setFaults({ latencyMs: 150 }));
    const traffic = startTrafficGenerator(h.rt.targets.get('demo')!.router.url, {
      ratePerSecond: 40,
      paths: ['/api/orders'],
    });
    arn = await h.start();
    await h.finished(arn);
    await traffic.stop();
  });
  afterAll(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the step judged and rolled back in audit show, its JSON, and the exports', async () => {
    const name = arn.split(':').pop()!;
    const trail = await h.rt.store.listAudit(arn);
    const analysis = trail.find((r) => r.step === 'AnalyzeCanary')!;
    expect(analysis).toMatchObject({ outcome: 'failed', summary: expect.stringMatching(/^CanaryAnalysisFailed: /) });

    const json = await run(['audit', 'show', name, '--json', ...common]);
    expect(json).toMatchObject({ code: 0, err: '' });
    const report = JSON.parse(json.out) as AuditReport;
    expect(report.canary).toEqual([
      expect.objectContaining({
        step: 1,
        weight: 50,
        verdict: 'fail',
        outcome: 'failed',
        seq: analysis.seq,
        figures: {
          ...(analysis.evidence as CanaryAnalysis).measurement,
          from: (analysis.evidence as CanaryAnalysis).from,
          to: (analysis.evidence as CanaryAnalysis).to,
        },
        metrics: (analysis.evidence as CanaryAnalysis).judgement.metrics,
      }),
    ]);
    const step = report.canary[0];
    expect(step.figures!.source).toMatch(/^local router samples /);
    expect(step.p99Ms.candidate!).toBeGreaterThan(step.p99Ms.baseline!);

    const text = await run(['audit', 'show', name, ...common]);
    expect(text.code).toBe(0);
    const lines = text.out.split('\n');
    const at = lines.indexOf('Canary analysis (candidate vs baseline)');
    expect(at).toBeGreaterThan(0);
    expect(lines[at + 1]).toMatch(
      new RegExp(
        `^ {2}step 1 {9}50% +fail \\d+ +requests ${step.requests.candidate} vs ${step.requests.baseline}, ` +
          `5xx [\\d.]+% vs [\\d.]+%, p99 [\\d.]+ ms vs [\\d.]+ ms {2}→ rolled back$`,
      ),
    );

    const jsonFile = join(dir, 'report.json');
    const htmlFile = join(dir, 'report.html');
    expect((await run(['audit', 'export', name, '--format', 'json', '--out', jsonFile, ...common])).code).toBe(0);
    expect((await run(['audit', 'export', name, '--format', 'html', '--out', htmlFile, ...common])).code).toBe(0);
    expect((JSON.parse(readFileSync(jsonFile, 'utf8')) as AuditReport).canary).toEqual(report.canary);
    const { section, steps } = canarySection(readFileSync(htmlFile, 'utf8'));
    expect(section).toMatch(/data-testid="canary-verdict" data-step="1" data-verdict="fail"/);
    expect(steps.get('1')).toContain('<strong>rolled back</strong> (CanaryAnalysisFailed)');
    expect(steps.get('1')).toMatch(/data-metric="latency-p50" data-verdict="fail">.*<td>Mann-Whitney U<\/td>/);
  });
});
