import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalEngine, type LambdaHandler } from '../../local/engine/engine';
import { namedError, nextHistoryEvent, scratchDir, types } from './helpers';

/**
 * The real workflow file on the local engine, with stand-in handlers: proves the engine runs it as AWS
 * would (TimeoutSecondsPath on the state input, States.Timeout as "bake passed", named errors into the
 * rollback path, Fail with ErrorPath/CausePath).
 */
const ASL = readFileSync(join(__dirname, '../../state-machines/go-live.asl.json'), 'utf8');
const SUBSTITUTIONS = {
  LockFunctionArn: 'lock',
  ReadinessFunctionArn: 'readiness',
  AlertsFunctionArn: 'alerts',
  BackupFunctionArn: 'backup',
  SmokeTestFunctionArn: 'smoke',
  TrafficFunctionArn: 'traffic',
  BakeFunctionArn: 'bake',
  ApprovalFunctionArn: 'approval',
  NotifyFunctionArn: 'notify',
};

interface Plan {
  steps: number[];
  stepCount: number;
  bakeSeconds: number;
  postPromotionBakeSeconds: number;
  signOff: 'before-traffic' | 'before-promotion' | 'none';
  approvalTimeoutSeconds: number;
  kind: 'go-live' | 'undo';
  breakGlass: 'required' | 'no';
}

const scratch = scratchDir('golive');
const log: string[] = [];
const tokens: Array<{ kind: 'bake' | 'approval'; taskToken: string; executionId: string }> = [];
let plan: Plan;
let readinessHiccups = 0;
const startTimes: string[] = [];

const functions: Record<string, LambdaHandler> = {
  lock: async (e: { action: string; request: unknown; executionId: string; startTime: string }) => {
    log.push(`lock:${e.action}`);
    if (e.action === 'acquire') {
      startTimes.push(e.startTime);
      return { request: e.request, plan, lock: { owner: e.executionId } };
    }
    if (e.action === 'checkpoint') return { action: 'continue' };
    if (e.action === 'await-retry') return { resumeAt: 'none' };
    return { released: true };
  },
  readiness: async () => {
    log.push('readiness');
    if (readinessHiccups > 0) {
      readinessHiccups -= 1;
      throw namedError('ProviderUnavailable', 'CloudWatch throttled');
    }
    return { passed: true, items: [] };
  },
  alerts: async (e: { action: string }) => {
    log.push(`alerts:${e.action}`);
    return { action: e.action };
  },
  // StartRestore → CheckRestore (ready at the first check) → VerifyBackup, as the local SQLite provider does.
  backup: async (e: { action: string }) => {
    log.push(`backup:${e.action}`);
    if (e.action === 'validate') return { restored: true };
    const status = e.action === 'check' ? 'ready' : 'pending';
    return { status, attempt: e.action === 'check' ? 1 : 0, maxAttempts: 3, pollSeconds: 0 };
  },
  smoke: async (e: { phase: string }) => {
    log.push(`smoke:${e.phase}`);
    return { passed: true };
  },
  traffic: async (e: { action: string; weight?: number }) => {
    log.push(`traffic:${e.action}${e.weight === undefined ? '' : `:${e.weight}`}`);
    return { weight: e.action === 'rollback' ? 0 : (e.weight ?? 100) };
  },
  bake: async (e: { taskToken: string; executionId: string; weight: number; action?: string }) => {
    // The bake function also runs AnalyzeCanary, right after each canary bake.
    if (e.action === 'analyze') {
      log.push(`analyze:${e.weight}`);
      return { judgement: { verdict: 'pass' } };
    }
    log.push(`bake:${e.weight}`);
    tokens.push({ kind: 'bake', taskToken: e.taskToken, executionId: e.executionId });
    return { watching: true };
  },
  approval: async (e: { taskToken: string; executionId: string }) => {
    log.push('approval');
    tokens.push({ kind: 'approval', taskToken: e.taskToken, executionId: e.executionId });
    return { requested: true };
  },
  notify: async (e: { event: string }) => {
    log.push(`notify:${e.event}`);
    return { sent: true };
  },
};

const injected = new Map<string, Error>();
let engine: LocalEngine;
let stateMachineArn: string;

beforeAll(() => {
  engine = new LocalEngine({
    dbFile: scratch.db('golive'),
    functions,
    beforeTask: ({ stateName }) => {
      const fault = injected.get(stateName);
      if (fault) throw fault;
    },
  });
  stateMachineArn = engine.createStateMachine({
    name: 'golive',
    definition: ASL,
    substitutions: SUBSTITUTIONS,
  }).stateMachineArn;
});

beforeEach(() => {
  log.length = 0;
  tokens.length = 0;
  injected.clear();
  readinessHiccups = 0;
  plan = {
    steps: [50],
    stepCount: 1,
    bakeSeconds: 1,
    postPromotionBakeSeconds: 0,
    signOff: 'before-promotion',
    approvalTimeoutSeconds: 60,
    kind: 'go-live',
    breakGlass: 'no',
  };
});

afterAll(async () => {
  await engine.stopAll();
  await engine.close();
  scratch.remove();
});

function start(name: string) {
  return engine.startExecution({
    stateMachineArn,
    name,
    input: JSON.stringify({ service: 'orders', version: '2.4.0' }),
  }).executionArn;
}

function nextToken(kind: 'bake' | 'approval', executionArn: string): Promise<string> {
  return nextHistoryEvent(engine, (e, arn) => arn === executionArn && e.type === 'TaskSubmitted').then(() => {
    const found = tokens.filter((t) => t.kind === kind && t.executionId === executionArn).at(-1);
    if (!found) throw new Error(`no ${kind} token`);
    return found.taskToken;
  });
}

describe('state-machines/go-live.asl.json on the local engine', () => {
  it('runs a canary go-live to success: bake passes by timeout, sign-off by SendTaskSuccess, retry absorbs a hiccup', async () => {
    readinessHiccups = 1;
    const approvalSubmitted = nextHistoryEvent(
      engine,
      (e) => e.type === 'TaskSubmitted' && JSON.parse(e.taskSubmittedEventDetails!.output!).Payload?.requested === true,
    );
    const executionArn = start('canary-ok');
    const { executionArn: arn } = await approvalSubmitted;
    expect(arn).toBe(executionArn);
    const approval = tokens.find((t) => t.kind === 'approval')!;
    engine.sendTaskSuccess({ taskToken: approval.taskToken, output: JSON.stringify({ approvedBy: ['alice'] }) });

    const result = await engine.waitForExecution(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(Math.abs(Date.parse(startTimes.at(-1)!) - result.startDate!.getTime())).toBeLessThan(1000);
    expect(log).toEqual([
      'lock:acquire',
      'readiness',
      'readiness',
      'alerts:mute',
      'backup:start',
      'backup:check',
      'backup:validate',
      'smoke:pre-traffic',
      // A step boundary (pause, promote, freeze) before each traffic change and before promotion.
      'lock:checkpoint',
      'traffic:shift:50',
      'bake:50',
      'analyze:50',
      'lock:checkpoint',
      'approval',
      'lock:checkpoint',
      'traffic:promote',
      'smoke:post-promotion',
      'alerts:unmute',
      'lock:release',
      'notify:succeeded',
    ]);
    const output = JSON.parse(result.output!) as Record<string, unknown>;
    expect(output).toMatchObject({
      canary: { index: 1 },
      approval: { approvedBy: ['alice'] },
      traffic: { value: { weight: 100 } },
      lock: { owner: executionArn },
    });
    const history = engine.getExecutionHistory({ executionArn, maxResults: 1000 }).events!;
    const bakeScheduled = history.find(
      (e) =>
        e.type === 'TaskScheduled' && JSON.parse(e.taskScheduledEventDetails!.parameters!).Payload.phase === 'canary',
    );
    expect(bakeScheduled!.taskScheduledEventDetails!.timeoutInSeconds).toBe(1);
    expect(types(history)).toContain('TaskTimedOut');
    expect(types(history).filter((t) => t === 'TaskFailed')).toHaveLength(1);
    // Every task token handed out is distinct (bake, then approval).
    expect(new Set(tokens.map((t) => t.taskToken)).size).toBe(2);
  });

  it('rolls back on SmokeTestFailed and ends FAILED with the first error name and its Lambda Cause', async () => {
    injected.set('PreTrafficSmokeTests', namedError('SmokeTestFailed', 'GET /health on green returned 503'));
    const executionArn = start('smoke-fails');
    const result = await engine.waitForExecution(executionArn);

    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SmokeTestFailed');
    expect(JSON.parse(result.cause!)).toMatchObject({
      errorType: 'SmokeTestFailed',
      errorMessage: 'GET /health on green returned 503',
    });
    expect(log).toEqual([
      'lock:acquire',
      'readiness',
      'alerts:mute',
      'backup:start',
      'backup:check',
      'backup:validate',
      'traffic:rollback',
      'alerts:unmute',
      'lock:release',
      'notify:rolled-back',
      'lock:await-retry',
    ]);
    const history = engine.getExecutionHistory({ executionArn, maxResults: 1000, reverseOrder: true }).events!;
    expect(history[0]).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'SmokeTestFailed', cause: result.cause },
    });
    expect(history[1]).toMatchObject({ type: 'FailStateEntered', stateEnteredEventDetails: { name: 'GoLiveFailed' } });
  });

  it('rolls back at once when an alarm fails the bake (SendTaskFailure AlarmTriggered)', async () => {
    plan.bakeSeconds = 30;
    const executionArn = start('alarm');
    const bakeToken = await nextToken('bake', executionArn);
    engine.sendTaskFailure({ taskToken: bakeToken, error: 'AlarmTriggered', cause: 'orders-5xx went to ALARM' });
    const result = await engine.waitForExecution(executionArn);
    expect(result).toMatchObject({ status: 'FAILED', error: 'AlarmTriggered', cause: 'orders-5xx went to ALARM' });
    expect(log.slice(-5)).toEqual([
      'traffic:rollback',
      'alerts:unmute',
      'lock:release',
      'notify:rolled-back',
      'lock:await-retry',
    ]);
  });

  it('rolls back when the sign-off expires (States.Timeout) and refuses the late approval', async () => {
    plan = { ...plan, steps: [], stepCount: 0, signOff: 'before-traffic', approvalTimeoutSeconds: 1 };
    const executionArn = start('approval-expires');
    const approvalToken = await nextToken('approval', executionArn);
    const result = await engine.waitForExecution(executionArn);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Timeout');
    expect(log.slice(-5)).toEqual([
      'traffic:rollback',
      'alerts:unmute',
      'lock:release',
      'notify:rolled-back',
      'lock:await-retry',
    ]);
    expect(() => engine.sendTaskSuccess({ taskToken: approvalToken, output: '{}' })).toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
  });

  it('ends RollbackFailed when the rollback itself fails', async () => {
    injected.set('PreTrafficSmokeTests', namedError('SmokeTestFailed', 'red'));
    injected.set('Rollback', namedError('TrafficShiftFailed', 'router unreachable'));
    const executionArn = start('rollback-fails');
    const result = await engine.waitForExecution(executionArn);
    expect(result).toMatchObject({ status: 'FAILED', error: 'RollbackFailed' });
    expect(log.at(-1)).toBe('notify:rollback-failed');
  });
});
