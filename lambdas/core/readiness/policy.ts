import { z } from 'zod';
import { roleMembers, type PolicyConfig } from './effective';
import { CATEGORIES, CHECK_KINDS } from './kinds';

// The parts the functions need at run time live in zod-free modules (kinds.ts, effective.ts), so a
// function bundle does not carry the schema library; re-exported here for existing callers.
export { BUILTIN_ROLES, CATEGORIES, CHECK_KINDS, type Category, type CheckKind } from './kinds';
export { effectivePolicy, roleMembers, type EffectivePolicyItem } from './effective';

const itemId = z.string().regex(/^[a-z][a-z0-9-]{0,59}$/, 'item ids are lowercase, digits and dashes');
const level = z.enum(['required', 'advisory']);

export const readinessItemSchema = z
  .object({
    id: itemId,
    category: z.enum(CATEGORIES),
    title: z.string().min(1),
    /** Automated: which check golive runs. Exactly one of `check` and `attest`. */
    check: z.enum(CHECK_KINDS).optional(),
    /** Human: the role (readiness.roles, or approvers / release-managers) whose member confirms it. */
    attest: z.string().min(1).optional(),
    level: level.default('required'),
    /** Roles or Slack user ids allowed to waive the item (a waiver always carries a reason). */
    waivableBy: z.array(z.string().min(1)).default([]),
    /** What to do when it fails (checks have a built-in fix; this replaces it). */
    fix: z.string().optional(),
  })
  .strict()
  .refine((i) => (i.check === undefined) !== (i.attest === undefined), {
    message: 'set exactly one of `check` (automated) and `attest` (a role confirms it)',
  });
export type ReadinessPolicyItem = z.infer<typeof readinessItemSchema>;

/** Per-service override of one default item, by id. */
export const readinessOverrideSchema = z
  .object({
    level: level.optional(),
    waivableBy: z.array(z.string().min(1)).optional(),
    attest: z.string().min(1).optional(),
    fix: z.string().optional(),
    /** Drops the item for this service (say why in a comment). */
    disabled: z.boolean().optional(),
  })
  .strict();

const awsResources = z
  .object({
    /** DescribeAlarms AlarmNamePrefix (default: the service name). */
    alarmNamePrefix: z.string().min(1).optional(),
    logGroups: z.array(z.string().min(1)).default([]),
    lambdaFunctions: z.array(z.string().min(1)).default([]),
    /** ECS task definition families or ARNs (environment and cpu/memory limits). */
    ecsTaskDefinitions: z.array(z.string().min(1)).default([]),
    /** ECR repository whose image tag must equal the version. */
    ecrRepository: z.string().min(1).optional(),
    rdsInstances: z.array(z.string().min(1)).default([]),
    rdsClusters: z.array(z.string().min(1)).default([]),
    dynamodbTables: z.array(z.string().min(1)).default([]),
    secrets: z.array(z.string().min(1)).default([]),
  })
  .strict();

/** `services.<name>.readiness`: links, the resources the checks look at, and overrides of the default policy. */
export const serviceReadinessSchema = z
  .object({
    /** Absolute URL, or a path on the service's live endpoint. */
    runbookUrl: z.string().min(1).optional(),
    disasterRecoveryUrl: z.string().min(1).optional(),
    resources: awsResources.default({
      logGroups: [],
      lambdaFunctions: [],
      ecsTaskDefinitions: [],
      rdsInstances: [],
      rdsClusters: [],
      dynamodbTables: [],
      secrets: [],
    }),
    overrides: z.record(itemId, readinessOverrideSchema).default({}),
    extraItems: z.array(readinessItemSchema).default([]),
  })
  .strict();
export type ServiceReadiness = z.infer<typeof serviceReadinessSchema>;
export type ReadinessResources = ServiceReadiness['resources'];

const W = ['approvers'];
/** The built-in default policy: used when golive.config.yaml has no `readiness.items`. */
export const DEFAULT_POLICY: z.input<typeof readinessItemSchema>[] = [
  // Network
  {
    id: 'ingress-through-gateway',
    category: 'Network',
    title: 'The service is reachable from the internet only through its API gateway / load balancer',
    attest: 'production-team',
    waivableBy: W,
  },
  {
    id: 'db-not-public',
    category: 'Network',
    title: 'Databases are not publicly accessible',
    check: 'db-not-public',
    waivableBy: W,
  },
  {
    id: 'db-private-network',
    category: 'Network',
    title: 'Databases are reachable only from the production network',
    attest: 'production-team',
    waivableBy: W,
  },
  {
    id: 'multi-location',
    category: 'Network',
    title: 'Deployed in at least two locations',
    attest: 'production-team',
    level: 'advisory',
  },
  // Monitoring
  {
    id: 'monitoring-coverage',
    category: 'Monitoring',
    title: 'Every service, database and third-party dependency is monitored',
    attest: 'production-team',
    waivableBy: W,
  },
  {
    id: 'kubernetes-monitored',
    category: 'Monitoring',
    title: 'Kubernetes is monitored (where used)',
    attest: 'production-team',
    level: 'advisory',
  },
  {
    id: 'request-tracing',
    category: 'Monitoring',
    title: 'Request tracing is configured across services',
    attest: 'production-team',
    level: 'advisory',
  },
  // Log aggregation
  {
    id: 'logs-centralised',
    category: 'Log aggregation',
    title: 'Logs are centralised',
    attest: 'production-team',
    waivableBy: W,
  },
  {
    id: 'log-metric-filters',
    category: 'Log aggregation',
    title: 'Metric filters for ERROR and WARN on the log groups',
    check: 'log-metric-filters',
    waivableBy: W,
  },
  // Alerts
  {
    id: 'alarms-coverage',
    category: 'Alerts',
    title: 'Alarms for CPU, memory, disk, IOPS and error rate, each with an action',
    check: 'alarms-coverage',
    waivableBy: W,
  },
  {
    id: 'alerts-muteable',
    category: 'Alerts',
    title: 'Alerts are muted during the deployment (golive) and the alarms to mute exist',
    check: 'alerts-muteable',
  },
  {
    id: 'log-error-alarms',
    category: 'Alerts',
    title: 'Alarms on log errors',
    attest: 'production-team',
    level: 'advisory',
  },
  // Backups
  {
    id: 'backup-configured',
    category: 'Backups',
    title: 'A backup strategy is configured for the database',
    check: 'backup-configured',
  },
  {
    id: 'backup-recovery-point',
    category: 'Backups',
    title: 'The latest recovery point is within the RPO',
    check: 'backup-recovery-point',
    waivableBy: W,
  },
  // Deployment
  {
    id: 'deployment-automated',
    category: 'Deployment',
    title: 'Deployment and rollback are automated (blue/green traffic control)',
    check: 'deployment-automated',
  },
  // Data replication
  {
    id: 'db-replication',
    category: 'Data replication',
    title: 'Databases run replicated (Multi-AZ, replicas or point-in-time recovery)',
    check: 'db-replication',
    waivableBy: W,
  },
  // Access
  {
    id: 'production-access',
    category: 'Access',
    title: 'Only the production team can change production; developers can read logs and monitoring',
    attest: 'security',
    waivableBy: W,
  },
  // Secrets
  {
    id: 'no-plaintext-secrets',
    category: 'Secrets',
    title: 'No password, token or key in plain text in the environment',
    check: 'no-plaintext-secrets',
    waivableBy: ['security'],
  },
  {
    id: 'secrets-rotation',
    category: 'Secrets',
    title: 'Secrets are in a secret manager with rotation on',
    check: 'secrets-rotation',
    waivableBy: ['security'],
  },
  {
    id: 'secret-owners-named',
    category: 'Secrets',
    title: 'The owners of secret management are named',
    attest: 'security',
  },
  // Smoke tests
  {
    id: 'smoke-tests-defined',
    category: 'Smoke tests',
    title: 'Automated smoke tests are defined',
    check: 'smoke-tests-defined',
  },
  // Health checks
  { id: 'health-blue', category: 'Health checks', title: 'Health endpoint of blue responds 200', check: 'health-blue' },
  {
    id: 'health-green',
    category: 'Health checks',
    title: 'Health endpoint of green responds 200',
    check: 'health-green',
  },
  {
    id: 'third-party-health',
    category: 'Health checks',
    title: 'Third-party dependencies are health-checked',
    attest: 'production-team',
    level: 'advisory',
  },
  // Versioning
  { id: 'version-semver', category: 'Versioning', title: 'The version is a semantic version', check: 'version-semver' },
  {
    id: 'artifact-exists',
    category: 'Versioning',
    title: 'The artifact of the version exists',
    check: 'artifact-exists',
    waivableBy: W,
  },
  // Git
  {
    id: 'release-tagged',
    category: 'Git branches and tags',
    title: 'The release is tagged in git',
    attest: 'production-team',
    waivableBy: W,
  },
  // Capacity
  {
    id: 'capacity-limits',
    category: 'Capacity planning',
    title: 'Limits are set for every component (concurrency, cpu, memory)',
    check: 'capacity-limits',
    waivableBy: W,
  },
  {
    id: 'capacity-needs-known',
    category: 'Capacity planning',
    title: 'Resource needs are known',
    attest: 'production-team',
    level: 'advisory',
  },
  // Time
  {
    id: 'clocks-synchronised',
    category: 'Time configuration',
    title: 'Clocks are synchronised',
    attest: 'production-team',
    level: 'advisory',
  },
  // Release strategy
  {
    id: 'release-strategy',
    category: 'Release strategy',
    title: 'A release strategy is chosen for this go-live',
    check: 'release-strategy',
  },
  // Sign-off
  {
    id: 'sign-off-policy',
    category: 'Production sign-off',
    title: 'Named approvers sign off (N of M, not the requester)',
    check: 'sign-off-policy',
  },
  // Support documents
  {
    id: 'runbook-reachable',
    category: 'Support documents',
    title: 'The runbook (common issues, production management) is linked and reachable',
    check: 'runbook-reachable',
    waivableBy: W,
  },
  // Disaster recovery
  {
    id: 'dr-plan-reachable',
    category: 'Disaster recovery',
    title: 'The disaster recovery plan is linked and reachable',
    check: 'dr-plan-reachable',
    waivableBy: W,
  },
  {
    id: 'dr-levels-etas',
    category: 'Disaster recovery',
    title: 'The DR plan covers service, database, cluster and region levels with ETAs',
    attest: 'production-team',
    waivableBy: W,
  },
];

/** Top-level `readiness`: roles and the default checklist every service gets. */
export const readinessPolicySchema = z
  .object({
    /** Role name → Slack user ids. `approvers` and `release-managers` come from `slack`. */
    roles: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), z.array(z.string().min(1)).min(1)).default({}),
    items: z
      .array(readinessItemSchema)
      .min(1)
      // prefault, not default: the built-in items are parsed too, so they get their defaults
      // (level, waivableBy) like items written in golive.config.yaml.
      .prefault(DEFAULT_POLICY),
  })
  .strict();
export type ReadinessPolicy = z.infer<typeof readinessPolicySchema>;

/** Problems a policy can have that zod cannot see alone; each as [path, message]. */
export function policyProblems(config: PolicyConfig): [Array<string | number>, string][] {
  const problems: [Array<string | number>, string][] = [];
  const knownRole = (r: string) => roleMembers(config, r) !== undefined;
  const seen = new Set<string>();
  config.readiness.items.forEach((item, i) => {
    if (seen.has(item.id)) problems.push([['readiness', 'items', i, 'id'], `duplicate item id "${item.id}"`]);
    seen.add(item.id);
    if (item.attest && !knownRole(item.attest)) {
      problems.push([
        ['readiness', 'items', i, 'attest'],
        `unknown role "${item.attest}": define it in readiness.roles`,
      ]);
    }
  });
  for (const [name, svc] of Object.entries(config.services)) {
    const ids = new Set([...seen, ...svc.readiness.extraItems.map((i) => i.id)]);
    for (const [id, override] of Object.entries(svc.readiness.overrides)) {
      const path = ['services', name, 'readiness', 'overrides', id];
      if (!ids.has(id)) problems.push([path, `no readiness item "${id}" to override`]);
      if (override.attest && !knownRole(override.attest)) {
        problems.push([[...path, 'attest'], `unknown role "${override.attest}": define it in readiness.roles`]);
      }
    }
    svc.readiness.extraItems.forEach((item, i) => {
      if (seen.has(item.id)) {
        problems.push([
          ['services', name, 'readiness', 'extraItems', i, 'id'],
          `"${item.id}" is already a default item: override it instead`,
        ]);
      }
      if (item.attest && !knownRole(item.attest)) {
        problems.push([
          ['services', name, 'readiness', 'extraItems', i, 'attest'],
          `unknown role "${item.attest}": define it in readiness.roles`,
        ]);
      }
    });
  }
  return problems;
}
