import { LocalEngine, type LambdaHandler } from '../../local/engine/engine';
import { CALLBACK, definition, nextHistoryEvent, nextTaskToken, scratchDir, types } from './helpers';

const scratch = scratchDir('callbacks');
const submitted: Array<{ taskToken: string; step: string }> = [];

const functions: Record<string, LambdaHandler> = {
  // Like the bake/approval functions: register the token somewhere and return at once.
  register: async (event: { taskToken: string; step: string }) => {
    submitted.push(event);
    return { registered: event.step };
  },
};

function callbackState(step: string, extra: Record<string, unknown> = {}) {
  return {
    Type: 'Task',
    Resource: CALLBACK,
    Parameters: { FunctionName: '${Register}', Payload: { 'taskToken.$': '$$.Task.Token', step } },
    TimeoutSeconds: 30,
    ...extra,
  };
}

let engine: LocalEngine;
let oneCallback: string;
let twoCallbacks: string;
let shortCallback: string;

beforeAll(() => {
  engine = new LocalEngine({ dbFile: scratch.db('callbacks'), functions });
  const substitutions = { Register: 'register' };
  oneCallback = engine.createStateMachine({
    name: 'one-callback',
    definition: definition({
      Approve: {
        ...callbackState('approve'),
        ResultPath: '$.approval',
        Catch: [{ ErrorEquals: ['ApprovalRejected'], ResultPath: '$.error', Next: 'Rejected' }],
        End: true,
      },
      Rejected: { Type: 'Fail', ErrorPath: '$.error.Error', CausePath: '$.error.Cause' },
    }),
    substitutions,
  }).stateMachineArn;
  twoCallbacks = engine.createStateMachine({
    name: 'two-callbacks',
    definition: definition({
      First: { ...callbackState('first'), ResultPath: '$.first', Next: 'Second' },
      Second: { ...callbackState('second'), ResultPath: '$.second', End: true },
    }),
    substitutions,
  }).stateMachineArn;
  shortCallback = engine.createStateMachine({
    name: 'short-callback',
    definition: definition({
      Bake: {
        ...callbackState('bake', { TimeoutSeconds: undefined, TimeoutSecondsPath: '$.bakeSeconds' }),
        ResultPath: null,
        Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: null, Next: 'Baked' }],
        End: true,
      },
      Baked: { Type: 'Pass', Result: 'baked', ResultPath: '$.bake', End: true },
    }),
    substitutions,
  }).stateMachineArn;
});

afterAll(async () => {
  await engine.stopAll();
  await engine.close();
  scratch.remove();
});

describe('callback tasks (.waitForTaskToken)', () => {
  it('resumes on SendTaskSuccess with the parsed output as the task result (not wrapped in Payload)', async () => {
    const tokenP = nextTaskToken(engine);
    const submittedP = nextHistoryEvent(engine, (e) => e.type === 'TaskSubmitted');
    const { executionArn } = engine.startExecution({ stateMachineArn: oneCallback, input: '{"v":1}' });
    const token = await tokenP;
    expect((await submittedP).executionArn).toBe(executionArn);
    expect(engine.describeExecution({ executionArn }).status).toBe('RUNNING');
    expect(submitted.at(-1)).toEqual({ taskToken: token, step: 'approve' });

    expect(engine.sendTaskSuccess({ taskToken: token, output: '{"approvedBy":["alice"]}' })).toEqual({});
    const result = await engine.waitForExecution(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toEqual({ v: 1, approval: { approvedBy: ['alice'] } });

    const history = engine.getExecutionHistory({ executionArn }).events!;
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history[2].taskScheduledEventDetails!.resource).toBe('invoke.waitForTaskToken');
    expect(JSON.parse(history[4].taskSubmittedEventDetails!.output!)).toEqual({
      ExecutedVersion: '$LATEST',
      Payload: { registered: 'approve' },
      StatusCode: 200,
    });
    expect(history[5].taskSucceededEventDetails!.output).toBe('{"approvedBy":["alice"]}');

    // The task is closed now: a second answer is refused as on AWS.
    expect(() => engine.sendTaskSuccess({ taskToken: token, output: '{}' })).toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
  });

  it('fails the task on SendTaskFailure with error = name and cause = message', async () => {
    const tokenP = nextTaskToken(engine);
    const { executionArn } = engine.startExecution({ stateMachineArn: oneCallback });
    const token = await tokenP;
    engine.sendTaskFailure({ taskToken: token, error: 'ApprovalRejected', cause: 'bob: not during the sale' });
    const result = await engine.waitForExecution(executionArn);
    expect(result).toMatchObject({ status: 'FAILED', error: 'ApprovalRejected', cause: 'bob: not during the sale' });
    const failed = engine.getExecutionHistory({ executionArn }).events!.find((e) => e.type === 'TaskFailed');
    expect(failed!.taskFailedEventDetails).toMatchObject({
      error: 'ApprovalRejected',
      cause: 'bob: not during the sale',
    });
  });

  it('times out per TimeoutSecondsPath (read from the state input); a late SendTaskSuccess gets TaskTimedOut', async () => {
    const tokenP = nextTaskToken(engine);
    const { executionArn } = engine.startExecution({ stateMachineArn: shortCallback, input: '{"bakeSeconds":1}' });
    const token = await tokenP;
    const result = await engine.waitForExecution(executionArn);
    expect(result.status).toBe('SUCCEEDED');
    expect(JSON.parse(result.output!)).toEqual({ bakeSeconds: 1, bake: 'baked' });
    const history = engine.getExecutionHistory({ executionArn }).events!;
    expect(types(history)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskTimedOut',
      'TaskStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(history[2].taskScheduledEventDetails!.timeoutInSeconds).toBe(1);

    expect(() => engine.sendTaskSuccess({ taskToken: token, output: '{}' })).toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
    expect(() => engine.sendTaskFailure({ taskToken: token, error: 'AlarmTriggered' })).toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
    expect(() => engine.sendTaskHeartbeat({ taskToken: token })).toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
  });

  it('gives two callback states of one execution different tokens, each valid only for its own state', async () => {
    const first = nextTaskToken(engine);
    const { executionArn } = engine.startExecution({ stateMachineArn: twoCallbacks });
    const token1 = await first;
    const second = nextTaskToken(engine, executionArn);
    engine.sendTaskHeartbeat({ taskToken: token1 });
    engine.sendTaskSuccess({ taskToken: token1, output: '"one"' });
    const token2 = await second;
    expect(token2).not.toBe(token1);
    expect(() => engine.sendTaskSuccess({ taskToken: token1, output: '"again"' })).toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
    engine.sendTaskSuccess({ taskToken: token2, output: '"two"' });
    const result = await engine.waitForExecution(executionArn);
    expect(JSON.parse(result.output!)).toEqual({ first: 'one', second: 'two' });
  });

  it('answers malformed, unknown and invalid-output requests with the AWS error codes', async () => {
    expect(() => engine.sendTaskSuccess({ taskToken: 'garbage', output: '{}' })).toThrow(
      expect.objectContaining({ name: 'InvalidToken' }),
    );
    const unknown = `GoLiveTT1.${Buffer.from(JSON.stringify({ e: 'x', n: 'y' })).toString('base64url')}`;
    expect(() => engine.sendTaskSuccess({ taskToken: unknown, output: '{}' })).toThrow(
      expect.objectContaining({ name: 'TaskDoesNotExist' }),
    );
    expect(() => engine.sendTaskSuccess({ taskToken: '', output: '{}' })).toThrow(
      expect.objectContaining({ name: 'ValidationException' }),
    );

    const tokenP = nextTaskToken(engine);
    const { executionArn } = engine.startExecution({ stateMachineArn: oneCallback });
    const token = await tokenP;
    expect(() => engine.sendTaskSuccess({ taskToken: token, output: '{not json' })).toThrow(
      expect.objectContaining({ name: 'InvalidOutput' }),
    );
    // The failed attempt to answer did not consume the token.
    engine.sendTaskSuccess({ taskToken: token, output: '{}' });
    expect((await engine.waitForExecution(executionArn)).status).toBe('SUCCEEDED');
  });

  it('StopExecution aborts the run, records ABORTED with error/cause and closes the pending token', async () => {
    const statuses: string[] = [];
    const onStatus = (d: { executionArn: string; status: string }) => statuses.push(`${d.status}`);
    engine.on('executionStatusChange', onStatus);
    const tokenP = nextTaskToken(engine);
    const { executionArn } = engine.startExecution({ stateMachineArn: oneCallback, name: 'to-abort' });
    const token = await tokenP;
    const { stopDate } = engine.stopExecution({
      executionArn,
      error: 'Aborted',
      cause: 'release manager pressed abort',
    });
    expect(stopDate).toBeInstanceOf(Date);
    const result = await engine.waitForExecution(executionArn);
    engine.off('executionStatusChange', onStatus);
    expect(result).toMatchObject({ status: 'ABORTED', error: 'Aborted', cause: 'release manager pressed abort' });
    expect(statuses).toEqual(['RUNNING', 'ABORTED']);
    const history = engine.getExecutionHistory({ executionArn, reverseOrder: true }).events!;
    expect(history[0]).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Aborted', cause: 'release manager pressed abort' },
    });
    expect(() => engine.sendTaskSuccess({ taskToken: token, output: '{}' })).toThrow(
      expect.objectContaining({ name: 'TaskTimedOut' }),
    );
    // Stopping again is a no-op, as is stopping any finished execution.
    expect(engine.stopExecution({ executionArn }).stopDate).toEqual(result.stopDate);
    expect(engine.runningExecutionArns).not.toContain(executionArn);
  });
});
