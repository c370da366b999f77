import { CATEGORIES } from './kinds';
import type { ItemStatus, ReadinessReport } from './evaluate';

export const STATUS_MARK: Record<ItemStatus, string> = {
  pass: '✓',
  fail: '✗',
  'n/a': '–',
  waived: 'waived',
  'to-attest': 'to attest',
  attested: '✓ attested',
};

/** The checklist as text, grouped by category: one line per item with its mark and evidence. */
export function renderReport(report: ReadinessReport): string {
  const lines = [`Readiness of ${report.service} ${report.version} (checked ${report.checkedAt})`];
  for (const category of CATEGORIES) {
    const items = report.items.filter((i) => i.category === category);
    if (items.length === 0) continue;
    lines.push('', category);
    for (const i of items) {
      const level = i.required ? '' : ' (advisory)';
      lines.push(`  ${STATUS_MARK[i.status]}  ${i.title}${level}`);
      lines.push(`       ${i.summary}`);
      if (i.fix) lines.push(`       fix: ${i.fix}`);
    }
  }
  const count = (s: ItemStatus) => report.items.filter((i) => i.status === s).length;
  lines.push(
    '',
    `${report.passed ? 'READY' : 'NOT READY'}: ${count('pass') + count('attested')} passed, ${count('fail')} failed ` +
      `(${report.failing.length} required), ${count('waived')} waived, ${count('to-attest')} to attest ` +
      `(${report.awaitingAttestation.length} required, confirmed at sign-off), ${count('n/a')} not applicable`,
  );
  if (report.failing.length) lines.push(`Required items failing: ${report.failing.join(', ')}`);
  return lines.join('\n');
}

/** Short form for a notification: what fails, what is waived, what awaits attestation. */
export function checklistDigest(report: ReadinessReport): string {
  const pick = (s: ItemStatus) => report.items.filter((i) => i.status === s);
  const parts = [`${pick('pass').length + pick('attested').length}/${report.items.length} readiness items passed`];
  if (pick('fail').length)
    parts.push(
      `failing: ${pick('fail')
        .map((i) => `${i.id} (${i.summary})`)
        .join('; ')}`,
    );
  if (pick('waived').length)
    parts.push(
      `waived: ${pick('waived')
        .map((i) => `${i.id} by ${i.waiver?.by}`)
        .join(', ')}`,
    );
  if (pick('to-attest').length) {
    parts.push(
      `to attest: ${pick('to-attest')
        .map((i) => `${i.id}${i.required ? '' : ' (advisory)'}`)
        .join(', ')}`,
    );
  }
  return parts.join('. ');
}
