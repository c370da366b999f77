import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FUNCTIONS, type FunctionKey } from '../../lambdas/catalog';
import { ConfigError, parseConfig } from '../../lambdas/core/config';
import { loadConfig } from '../../lambdas/core/config-file';
import { planRollout, validateRequest } from '../../lambdas/core/request';
import { RETRY_POLICY, renderAsl, renderAslText } from '../../lambdas/core/workflow/asl';
import {
  BUDGET_PHASES,
  RESTORE_BUDGETS,
  restoreBudgetFor,
  taskWorstCaseSeconds,
  worstCaseRunSeconds,
} from '../../lambdas/core/workflow/budget';
import { GO_LIVE, TASK_NAMES, TASKS, type StateName } from '../../lambdas/core/workflow/definition';
import { parseTaskPayload } from '../../lambdas/core/workflow/receive';
import { stepPayload } from '../support/fake-deps';
import { testPlan } from '../support/payloads';

const REPO_ROOT = join(__dirname, '..', '..');
const ASL_FILE = join(REPO_ROOT, 'state-machines', 'go-live.asl.json');

// A misspelt state name does not compile (tsc runs in npm test; an unused expectation fails it).
// @ts-expect-error 'Rollbak' is not a state of the workflow
const misspelt: StateName = 'Rollbak';
void misspelt;

describe('the workflow definition (lambdas/core/workflow/definition.ts)', () => {
  it('is what state-machines/go-live.asl.json holds, byte for byte (run `npm run asl` after changing it)', () => {
    const committed = readFileSync(ASL_FILE, 'utf8');

    expect(committed).toBe(renderAslText(GO_LIVE));
  });

  it('sends every function the name of the state invoking it, and gives every Task the one retry policy', () => {
    const asl = renderAsl(GO_LIVE) as {
      States: Record<string, { Type: string; Retry?: unknown; Parameters?: unknown }>;
    };

    for (const name of TASK_NAMES) {
      const state = asl.States[name];
      expect(state.Retry).toEqual([RETRY_POLICY]);
      expect(state.Parameters).toMatchObject({
        FunctionName: `\${${FUNCTIONS[TASKS[name].fn].substitution}}`,
        Payload: { state: name },
      });
    }
  });

  it('invokes every workflow function of the catalog', () => {
    const invoked = new Set(TASK_NAMES.map((name) => TASKS[name].fn));

    expect([...invoked].sort()).toEqual((Object.keys(FUNCTIONS) as FunctionKey[]).sort());
  });
});

describe('the worst-case run time (lambdas/core/workflow/budget.ts)', () => {
  const timings = {
    canarySteps: 2,
    bakeSeconds: 30,
    postPromotionBakeSeconds: 0,
    approvalTimeoutSeconds: 900,
    restoreBudgetSeconds: 900,
    holdSeconds: 0,
    breakGlassSeconds: 0,
  };

  it('counts every Task of the definition exactly once', () => {
    const counted = Object.values(BUDGET_PHASES).flat();

    expect([...counted].sort()).toEqual([...TASK_NAMES].sort());
    expect(new Set(counted).size).toBe(counted.length);
  });

  it('counts each attempt the retry policy allows and its longest backoff', () => {
    // ValidateAndLock: 30 s timeout, 1 + 3 attempts, backoff 1 + 2 + 4 s.
    expect(taskWorstCaseSeconds('ValidateAndLock')).toBe(4 * 30 + 1 + 2 + 4);
    // A bake of 600 s: three failed invocations of at most 30 s each, the backoff, then the wait.
    expect(taskWorstCaseSeconds('Bake', 600)).toBe(3 * 30 + 7 + 600);
  });

  it('grows by one checkpoint, one shift, one bake and one analysis per canary step', () => {
    const oneMore = worstCaseRunSeconds({ ...timings, canarySteps: 3 }) - worstCaseRunSeconds(timings);

    expect(oneMore).toBe(
      taskWorstCaseSeconds('Checkpoint') +
        taskWorstCaseSeconds('ShiftTraffic') +
        taskWorstCaseSeconds('Bake', 30) +
        taskWorstCaseSeconds('AnalyzeCanary'),
    );
    expect(oneMore).toBe(4 * 30 + 7 + (4 * 120 + 7) + (3 * 30 + 7 + 30) + (4 * 60 + 7));
  });

  it('counts the hold budget once and the break-glass wait, so the mute and the lock outlast a paused go-live', () => {
    const base = worstCaseRunSeconds(timings);

    // The wait itself, plus the invocations a hold or a break-glass can retry (each bounded by its Lambda timeout).
    expect(worstCaseRunSeconds({ ...timings, holdSeconds: 3600 }) - base).toBe(
      taskWorstCaseSeconds('Paused', 3600) - taskWorstCaseSeconds('Paused', 0),
    );
    expect(worstCaseRunSeconds({ ...timings, holdSeconds: 3600 }) - base).toBe(3 * 30 + 3600);
    expect(worstCaseRunSeconds({ ...timings, breakGlassSeconds: 1800 }) - base).toBe(3 * 30 + 1800);
  });

  it('includes the restore budget, the sign-off wait and the post-promotion bake', () => {
    const base = worstCaseRunSeconds(timings);

    expect(worstCaseRunSeconds({ ...timings, approvalTimeoutSeconds: 1900 }) - base).toBe(1000);
    expect(worstCaseRunSeconds({ ...timings, postPromotionBakeSeconds: 300 }) - base).toBe(90 + 300);
    expect(worstCaseRunSeconds({ ...timings, restoreBudgetSeconds: 7200 }) - base).toBe(7200 - 900);
  });

  it('is the plan’s maxRunSeconds, which the mute window and the lock expiry use', () => {
    const config = loadConfig(join(REPO_ROOT, 'golive.config.yaml'));
    const service = config.services.demo;
    const request = validateRequest({ service: 'demo', version: '2.0.0', requestedBy: 'U1' }, config);

    const plan = planRollout(request, service, config, { stableSlot: 'blue', candidateSlot: 'green' });

    expect(plan.maxRunSeconds).toBe(
      worstCaseRunSeconds({
        canarySteps: service.strategy.canarySteps.length,
        bakeSeconds: service.strategy.bakeSeconds,
        postPromotionBakeSeconds: service.strategy.bakeSeconds,
        approvalTimeoutSeconds: config.approval.timeoutSeconds,
        restoreBudgetSeconds: RESTORE_BUDGETS.sqlite.seconds,
        holdSeconds: config.controls.maxHoldSeconds,
        breakGlassSeconds: 0,
      }),
    );
  });

  it('refuses a config whose worst case exceeds the execution timeout, naming the field', () => {
    const config = loadConfig(join(REPO_ROOT, 'golive.config.yaml'));
    // 14 bakes of 90 minutes: the old hand-kept model (4,000 s for all tasks) accepted it.
    const steps = Array.from({ length: 14 }, (_, i) => 5 + i * 5);
    const raw = {
      ...config,
      services: {
        demo: { ...config.services.demo, strategy: { default: 'canary', canarySteps: steps, bakeSeconds: 5400 } },
      },
    };

    expect(() => parseConfig(raw)).toThrow(ConfigError);
    expect(() => parseConfig(raw)).toThrow(/services\.demo\.strategy\.bakeSeconds: a go-live can take up to \d+ s/);
  });

  it('accepts only configs whose every plan fits in the execution timeout', () => {
    const config = loadConfig(join(REPO_ROOT, 'golive.config.yaml'));
    const longest = {
      ...config,
      approval: { ...config.approval, timeoutSeconds: 3600 },
      services: {
        demo: { ...config.services.demo, strategy: { default: 'canary', canarySteps: [10, 50], bakeSeconds: 600 } },
      },
    };
    const parsed = parseConfig(longest);
    const request = validateRequest({ service: 'demo', version: '2.0.0', requestedBy: 'U1' }, parsed);

    for (const strategy of ['canary', 'blue-green', 'all-at-once'] as const) {
      const plan = planRollout({ ...request, strategy }, parsed.services.demo, parsed, {
        stableSlot: 'blue',
        candidateSlot: 'green',
      });
      expect(plan.maxRunSeconds).toBeLessThanOrEqual(GO_LIVE.TimeoutSeconds);
    }
  });
});

describe('the restore budget of each backup kind (lambdas/core/workflow/budget.ts)', () => {
  const config = loadConfig(join(REPO_ROOT, 'golive.config.yaml'));
  const aws = 'arn:aws:%s:eu-west-1:123456789012:%s';
  const kinds = {
    sqlite: { kind: 'sqlite' },
    'dynamodb-pitr': { kind: 'dynamodb-pitr', tableName: 'orders' },
    'rds-snapshot (instance)': { kind: 'rds-snapshot', dbInstanceIdentifier: 'billing-db' },
    'rds-snapshot (Aurora cluster)': { kind: 'rds-snapshot', dbClusterIdentifier: 'ledger-aurora' },
    'aws-backup of a table': {
      kind: 'aws-backup',
      resourceArn: aws.replace('%s', 'dynamodb').replace('%s', 'table/t'),
    },
    'aws-backup of an RDS instance': {
      kind: 'aws-backup',
      resourceArn: aws.replace('%s', 'rds').replace('%s', 'db:b'),
    },
    'aws-backup of an Aurora cluster': {
      kind: 'aws-backup',
      resourceArn: aws.replace('%s', 'rds').replace('%s', 'cluster:c'),
    },
  } as const;
  const withBackup = (backup: object, raw: { services: Record<string, object> } = config) => {
    const vault = { backupVaultName: 'prod', iamRoleArn: 'arn:aws:iam::123456789012:role/restore' };
    const full = 'resourceArn' in backup ? { ...vault, ...backup } : backup;
    return parseConfig({ ...raw, services: { demo: { ...raw.services.demo, backup: full } } });
  };
  const planOf = (parsed: ReturnType<typeof parseConfig>) =>
    planRollout(
      validateRequest({ service: 'demo', version: '2.0.0', requestedBy: 'U1' }, parsed),
      parsed.services.demo,
      parsed,
      { stableSlot: 'blue', candidateSlot: 'green' },
    );

  it.each([
    ['sqlite', 'sqlite'],
    ['dynamodb-pitr', 'dynamodb-table'],
    ['rds-snapshot (instance)', 'rds-instance'],
    ['rds-snapshot (Aurora cluster)', 'aurora-cluster'],
    ['aws-backup of a table', 'dynamodb-table'],
    ['aws-backup of an RDS instance', 'rds-instance'],
    ['aws-backup of an Aurora cluster', 'aurora-cluster'],
  ] as const)('gives %s the budget of a restore into %s', (kind, target) => {
    expect(restoreBudgetFor(withBackup(kinds[kind]).services.demo.backup)).toBe(RESTORE_BUDGETS[target]);
  });

  it('gives RDS instances and Aurora clusters at least 60 minutes, Aurora more (cluster, then its instance)', () => {
    expect(RESTORE_BUDGETS['rds-instance'].seconds).toBeGreaterThanOrEqual(3600);
    expect(RESTORE_BUDGETS['aurora-cluster'].seconds).toBeGreaterThan(RESTORE_BUDGETS['rds-instance'].seconds);
    expect(RESTORE_BUDGETS['dynamodb-table'].seconds).toBeGreaterThanOrEqual(3600);
  });

  it('polls each kind at most once a minute, and leaves room for every check in its budget', () => {
    for (const budget of Object.values(RESTORE_BUDGETS)) {
      expect(budget.pollSeconds).toBeLessThanOrEqual(60);
      // Step Functions keeps 25,000 history events: one check costs about ten.
      expect(budget.seconds / Math.max(1, budget.pollSeconds)).toBeLessThan(1000);
    }
  });

  it('sizes the plan’s maxRunSeconds (mute window, lock expiry) to the configured kind', () => {
    const sqlite = planOf(withBackup(kinds.sqlite)).maxRunSeconds;
    const aurora = planOf(withBackup(kinds['rds-snapshot (Aurora cluster)'])).maxRunSeconds;
    const rds = planOf(withBackup(kinds['rds-snapshot (instance)'])).maxRunSeconds;

    expect(aurora - sqlite).toBe(RESTORE_BUDGETS['aurora-cluster'].seconds - RESTORE_BUDGETS.sqlite.seconds);
    expect(rds - sqlite).toBe(RESTORE_BUDGETS['rds-instance'].seconds - RESTORE_BUDGETS.sqlite.seconds);
  });

  it('refuses a config that fits with a quick restore but not with the Aurora restore it has, naming the budget', () => {
    // Bakes of 1 h and a sign-off wait sized so that the worst case with a SQLite restore is
    // 50 minutes short of the execution limit: fine for SQLite, not for Aurora's 2 hours.
    const bakeSeconds = 3600;
    const sqliteWorst = worstCaseRunSeconds({
      canarySteps: 1,
      bakeSeconds,
      postPromotionBakeSeconds: bakeSeconds,
      approvalTimeoutSeconds: 0,
      restoreBudgetSeconds: RESTORE_BUDGETS.sqlite.seconds,
      holdSeconds: config.controls.maxHoldSeconds,
      breakGlassSeconds: config.breakGlass.timeoutSeconds,
    });
    const raw = {
      ...config,
      approval: { ...config.approval, timeoutSeconds: GO_LIVE.TimeoutSeconds - 3000 - sqliteWorst },
      services: { demo: { ...config.services.demo, strategy: { default: 'canary', canarySteps: [50], bakeSeconds } } },
    };

    expect(() => withBackup(kinds.sqlite, raw)).not.toThrow();
    expect(() => withBackup(kinds['rds-snapshot (Aurora cluster)'], raw)).toThrow(
      /services\.demo\.strategy\.bakeSeconds: a go-live can take up to \d+ s \(.*the 7200 s restore budget of an Aurora cluster and its instance/,
    );
  });
});

describe('parseTaskPayload (the handler boundary)', () => {
  const request = { service: 'demo', version: '2.0.0', strategy: 'canary', requestedBy: 'U1' };
  const shift = {
    state: 'ShiftTraffic',
    executionId: 'arn:aws:states:us-east-1:123456789012:execution:golive-go-live:run-1',
    request,
    plan: testPlan(),
    action: 'shift',
    weight: 10,
  };

  it('returns the payload typed by its state, keeping only the fields the definition names', () => {
    const payload = parseTaskPayload('traffic', { ...shift, injected: '<!channel>' });

    expect(payload).toEqual(shift);
    expect(payload).not.toHaveProperty('injected');
  });

  it('refuses a state that does not invoke the function, naming the ones that do', () => {
    expect(() => parseTaskPayload('traffic', { ...shift, state: 'MuteAlerts' })).toThrow(
      'invalid step payload: state must name a Task state that invokes traffic (ShiftTraffic, Promote, Rollback); got "MuteAlerts"',
    );
    expect(() => parseTaskPayload('traffic', { ...shift, state: '__proto__' })).toThrow(/got "__proto__"/);
  });

  it('refuses a constant that differs from the definition', () => {
    expect(() => parseTaskPayload('traffic', { ...shift, action: 'promote' })).toThrow(
      'invalid step payload: action must be "shift" in ShiftTraffic; got "promote"',
    );
  });

  it('names the first field that fails its check', () => {
    expect(() => parseTaskPayload('traffic', { ...shift, weight: 150 })).toThrow(
      'weight must be a whole percentage from 0 to 100',
    );
    expect(() => parseTaskPayload('traffic', { ...shift, plan: { ...testPlan(), stableSlot: 'red' } })).toThrow(
      'plan.stableSlot must be "blue" or "green"',
    );
    expect(() => parseTaskPayload('traffic', { ...shift, request: { ...request, requestedBy: '' } })).toThrow(
      'request.requestedBy must be a non-empty string',
    );
  });

  it('takes what exists of an unvalidated request on the rollback path', () => {
    const rollback = parseTaskPayload('traffic', {
      state: 'Rollback',
      executionId: shift.executionId,
      request: { service: 'demo', version: 42 },
      plan: {},
      action: 'rollback',
      error: { Error: 'InvalidRequest', Cause: 'bad version' },
    });

    expect(rollback).toEqual({
      state: 'Rollback',
      executionId: shift.executionId,
      request: { service: 'demo' },
      plan: {},
      action: 'rollback',
      error: { Error: 'InvalidRequest', Cause: 'bad version' },
    });
  });

  it('refuses a rollback without the error that caused it', () => {
    expect(() =>
      parseTaskPayload('traffic', { state: 'Rollback', executionId: 'x', request, plan: {}, action: 'rollback' }),
    ).toThrow('error must be {"Error": string, "Cause"?: string}');
  });

  // The states of the workflow before it named them in its payloads (later ones never send without).
  const later: string[] = [
    'UnmuteAfterFailedRollback',
    'BreakGlass',
    'Checkpoint',
    'Paused',
    'CheckpointBeforePromotion',
    'PausedBeforePromotion',
    'AwaitRetry',
  ];
  const untypedEra = TASK_NAMES.filter((name) => !later.includes(name));
  it.each(untypedEra)(
    'recognises %s in a payload without `state`, as executions started before the typed workflow send',
    (state) => {
      const { state: _named, ...legacy } = stepPayload(state);

      const payload = parseTaskPayload(TASKS[state].fn, { ...legacy, plan: 'plan' in legacy ? legacy.plan : {} });

      expect(payload.state).toBe(state);
    },
  );

  it('takes a rollback-path payload sent before the state data carried the mute record (in-flight across a deploy)', () => {
    const { mute: _m, unmute: _u, ...earlier } = stepPayload('NotifyRollbackFailed');

    expect(parseTaskPayload('notify', earlier)).toMatchObject({
      state: 'NotifyRollbackFailed',
      mute: null,
      unmute: null,
    });
  });

  it('checks the mute record the state data carries, naming the bad field', () => {
    const unmute = {
      ...stepPayload('UnmuteAfterFailedRollback'),
      mute: { value: { mode: 'mute-rule', muted: 'demo-5xx' } },
    };

    expect(() => parseTaskPayload('alerts', unmute)).toThrow('mute.value.muted must be an array of strings');
  });

  it('refuses a payload without `state` that fits none of the function’s states', () => {
    expect(() => parseTaskPayload('traffic', { ...shift, state: undefined, action: 'pause' })).toThrow(
      'invalid step payload: state is missing, and the payload fits none of the Task states that invoke traffic (ShiftTraffic, Promote, Rollback)',
    );
  });
});
