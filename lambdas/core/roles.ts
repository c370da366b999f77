import type { GoLiveConfig, ServiceConfig } from './config';

/** The golive roles of one service: the service's own lists where it has them, else the global ones. */
export interface ServiceRoles {
  releaseManagers: string[];
  approvers: string[];
  auditors: string[];
  /** Who may approve a break-glass go-live inside a change freeze. */
  emergency: string[];
}

export type RoleName = keyof ServiceRoles;

/** How an actor's identity was established, recorded with everything they do. */
export type ActorVerification = 'slack' | 'iam' | 'local' | 'system';

/**
 * A service's config by a user-supplied name, own keys only: `constructor`, `__proto__` or
 * `toString` are unknown services, never Object's members.
 */
export function serviceConfig(config: Pick<GoLiveConfig, 'services'>, name: string): ServiceConfig | undefined {
  return Object.hasOwn(config.services, name) ? config.services[name] : undefined;
}

/** The roles of `service` (global defaults for an unknown one, which no check then passes on). */
export function rolesFor(config: GoLiveConfig, service: string): ServiceRoles {
  const own = serviceConfig(config, service)?.roles ?? {};
  return {
    releaseManagers: own.releaseManagers ?? config.slack.releaseManagers,
    approvers: own.approvers ?? config.slack.approvers,
    auditors: own.auditors ?? config.slack.auditors,
    emergency: own.emergency ?? config.breakGlass.approvers,
  };
}

export function hasRole(config: GoLiveConfig, service: string, role: RoleName, user: string): boolean {
  return serviceConfig(config, service) !== undefined && rolesFor(config, service)[role].includes(user);
}

/** The golive user an IAM principal acts as: its exact ARN, or the role of an assumed-role session. */
export function userForPrincipal(config: Pick<GoLiveConfig, 'identities'>, principalArn: string): string | undefined {
  const exact = config.identities.find((i) => i.principal === principalArn);
  if (exact) return exact.user;
  // arn:aws:sts::123456789012:assumed-role/Role/session → arn:aws:iam::123456789012:role[/path]/Role:
  // the session ARN drops the role's path, so a configured role matches by partition, account and name.
  const session = /^arn:(aws[a-z-]*):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(principalArn);
  if (!session) return undefined;
  const [, partition, account, roleName] = session;
  return config.identities.find((i) => {
    const role = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:.*\/)?([^/]+)$/.exec(i.principal);
    return role !== null && role[1] === partition && role[2] === account && role[3] === roleName;
  })?.user;
}
