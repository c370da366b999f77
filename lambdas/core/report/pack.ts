import { escapeHtml as esc } from './html';

/**
 * The index page of an evidence pack (`golive audit export --all --since … --until … --format
 * html`): one self-contained HTML file (inline CSS, no script, no font, no network) listing every
 * go-live of a period with its verification verdict, each linking to its own report written next
 * to it. Plain data in, so whoever verifies maps its verdict onto `EvidencePackVerification`.
 */

/** One anchor the verification checked: the chain itself, the execution output, the seal log, the archive… */
export interface EvidencePackAnchor {
  /** What was checked, e.g. "chain", "execution output", "seal log", "Object Lock archive". */
  name: string;
  /**
   * `ok`: it agrees with the trail; `failed`: it disagrees (tampering, or a broken chain);
   * `missing`: it should exist and does not (reported, never ignored); `skipped`: it does not
   * apply here (e.g. no archive bucket locally).
   */
  status: 'ok' | 'failed' | 'missing' | 'skipped';
  /** One line on what was found: "36 records, final hash 2d66…", "record #34 altered". */
  detail: string;
}

export interface EvidencePackVerification {
  /** The one verdict: true only when the trail verified against every anchor that applies. */
  ok: boolean;
  /** One line, e.g. "intact: 36 records" or "altered: record #34 (hash mismatch)". */
  summary?: string;
  anchors: EvidencePackAnchor[];
}

/** One go-live of the period, as the index lists it. */
export interface EvidencePackEntry {
  /** The execution's name (also the report's file name stem). */
  execution: string;
  service: string;
  version?: string;
  requestedBy?: string;
  /** The requester's display name, where the trail recorded one. */
  requestedByName?: string;
  /** golive's status: SUCCEEDED, FAILED, ABORTED, TIMED_OUT, RUNNING, … */
  status: string;
  startedAt?: string;
  endedAt?: string;
  /** The error a failed go-live ended with, e.g. "AlarmTriggered". */
  error?: string;
  /** What an auditor looks for, in words: "break-glass", "waiver: db-private-network by U_BEN (reason)". */
  flags: string[];
  /** The go-live's own report, relative to the index (e.g. "reports/demo-2.0.0-….html"). */
  reportHref: string;
  verification: EvidencePackVerification;
}

export interface EvidencePackInput {
  /** The period covered, as the auditor asked for it (ISO 8601 timestamps or dates). */
  period: { since: string; until: string };
  /** When the pack was written (ISO 8601). */
  generatedAt: string;
  goLives: EvidencePackEntry[];
}

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1280px;margin:0 auto;padding:24px}
h1{font-size:22px;margin:0 0 4px}
section{background:#fff;border:1px solid #e1e4ea;border-radius:8px;padding:12px 16px;margin:12px 0}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #eceef2;vertical-align:top}
th{font-weight:600;color:#4a5263;font-size:12px;text-transform:uppercase;letter-spacing:.03em}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;font-weight:600;white-space:nowrap}
.ok{background:#2e7d32}.bad{background:#c62828}.warn{background:#ef6c00}.skip{background:#78808f}.muted{color:#69718a}
.flag{display:inline-block;margin:0 4px 2px 0;padding:0 6px;border-radius:8px;background:#fff1e0;color:#8a3d00;font-size:12px}
tr.verdict-failed td{background:#fdecea}tr.verdict-failed td:first-child{box-shadow:inset 4px 0 0 #c62828}
.alert{border-color:#c62828;background:#fdecea;color:#7f1d1d;font-weight:600}
ul.anchors{margin:4px 0 0;padding:0;list-style:none;font-size:12px}ul.anchors li{margin:2px 0}
a{color:#2848a0}code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}
@media print{body{background:#fff}main{max-width:none;padding:0}tr{break-inside:avoid}a{color:inherit}}
`;

const ANCHOR_CLASS: Record<EvidencePackAnchor['status'], string> = {
  ok: 'ok',
  failed: 'bad',
  missing: 'bad',
  skipped: 'skip',
};

/** A report link must stay inside the pack: relative, no scheme, no leading slash, never upwards. */
function checkHref(entry: EvidencePackEntry, index: number): void {
  const href = entry.reportHref;
  if (
    typeof href !== 'string' ||
    href === '' ||
    /^[a-z][a-z0-9+.-]*:/i.test(href) ||
    href.startsWith('/') ||
    href.startsWith('\\') ||
    href.split(/[\\/]/).includes('..')
  ) {
    throw new Error(
      `goLives[${index}].reportHref (${JSON.stringify(href)}, go-live ${entry.execution}) must be a path relative ` +
        `to the index inside the pack, e.g. "reports/${entry.execution}.html"`,
    );
  }
}

/** Each path segment percent-encoded, the slashes kept: a file name with spaces or `#` still resolves. */
const encodeHref = (href: string) => href.split('/').map(encodeURIComponent).join('/');

function statusBadge(status: string): string {
  const kind = status === 'SUCCEEDED' ? 'ok' : status === 'RUNNING' || status === 'ABORTED' ? 'warn' : 'bad';
  return `<span class="badge ${kind}">${esc(status)}</span>`;
}

function verdictCell(v: EvidencePackVerification): string {
  const anchors = v.anchors
    .map(
      (a) =>
        `<li data-testid="anchor" data-anchor="${esc(a.name)}" data-status="${esc(a.status)}">` +
        `<span class="badge ${ANCHOR_CLASS[a.status] ?? 'bad'}">${esc(a.status)}</span> <strong>${esc(a.name)}</strong>: ${esc(a.detail)}</li>`,
    )
    .join('');
  return (
    `<span class="badge ${v.ok ? 'ok' : 'bad'}" data-testid="verdict">${v.ok ? 'verified' : 'VERIFICATION FAILED'}</span>` +
    `${v.summary ? ` ${esc(v.summary)}` : ''}` +
    `${anchors ? `<ul class="anchors">${anchors}</ul>` : '<br><span class="muted">no anchor checked</span>'}`
  );
}

function row(e: EvidencePackEntry): string {
  const requester = e.requestedBy
    ? e.requestedByName && e.requestedByName !== e.requestedBy
      ? `${esc(e.requestedByName)} <span class="muted">(${esc(e.requestedBy)})</span>`
      : esc(e.requestedBy)
    : '<span class="muted">—</span>';
  const flags = e.flags.length
    ? e.flags.map((f) => `<span class="flag" data-testid="flag">${esc(f)}</span>`).join('')
    : '<span class="muted">—</span>';
  return (
    `<tr id="${esc(e.execution)}" data-testid="go-live" data-execution="${esc(e.execution)}" data-verdict="${e.verification.ok ? 'ok' : 'failed'}"` +
    `${e.verification.ok ? '' : ' class="verdict-failed"'}>` +
    `<td><a href="${esc(encodeHref(e.reportHref))}" data-testid="report-link">${esc(e.execution)}</a></td>` +
    `<td>${esc(e.service)}</td><td>${esc(e.version ?? '—')}</td><td>${requester}</td>` +
    `<td>${statusBadge(e.status)}${e.error ? `<br><code>${esc(e.error)}</code>` : ''}</td>` +
    `<td>${esc(e.startedAt ?? '—')}<br><span class="muted">${esc(e.endedAt ?? 'not ended')}</span></td>` +
    `<td>${flags}</td><td>${verdictCell(e.verification)}</td></tr>`
  );
}

/** The evidence pack's index page: the period, when it was written, one row per go-live with its verdict. */
export function renderEvidencePack(input: EvidencePackInput): string {
  input.goLives.forEach(checkHref);
  const { since, until } = input.period;
  const failed = input.goLives.filter((g) => !g.verification.ok);
  const summary = input.goLives.length
    ? `${input.goLives.length} go-live(s); ${input.goLives.length - failed.length} verified, ${failed.length} failed verification.`
    : 'No go-live in this period.';
  const alert = failed.length
    ? `<section class="alert" data-testid="failed-verification" role="alert">${failed.length} go-live(s) FAILED verification: ` +
      failed.map((g) => `<a href="#${esc(encodeURIComponent(g.execution))}">${esc(g.execution)}</a>`).join(', ') +
      '</section>'
    : '';
  const table = input.goLives.length
    ? `<table data-testid="go-lives"><thead><tr><th>go-live (report)</th><th>service</th><th>version</th><th>requested by</th>` +
      `<th>status</th><th>started / ended</th><th>flags</th><th>verification</th></tr></thead><tbody>\n` +
      input.goLives.map(row).join('\n') +
      '\n</tbody></table>'
    : `<p class="muted">${summary}</p>`;
  // No script and nothing fetched: the CSP makes that a promise the browser keeps.
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>golive evidence pack — ${esc(since)} to ${esc(until)}</title><style>${CSS}</style></head>
<body><main>
<h1 data-testid="title">Evidence pack: go-lives from ${esc(since)} to ${esc(until)}</h1>
<p class="muted">generated ${esc(input.generatedAt)} — <span data-testid="summary">${esc(summary)}</span> Each go-live links to its own report in this pack; every verdict names the anchors it was checked against.</p>
${alert}
<section>${table}</section>
</main></body></html>
`;
}
