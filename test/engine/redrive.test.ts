import {
  DescribeExecutionCommand,
  ExecutionDoesNotExist,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  InvalidArn,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { LocalEngine } from '../../local/engine/engine';
import { startSfnEndpoint, type SfnEndpoint } from '../../local/engine/sfn-endpoint';
import { CALLBACK, definition, invokeTask, namedError, nextTaskToken, scratchDir, types } from './helpers';

const scratch = scratchDir('redrive');

interface FlakyPayload {
  id: string;
  redriveCount: number;
  prepared: unknown;
  executionInput: unknown;
}

/** Every payload the Flaky task received, by execution id; it fails on the first call of each id only. */
const flakyCalls = new Map<string, FlakyPayload[]>();
const functions = {
  flaky: async (event: FlakyPayload) => {
    const calls = [...(flakyCalls.get(event.id) ?? []), event];
    flakyCalls.set(event.id, calls);
    if (calls.length === 1) throw namedError('Flaky', `first call of ${event.id} fails`);
    return { ok: true };
  },
  register: async () => ({ registered: true }),
};

/** Pass → Task failing on its first call (payload carries $$.Execution.RedriveCount) → Succeed. */
const passThenFlaky = definition({
  Prepare: { Type: 'Pass', Result: { step: 'prepared' }, ResultPath: '$.prepared', Next: 'Flaky' },
  Flaky: {
    ...invokeTask(
      'Flaky',
      { ResultPath: '$.flaky' },
      {
        'id.$': '$.id',
        'redriveCount.$': '$$.Execution.RedriveCount',
        'prepared.$': '$.prepared',
        'executionInput.$': '$$.Execution.Input',
      },
    ),
    Next: 'Done',
  },
  Done: { Type: 'Succeed' },
});
const passThenFail = definition({
  Prepare: { Type: 'Pass', Result: 'prepared', ResultPath: '$.prepared', Next: 'Broken' },
  Broken: { Type: 'Fail', Error: 'Broken', Cause: 'always broken' },
});
const waitForCallback = (extra = {}) =>
  definition(
    {
      Before: { Type: 'Pass', Next: 'Wait' },
      Wait: {
        Type: 'Task',
        Resource: CALLBACK,
        Parameters: {
          FunctionName: '${Register}',
          Payload: { 'taskToken.$': '$$.Task.Token', 'redriveCount.$': '$$.Execution.RedriveCount' },
        },
        TimeoutSeconds: 60,
        End: true,
      },
    },
    'Before',
    extra,
  );

function client(url: string): SFNClient {
  return new SFNClient({
    endpoint: url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

/** Calls `fn` and returns what it threw (the test fails if it resolves). */
async function rejection(fn: () => Promise<unknown>): Promise<Error> {
  try {
    await fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a rejection');
}

async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  return (await sfn.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? [];
}

function entered(events: HistoryEvent[], name: string): number {
  return events.filter((e) => e.type!.endsWith('StateEntered') && e.stateEnteredEventDetails?.name === name).length;
}

function createMachines(engine: LocalEngine): {
  flakyArn: string;
  failArn: string;
  callbackArn: string;
  timedArn: string;
} {
  return {
    flakyArn: engine.createStateMachine({ name: 'flaky', definition: passThenFlaky, substitutions: { Flaky: 'flaky' } })
      .stateMachineArn,
    failArn: engine.createStateMachine({ name: 'fail', definition: passThenFail }).stateMachineArn,
    callbackArn: engine.createStateMachine({
      name: 'callback',
      definition: waitForCallback(),
      substitutions: { Register: 'register' },
    }).stateMachineArn,
    timedArn: engine.createStateMachine({
      name: 'timed',
      definition: waitForCallback({ TimeoutSeconds: 1 }),
      substitutions: { Register: 'register' },
    }).stateMachineArn,
  };
}

describe('RedriveExecution through @aws-sdk/client-sfn', () => {
  let engine: LocalEngine;
  let endpoint: SfnEndpoint;
  let sfn: SFNClient;
  let arns: ReturnType<typeof createMachines>;

  beforeAll(async () => {
    engine = new LocalEngine({ dbFile: scratch.db('main'), functions });
    endpoint = await startSfnEndpoint(engine, { port: 0 });
    sfn = client(endpoint.url);
    arns = createMachines(engine);
  });

  afterAll(async () => {
    sfn.destroy();
    await endpoint.close();
    await engine.stopAll();
    await engine.close();
  });

  it('continues at the failed Task with the input it had, keeping the history, when the Task failed', async () => {
    const input = JSON.stringify({ id: 'continue' });
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arns.flakyArn, name: 'continue', input }),
    );
    await engine.waitForExecution(executionArn!);
    const failed = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Flaky', redriveCount: 0, redriveStatus: 'REDRIVABLE' });
    expect(failed.redriveStatusReason).toBeUndefined();
    expect(failed.redriveDate).toBeUndefined();
    const before = await history(sfn, executionArn!);

    const { redriveDate } = await sfn.send(new RedriveExecutionCommand({ executionArn }));
    await engine.waitForExecution(executionArn!);

    const after = await history(sfn, executionArn!);
    expect(after.slice(0, before.length)).toEqual(before);
    expect(after.map((e) => e.id)).toEqual(after.map((_, i) => i + 1));
    const redriven = after[before.length];
    expect(redriven).toMatchObject({ type: 'ExecutionRedriven', executionRedrivenEventDetails: { redriveCount: 1 } });
    expect(types(after.slice(before.length + 1))).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
    expect(entered(after, 'Prepare')).toBe(1);
    expect(entered(after, 'Flaky')).toBe(2);
    const calls = flakyCalls.get('continue')!;
    expect(calls.map((c) => c.redriveCount)).toEqual([0, 1]);
    expect(calls[1].prepared).toEqual({ step: 'prepared' });
    expect(calls[1].executionInput).toEqual({ id: 'continue' });

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      redriveCount: 1,
      redriveDate,
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is SUCCEEDED and cannot be redriven.',
    });
    expect(described.error).toBeUndefined();
    expect(JSON.parse(described.output!)).toMatchObject({ id: 'continue', flaky: { Payload: { ok: true } } });

    const listed = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arns.flakyArn, redriveFilter: 'REDRIVEN' }),
    );
    expect(listed.executions).toEqual([
      expect.objectContaining({ executionArn, redriveCount: 1, redriveDate, status: 'SUCCEEDED' }),
    ]);
    const notRedriven = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: arns.flakyArn, redriveFilter: 'NOT_REDRIVEN' }),
    );
    expect(notRedriven.executions!.map((e) => e.executionArn)).not.toContain(executionArn);
  });

  it('runs the Fail state again when a Fail state ended the execution', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: arns.failArn, name: 'fail' }));
    await engine.waitForExecution(executionArn!);

    await sfn.send(new RedriveExecutionCommand({ executionArn }));
    const described = await engine.waitForExecution(executionArn!);

    expect(described).toMatchObject({ status: 'FAILED', error: 'Broken', cause: 'always broken', redriveCount: 1 });
    const events = await history(sfn, executionArn!);
    expect(entered(events, 'Prepare')).toBe(1);
    expect(entered(events, 'Broken')).toBe(2);
    const failStateInputs = events
      .filter((e) => e.type === 'FailStateEntered')
      .map((e) => JSON.parse(e.stateEnteredEventDetails!.input!) as unknown);
    expect(failStateInputs).toEqual([{ prepared: 'prepared' }, { prepared: 'prepared' }]);
    expect(types(events).filter((t) => t.startsWith('Execution'))).toEqual([
      'ExecutionStarted',
      'ExecutionFailed',
      'ExecutionRedriven',
      'ExecutionFailed',
    ]);
  });

  it('refuses a RUNNING execution, then redrives it at the waiting state once aborted, idempotent per clientToken', async () => {
    const firstToken = nextTaskToken(engine);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arns.callbackArn, name: 'aborted' }),
    );
    await firstToken;

    const running = await rejection(() => sfn.send(new RedriveExecutionCommand({ executionArn })));
    expect(running).toBeInstanceOf(ExecutionNotRedrivable);
    expect(running.name).toBe('ExecutionNotRedrivable');
    expect(running.message).toBe('Execution is RUNNING and cannot be redriven.');
    expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
      redriveStatus: 'NOT_REDRIVABLE',
      redriveStatusReason: 'Execution is RUNNING and cannot be redriven.',
    });

    await sfn.send(new StopExecutionCommand({ executionArn, cause: 'operator' }));
    const secondToken = nextTaskToken(engine, executionArn);
    const redrive = await sfn.send(new RedriveExecutionCommand({ executionArn, clientToken: 'retry-1' }));
    const again = await sfn.send(new RedriveExecutionCommand({ executionArn, clientToken: 'retry-1' }));
    expect(again.redriveDate).toEqual(redrive.redriveDate);
    const other = await rejection(() =>
      sfn.send(new RedriveExecutionCommand({ executionArn, clientToken: 'retry-2' })),
    );
    expect(other).toBeInstanceOf(ExecutionNotRedrivable);

    const token = await secondToken;
    expect(token).not.toEqual(await firstToken);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"done":true}' }));
    const described = await engine.waitForExecution(executionArn!);
    expect(described).toMatchObject({ status: 'SUCCEEDED', output: '{"done":true}', redriveCount: 1 });
    const events = await history(sfn, executionArn!);
    expect(entered(events, 'Before')).toBe(1);
    expect(entered(events, 'Wait')).toBe(2);
    const payloads = events
      .filter((e) => e.type === 'TaskScheduled')
      .map(
        (e) => (JSON.parse(e.taskScheduledEventDetails!.parameters!) as { Payload: { redriveCount: number } }).Payload,
      );
    expect(payloads.map((p) => p.redriveCount)).toEqual([0, 1]);
  });

  it('redrives a TIMED_OUT execution at the state that was running', async () => {
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arns.timedArn, name: 'timed' }),
    );
    expect((await engine.waitForExecution(executionArn!)).status).toBe('TIMED_OUT');

    const token = nextTaskToken(engine, executionArn);
    await sfn.send(new RedriveExecutionCommand({ executionArn }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken: await token, output: '{}' }));

    expect(await engine.waitForExecution(executionArn!)).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1 });
    const events = await history(sfn, executionArn!);
    expect(entered(events, 'Before')).toBe(1);
    expect(entered(events, 'Wait')).toBe(2);
  });

  it('refuses SUCCEEDED, unknown and malformed executions with the SDK exception classes', async () => {
    // An earlier call on record: this execution's Flaky task succeeds at once.
    flakyCalls.set('done-once', [{ id: 'done-once', redriveCount: 0, prepared: null, executionInput: null }]);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: arns.flakyArn, name: 'succeeds', input: '{"id":"done-once"}' }),
    );
    expect((await engine.waitForExecution(executionArn!)).status).toBe('SUCCEEDED');

    const succeeded = await rejection(() => sfn.send(new RedriveExecutionCommand({ executionArn })));
    expect(succeeded).toBeInstanceOf(ExecutionNotRedrivable);
    expect(succeeded.message).toBe('Execution is SUCCEEDED and cannot be redriven.');

    const unknownArn = executionArn!.replace(':succeeds', ':never-started');
    const unknown = await rejection(() => sfn.send(new RedriveExecutionCommand({ executionArn: unknownArn })));
    expect(unknown).toBeInstanceOf(ExecutionDoesNotExist);
    expect(unknown.name).toBe('ExecutionDoesNotExist');

    const bad = await rejection(() => sfn.send(new RedriveExecutionCommand({ executionArn: 'not-an-arn' })));
    expect(bad).toBeInstanceOf(InvalidArn);
    expect(bad.name).toBe('InvalidArn');
  });
});

describe('RedriveExecution after the state machine was updated', () => {
  it('refuses, naming the fix, because the local store no longer has the definition the execution started with', async () => {
    const engine = new LocalEngine({ dbFile: scratch.db('updated'), functions });
    const endpoint = await startSfnEndpoint(engine, { port: 0 });
    const sfn = client(endpoint.url);
    try {
      const { failArn } = createMachines(engine);
      const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: failArn }));
      await engine.waitForExecution(executionArn!);

      engine.createStateMachine({ name: 'fail', definition: definition({ Done: { Type: 'Succeed' } }) });

      const refused = await rejection(() => sfn.send(new RedriveExecutionCommand({ executionArn })));
      expect(refused).toBeInstanceOf(ExecutionNotRedrivable);
      expect(refused.message).toContain('start a new execution');
      expect(await sfn.send(new DescribeExecutionCommand({ executionArn }))).toMatchObject({
        status: 'FAILED',
        redriveCount: 0,
        redriveStatus: 'NOT_REDRIVABLE',
        redriveStatusReason: refused.message,
      });
    } finally {
      sfn.destroy();
      await endpoint.close();
      await engine.close();
    }
  });
});

describe('RedriveExecution across a restart of the runtime', () => {
  it('redrives an execution a previous runtime failed, and one it left RUNNING after a redrive', async () => {
    const dbFile = scratch.db('restart');
    const first = new LocalEngine({ dbFile, functions });
    const endpoint1 = await startSfnEndpoint(first, { port: 0 });
    const sfn1 = client(endpoint1.url);
    const arns = createMachines(first);
    const failed = await sfn1.send(
      new StartExecutionCommand({ stateMachineArn: arns.flakyArn, name: 'failed', input: '{"id":"restart"}' }),
    );
    await first.waitForExecution(failed.executionArn!);
    const tokenBefore = nextTaskToken(first);
    const waiting = await sfn1.send(new StartExecutionCommand({ stateMachineArn: arns.callbackArn, name: 'waiting' }));
    await tokenBefore;
    await sfn1.send(new StopExecutionCommand({ executionArn: waiting.executionArn }));
    const tokenRedriven = nextTaskToken(first, waiting.executionArn);
    await sfn1.send(new RedriveExecutionCommand({ executionArn: waiting.executionArn }));
    await tokenRedriven;
    const historyBefore = await history(sfn1, failed.executionArn!);
    sfn1.destroy();
    await endpoint1.close();
    await first.close();

    const second = new LocalEngine({ dbFile, functions });
    const endpoint2 = await startSfnEndpoint(second, { port: 0 });
    const sfn2 = client(endpoint2.url);
    try {
      expect(second.recoveredExecutionArns).toEqual([waiting.executionArn]);
      expect(await sfn2.send(new DescribeExecutionCommand({ executionArn: failed.executionArn }))).toMatchObject({
        status: 'FAILED',
        redriveStatus: 'REDRIVABLE',
      });
      await sfn2.send(new RedriveExecutionCommand({ executionArn: failed.executionArn }));
      expect(await second.waitForExecution(failed.executionArn!)).toMatchObject({
        status: 'SUCCEEDED',
        redriveCount: 1,
      });
      const historyAfter = await history(sfn2, failed.executionArn!);
      expect(historyAfter.slice(0, historyBefore.length)).toEqual(historyBefore);
      expect(flakyCalls.get('restart')!.map((c) => c.redriveCount)).toEqual([0, 1]);

      expect(await sfn2.send(new DescribeExecutionCommand({ executionArn: waiting.executionArn }))).toMatchObject({
        status: 'ABORTED',
        redriveCount: 1,
        redriveStatus: 'REDRIVABLE',
      });
      const token = nextTaskToken(second, waiting.executionArn);
      await sfn2.send(new RedriveExecutionCommand({ executionArn: waiting.executionArn }));
      await sfn2.send(new SendTaskSuccessCommand({ taskToken: await token, output: '{}' }));
      expect(await second.waitForExecution(waiting.executionArn!)).toMatchObject({
        status: 'SUCCEEDED',
        redriveCount: 2,
      });
      const waitingEvents = await history(sfn2, waiting.executionArn!);
      expect(entered(waitingEvents, 'Before')).toBe(1);
      expect(entered(waitingEvents, 'Wait')).toBe(3);
    } finally {
      sfn2.destroy();
      await endpoint2.close();
      await second.close();
      scratch.remove();
    }
  });
});
