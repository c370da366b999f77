import { readFileSync } from 'node:fs';
import { ASL_FILE } from '../../local/runtime';
import { FUNCTIONS, functionName } from '../../lambdas/catalog';
import { localFunctions } from '../../local/functions';

// asl-validator ships CommonJS without types: `module.exports = function validator(definition, opts)`.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const validator = require('asl-validator') as (
  definition: unknown,
  opts?: { checkArn?: boolean; checkPaths?: boolean },
) => {
  isValid: boolean;
  errors: unknown[];
};

type State = Record<string, unknown> & { Type: string };
const text = readFileSync(ASL_FILE, 'utf8');
const asl = JSON.parse(text) as { States: Record<string, State> };
const tasks = Object.entries(asl.States).filter(([, s]) => s.Type === 'Task');
const rollbackPath = ['Rollback', 'UnmuteAfterRollback', 'UnmuteAfterFailedRollback', 'ReleaseLockAfterRollback'];
const notifications = ['NotifySuccess', 'NotifyRollback', 'NotifyRollbackFailed'];

describe('state-machines/go-live.asl.json', () => {
  it('is valid Amazon States Language (asl-validator)', () => {
    const result = validator(asl, { checkArn: true, checkPaths: true });

    expect(result.errors).toEqual([]);
    expect(result.isValid).toBe(true);
  });

  it('has a catalog substitution and a local handler for every ${Var}', () => {
    const vars = new Set([...text.matchAll(/\$\{(\w+)\}/g)].map((m) => m[1]));
    const substitutions = new Map(
      Object.entries(FUNCTIONS).map(([key, f]) => [f.substitution as string, functionName(key)]),
    );
    const handlers = localFunctions(async () => {
      throw new Error('not called');
    });

    expect([...vars].sort()).toEqual([...substitutions.keys()].sort());
    for (const v of vars) expect(typeof handlers[substitutions.get(v)!]).toBe('function');
  });

  it.each(tasks)('%s has a timeout, retries transient faults with backoff, and a catch-all', (name, state) => {
    expect(state.TimeoutSeconds ?? state.TimeoutSecondsPath).toBeDefined();
    const retry = state.Retry as { ErrorEquals: string[]; BackoffRate: number; MaxAttempts: number }[];
    expect(retry[0].ErrorEquals).toEqual(
      expect.arrayContaining([
        'ProviderUnavailable',
        'Lambda.TooManyRequestsException',
        'Lambda.ClientExecutionTimeoutException',
        'Lambda.ServiceException',
        'Lambda.AWSLambdaException',
        'Lambda.SdkClientException',
      ]),
    );
    expect(retry[0].BackoffRate).toBeGreaterThan(1);
    const catchAll = (state.Catch as { ErrorEquals: string[]; Next: string }[]).find((c) =>
      c.ErrorEquals.includes('States.ALL'),
    )!;
    // Its failure is where golive retry's RedriveExecution continues: uncaught by design.
    if (name === 'AwaitRetry')
      expect(state.Catch).toEqual([
        { ErrorEquals: expect.not.arrayContaining(['States.ALL']), ResultPath: null, Next: 'GoLiveFailed' },
      ]);
    else if (name === 'Rollback') expect(catchAll.Next).toBe('UnmuteAfterFailedRollback');
    else if (rollbackPath.includes(name)) expect(catchAll.Next).toBe('NotifyRollbackFailed');
    else if (notifications.includes(name))
      expect(['GoLiveSucceeded', 'AwaitRetry', 'DescribeRollbackFailure']).toContain(catchAll.Next);
    else expect(catchAll.Next).toBe('Rollback');
  });

  it('ends the failure path with the first error name and cause, and the rollback failure loudly', () => {
    expect(asl.States.GoLiveFailed).toMatchObject({
      Type: 'Fail',
      ErrorPath: '$.error.Error',
      CausePath: '$.error.Cause',
    });
    // The cause names both failures from the state data alone: told even when Slack and the store are down.
    expect(asl.States.NotifyRollbackFailed.Next).toBe('DescribeRollbackFailure');
    expect(asl.States.DescribeRollbackFailure).toMatchObject({ Type: 'Pass', Next: 'RollbackFailed' });
    expect(asl.States.RollbackFailed).toEqual({
      Type: 'Fail',
      QueryLanguage: 'JSONPath',
      Error: 'RollbackFailed',
      CausePath: '$.rollbackFailure.cause',
    });
    // Only forward states write $.error; the rollback path writes $.rollbackError, so the first error survives
    // (and the alerts restored after a failed traffic rollback keep that rollback error for the notification).
    for (const name of rollbackPath.filter((n) => n !== 'UnmuteAfterFailedRollback')) {
      expect((asl.States[name].Catch as { ResultPath: string }[])[0].ResultPath).toBe('$.rollbackError');
    }
    expect(asl.States.Rollback.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.rollbackError', Next: 'UnmuteAfterFailedRollback' },
    ]);
    expect(asl.States.UnmuteAfterFailedRollback.Catch).toEqual([
      { ErrorEquals: ['States.ALL'], ResultPath: '$.unmute', Next: 'NotifyRollbackFailed' },
    ]);
  });

  it('bakes as callback tasks whose timeout means the bake passed', () => {
    for (const name of ['Bake', 'PostPromotionBake']) {
      const bake = asl.States[name];
      expect(bake.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
      const catches = bake.Catch as { ErrorEquals: string[]; Next: string }[];
      expect(catches[0].ErrorEquals).toEqual(['States.Timeout']);
      expect(catches[0].Next).not.toBe('Rollback');
    }
    expect(asl.States.SignOff.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect((asl.States.SignOff.Catch as { ErrorEquals: string[]; Next: string }[])[0]).toMatchObject({
      ErrorEquals: ['States.ALL'],
      Next: 'Rollback',
    });
  });
});

describe('the restore polling loop', () => {
  const restoreTasks = ['StartRestore', 'CheckRestore', 'VerifyBackup'];

  it('polls with a Wait state and a bounded number of checks, never a sleeping Lambda', () => {
    const choice = asl.States['RestoreReady?'] as unknown as { Choices: Record<string, unknown>[]; Default: string };

    expect(asl.States.MuteAlerts.Next).toBe('AfterMute?');
    expect((asl.States['AfterMute?'] as unknown as { Default: string }).Default).toBe('StartRestore');
    expect(asl.States.StartRestore.Next).toBe('RestoreReady?');
    expect(choice.Choices).toEqual([
      { Variable: '$.restore.value.status', StringEquals: 'ready', Next: 'VerifyBackup' },
      {
        Variable: '$.restore.value.attempt',
        NumericGreaterThanEqualsPath: '$.restore.value.maxAttempts',
        Next: 'VerifyBackup',
      },
    ]);
    expect(choice.Default).toBe('WaitForRestore');
    expect(asl.States.WaitForRestore).toMatchObject({
      Type: 'Wait',
      SecondsPath: '$.restore.value.pollSeconds',
      Next: 'CheckRestore',
    });
    expect(asl.States.CheckRestore.Next).toBe('RestoreReady?');
    expect(asl.States.VerifyBackup.Next).toBe('PreTrafficSmokeTests');
  });

  it.each(restoreTasks)('%s calls the backup function with its phase and rolls back on failure', (name) => {
    const state = asl.States[name] as unknown as {
      Parameters: { FunctionName: string; Payload: { action: string } };
      TimeoutSeconds: number;
    };

    expect(state.Parameters.FunctionName).toBe('${BackupFunctionArn}');
    expect(state.Parameters.Payload.action).toBe(
      { StartRestore: 'start', CheckRestore: 'check', VerifyBackup: 'validate' }[name],
    );
    expect(state.TimeoutSeconds).toBeLessThanOrEqual(300);
  });
});
