import { escapeHtml as esc } from '../report/html';
import type { DoraMetrics, DoraReport } from './metrics';
import { durationText, metricTexts } from './text';

/**
 * The DORA dashboard: one self-contained file (inline CSS and SVG, no script, no font, no network),
 * like the audit report: the four metrics overall, then per service, then the failures behind them.
 */

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #d8dce3;padding-bottom:4px}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:12px 16px;margin:12px 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-weight:600;color:#4a5263;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
.cards{display:grid;grid-template-columns:repeat(4,1fr);gap:12px}.card{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:12px 16px}
.card .label{color:#69718a;font-size:12px;text-transform:uppercase;letter-spacing:.03em}.card .value{font-size:24px;font-weight:600;margin:4px 0}
.muted{color:#69718a}code{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,monospace}
svg text{font:11px system-ui,sans-serif;fill:#394150}
@media print{body{background:#fff}main{max-width:none;padding:0}}
`;

const pct = (rate: number | null) => (rate === null ? 'n/a' : `${Math.round(rate * 100)}%`);

function cards(m: DoraMetrics): string {
  const t = metricTexts(m);
  const card = (id: string, label: string, value: string, detail: string) =>
    `<div class="card" data-metric="${id}"><div class="label">${esc(label)}</div><div class="value">${esc(value)}</div><div class="muted">${esc(detail)}</div></div>`;
  return `<div class="cards">${[
    card('deploymentFrequency', 'Deployment frequency', `${m.deploymentFrequency.count}`, t.deploymentFrequency),
    card('changeFailureRate', 'Change failure rate', pct(m.changeFailureRate.rate), t.changeFailureRate),
    card('timeToRestore', 'Time to restore', durationText(m.timeToRestore.medianMs), t.timeToRestore),
    card('leadTime', 'Lead time for changes', durationText(m.leadTime.medianMs), t.leadTime),
  ].join('')}</div>`;
}

/** Successful go-lives and failures in production per service, as horizontal bars. */
function servicesSvg(report: DoraReport): string {
  const rows = Object.entries(report.services);
  if (rows.length === 0) return '';
  const max = Math.max(1, ...rows.map(([, m]) => m.deploymentFrequency.count + m.changeFailureRate.failed));
  const width = 640;
  const left = 160;
  const scale = (width - left - 60) / max;
  const bars = rows
    .map(([name, m], i) => {
      const y = 10 + i * 26;
      const ok = m.deploymentFrequency.count * scale;
      const bad = m.changeFailureRate.failed * scale;
      return (
        `<text x="${left - 8}" y="${y + 13}" text-anchor="end">${esc(name)}</text>` +
        `<rect x="${left}" y="${y}" width="${ok}" height="18" fill="#2e7d32"><title>${m.deploymentFrequency.count} successful go-live(s)</title></rect>` +
        `<rect x="${left + ok}" y="${y}" width="${bad}" height="18" fill="#c62828"><title>${m.changeFailureRate.failed} failed in production</title></rect>` +
        `<text x="${left + ok + bad + 6}" y="${y + 13}">${m.deploymentFrequency.count} ok / ${m.changeFailureRate.failed} failed</text>`
      );
    })
    .join('');
  return `<svg role="img" aria-label="go-lives per service" width="${width}" height="${20 + rows.length * 26}" viewBox="0 0 ${width} ${20 + rows.length * 26}">${bars}</svg>`;
}

function serviceTable(report: DoraReport): string {
  const rows = Object.entries(report.services);
  if (rows.length === 0) return '<p class="muted">No go-live ended in this period.</p>';
  return `<table><tr><th>service</th><th>deployment frequency</th><th>change failure rate</th><th>time to restore</th><th>lead time</th></tr>${rows
    .map(([name, m]) => {
      const t = metricTexts(m);
      return `<tr data-service="${esc(name)}"><td><b>${esc(name)}</b></td><td>${esc(t.deploymentFrequency)}</td><td>${esc(t.changeFailureRate)}</td><td>${esc(t.timeToRestore)}</td><td>${esc(t.leadTime)}</td></tr>`;
    })
    .join('')}</table>`;
}

function failureTable(report: DoraReport): string {
  const failures = report.changeFailureRate.failures;
  if (failures.length === 0) return '<p class="muted">No go-live failed in production.</p>';
  const restore = new Map(report.timeToRestore.restored.map((r) => [r.failure.executionId, r]));
  const open = new Map(report.timeToRestore.open.map((o) => [o.failure.executionId, o]));
  const name = (id: string) => id.split(':').pop() ?? id;
  return `<table><tr><th>go-live</th><th>service</th><th>version</th><th>how it failed</th><th>ended</th><th>restored</th></tr>${failures
    .map((f) => {
      const r = restore.get(f.executionId);
      const o = open.get(f.executionId);
      const restored = r
        ? `after ${durationText(r.ms)} by <code>${esc(name(r.restoredBy.executionId))}</code> (${esc(r.restoredBy.version ?? '?')})`
        : o
          ? `open for ${durationText(o.openMs)}`
          : '—';
      return `<tr data-failure="${esc(f.executionId)}"><td><code>${esc(name(f.executionId))}</code></td><td>${esc(f.service)}</td><td>${esc(f.version ?? '?')}</td><td>${esc(f.outcome)}${f.undoneBy ? ` by <code>${esc(name(f.undoneBy))}</code>` : ''}</td><td>${esc(f.endedAt)}</td><td>${restored}</td></tr>`;
    })
    .join('')}</table>`;
}

export function renderDoraHtml(report: DoraReport, generatedAt: Date): string {
  const p = report.period;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>golive DORA metrics — ${esc(p.since.slice(0, 10))} to ${esc(p.until.slice(0, 10))}</title><style>${CSS}</style></head>
<body><main>
<h1>DORA metrics</h1>
<p class="muted">go-lives that ended from ${esc(p.since)} until ${esc(p.until)} (${esc(Math.round(p.days * 100) / 100)} days), from the audit trail — generated ${esc(generatedAt.toISOString())}</p>
<h2>All services</h2>
<section data-testid="overall">${cards(report)}</section>
<h2>Per service</h2>
<section data-testid="services">${servicesSvg(report)}${serviceTable(report)}</section>
<h2>Failures in production</h2>
<section data-testid="failures">${failureTable(report)}</section>
<h2>Definitions</h2>
<section class="muted"><p><b>Deployment frequency</b>: successful go-lives (undos apart) per day and per week. <b>Change failure rate</b>: of the go-lives that moved traffic to the new version, the share rolled back, aborted, whose rollback failed, or later undone; null when none moved traffic. <b>Time to restore</b>: from a failure's end to the end of the next successful go-live or undo of the service; open when there is none yet. <b>Lead time</b>: from the request's commit time to the end of a successful go-live; go-lives without one are counted as missing. A go-live belongs to the period in which it ended; running ones are left out.</p></section>
</main></body></html>
`;
}
