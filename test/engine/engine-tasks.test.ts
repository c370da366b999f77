import { runInNewContext } from 'node:vm';
import { LocalEngine, type LambdaHandler } from '../../local/engine/engine';
import { SfnError } from '../../local/engine/errors';
import { definition, invokeTask, namedError, scratchDir, types } from './helpers';

const scratch = scratchDir('tasks');
const calls: Array<{ fn: string; event: unknown }> = [];
let flaky = 0;

const functions: Record<string, LambdaHandler> = {
  echo: async (event) => {
    calls.push({ fn: 'echo', event });
    return { echoed: event, at: new Date(0) };
  },
  smoke: async () => {
    throw namedError('SmokeTestFailed', 'GET /health returned 503');
  },
  flaky: async () => {
    flaky += 1;
    if (flaky === 1) throw namedError('ProviderUnavailable', 'throttled');
    return { attempt: flaky };
  },
  // An error class made in another realm, as a native module's is when another test file loaded it first.
  foreign: async () => {
    throw runInNewContext(
      'new (class SqliteError extends Error { constructor(m) { super(m); this.name = "SqliteError"; } })("disk full")',
    );
  },
  slow: () => new Promise((resolve) => setTimeout(() => resolve('late'), 1500)),
  mutate: async (event: { list: number[] }) => {
    event.list.push(99);
    return event;
  },
};

let engine: LocalEngine;

beforeAll(() => {
  engine = new LocalEngine({ dbFile: scratch.db('tasks'), functions });
});

afterAll(async () => {
  await engine.stopAll();
  await engine.close();
  scratch.remove();
});

function machine(name: string, states: Record<string, unknown>, substitutions: Record<string, string>, extra = {}) {
  return engine.createStateMachine({ name, definition: definition(states, undefined, extra), substitutions })
    .stateMachineArn;
}

async function run(stateMachineArn: string, input: unknown = {}) {
  const { executionArn } = engine.startExecution({ stateMachineArn, input: JSON.stringify(input) });
  const result = await engine.waitForExecution(executionArn);
  const history = engine.getExecutionHistory({ executionArn, maxResults: 1000 }).events ?? [];
  return { executionArn, result, history };
}

describe('lambda:invoke tasks', () => {
  it('returns the lambda:invoke integration shape and passes a JSON copy of Payload', async () => {
    const arn = machine('invoke-shape', { Call: { ...invokeTask('Echo'), End: true } }, { Echo: 'echo' });
    const { result, history, executionArn } = await run(arn, { hello: 'world' });

    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toEqual({
      ExecutedVersion: '$LATEST',
      Payload: { echoed: { input: { hello: 'world' } }, at: '1970-01-01T00:00:00.000Z' },
      StatusCode: 200,
    });
    expect(calls.at(-1)).toEqual({ fn: 'echo', event: { input: { hello: 'world' } } });
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const scheduled = history[2].taskScheduledEventDetails!;
    expect(scheduled).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      region: 'us-east-1',
      timeoutInSeconds: 10,
    });
    expect(JSON.parse(scheduled.parameters!)).toEqual({
      FunctionName: 'arn:aws:lambda:us-east-1:000000000000:function:echo',
      Payload: { input: { hello: 'world' } },
    });
    expect(history.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(history.map((e) => e.previousEventId)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(history[0].executionStartedEventDetails).toMatchObject({ input: '{"hello":"world"}' });
    expect(engine.describeStateMachineForExecution({ executionArn }).name).toBe('invoke-shape');
  });

  it('runs a bare Lambda function ARN resource with the raw result and LambdaFunction* events', async () => {
    const arn = machine(
      'bare-arn',
      {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:000000000000:function:echo',
          TimeoutSeconds: 5,
          End: true,
        },
      },
      {},
    );
    const { result, history } = await run(arn, { x: 1 });
    expect(JSON.parse(result.output!)).toEqual({ echoed: { x: 1 }, at: '1970-01-01T00:00:00.000Z' });
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('gives the handler a deep copy: mutating the event does not leak into the state', async () => {
    const arn = machine(
      'copy',
      { Call: { ...invokeTask('Fn', { ResultPath: '$.result' }, { 'list.$': '$.list' }), End: true } },
      { Fn: 'mutate' },
    );
    const { result } = await run(arn, { list: [1] });
    const output = JSON.parse(result.output!) as { list: number[]; result: { Payload: { list: number[] } } };
    expect(output.list).toEqual([1]);
    expect(output.result.Payload.list).toEqual([1, 99]);
  });

  it('surfaces a thrown named error like Lambda: caught by its ErrorEquals with the runtime Cause JSON', async () => {
    const arn = machine(
      'catch-named',
      {
        Smoke: {
          ...invokeTask('Smoke'),
          Catch: [
            { ErrorEquals: ['States.Timeout'], Next: 'Wrong' },
            { ErrorEquals: ['SmokeTestFailed'], ResultPath: '$.error', Next: 'Caught' },
          ],
          End: true,
        },
        Wrong: { Type: 'Fail', Error: 'Wrong' },
        Caught: { Type: 'Pass', End: true },
      },
      { Smoke: 'smoke' },
    );
    const { result, history } = await run(arn, { v: 1 });

    expect(result.status).toBe('SUCCEEDED');
    const output = JSON.parse(result.output!) as { v: number; error: { Error: string; Cause: string } };
    expect(output.v).toBe(1);
    expect(output.error.Error).toBe('SmokeTestFailed');
    const cause = JSON.parse(output.error.Cause) as { errorType: string; errorMessage: string; trace: string[] };
    expect(Object.keys(cause)).toEqual(['errorType', 'errorMessage', 'trace']);
    expect(cause.errorType).toBe('SmokeTestFailed');
    expect(cause.errorMessage).toBe('GET /health returned 503');
    expect(cause.trace[0]).toBe('SmokeTestFailed: GET /health returned 503');
    const failed = history.find((e) => e.type === 'TaskFailed')!.taskFailedEventDetails!;
    expect(failed).toMatchObject({ resourceType: 'lambda', resource: 'invoke', error: 'SmokeTestFailed' });
    expect(failed.cause).toBe(output.error.Cause);
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('names an error from another realm by its name, not "object"', async () => {
    const arn = machine('foreign', { Foreign: { ...invokeTask('Foreign'), End: true } }, { Foreign: 'foreign' });

    const { result } = await run(arn);

    expect({ status: result.status, error: result.error }).toEqual({ status: 'FAILED', error: 'SqliteError' });
    expect(JSON.parse(result.cause!)).toMatchObject({ errorType: 'SqliteError', errorMessage: 'disk full' });
  });

  it('fails the execution with the error name and Cause when nothing catches it', async () => {
    const arn = machine('uncaught', { Smoke: { ...invokeTask('Smoke'), End: true } }, { Smoke: 'smoke' });
    const { result, history } = await run(arn);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('SmokeTestFailed');
    expect(JSON.parse(result.cause!)).toMatchObject({ errorType: 'SmokeTestFailed' });
    expect(types(history).slice(-2)).toEqual(['TaskFailed', 'ExecutionFailed']);
    expect(history.at(-1)!.executionFailedEventDetails).toEqual({ error: result.error, cause: result.cause });
  });

  it('retries a transient error, then succeeds (TaskScheduled again, no second StateEntered)', async () => {
    flaky = 0;
    const arn = machine(
      'retry',
      {
        Call: {
          ...invokeTask('Flaky'),
          Retry: [{ ErrorEquals: ['ProviderUnavailable'], IntervalSeconds: 1, MaxAttempts: 2, JitterStrategy: 'FULL' }],
          End: true,
        },
      },
      { Flaky: 'flaky' },
    );
    const { result, history } = await run(arn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toMatchObject({ Payload: { attempt: 2 } });
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('raises States.Timeout after TimeoutSeconds, which States.TaskFailed does not catch', async () => {
    const arn = machine(
      'timeout',
      {
        Slow: {
          ...invokeTask('Slow', { TimeoutSeconds: 1 }),
          Catch: [
            { ErrorEquals: ['States.TaskFailed'], Next: 'Wrong' },
            { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'TimedOut' },
          ],
          End: true,
        },
        Wrong: { Type: 'Fail', Error: 'Wrong' },
        TimedOut: { Type: 'Pass', End: true },
      },
      { Slow: 'slow' },
    );
    const { result, history } = await run(arn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toMatchObject({ error: { Error: 'States.Timeout' } });
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskTimedOut',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history[4].taskTimedOutEventDetails).toMatchObject({ error: 'States.Timeout', resource: 'invoke' });
  });

  it('fails an unknown function like Lambda ResourceNotFound', async () => {
    const arn = machine(
      'unknown-fn',
      {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: 'nope', Payload: {} },
          TimeoutSeconds: 5,
          End: true,
        },
      },
      {},
    );
    const { result } = await run(arn);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('Lambda.ResourceNotFoundException');
    expect(result.cause).toContain('function:nope');
  });

  it('treats an error thrown by beforeTask exactly like one thrown by the handler', async () => {
    const seen: unknown[] = [];
    const faulty = new LocalEngine({
      dbFile: scratch.db('before-task'),
      functions,
      beforeTask: (ctx) => {
        seen.push(ctx);
        if (ctx.stateName === 'Second') throw namedError('BackupVerificationFailed', 'injected');
      },
    });
    try {
      const { stateMachineArn } = faulty.createStateMachine({
        name: 'inject',
        definition: definition({
          First: { ...invokeTask('Echo', { ResultPath: null }), Next: 'Second' },
          Second: {
            ...invokeTask('Echo'),
            Catch: [{ ErrorEquals: ['BackupVerificationFailed'], Next: 'Rolled' }],
            End: true,
          },
          Rolled: { Type: 'Fail', ErrorPath: '$.Error', CausePath: '$.Cause' },
        }),
        substitutions: { Echo: 'echo' },
      });
      const { executionArn } = faulty.startExecution({ stateMachineArn, name: 'inject-1', input: '{"a":1}' });
      const result = await faulty.waitForExecution(executionArn);
      expect(result.status).toBe('FAILED');
      expect(result.error).toBe('BackupVerificationFailed');
      expect(JSON.parse(result.cause!)).toMatchObject({
        errorType: 'BackupVerificationFailed',
        errorMessage: 'injected',
      });
      expect(seen).toEqual([
        { executionArn, stateName: 'First', functionName: 'echo', payload: { input: { a: 1 } } },
        { executionArn, stateName: 'Second', functionName: 'echo', payload: { input: { a: 1 } } },
      ]);
    } finally {
      await faulty.close();
    }
  });

  it('evaluates TimeoutSecondsPath against the state input (not the Parameters output)', async () => {
    const arn = machine(
      'timeout-path',
      {
        Call: { ...invokeTask('Echo', { TimeoutSeconds: undefined, TimeoutSecondsPath: '$.plan.timeout' }), End: true },
      },
      { Echo: 'echo' },
    );
    const { result, history } = await run(arn, { plan: { timeout: 7 } });
    expect(result.status).toBe('SUCCEEDED');
    expect(history.find((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails!.timeoutInSeconds).toBe(7);
  });
});

describe('flow states', () => {
  it('runs Choice with intrinsics (States.MathAdd, States.ArrayGetItem) in a loop', async () => {
    const arn = machine(
      'choice-loop',
      {
        Init: { Type: 'Pass', Parameters: { 'steps.$': '$.steps', index: 0, seen: [] }, Next: 'More?' },
        'More?': {
          Type: 'Choice',
          Choices: [{ Variable: '$.index', NumericLessThan: 3, Next: 'Pick' }],
          Default: 'Done',
        },
        Pick: {
          Type: 'Pass',
          Parameters: { 'weight.$': 'States.ArrayGetItem($.steps, $.index)' },
          ResultPath: '$.current',
          Next: 'Increment',
        },
        Increment: {
          Type: 'Pass',
          Parameters: { 'index.$': 'States.MathAdd($.index, 1)' },
          ResultPath: '$.next',
          Next: 'Carry',
        },
        Carry: {
          Type: 'Pass',
          Parameters: { 'steps.$': '$.steps', 'index.$': '$.next.index', 'last.$': '$.current.weight' },
          Next: 'More?',
        },
        Done: { Type: 'Succeed' },
      },
      {},
    );
    const { result, history } = await run(arn, { steps: [10, 50, 100] });
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toEqual({ steps: [10, 50, 100], index: 3, last: 100 });
    expect(types(history)).toContain('ChoiceStateEntered');
    expect(types(history).slice(-3)).toEqual(['SucceedStateEntered', 'SucceedStateExited', 'ExecutionSucceeded']);
  });

  it('ends FAILED with the error and cause a Fail state selects through ErrorPath/CausePath', async () => {
    const arn = machine(
      'fail-path',
      { Boom: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' } },
      {},
    );
    const { result, history } = await run(arn, {
      error: { Error: 'ApprovalRejected', Cause: 'rejected by bob: not today' },
    });
    expect(result).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected', cause: 'rejected by bob: not today' });
    expect(types(history)).toEqual(['ExecutionStarted', 'FailStateEntered', 'ExecutionFailed']);
  });

  it('omits error/cause of a bare Fail state, as AWS does', async () => {
    const arn = machine('fail-bare', { Boom: { Type: 'Fail' } }, {});
    const { result } = await run(arn);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBeUndefined();
    expect(result.cause).toBeUndefined();
  });

  it('times out the whole execution after the state machine TimeoutSeconds', async () => {
    const arn = machine('exec-timeout', { Wait: { Type: 'Wait', Seconds: 30, End: true } }, {}, { TimeoutSeconds: 1 });
    const { result, history } = await run(arn);
    expect(result.status).toBe('TIMED_OUT');
    expect(result.error).toBe('States.Timeout');
    expect(types(history).at(-1)).toBe('ExecutionTimedOut');
  });
});

describe('nested states', () => {
  it('runs Task states inside Parallel branches and a Map iterator', async () => {
    const arn = machine(
      'nested',
      {
        Fan: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Left', States: { Left: { ...invokeTask('Echo', {}, { side: 'left' }), End: true } } },
            { StartAt: 'Right', States: { Right: { ...invokeTask('Echo', {}, { side: 'right' }), End: true } } },
          ],
          ResultSelector: { 'sides.$': '$[*].Payload.echoed.side' },
          ResultPath: '$.fan',
          Next: 'Each',
        },
        Each: {
          Type: 'Map',
          ItemsPath: '$.items',
          ItemProcessor: {
            StartAt: 'Item',
            States: {
              Item: { ...invokeTask('Echo', {}, { 'item.$': '$' }), OutputPath: '$.Payload.echoed.item', End: true },
            },
          },
          ResultPath: '$.mapped',
          End: true,
        },
      },
      { Echo: 'echo' },
    );
    const { result, history } = await run(arn, { items: [1, 2, 3] });
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toEqual({
      items: [1, 2, 3],
      fan: { sides: ['left', 'right'] },
      mapped: [1, 2, 3],
    });
    expect(types(history).filter((t) => t === 'TaskSucceeded')).toHaveLength(5);
    expect(types(history).filter((t) => t === 'MapIterationSucceeded')).toHaveLength(3);
    expect(types(history)).toEqual(expect.arrayContaining(['ParallelStateEntered', 'MapStateExited']));
  });
});

describe('definitions', () => {
  it('requires a substitution for every ${Var}, naming the missing ones', () => {
    expect(() =>
      engine.createStateMachine({
        name: 'missing-subst',
        definition: definition({ A: { ...invokeTask('LockFunctionArn'), End: true } }),
        substitutions: {},
      }),
    ).toThrow(/\$\{LockFunctionArn\}.*substitutions: \{ LockFunctionArn: '<function name>' \}/);
  });

  it('rejects substitutions to unregistered functions and invalid ASL with InvalidDefinition', () => {
    const bad = (def: string, subs: Record<string, string> = {}) => {
      try {
        engine.createStateMachine({ name: 'bad', definition: def, substitutions: subs });
      } catch (err) {
        return err;
      }
      return undefined;
    };
    const unknownFn = bad(definition({ A: { ...invokeTask('X'), End: true } }), { X: 'does-not-exist' });
    expect(unknownFn).toBeInstanceOf(SfnError);
    expect(unknownFn).toMatchObject({ name: 'InvalidDefinition', message: expect.stringContaining('does-not-exist') });
    expect(bad('{ not json')).toMatchObject({ name: 'InvalidDefinition' });
    expect(bad(definition({ A: { Type: 'Pass', Next: 'Nowhere' } }))).toMatchObject({ name: 'InvalidDefinition' });
    expect(
      bad(definition({ A: { Type: 'Task', Resource: 'arn:aws:states:::sns:publish', Parameters: {}, End: true } })),
    ).toMatchObject({ name: 'InvalidDefinition', message: expect.stringContaining('sns:publish') });
  });

  it('is idempotent by name: re-creating updates the definition, keeps the ARN and creation date', () => {
    const first = engine.createStateMachine({ name: 'update-me', definition: definition({ A: { Type: 'Succeed' } }) });
    const second = engine.createStateMachine({
      name: 'update-me',
      definition: definition({ B: { Type: 'Pass', End: true } }),
    });
    expect(second.stateMachineArn).toBe(first.stateMachineArn);
    expect(second.creationDate).toEqual(first.creationDate);
    expect(
      JSON.parse(engine.describeStateMachine({ stateMachineArn: first.stateMachineArn }).definition!),
    ).toMatchObject({
      StartAt: 'B',
    });
  });
});
