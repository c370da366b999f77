import { createHash } from 'node:crypto';
import type { ActorVerification } from '../roles';
import { verificationLabel } from './people';
import type { MetricVerdict } from '../analysis/judge';
import type { AuditReport, CanaryReportStep, FinalReadinessItem, StepResult, TimelineStep } from './report';

/**
 * The auditor's HTML report: one self-contained file (inline CSS and SVG, one inline script, no
 * font, no network) that opens anywhere, years later. A Content-Security-Policy lets that one
 * script run (by its hash) and nothing be fetched.
 */

/** Text made safe inside HTML content and quoted attributes. */
export const escapeHtml = (value: unknown): string =>
  String(value ?? '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
const esc = escapeHtml;

const ms = (s: string | undefined) => (s ? Date.parse(s) : NaN);

export function formatMs(value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  if (value < 1000) return `${Math.round(value)} ms`;
  if (value < 60_000) return `${(value / 1000).toFixed(1)} s`;
  return `${Math.floor(value / 60_000)} min ${Math.round((value % 60_000) / 1000)} s`;
}

const RESULT_COLOR: Record<StepResult, string> = {
  succeeded: '#2e7d32',
  'bake passed': '#43a047',
  recorded: '#607d8b',
  failed: '#c62828',
  expired: '#ef6c00',
  'timed out': '#ef6c00',
  running: '#1565c0',
  interrupted: '#8e24aa',
};

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dce3;padding-bottom:4px}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:12px 16px;margin:12px 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-weight:600;color:#4a5263;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600}
.ok{background:#2e7d32}.bad{background:#c62828}.warn{background:#ef6c00}.muted{color:#69718a}
code,pre{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}pre{white-space:pre-wrap;word-break:break-all;margin:4px 0;max-height:320px;overflow:auto;background:#f3f4f7;padding:6px;border-radius:4px}
details summary{cursor:pointer;color:#3557a5}
.meta td:first-child{color:#69718a;width:160px}
.verification{font-size:11px;border-radius:8px;padding:0 6px;white-space:nowrap}.verified{background:#e3f1e4;color:#1b5e20}.unverified{background:#fff1e0;color:#a04a00}.unknown{background:#eceef2;color:#4a5263}
svg text{font:11px system-ui,sans-serif;fill:#394150}
svg text.value{font-size:10px}svg text.title{font-weight:600}svg .verdict-mark text{fill:#fff;font-size:10px;font-weight:600}
.canary-head td{background:#f3f4f7}.canary-details tr[data-metric] td:nth-child(-n+5){white-space:nowrap}svg text.muted{fill:#69718a}
svg text.halo{stroke:#fff;stroke-width:3px;paint-order:stroke}
@media print{body{background:#fff}main{max-width:none;padding:0}svg,.canary-step{break-inside:avoid}
details::details-content{content-visibility:visible;display:block}details summary{list-style:none;cursor:auto;color:#4a5263}
pre{max-height:none;overflow:visible}}
`;

/**
 * Printing opens every closed <details> so its evidence is on paper, and closes them again after.
 * Engines with ::details-content do it from the CSS above; this is for the others.
 */
const PRINT_SCRIPT =
  "(function(){var opened=[];addEventListener('beforeprint',function(){" +
  "document.querySelectorAll('details:not([open])').forEach(function(d){d.open=true;opened.push(d)})});" +
  "addEventListener('afterprint',function(){opened.splice(0).forEach(function(d){d.open=false})})})();";
const CSP =
  "default-src 'none'; style-src 'unsafe-inline'; " +
  `script-src 'sha256-${createHash('sha256').update(PRINT_SCRIPT).digest('base64')}'; base-uri 'none'; form-action 'none'`;

function badge(text: string, kind: 'ok' | 'bad' | 'warn'): string {
  return `<span class="badge ${kind}">${esc(text)}</span>`;
}

function statusBadge(status: string): string {
  return badge(status, status === 'SUCCEEDED' ? 'ok' : status === 'RUNNING' || status === 'ABORTED' ? 'warn' : 'bad');
}

/**
 * A person as the trail recorded them: their name with the id beside it, and how they were
 * verified (`unrecorded` on records older than that; nothing for golive's own steps).
 */
function person(
  report: AuditReport,
  id: string,
  recorded: { name?: string; verifiedBy?: ActorVerification } = {},
  withVerification = true,
): string {
  const name = recorded.name ?? (Object.hasOwn(report.people, id) ? report.people[id] : undefined);
  const label = name && name !== id ? `${esc(name)} <span class="muted">(${esc(id)})</span>` : esc(id);
  if (!withVerification || (id === 'system' && (recorded.verifiedBy ?? 'system') === 'system')) {
    return `<span data-testid="person">${label}</span>`;
  }
  return `<span data-testid="person">${label} ${verification(recorded.verifiedBy)}</span>`;
}

function verification(verifiedBy: ActorVerification | undefined): string {
  const text = verificationLabel(verifiedBy);
  const kind =
    verifiedBy === 'slack' || verifiedBy === 'iam' ? 'verified' : verifiedBy === 'local' ? 'unverified' : 'unknown';
  return `<span class="verification ${kind}" data-testid="verification">${esc(text)}</span>`;
}

/** What each final status reads as in the checklist: an item still `to-attest` at the end was never attested. */
const ITEM_LABEL: Record<string, [string, 'ok' | 'bad' | 'warn']> = {
  pass: ['passed', 'ok'],
  attested: ['attested', 'ok'],
  waived: ['waived', 'warn'],
  'n/a': ['n/a', 'ok'],
  fail: ['failed', 'bad'],
};

/**
 * Where an answer was given: with an approval (a vote at the same instant by the same person), at
 * the sign-off without voting (`golive attest`, Slack), or before the go-live (`golive readiness`:
 * applied by CheckReadiness, so no sign-off decision names it).
 */
function answeredHow(report: AuditReport, i: FinalReadinessItem, answer: { by: string; at: string }): string {
  if (i.decidedBy?.id !== answer.by) return 'before the go-live (golive readiness)';
  const withVote = report.decisions.some(
    (d) => d.step === 'SignOff' && d.action === 'approve' && d.actor === answer.by && d.at === answer.at,
  );
  return withVote ? 'at the sign-off, with their approval' : 'at the sign-off, without voting (golive attest)';
}

/**
 * An item's final state: passed with what was found, attested by whom, when and where, waived by
 * whom, when and why, failed with the fix, or never attested.
 */
function itemStatus(report: AuditReport, i: FinalReadinessItem): string {
  const answer = i.waiver ?? i.attestation;
  if (answer) {
    const who = person(report, answer.by, i.decidedBy?.id === answer.by ? i.decidedBy : {});
    return (
      `${badge(i.waiver ? 'waived' : 'attested', i.waiver ? 'warn' : 'ok')}` +
      `<br><span class="muted">${i.waiver ? 'waived' : 'attested'} by</span> ${who}` +
      `<br><span class="muted">at ${esc(answer.at)}</span> <span class="muted" data-testid="answered-how">${esc(answeredHow(report, i, answer))}</span>` +
      (i.waiver
        ? `<br><span data-testid="waiver-reason">${esc(i.waiver.reason)}</span> <span class="muted">(was ${esc(ITEM_LABEL[i.waiver.was]?.[0] ?? 'not attested')})</span>`
        : i.attestation?.note
          ? `<br>${esc(i.attestation.note)}`
          : '')
    );
  }
  if (i.status === 'to-attest') {
    return (
      `${badge('never attested', i.required ? 'bad' : 'warn')}` +
      `<br><span class="muted">nobody ${esc(i.attestRole ? `of ${i.attestRole} ` : '')}attested${i.required ? '' : ' this advisory item'}` +
      `${i.attesters.length ? ` (could: ${esc(i.attesters.join(', '))})` : ''}</span>`
    );
  }
  const [label, kind] = ITEM_LABEL[i.status] ?? [i.status, 'bad'];
  return `${badge(label, kind)}${i.summary ? `<br><span class="muted">${esc(i.summary)}</span>` : ''}`;
}

function evidenceBlock(evidence: unknown): string {
  if (evidence === undefined) return '<span class="muted">—</span>';
  return `<details><summary>evidence</summary><pre>${esc(JSON.stringify(evidence, null, 2))}</pre></details>`;
}

/** Time axis shared by both charts: execution start to end (or now). */
function axis(report: AuditReport): { t0: number; t1: number } {
  const times = [
    ms(report.execution.startedAt),
    ms(report.execution.stoppedAt),
    ...report.steps.flatMap((s) => [ms(s.startedAt), ms(s.endedAt)]),
    ...report.records.map((r) => ms(r.at)),
  ].filter((t) => !Number.isNaN(t));
  const t0 = Math.min(...times);
  const t1 = Math.max(...times, t0 + 1);
  return { t0, t1 };
}

function timelineSvg(report: AuditReport): string {
  const steps = report.steps;
  if (steps.length === 0) return '<p class="muted">No step ran.</p>';
  const { t0, t1 } = axis(report);
  const left = 190;
  const width = 860;
  const row = 22;
  const height = steps.length * row + 30;
  // Room on the right for the last bar's duration label.
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (width - left - 70);
  const bars = steps.map((s, i) => {
    const start = Number.isNaN(ms(s.startedAt)) ? ms(s.endedAt) : ms(s.startedAt);
    const end = Number.isNaN(ms(s.endedAt)) ? t1 : ms(s.endedAt);
    const bx = x(start);
    const bw = Math.max(3, x(end) - bx);
    const y = i * row + 4;
    return (
      `<g data-step="${esc(s.name)}"><text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(s.name)}</text>` +
      `<rect x="${bx.toFixed(1)}" y="${y + 3}" width="${bw.toFixed(1)}" height="${row - 8}" rx="3" fill="${RESULT_COLOR[s.result]}">` +
      `<title>${esc(`${s.name}: ${s.result}, ${formatMs(s.durationMs)}`)}</title></rect>` +
      `<text x="${(bx + bw + 4).toFixed(1)}" y="${y + 14}">${esc(formatMs(s.durationMs))}</text></g>`
    );
  });
  const axisY = steps.length * row + 12;
  return (
    `<svg data-testid="timeline-chart" role="img" aria-label="Timeline of the steps" viewBox="0 0 ${width} ${height}" width="100%">` +
    bars.join('') +
    `<line x1="${left}" y1="${axisY}" x2="${x(t1)}" y2="${axisY}" stroke="#9aa1b1"/>` +
    `<text x="${left}" y="${axisY + 14}">0 s</text>` +
    `<text x="${x(t1)}" y="${axisY + 14}" text-anchor="end">${esc(formatMs(t1 - t0))}</text></svg>`
  );
}

const SLOT_COLOR: Record<string, string> = { blue: '#1e63c8', green: '#1f9d55' };

/** Rough width of a label at the charts' 11 px font: enough to place it, the browser test checks the result. */
const textWidth = (text: string) => text.length * 6.6;

/** Each slot's line, named by its version and role: "green · 2.0.0 (candidate)". */
function trafficSeries(report: AuditReport): { slot: 'blue' | 'green'; label: string; color: string }[] {
  const { candidateSlot, stableVersion } = report.traffic;
  const stableSlot =
    report.traffic.stableSlot ?? (candidateSlot === 'blue' ? 'green' : candidateSlot ? 'blue' : undefined);
  return (['blue', 'green'] as const).map((slot) => {
    const role = slot === candidateSlot ? 'candidate' : slot === stableSlot ? 'stable' : undefined;
    const version =
      role === 'candidate'
        ? report.execution.version
        : role === 'stable'
          ? (stableVersion ?? 'version not recorded')
          : undefined;
    return {
      slot,
      label: role ? `${slot} · ${version ?? '?'} (${role})` : slot,
      color: SLOT_COLOR[slot],
    };
  });
}

/**
 * Traffic share of each slot over time: the legend (slots named by version) above the plot, the
 * time axis below it, each alarm a dashed line whose label stays inside the chart (it flips to the
 * left of the line near the right edge).
 */
function trafficSvg(report: AuditReport): string {
  const { points, alarms } = report.traffic;
  if (points.length === 0) return '<p class="muted">Traffic was never changed.</p>';
  const { t0, t1 } = axis(report);
  const left = 50;
  const right = 16;
  const width = 860;
  const legendY = 16;
  const top = 34;
  const plotH = 180;
  const axisY = top + plotH;
  const height = axisY + 30;
  const x = (t: number) => left + ((t - t0) / (t1 - t0)) * (width - left - right);
  const y = (pct: number) => top + plotH - (pct / 100) * plotH;
  const series = trafficSeries(report);
  const line = (slot: 'blue' | 'green') => {
    let d = '';
    points.forEach((p, i) => {
      const px = x(ms(p.at)).toFixed(1);
      d += i === 0 ? `M${px},${y(p[slot])}` : `H${px}V${y(p[slot])}`;
    });
    d += `H${x(t1).toFixed(1)}`;
    return `<path data-series="${slot}" d="${d}" fill="none" stroke="${SLOT_COLOR[slot]}" stroke-width="2.5"/>`;
  };
  let lx = left;
  const legendItems = series.map((s) => {
    const item =
      `<line x1="${lx}" x2="${lx + 18}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="${s.color}" stroke-width="2.5"/>` +
      `<text x="${lx + 24}" y="${legendY}" data-series="${s.slot}">${esc(s.label)}</text>`;
    lx += 24 + textWidth(s.label) + 28;
    return item;
  });
  if (alarms.length) {
    legendItems.push(
      `<line x1="${lx}" x2="${lx + 18}" y1="${legendY - 4}" y2="${legendY - 4}" stroke="#c62828" stroke-width="2" stroke-dasharray="4 3"/>` +
        `<text x="${lx + 24}" y="${legendY}">alarm</text>`,
    );
  }
  const legend = `<g data-testid="traffic-legend">${legendItems.join('')}</g>`;
  const grid = [0, 50, 100]
    .map(
      (p) =>
        `<line x1="${left}" x2="${width - right}" y1="${y(p)}" y2="${y(p)}" stroke="#e1e4ea"/><text x="${left - 6}" y="${y(p) + 4}" text-anchor="end">${p}%</text>`,
    )
    .join('');
  const marks = alarms
    .map((a, i) => {
      const ax = x(ms(a.at));
      const label = `⚠ ${a.name}`;
      // Right of the line unless that would run past the plot's edge; stacked when several fire.
      const flip = ax + 4 + textWidth(label) > width - right;
      const ly = top + 14 + (i % 4) * 14;
      return (
        `<g data-testid="alarm-marker"><line x1="${ax.toFixed(1)}" x2="${ax.toFixed(1)}" y1="${top}" y2="${axisY}" stroke="#c62828" stroke-width="2" stroke-dasharray="4 3"/>` +
        `<text class="halo" data-testid="alarm-label" x="${ax.toFixed(1)}" y="${ly}" dx="${flip ? -4 : 4}" text-anchor="${flip ? 'end' : 'start'}" fill="#c62828">${esc(label)}</text>` +
        `<title>${esc(a.summary)}</title></g>`
      );
    })
    .join('');
  const dots = points
    .map(
      (p) =>
        `<circle cx="${x(ms(p.at)).toFixed(1)}" cy="${y(p.green)}" r="3" fill="${SLOT_COLOR.green}"><title>${esc(`${p.step} at ${p.at}: blue ${p.blue}% / green ${p.green}%`)}</title></circle>`,
    )
    .join('');
  return (
    `<svg data-testid="traffic-chart" role="img" aria-label="Traffic weights over time" viewBox="0 0 ${width} ${height}" width="100%">` +
    legend +
    grid +
    `<line data-testid="traffic-axis" x1="${left}" x2="${width - right}" y1="${axisY}" y2="${axisY}" stroke="#9aa1b1"/>` +
    line('blue') +
    line('green') +
    dots +
    marks +
    `<text x="${left}" y="${axisY + 18}">0 s</text><text x="${width - right}" y="${axisY + 18}" text-anchor="end">${esc(formatMs(t1 - t0))}</text></svg>`
  );
}

const VERDICT_COLOR: Record<string, string> = {
  pass: '#2e7d32',
  marginal: '#ef6c00',
  fail: '#c62828',
  inconclusive: '#607d8b',
};
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** A 5xx rate (a fraction) as a percentage: 0.0123 → "1.23%". */
export function pctText(v: number | null | undefined): string {
  return typeof v === 'number' ? `${round(v * 100, 2)}%` : 'n/a';
}

/** A latency, short enough to sit above a bar: "1.2 ms", "87 ms", "1234 ms". */
export function msText(v: number | null | undefined): string {
  return typeof v === 'number' ? `${v < 10 ? round(v, 1) : Math.round(v)} ms` : 'n/a';
}

/** The smallest 1, 2 or 5 × 10ⁿ at or above v: a round top for an axis. */
function niceCeil(v: number): number {
  const p = 10 ** Math.floor(Math.log10(v));
  const m = v / p;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

/** "step 2" for a bake's judgement, "sign-off wait" for the one Promote made before promoting. */
export function judgedStepName(s: Pick<CanaryReportStep, 'step' | 'phase'>): string {
  return s.phase === 'sign-off wait' ? 'sign-off wait' : `step ${s.step}`;
}

/** "fail 25 (flagged)": a step's verdict as marked under it. */
export function verdictText(s: CanaryReportStep): string {
  return `${s.verdict}${s.score === null ? '' : ` ${s.score}`}${s.flagged ? ' (flagged)' : ''}`;
}

/** Slot names and colours of the candidate and the baseline (the stable slot). */
function canarySeries(report: AuditReport): { name: string; label: string; color: string }[] {
  const candidate = report.traffic.candidateSlot;
  const stable =
    report.traffic.stableSlot ?? (candidate === 'blue' ? 'green' : candidate === 'green' ? 'blue' : undefined);
  const version = (v: string | undefined) => (v ? ` ${v}` : '');
  return [
    {
      name: 'candidate',
      label: `candidate${version(report.execution.version)}${candidate ? ` (${candidate})` : ''}`,
      color: SLOT_COLOR[candidate ?? ''] ?? '#d9822b',
    },
    {
      name: 'baseline',
      label: `baseline${version(report.traffic.stableVersion)}${stable ? ` (${stable}, stable)` : ' (stable)'}`,
      color: SLOT_COLOR[stable ?? ''] ?? '#4a74c9',
    },
  ];
}

/**
 * Candidate against baseline per canary step: grouped bars for the 5xx rate and for p99 latency,
 * each step's traffic share and verdict marked under its group, the legend above the plots.
 * Widths are fixed per step (never squeezed), so no label is cut off however many steps ran.
 */
function canarySvg(report: AuditReport): string {
  const steps = report.canary;
  const series = canarySeries(report);
  const groupW = 130;
  const panelW = Math.max(340, steps.length * groupW);
  const left = 64;
  // Room between the panels for the second one's axis labels.
  const gap = 90;
  const width = left + panelW + gap + panelW + 16;
  const top = 60;
  const plotH = 150;
  const axisY = top + plotH;
  const height = axisY + 54;
  const panels = [
    { key: 'errorRate' as const, title: '5xx error rate', text: pctText, floor: 0.01, x0: left },
    { key: 'p99Ms' as const, title: 'p99 latency', text: msText, floor: 1, x0: left + panelW + gap },
  ];
  let lx = left;
  const legendItems = series.map((s) => {
    const item =
      `<rect x="${lx}" y="6" width="12" height="12" rx="2" fill="${s.color}"/>` +
      `<text x="${lx + 18}" y="16">${esc(s.label)}</text>`;
    lx += 18 + textWidth(s.label) + 28;
    return item;
  });
  const legend =
    `<g data-testid="canary-legend">${legendItems.join('')}` +
    `<text x="${lx}" y="16" class="muted">verdict and score under each step</text></g>`;
  const body = panels.map((panel) => {
    const values = steps.flatMap((s) => [s[panel.key].candidate, s[panel.key].baseline]);
    const top0 = niceCeil(Math.max(panel.floor, ...values.filter((v): v is number => typeof v === 'number')));
    const y = (v: number) => axisY - (v / top0) * plotH;
    const grid = [0, top0 / 2, top0]
      .map(
        (v) =>
          `<line x1="${panel.x0}" x2="${panel.x0 + panelW}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}" stroke="#e1e4ea"/>` +
          `<text x="${panel.x0 - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${esc(panel.text(v))}</text>`,
      )
      .join('');
    const gw = panelW / steps.length;
    const barW = Math.min(40, gw * 0.3);
    const groups = steps.map((s, i) => {
      const cx = panel.x0 + i * gw + gw / 2;
      const bars = series.map((serie, j) => {
        const v = s[panel.key][serie.name as 'candidate' | 'baseline'];
        const bx = j === 0 ? cx - barW - 2 : cx + 2;
        const label = `<text class="value" x="${(bx + barW / 2).toFixed(1)}" y="${((typeof v === 'number' ? y(v) : axisY) - 4).toFixed(1)}" text-anchor="middle">${esc(panel.text(v))}</text>`;
        if (typeof v !== 'number') return label;
        return (
          `<rect data-series="${serie.name}" x="${bx.toFixed(1)}" y="${y(v).toFixed(1)}" width="${barW.toFixed(1)}" height="${Math.max(0, axisY - y(v)).toFixed(1)}" fill="${serie.color}">` +
          `<title>${esc(`${panel.title}, ${serie.label}, ${judgedStepName(s)} (${s.weight}%): ${panel.text(v)}`)}</title></rect>${label}`
        );
      });
      const mark = verdictText(s);
      const markW = 12 + mark.length * 6.4;
      return (
        `<g data-step="${s.step}">${bars.join('')}` +
        `<text x="${cx.toFixed(1)}" y="${axisY + 16}" text-anchor="middle">${judgedStepName(s)} · ${s.weight}%</text>` +
        `<g class="verdict-mark" data-testid="canary-verdict" data-step="${s.step}" data-verdict="${esc(s.verdict)}">` +
        `<rect x="${(cx - markW / 2).toFixed(1)}" y="${axisY + 24}" width="${markW.toFixed(1)}" height="18" rx="9" fill="${VERDICT_COLOR[s.verdict] ?? '#607d8b'}"/>` +
        `<text x="${cx.toFixed(1)}" y="${axisY + 37}" text-anchor="middle">${esc(mark)}</text></g></g>`
      );
    });
    return (
      `<g data-testid="canary-panel" data-metric="${panel.key}">` +
      `<text class="title" x="${panel.x0}" y="${top - 14}">${esc(panel.title)}</text>${grid}` +
      `<line data-testid="canary-axis" x1="${panel.x0}" x2="${panel.x0 + panelW}" y1="${axisY}" y2="${axisY}" stroke="#9aa1b1"/>` +
      `${groups.join('')}</g>`
    );
  });
  return (
    `<svg data-testid="canary-chart" role="img" aria-label="Canary analysis: candidate against baseline per step" viewBox="0 0 ${width} ${height}" width="100%">` +
    `${legend}${body.join('')}</svg>`
  );
}

const METRIC_NAME: Record<string, string> = {
  'error-rate': '5xx error rate',
  'latency-p50': 'p50 latency',
  'latency-p95': 'p95 latency',
  'latency-p99': 'p99 latency',
};
const TEST_NAME: Record<string, string> = {
  'two-proportion': 'two-proportion z',
  'mann-whitney': 'Mann-Whitney U',
  ratio: 'ratio',
  none: '—',
};

function metricValue(m: MetricVerdict, v: number | null): string {
  if (v === null || v === undefined) return '—';
  return m.metric === 'error-rate' ? pctText(v) : `${v} ms`;
}

/** "p = 0.0132; ×1.52": the test's one-sided p-value and the candidate / baseline ratio, where they apply. */
function testFigures(m: MetricVerdict): string {
  const parts: string[] = [];
  if (typeof m.pValue === 'number') parts.push(m.pValue < 0.000001 ? 'p < 0.000001' : `p = ${m.pValue}`);
  if (typeof m.ratio === 'number') parts.push(`×${m.ratio}`);
  // Infinity (a baseline of 0) is null once stored as JSON.
  else if (m.ratio === null && m.baseline === 0) parts.push('×∞');
  return parts.length ? parts.join('; ') : '—';
}

function canaryDetails(report: AuditReport): string {
  const head = (s: CanaryReportStep) => {
    const f = s.figures;
    const served = (m: { requests?: number; errors?: number } | undefined) =>
      `${m?.requests ?? '?'} requests, ${m?.errors ?? '?'} 5xx`;
    const name =
      s.phase === 'sign-off wait'
        ? `Sign-off wait: ${s.weight}% of traffic while the approvers decided, judged before promoting`
        : `Step ${s.step}: ${s.weight}% of traffic`;
    const acted = s.flagged
      ? ' — <strong>flagged, not acted on</strong> (analysis.onFail: flag)'
      : s.outcome === 'failed'
        ? ' — <strong>rolled back</strong> (CanaryAnalysisFailed)'
        : '';
    return (
      `<tr class="canary-head"><td colspan="7"><strong>${esc(name)}</strong> ` +
      `<span class="badge" style="background:${VERDICT_COLOR[s.verdict] ?? '#607d8b'}">${esc(s.verdict)}</span>` +
      ` score ${s.score === null ? '—' : s.score}${acted}<br>` +
      `<span class="muted">window</span> ${esc(f?.from ?? '?')} → ${esc(f?.to ?? '?')}; ` +
      `<span class="muted">candidate</span> ${esc(served(f?.candidate))}; <span class="muted">baseline</span> ${esc(served(f?.baseline))}` +
      `${f?.source ? `<br><span class="muted">source: ${esc(f.source)}</span>` : ''}</td></tr>`
    );
  };
  const row = (m: MetricVerdict) =>
    `<tr data-testid="canary-metric" data-metric="${esc(m.metric)}" data-verdict="${esc(m.verdict)}">` +
    `<td>${esc(METRIC_NAME[m.metric] ?? m.metric)}</td><td>${esc(metricValue(m, m.candidate))}</td><td>${esc(metricValue(m, m.baseline))}</td>` +
    `<td>${esc(TEST_NAME[m.test] ?? m.test)}</td><td>${esc(testFigures(m))}</td>` +
    `<td><span class="badge" style="background:${VERDICT_COLOR[m.verdict] ?? '#607d8b'}">${esc(m.verdict)}</span></td><td>${esc(m.reason)}</td></tr>`;
  return (
    `<table class="canary-details" data-testid="canary-details"><thead><tr><th>metric</th><th>candidate</th><th>baseline</th><th>test</th><th>p-value / ratio</th><th>verdict</th><th>reason</th></tr></thead>` +
    report.canary
      .map(
        (s) =>
          `<tbody class="canary-step" data-testid="canary-step" data-step="${s.step}" data-phase="${esc(s.phase)}" data-verdict="${esc(s.verdict)}">${head(s)}${s.metrics.map(row).join('')}</tbody>`,
      )
      .join('') +
    '</table>'
  );
}

/** The canary analysis section: the chart, then every step's judgement in full (nothing folded away: it prints). */
function canarySection(report: AuditReport): string {
  if (report.canary.length === 0)
    return '<section data-testid="canary"><p class="muted">No canary step was analysed.</p></section>';
  return `<section data-testid="canary">${canarySvg(report)}\n${canaryDetails(report)}</section>`;
}

/** The CheckReadiness row shows the checklist as first checked; answers at the sign-off came later. */
function readinessNote(report: AuditReport, s: TimelineStep): string {
  if (s.name !== 'CheckReadiness' || !report.readiness?.answeredAt) return '';
  return (
    `<br><span class="muted" data-testid="readiness-note">as checked before the sign-off; attestations and waivers given ` +
    `up to ${esc(report.readiness.answeredAt)} are in the Readiness checklist below</span>`
  );
}

function stepRow(report: AuditReport, s: TimelineStep, t0: number): string {
  const offset = Number.isNaN(ms(s.startedAt)) ? '—' : `+${formatMs(ms(s.startedAt) - t0)}`;
  const color = RESULT_COLOR[s.result];
  return (
    `<tr data-testid="timeline-row"><td>${esc(s.name)}</td><td title="${esc(s.startedAt)}">${esc(s.startedAt ?? '—')}<br><span class="muted">${esc(offset)}</span></td>` +
    `<td>${esc(formatMs(s.durationMs))}</td><td><span class="badge" style="background:${color}">${esc(s.result)}</span>` +
    `${s.attempts > 1 ? ` <span class="muted">(${s.attempts} attempts)</span>` : ''}` +
    `${s.error ? `<br><code>${esc(s.error)}</code>` : ''}</td>` +
    `<td>${esc(s.summary ?? s.cause ?? '')}${readinessNote(report, s)}${s.actor && s.actor !== 'system' ? ` <span class="muted">by</span> ${person(report, s.actor, { name: s.actorName, verifiedBy: s.verifiedBy })}` : ''}${evidenceBlock(s.evidence)}</td></tr>`
  );
}

export function renderHtml(report: AuditReport): string {
  const e = report.execution;
  const { t0 } = axis(report);
  const chain = report.chain;
  const chainHtml = chain.intact
    ? `${badge('chain intact', 'ok')} ${chain.recordCount} records; final hash <code data-testid="final-hash">${esc(chain.finalHash)}</code>`
    : `${badge('chain ALTERED', 'bad')} first bad record: #${chain.badSeq} (${esc(chain.reason)})`;
  const r = report.readiness;
  const readiness = r
    ? `<p>${r.passed ? badge('ready', 'ok') : badge('not ready', 'bad')} checked ${esc(r.checkedAt ?? '')}` +
      `${r.answeredAt ? `; as it stood after the sign-off (last answer ${esc(r.answeredAt)})` : ''}.` +
      `${r.awaitingAttestation.length ? ` Never attested nor waived: ${esc(r.awaitingAttestation.join(', '))}.` : ''}</p>
<table data-testid="readiness"><tr><th>item</th><th>category</th><th>required</th><th>status</th><th>evidence</th></tr>
${r.items
  .map(
    (i) =>
      `<tr data-testid="readiness-item" data-item="${esc(i.id)}" data-status="${esc(i.status)}"><td>${esc(i.title)}${i.fix ? `<br><span class="muted">fix: ${esc(i.fix)}</span>` : ''}</td><td>${esc(i.category)}</td><td>${i.required ? 'yes' : 'no'}</td>` +
      `<td>${itemStatus(report, i)}</td><td>${evidenceBlock(i.evidence)}</td></tr>`,
  )
  .join('\n')}</table>`
    : '<p class="muted">The readiness checklist did not run.</p>';
  const a = report.approval;
  const approvals =
    a.requestedAt === undefined && a.votes.length === 0
      ? '<p class="muted">No sign-off was requested.</p>'
      : `<p>Requested ${esc(a.requestedAt ?? '—')} from ${a.approvers.map((id) => person(report, id, {}, false)).join(', ')}; ${esc(a.minApprovals ?? '?')} approval(s) needed before ${esc(a.expiresAt ?? '—')}.
${a.outcome ? ` Outcome: ${badge(a.outcome.status, a.outcome.status === 'approved' ? 'ok' : 'bad')} at ${esc(a.outcome.at)}${a.outcome.by !== 'system' ? ` by ${person(report, a.outcome.by, { name: a.outcome.byName, verifiedBy: a.outcome.verifiedBy })}` : ''}.` : ''}</p>
<table data-testid="approvals"><tr><th>who</th><th>decision</th><th>when</th><th>reason</th></tr>
${a.votes.map((v) => `<tr data-testid="vote"><td>${person(report, v.voter, { name: v.voterName, verifiedBy: v.verifiedBy })}</td><td>${badge(v.decision, v.decision === 'approve' ? 'ok' : 'bad')}</td><td>${esc(v.at)}</td><td>${esc(v.reason ?? '—')}</td></tr>`).join('\n')}</table>`;
  const rollback = report.rollback
    ? `<section data-testid="rollback"><p>${badge(`rollback ${report.rollback.outcome}`, report.rollback.outcome === 'succeeded' ? 'warn' : 'bad')} at ${esc(report.rollback.at)} after <code>${esc(report.rollback.error ?? e.error ?? '?')}</code></p><p>${esc(report.rollback.summary)}</p>${
        report.rollback.weights
          ? `<p>traffic after the rollback: blue ${report.rollback.weights.blue}% / green ${report.rollback.weights.green}%</p>`
          : ''
      }</section>`
    : '<section data-testid="rollback"><p class="muted">No rollback: nothing failed.</p></section>';
  const decisions = report.decisions.length
    ? `<table><tr><th>when</th><th>who</th><th>step</th><th>what</th></tr>${report.decisions
        .map(
          (d) =>
            `<tr data-testid="decision"><td>${esc(d.at)}</td><td>${person(report, d.actor, { name: d.actorName, verifiedBy: d.verifiedBy })}</td><td>${esc(d.step)}</td><td>${esc(d.summary)}</td></tr>`,
        )
        .join('')}</table>`
    : '<p class="muted">No human or alarm decision.</p>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${esc(CSP)}">
<title>golive audit report — ${esc(e.name)}</title><style>${CSS}</style></head>
<body><main>
<h1>Go-live audit report: ${esc(e.service ?? '?')} ${esc(e.version ?? '')} ${statusBadge(e.status)}</h1>
<p class="muted">execution ${esc(e.executionArn)} — report generated ${esc(report.generatedAt)}</p>
${
  e.breakGlass
    ? `<section data-testid="break-glass" style="border-color:#c62828"><strong>🚨 Break-glass</strong> inside change freeze ${esc(e.breakGlass.freeze ?? '?')}: ${esc(e.breakGlass.reason)}. ${
        e.breakGlass.decision
          ? `${esc(e.breakGlass.decision)} by ${e.breakGlass.by.map((u) => person(report, u)).join(', ') || '—'}`
          : 'not decided by the emergency role'
      }</section>`
    : ''
}${e.undo ? '<section data-testid="undo"><strong>Undo</strong> (golive rollback): the version live before, through the fast path.</section>' : ''}
<section><table class="meta">
<tr><td>requested by</td><td data-testid="requested-by">${e.requestedBy ? person(report, e.requestedBy, { name: e.requestedByName, verifiedBy: e.requestedByVerification }) : '—'}</td></tr>
<tr><td>strategy</td><td>${esc(e.strategy ?? '—')}</td></tr>
<tr><td>started</td><td>${esc(e.startedAt ?? '—')}</td></tr>
<tr><td>ended</td><td>${esc(e.stoppedAt ?? '—')} (${esc(formatMs(e.durationMs))})</td></tr>
${e.stepFunctionsStatus ? `<tr><td>Step Functions status</td><td>${esc(e.stepFunctionsStatus)}</td></tr>` : ''}
${(e.retries ?? []).map((r) => `<tr><td>retried</td><td>${person(report, r.by)} at ${esc(r.at)}: ${esc(r.summary)}</td></tr>`).join('')}
${e.error ? `<tr><td>error</td><td><code>${esc(e.error)}</code> ${esc(e.cause ?? '')}</td></tr>` : ''}
<tr><td>audit chain</td><td data-testid="chain">${chainHtml}</td></tr>
<tr><td>sources</td><td>${report.sources.auditRecords} audit records, ${report.sources.historyEvents} Step Functions history events${report.sources.historyUnavailable ? ` — history unavailable: ${esc(report.sources.historyUnavailable)}` : ''}</td></tr>
</table></section>
<h2>Timeline</h2>
<section data-testid="timeline">${timelineSvg(report)}
<table><tr><th>step</th><th>start</th><th>duration</th><th>result</th><th>what happened</th></tr>
${report.steps.map((s) => stepRow(report, s, t0)).join('\n')}</table></section>
<h2>Readiness checklist</h2>
<section>${readiness}</section>
<h2>Approvals</h2>
<section data-testid="approval">${approvals}</section>
<h2>Traffic</h2>
<section>${trafficSvg(report)}
${report.traffic.alarms.length ? `<ul>${report.traffic.alarms.map((al) => `<li>⚠ ${esc(al.at)} ${esc(al.name)}: ${esc(al.summary)}</li>`).join('')}</ul>` : '<p class="muted">No alarm fired.</p>'}</section>
<h2>Canary analysis</h2>
${canarySection(report)}
<h2>Rollback</h2>
${rollback}
<h2>Decisions</h2>
<section>${decisions}</section>
<h2>Audit chain</h2>
<section><p>${chainHtml}</p>
<table><tr><th>#</th><th>at</th><th>step</th><th>action</th><th>actor</th><th>outcome</th><th>hash</th></tr>
${report.records.map((r) => `<tr><td>${r.seq}</td><td>${esc(r.at)}</td><td>${esc(r.step)}</td><td>${esc(r.action)}</td><td>${person(report, r.actor, { name: r.actorName, verifiedBy: r.verifiedBy })}</td><td>${esc(r.outcome)}</td><td><code title="${esc(r.hash)}">${esc(r.hash.slice(0, 12))}…</code></td></tr>`).join('\n')}</table></section>
</main><script>${PRINT_SCRIPT}</script></body></html>
`;
}
