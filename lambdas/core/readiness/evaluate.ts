import { effectivePolicy } from './effective';
import type { Category, CheckKind } from './kinds';
import { runCheck, type ReadinessContext } from './checks';

export type ItemStatus = 'pass' | 'fail' | 'n/a' | 'waived' | 'to-attest' | 'attested';

/** A named person's answer to one item: attesting it, or waiving it with a reason. */
export interface ReadinessDecision {
  item: string;
  kind: 'attestation' | 'waiver';
  by: string;
  reason?: string;
  at: string;
}

export interface ReadinessItem {
  id: string;
  category: Category;
  title: string;
  kind: 'check' | 'attest';
  check?: CheckKind;
  /** Role that attests (attest items). */
  attestRole?: string;
  level: 'required' | 'advisory';
  required: boolean;
  status: ItemStatus;
  /** One line of evidence. */
  summary: string;
  evidence: unknown;
  fix?: string;
  /** Who may attest (user ids). */
  attesters: string[];
  /** Who may waive (user ids); empty = nobody. */
  waivableBy: string[];
  waiver?: { by: string; reason: string; at: string; was: ItemStatus };
  attestation?: { by: string; at: string; note?: string };
}

export interface ReadinessReport {
  service: string;
  version: string;
  /** No required item fails (attestations still open do not count: they are confirmed at sign-off). */
  passed: boolean;
  checkedAt: string;
  /** Required items failing, by id. */
  failing: string[];
  /** Required attest items nobody has confirmed (or waived) yet, by id. */
  awaitingAttestation: string[];
  items: ReadinessItem[];
}

/** Runs the service's checklist (default policy + overrides); pre-recorded decisions apply on top. */
export async function evaluateChecklist(
  ctx: ReadinessContext,
  service: string,
  version: string,
  decisions: ReadinessDecision[] = [],
): Promise<ReadinessReport> {
  const policy = effectivePolicy(ctx.config, service);
  const items = await Promise.all(
    policy.map(async (p): Promise<ReadinessItem> => {
      const base = {
        id: p.id,
        category: p.category,
        title: p.title,
        level: p.level,
        required: p.level === 'required',
        attesters: p.attesters,
        waivableBy: p.waivers,
      };
      if (p.attest) {
        return {
          ...base,
          kind: 'attest',
          attestRole: p.attest,
          status: 'to-attest',
          summary: `to be confirmed by ${p.attest} (${p.attesters.join(', ')})`,
          evidence: { role: p.attest, attesters: p.attesters },
          ...(p.fix ? { fix: p.fix } : {}),
        };
      }
      const result = await runCheck(p.check!, ctx, service, version);
      const fix = p.fix ?? result.fix;
      return {
        ...base,
        kind: 'check',
        check: p.check,
        status: result.status,
        summary: result.summary,
        evidence: result.evidence,
        ...(result.status === 'fail' && fix ? { fix } : {}),
      };
    }),
  );
  const report: ReadinessReport = {
    service,
    version,
    passed: true,
    checkedAt: ctx.now().toISOString(),
    failing: [],
    awaitingAttestation: [],
    items,
  };
  for (const decision of decisions) {
    if (!validateDecision(report, decision)) applyDecision(report, decision);
  }
  return summarise(report);
}

/** Recomputes passed / failing / awaitingAttestation from the items. */
export function summarise(report: ReadinessReport): ReadinessReport {
  report.failing = report.items.filter((i) => i.required && i.status === 'fail').map((i) => i.id);
  report.awaitingAttestation = report.items.filter((i) => i.required && i.status === 'to-attest').map((i) => i.id);
  report.passed = report.failing.length === 0;
  return report;
}

/** Why a decision is not allowed, or undefined when it is. */
export function validateDecision(report: ReadinessReport, d: ReadinessDecision): string | undefined {
  const item = report.items.find((i) => i.id === d.item);
  if (!item) return `no readiness item "${d.item}" (items: ${report.items.map((i) => i.id).join(', ')})`;
  if (d.kind === 'waiver') {
    if (!d.reason?.trim()) return `a waiver of "${d.item}" needs a reason`;
    if (!item.waivableBy.includes(d.by)) {
      return item.waivableBy.length
        ? `${d.by} may not waive "${d.item}" (who may: ${item.waivableBy.join(', ')})`
        : `"${d.item}" cannot be waived`;
    }
    if (['pass', 'attested', 'n/a', 'waived'].includes(item.status))
      return `"${d.item}" is ${item.status}: nothing to waive`;
    return undefined;
  }
  if (item.kind !== 'attest') return `"${d.item}" is an automated check: it cannot be attested, only waived`;
  if (!item.attesters.includes(d.by)) {
    return `${d.by} may not attest "${d.item}" (${item.attestRole}: ${item.attesters.join(', ')})`;
  }
  if (item.status !== 'to-attest') return `"${d.item}" is already ${item.status}`;
  return undefined;
}

export function applyDecision(report: ReadinessReport, d: ReadinessDecision): void {
  const item = report.items.find((i) => i.id === d.item)!;
  if (d.kind === 'waiver') {
    item.waiver = { by: d.by, reason: d.reason!.trim(), at: d.at, was: item.status };
    item.status = 'waived';
    item.summary = `waived by ${d.by}: ${d.reason!.trim()} (was ${item.waiver.was}: ${item.summary})`;
  } else {
    item.attestation = { by: d.by, at: d.at, ...(d.reason ? { note: d.reason } : {}) };
    item.status = 'attested';
    item.summary = `attested by ${d.by} at ${d.at}${d.reason ? `: ${d.reason}` : ''}`;
  }
  delete item.fix;
  summarise(report);
}

/** Where decisions recorded before a go-live (`golive readiness --waive/--attest`) are kept in the store. */
export const preDecisionKey = (service: string, version: string) => `readiness:${service}:${version}`;
