import type { ReadinessPolicy, ReadinessPolicyItem, ServiceReadiness } from './policy';

export interface EffectivePolicyItem extends ReadinessPolicyItem {
  /** User ids who may attest (attest items). */
  attesters: string[];
  /** User ids who may waive. */
  waivers: string[];
}

type Roles = { approvers: string[]; releaseManagers: string[] };

export interface PolicyConfig {
  slack: Roles;
  readiness: ReadinessPolicy;
  services: Record<string, { readiness: ServiceReadiness; roles?: Partial<Roles> }>;
}

/**
 * The members of a role: golive's own roles (the service's lists where it has them, else the
 * global ones) or a readiness role. Undefined for a name that is no role.
 */
export function roleMembers(config: PolicyConfig, role: string, service?: string): string[] | undefined {
  const own = service && Object.hasOwn(config.services, service) ? (config.services[service].roles ?? {}) : {};
  const approvers = own.approvers ?? config.slack.approvers;
  if (role === 'approvers') return approvers;
  if (role === 'release-managers') return own.releaseManagers ?? config.slack.releaseManagers;
  return config.readiness.roles[role] ?? (['production-team', 'security'].includes(role) ? approvers : undefined);
}

/** Roles expand to their members; anything else is a Slack user id. */
function expand(config: PolicyConfig, names: string[], service: string): string[] {
  return [...new Set(names.flatMap((n) => roleMembers(config, n, service) ?? [n]))];
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
      attesters: item.attest ? expand(config, [item.attest], service) : [],
      waivers: expand(config, item.waivableBy, service),
    });
  }
  return items;
}
