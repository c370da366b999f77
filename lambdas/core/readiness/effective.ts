import type { ReadinessPolicy, ReadinessPolicyItem, ServiceReadiness } from './policy';

export interface EffectivePolicyItem extends ReadinessPolicyItem {
  /** User ids who may attest (attest items). */
  attesters: string[];
  /** User ids who may waive. */
  waivers: string[];
}

export interface PolicyConfig {
  slack: { approvers: string[]; releaseManagers: string[] };
  readiness: ReadinessPolicy;
  services: Record<string, { readiness: ServiceReadiness }>;
}

export function roleMembers(config: PolicyConfig, role: string): string[] | undefined {
  if (role === 'approvers') return config.slack.approvers;
  if (role === 'release-managers') return config.slack.releaseManagers;
  return (
    config.readiness.roles[role] ??
    (['production-team', 'security'].includes(role) ? config.slack.approvers : undefined)
  );
}

/** Roles expand to their members; anything else is a Slack user id. */
function expand(config: PolicyConfig, names: string[]): string[] {
  return [...new Set(names.flatMap((n) => roleMembers(config, n) ?? [n]))];
}

/** The default policy with the service's overrides and extra items applied, roles resolved to people. */
export function effectivePolicy(config: PolicyConfig, service: string): EffectivePolicyItem[] {
  const svc = config.services[service].readiness;
  const items: EffectivePolicyItem[] = [];
  for (const base of [...config.readiness.items, ...svc.extraItems]) {
    const override = svc.overrides[base.id] ?? {};
    if (override.disabled) continue;
    const { disabled: _disabled, ...changes } = override;
    const item = { ...base, ...changes };
    items.push({
      ...item,
      attesters: item.attest ? expand(config, [item.attest]) : [],
      waivers: expand(config, item.waivableBy),
    });
  }
  return items;
}
