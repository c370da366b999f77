import { z } from 'zod';
import { freezesSchema } from './freeze-schema';
import { DEFAULT_ANALYSIS_POLICY } from './analysis/judge';
import { linkTemplateProblem } from './links';
import { STRATEGIES } from './strategies';
import { timingsFor } from './request';
import { restoreBudgetFor, worstCaseRunSeconds } from './workflow/budget';
import { GO_LIVE } from './workflow/definition';
import { policyProblems, readinessPolicySchema, serviceReadinessSchema } from './readiness/policy';

const slackUserId = z.string().min(1, 'must be a Slack user id such as U0123ABCD');
const url = z.string().url();

const latencyThreshold = (maxRatio: number, marginalRatio: number) =>
  z
    .object({
      maxRatio: z.number().gt(1, 'must be above 1 (candidate / baseline)').default(maxRatio),
      marginalRatio: z.number().gt(1, 'must be above 1 (candidate / baseline)').default(marginalRatio),
    })
    .strict()
    .refine((t) => t.marginalRatio <= t.maxRatio, 'marginalRatio must not exceed maxRatio')
    .prefault({});

/** Thresholds of the automated canary judgement (lambdas/core/analysis/judge.ts). */
const analysisSchema = z
  .object({
    /** `rollback`: a failing verdict rolls back with CanaryAnalysisFailed; `flag`: it is shown, not acted on. */
    onFail: z.enum(['rollback', 'flag']).default(DEFAULT_ANALYSIS_POLICY.onFail),
    /** Below this many requests on either slot a bake's verdict is inconclusive, never pass. */
    minRequests: z.number().int().min(1).default(DEFAULT_ANALYSIS_POLICY.minRequests),
    alpha: z.number().gt(0).lt(1).default(DEFAULT_ANALYSIS_POLICY.alpha),
    /** 5xx-rate increase (absolute: 0.01 = one point) tolerated before a significant rise fails. */
    maxErrorRateIncrease: z.number().min(0).max(1).default(DEFAULT_ANALYSIS_POLICY.maxErrorRateIncrease),
    /** A latency difference below this many ms passes whatever its ratio (a 0.01 ms vs 0 ms baseline is noise). */
    minLatencyDeltaMs: z.number().min(0).default(DEFAULT_ANALYSIS_POLICY.minLatencyDeltaMs),
    latency: z
      .object({
        p50: latencyThreshold(
          DEFAULT_ANALYSIS_POLICY.latency.p50.maxRatio,
          DEFAULT_ANALYSIS_POLICY.latency.p50.marginalRatio,
        ),
        p95: latencyThreshold(
          DEFAULT_ANALYSIS_POLICY.latency.p95.maxRatio,
          DEFAULT_ANALYSIS_POLICY.latency.p95.marginalRatio,
        ),
        p99: latencyThreshold(
          DEFAULT_ANALYSIS_POLICY.latency.p99.maxRatio,
          DEFAULT_ANALYSIS_POLICY.latency.p99.marginalRatio,
        ),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** Per-service overrides of the global roles (slack.*): each list given replaces the global one. */
const serviceRoles = z
  .object({
    releaseManagers: z.array(slackUserId).min(1, 'name at least one release manager, or leave the role out').optional(),
    approvers: z.array(slackUserId).min(1, 'name at least one approver, or leave the role out').optional(),
    auditors: z.array(slackUserId).optional(),
    /** Who may approve a break-glass go-live of this service inside a freeze (replaces breakGlass.approvers). */
    emergency: z.array(slackUserId).min(1, 'name at least one emergency approver, or leave the role out').optional(),
  })
  .strict();

/**
 * Who an AWS IAM principal is, for the control API: the caller's ARN as API Gateway's IAM
 * authorization verified it (an IAM user, a role, or an assumed-role session of that role).
 */
const identity = z
  .object({
    principal: z
      .string()
      .regex(
        /^arn:aws[a-z-]*:iam::\d{12}:(user|role)\/.+$/,
        'must be an IAM user or role ARN (arn:aws:iam::123456789012:role/ReleaseManagers); not an assumed-role session ARN, whose session name the caller chooses',
      ),
    user: slackUserId,
  })
  .strict();

const smokeCheck = z
  .object({
    name: z.string().min(1),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE']).default('GET'),
    path: z.string().startsWith('/', 'must start with /'),
    headers: z.record(z.string(), z.string()).default({}),
    body: z.string().optional(),
    expectStatus: z.number().int().min(100).max(599).default(200),
    bodyContains: z.string().optional(),
    maxLatencyMs: z.number().int().positive().default(1000),
    retries: z.number().int().min(0).max(10).default(0),
  })
  .strict();

/**
 * Customer-managed KMS keys the backup's source (and so its restores) is encrypted with: the backup
 * function may use them for the restore proof (decrypt, describe, grants for AWS resources only).
 * Leave out for AWS-owned or AWS-managed keys, which need no grant.
 */
const kmsKeyArns = z
  .array(
    z
      .string()
      .regex(
        /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/,
        'must be a KMS key ARN (arn:aws:kms:eu-west-1:123456789012:key/1234abcd-…), not an alias',
      ),
  )
  .optional();

const backup = z.discriminatedUnion('kind', [
  z
    .object({
      kind: z.literal('sqlite'),
      /** Where the local runtime keeps the service's backups; relative to the state dir. */
      rpoMinutes: z.number().positive().default(60),
    })
    .strict(),
  z
    .object({
      kind: z.literal('dynamodb-pitr'),
      tableName: z.string().min(1),
      rpoMinutes: z.number().positive().default(60),
      kmsKeyArns,
    })
    .strict(),
  z
    .object({
      kind: z.literal('rds-snapshot'),
      dbInstanceIdentifier: z.string().optional(),
      dbClusterIdentifier: z.string().optional(),
      rpoMinutes: z.number().positive().default(1440),
      kmsKeyArns,
    })
    .strict(),
  z
    .object({
      kind: z.literal('aws-backup'),
      backupVaultName: z.string().min(1),
      resourceArn: z.string().min(1),
      iamRoleArn: z.string().min(1),
      rpoMinutes: z.number().positive().default(1440),
      kmsKeyArns,
    })
    .strict(),
]);

const traffic = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local-router') }).strict(),
  z
    .object({
      kind: z.literal('alb'),
      listenerArn: z.string().min(1),
      ruleArn: z.string().optional(),
      blueTargetGroupArn: z.string().min(1),
      greenTargetGroupArn: z.string().min(1),
    })
    .strict(),
  z.object({ kind: z.literal('lambda-alias'), functionName: z.string().min(1), alias: z.string().min(1) }).strict(),
]);

const canarySteps = z
  .array(z.number().int().min(1).max(99))
  .min(1)
  .refine(
    (steps) => steps.every((w, i) => i === 0 || w > steps[i - 1]),
    'must be strictly increasing percentages below 100',
  );

const service = z
  .object({
    description: z.string().default(''),
    owner: z.string().optional(),
    /** URLs golive talks to. Optional for the bundled demo: the local runtime fills them in. */
    endpoints: z.object({ live: url.optional(), blue: url.optional(), green: url.optional() }).strict().default({}),
    healthPath: z.string().startsWith('/').default('/health'),
    alerts: z
      .object({
        alarms: z.array(z.string().min(1)).min(1, 'list at least one alarm to watch during bakes'),
        muteMode: z.enum(['mute-rule', 'disable-actions']).default('mute-rule'),
      })
      .strict(),
    backup,
    smokeTests: z.array(smokeCheck).min(1, 'define at least one smoke test'),
    traffic,
    strategy: z
      .object({
        default: z.enum(STRATEGIES).default('canary'),
        canarySteps: canarySteps.default([10, 50]),
        bakeSeconds: z.number().int().min(0).max(86400).default(60),
      })
      .strict()
      .default({ default: 'canary', canarySteps: [10, 50], bakeSeconds: 60 }),
    /**
     * Links shown to approvers (changelog, commit range, build…): URL templates with {service},
     * {version} and {previous} (the version it replaces).
     */
    links: z
      .record(z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'link names are lowercase, digits and dashes'), z.string())
      .default({}),
    /** How each bake's measurements are judged, candidate against the stable version (README: Canary analysis). */
    analysis: analysisSchema.prefault({}),
    /** Who may start, approve and audit this service's go-lives, when not the global slack.* lists. */
    roles: serviceRoles.default({}),
    /** Links, the resources the readiness checks look at, and per-service overrides of the checklist. */
    readiness: serviceReadinessSchema.prefault({}),
  })
  .strict();

// Re-exported: callers that validate configs may keep importing them from here.
export { STRATEGIES, type Strategy } from './strategies';

export const configSchema = z
  .object({
    slack: z
      .object({
        channel: z.string().min(1),
        releaseManagers: z.array(slackUserId).min(1, 'name at least one release manager'),
        approvers: z.array(slackUserId).min(1, 'name at least one approver'),
        /** Who may read every go-live's audit trail (the control API's audit calls). */
        auditors: z.array(slackUserId).default([]),
        /** Web API base URL on AWS: GovSlack is https://slack-gov.com/api/ (default: Slack's). */
        apiUrl: z
          .string()
          .url('must be a URL such as https://slack-gov.com/api/')
          // A pattern rather than a refinement, so golive.config.schema.json carries the rule too.
          .regex(/^https:\/\/[^/]+(\/.*)?\/$/, 'must be an https:// URL ending in / (https://slack-gov.com/api/)')
          .optional(),
      })
      .strict(),
    approval: z
      .object({
        minApprovals: z.number().int().min(1).default(1),
        allowSelfApproval: z.boolean().default(false),
        timeoutSeconds: z
          .number()
          .int()
          .min(1)
          .max(7 * 86400)
          .default(3600),
        /**
         * How long before an unanswered sign-off expires the approvers who have not voted are
         * reminded (once); 0 = never. Default: 600, or half of timeoutSeconds when that is shorter.
         */
        remindBeforeSeconds: z
          .number()
          .int()
          .min(0)
          .max(7 * 86400)
          .optional(),
        position: z.enum(['before-traffic', 'before-promotion']).default('before-promotion'),
      })
      .strict()
      .superRefine((a, ctx) => {
        if (a.remindBeforeSeconds && a.remindBeforeSeconds >= a.timeoutSeconds) {
          ctx.addIssue({
            code: 'custom',
            path: ['remindBeforeSeconds'],
            message:
              `is ${a.remindBeforeSeconds} s but approval.timeoutSeconds is ${a.timeoutSeconds} s: the reminder must come ` +
              `before the sign-off expires; set it below ${a.timeoutSeconds}, or to 0 for no reminder`,
          });
        }
      })
      .default({ minApprovals: 1, allowSelfApproval: false, timeoutSeconds: 3600, position: 'before-promotion' }),
    /** IAM principals the control API knows, each mapped to the golive user (Slack id) it acts as. */
    identities: z.array(identity).default([]),
    /** Steering a running go-live, retrying and undoing one (README: Release controls). */
    controls: z
      .object({
        /**
         * Longest a go-live may be held at its step boundaries, in total (pauses and freeze holds):
         * a hold beyond it rolls back. It counts in the worst-case run time (mute and lock expiry).
         */
        maxHoldSeconds: z.number().int().min(0).max(86400).default(3600),
        /** How long after a failure `golive retry` may redrive it (Step Functions allows 14 days). */
        retryWithinSeconds: z
          .number()
          .int()
          .min(60)
          .max(14 * 86400)
          .default(86400),
        /** How long the success message offers its Roll back button (0 = never); `golive rollback` works any time. */
        undoButtonSeconds: z
          .number()
          .int()
          .min(0)
          .max(7 * 86400)
          .default(3600),
        /** Sign-off an undo needs: none, or one approver of the service. */
        undoSignOff: z.enum(['none', 'one-approver']).default('one-approver'),
      })
      .strict()
      .prefault({}),
    /** Change-freeze calendar: go-lives inside a window are refused unless break-glass (README: Change freezes). */
    freezes: freezesSchema.default([]),
    freezePolicy: z
      .object({
        /** A freeze that begins while a go-live runs: hold it before promotion until the freeze ends, or let it finish. */
        duringRun: z.enum(['hold', 'finish']).default('hold'),
      })
      .strict()
      .prefault({}),
    /** Emergency go-lives inside a freeze: `--break-glass --reason`, approved by members of the emergency role. */
    breakGlass: z
      .object({
        /** The emergency role (services.<name>.roles.emergency replaces it for one service). */
        approvers: z.array(slackUserId).default([]),
        minApprovals: z.number().int().min(1).default(2),
        /** Unanswered break-glass requests expire (and change nothing) after this. */
        timeoutSeconds: z.number().int().min(60).max(86400).default(1800),
      })
      .strict()
      .prefault({}),
    /** The production-readiness checklist every service gets (README: Readiness). */
    readiness: readinessPolicySchema.prefault({}),
    services: z.record(
      z.string().regex(/^[a-z][a-z0-9-]{0,39}$/, 'service names are lowercase, digits and dashes'),
      service,
    ),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.approval.minApprovals > cfg.slack.approvers.length) {
      ctx.addIssue({
        code: 'custom',
        path: ['approval', 'minApprovals'],
        message: `is ${cfg.approval.minApprovals} but only ${cfg.slack.approvers.length} approver(s) are listed in slack.approvers`,
      });
    }
    for (const [name, svc] of Object.entries(cfg.services)) {
      const approvers = svc.roles.approvers;
      if (approvers && cfg.approval.minApprovals > approvers.length) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', name, 'roles', 'approvers'],
          message: `lists ${approvers.length} approver(s) but approval.minApprovals is ${cfg.approval.minApprovals}`,
        });
      }
    }
    for (const [name, svc] of Object.entries(cfg.services)) {
      for (const [link, template] of Object.entries(svc.links)) {
        const problem = linkTemplateProblem(template);
        if (problem) ctx.addIssue({ code: 'custom', path: ['services', name, 'links', link], message: problem });
      }
    }
    const principals = new Set<string>();
    for (const [i, { principal }] of cfg.identities.entries()) {
      if (principals.has(principal))
        ctx.addIssue({ code: 'custom', path: ['identities', i, 'principal'], message: `${principal} is listed twice` });
      principals.add(principal);
    }
    for (const [i, window] of cfg.freezes.entries()) {
      for (const [j, service] of (window.services ?? []).entries()) {
        if (!Object.hasOwn(cfg.services, service))
          ctx.addIssue({
            code: 'custom',
            path: ['freezes', i, 'services', j],
            message: `"${service}" is not a configured service (${Object.keys(cfg.services).join(', ')}): fix the name or remove it`,
          });
      }
    }
    // The whole execution must fit in the state machine's own TimeoutSeconds: otherwise it would
    // time out outside the catch path and leave the clean-up to the janitor.
    for (const [name, svc] of Object.entries(cfg.services)) {
      const holds = { holdSeconds: cfg.controls.maxHoldSeconds, breakGlassSeconds: cfg.breakGlass.timeoutSeconds };
      const worst = Math.max(...STRATEGIES.map((s) => worstCaseRunSeconds(timingsFor(s, svc, cfg.approval, holds))));
      if (worst > GO_LIVE.TimeoutSeconds) {
        ctx.addIssue({
          code: 'custom',
          path: ['services', name, 'strategy', 'bakeSeconds'],
          message:
            `a go-live can take up to ${worst} s (bakes of ${svc.strategy.bakeSeconds} s, approval.timeoutSeconds ` +
            `${cfg.approval.timeoutSeconds} s, controls.maxHoldSeconds ${cfg.controls.maxHoldSeconds} s, ` +
            `the ${restoreBudgetFor(svc.backup).seconds} s restore budget of ` +
            `${restoreBudgetFor(svc.backup).what}, every task's timeout and retries), beyond the ${GO_LIVE.TimeoutSeconds} s ` +
            'execution limit: shorten the bakes, the canary steps or the approval timeout',
        });
      }
    }
    for (const [path, message] of policyProblems(cfg)) ctx.addIssue({ code: 'custom', path, message });
    if (Object.keys(cfg.services).length === 0) {
      ctx.addIssue({ code: 'custom', path: ['services'], message: 'describe at least one service' });
    }
  });

export type GoLiveConfig = z.infer<typeof configSchema>;
export type ServiceConfig = GoLiveConfig['services'][string];
export type SmokeCheck = z.infer<typeof smokeCheck>;

export class ConfigError extends Error {
  constructor(
    message: string,
    readonly issues: string[],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates a parsed config; the error lists every problem as `path: reason`. */
export function parseConfig(raw: unknown, source = 'golive.config.yaml'): GoLiveConfig {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ConfigError(`${source} is invalid:\n  - ${issues.join('\n  - ')}`, issues);
}

/** JSON Schema for editor completion (`npm run schema`). */
export function configJsonSchema(): unknown {
  return z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' });
}
