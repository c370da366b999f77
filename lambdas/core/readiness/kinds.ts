/** The categories of the production-readiness checklist; the default policy covers every one. */
export const CATEGORIES = [
  'Network',
  'Monitoring',
  'Log aggregation',
  'Alerts',
  'Backups',
  'Deployment',
  'Data replication',
  'Access',
  'Secrets',
  'Smoke tests',
  'Health checks',
  'Versioning',
  'Git branches and tags',
  'Capacity planning',
  'Time configuration',
  'Release strategy',
  'Production sign-off',
  'Support documents',
  'Disaster recovery',
] as const;
export type Category = (typeof CATEGORIES)[number];

/** Automated checks golive knows; each is implemented once in core over the ReadinessProvider facts. */
export const CHECK_KINDS = [
  'health-blue',
  'health-green',
  'alarms-coverage',
  'alerts-muteable',
  'log-metric-filters',
  'backup-configured',
  'backup-recovery-point',
  'db-replication',
  'db-not-public',
  'no-plaintext-secrets',
  'secrets-rotation',
  'capacity-limits',
  'artifact-exists',
  'version-semver',
  'runbook-reachable',
  'dr-plan-reachable',
  'smoke-tests-defined',
  'deployment-automated',
  'release-strategy',
  'sign-off-policy',
] as const;
export type CheckKind = (typeof CHECK_KINDS)[number];

/**
 * Roles every config has: the Slack approvers and release managers; `production-team` and
 * `security` (used by the default policy) are the approvers unless readiness.roles names them.
 */
export const BUILTIN_ROLES = ['approvers', 'release-managers', 'production-team', 'security'] as const;
