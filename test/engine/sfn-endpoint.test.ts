import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  InvalidArn,
  InvalidExecutionInput,
  InvalidToken,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { LocalEngine, RESTART_ABORT_CAUSE, type ExecutionStatusChangeDetail } from '../../local/engine/engine';
import { startSfnEndpoint, type SfnEndpoint } from '../../local/engine/sfn-endpoint';
import { CALLBACK, definition, invokeTask, nextHistoryEvent, nextTaskToken, scratchDir } from './helpers';

const scratch = scratchDir('endpoint');
const functions = {
  echo: async (event: unknown) => ({ echoed: event }),
  register: async () => ({ ok: true }),
};

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

const manySteps = definition({
  S1: { ...invokeTask('Echo', { ResultPath: '$.r1' }), Next: 'S2' },
  S2: { ...invokeTask('Echo', { ResultPath: '$.r2' }), Next: 'S3' },
  S3: { ...invokeTask('Echo', { ResultPath: '$.r3' }), Next: 'Done' },
  Done: { Type: 'Succeed' },
});
const waitForCallback = definition({
  Wait: {
    Type: 'Task',
    Resource: CALLBACK,
    Parameters: { FunctionName: '${Register}', Payload: { 'taskToken.$': '$$.Task.Token' } },
    TimeoutSeconds: 60,
    End: true,
  },
});

describe('Step Functions endpoint through @aws-sdk/client-sfn', () => {
  let engine: LocalEngine;
  let endpoint: SfnEndpoint;
  let sfn: SFNClient;
  let stepsArn: string;
  let callbackArn: string;

  beforeAll(async () => {
    engine = new LocalEngine({ dbFile: scratch.db('main'), functions });
    endpoint = await startSfnEndpoint(engine, { port: 0 });
    sfn = client(endpoint.url);
    stepsArn = engine.createStateMachine({
      name: 'steps',
      definition: manySteps,
      substitutions: { Echo: 'echo' },
    }).stateMachineArn;
    callbackArn = engine.createStateMachine({
      name: 'callback',
      definition: waitForCallback,
      substitutions: { Register: 'register' },
    }).stateMachineArn;
  });

  afterAll(async () => {
    sfn.destroy();
    await endpoint.close();
    await engine.stopAll();
    await engine.close();
  });

  it('serves the ephemeral port on 127.0.0.1', () => {
    expect(endpoint.port).toBeGreaterThan(0);
    expect(endpoint.url).toBe(`http://127.0.0.1:${endpoint.port}`);
  });

  it('answers no web page (Origin) and no other host name (DNS rebinding), only SDK clients on 127.0.0.1', async () => {
    const post = (headers: Record<string, string>) =>
      new Promise<number>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port: endpoint.port,
            method: 'POST',
            path: '/',
            headers: {
              'content-type': 'application/x-amz-json-1.0',
              'x-amz-target': 'AWSStepFunctions.ListStateMachines',
              ...headers,
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on('error', reject);
        req.end('{}');
      });

    expect(await post({ origin: 'http://attacker.example' })).toBe(403);
    expect(await post({ host: `attacker.example:${endpoint.port}` })).toBe(403);
    expect(await post({})).toBe(200);
  });

  it('starts, describes and lists executions with Date fields', async () => {
    const started = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: stepsArn, name: 'sdk-1', input: '{"n":1}' }),
    );
    expect(started.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:steps:sdk-1');
    expect(started.startDate).toBeInstanceOf(Date);
    await engine.waitForExecution(started.executionArn!);

    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described).toMatchObject({
      status: 'SUCCEEDED',
      name: 'sdk-1',
      stateMachineArn: stepsArn,
      input: '{"n":1}',
    });
    expect(described.stopDate).toBeInstanceOf(Date);
    expect(described.startDate!.getTime()).toBe(started.startDate!.getTime());
    expect(JSON.parse(described.output!)).toMatchObject({ n: 1, r3: { StatusCode: 200 } });

    // Idempotent for a running execution only; a finished one with the same name is a conflict.
    const again = await rejection(() =>
      sfn.send(new StartExecutionCommand({ stateMachineArn: stepsArn, name: 'sdk-1', input: '{"n":1}' })),
    );
    expect(again).toBeInstanceOf(ExecutionAlreadyExists);

    const second = await sfn.send(new StartExecutionCommand({ stateMachineArn: stepsArn, name: 'sdk-2' }));
    await engine.waitForExecution(second.executionArn!);
    const page1 = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stepsArn, maxResults: 1 }));
    expect(page1.executions!.map((e) => e.name)).toEqual(['sdk-2']);
    expect(page1.nextToken).toBeDefined();
    const page2 = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: stepsArn, maxResults: 1, nextToken: page1.nextToken }),
    );
    expect(page2.executions!.map((e) => e.name)).toEqual(['sdk-1']);
    expect(page2.executions![0].startDate).toBeInstanceOf(Date);
    const running = await sfn.send(new ListExecutionsCommand({ stateMachineArn: stepsArn, statusFilter: 'RUNNING' }));
    expect(running.executions).toEqual([]);
  });

  it('pages GetExecutionHistory with nextToken, forwards and in reverse', async () => {
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: stepsArn, name: 'paging' }));
    await engine.waitForExecution(executionArn!);

    const collect = async (reverseOrder: boolean): Promise<HistoryEvent[]> => {
      const events: HistoryEvent[] = [];
      let nextToken: string | undefined;
      let pages = 0;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({ executionArn, maxResults: 4, reverseOrder, nextToken }),
        );
        events.push(...page.events!);
        nextToken = page.nextToken;
        pages += 1;
      } while (nextToken);
      expect(pages).toBeGreaterThan(1);
      return events;
    };
    const forward = await collect(false);
    const backward = await collect(true);
    // 1 start + 3 tasks × 5 events + Succeed entered/exited + end
    expect(forward).toHaveLength(19);
    expect(forward.map((e) => e.id)).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    expect(backward.map((e) => e.id)).toEqual(forward.map((e) => e.id).reverse());
    expect(forward[0]).toMatchObject({ type: 'ExecutionStarted', previousEventId: 0 });
    expect(forward[0].timestamp).toBeInstanceOf(Date);
    expect(forward[2].taskScheduledEventDetails).toMatchObject({ resourceType: 'lambda', resource: 'invoke' });
    expect(forward.at(-1)).toMatchObject({ type: 'ExecutionSucceeded' });

    const withoutData = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 2, includeExecutionData: false }),
    );
    expect(withoutData.events![0].executionStartedEventDetails).toEqual({ roleArn: expect.any(String) });
    expect(withoutData.events![1].stateEnteredEventDetails).toEqual({ name: 'S1' });

    const badToken = await rejection(() =>
      sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken: 'not-a-token' })),
    );
    expect(badToken).toBeInstanceOf(InvalidToken);
  });

  it('completes callback tasks through SendTaskSuccess / SendTaskHeartbeat and refuses late answers', async () => {
    const tokenP = nextTaskToken(engine);
    const { executionArn } = await sfn.send(new StartExecutionCommand({ stateMachineArn: callbackArn }));
    const taskToken = await tokenP;
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken }));
    await sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{"approved":true}' }));
    const result = await engine.waitForExecution(executionArn!);
    expect(JSON.parse(result.output!)).toEqual({ approved: true });

    const late = await rejection(() => sfn.send(new SendTaskFailureCommand({ taskToken, error: 'AlarmTriggered' })));
    expect(late).toBeInstanceOf(TaskTimedOut);
    expect(late.name).toBe('TaskTimedOut');
    const garbled = await rejection(() => sfn.send(new SendTaskSuccessCommand({ taskToken: 'xyz', output: '{}' })));
    expect(garbled).toBeInstanceOf(InvalidToken);
    const unknown = `GoLiveTT1.${Buffer.from('{"e":"a","n":"b"}').toString('base64url')}`;
    const missing = await rejection(() => sfn.send(new SendTaskSuccessCommand({ taskToken: unknown, output: '{}' })));
    expect(missing).toBeInstanceOf(TaskDoesNotExist);
  });

  it('stops an execution through StopExecution', async () => {
    const tokenP = nextTaskToken(engine);
    const { executionArn } = await sfn.send(
      new StartExecutionCommand({ stateMachineArn: callbackArn, name: 'stop-me' }),
    );
    await tokenP;
    const stopped = await sfn.send(new StopExecutionCommand({ executionArn, cause: 'abort from Slack' }));
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', cause: 'abort from Slack' });
  });

  it('maps errors to the SDK exception classes', async () => {
    const missingExec = await rejection(() =>
      sfn.send(
        new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:steps:nope' }),
      ),
    );
    expect(missingExec).toBeInstanceOf(ExecutionDoesNotExist);
    expect(missingExec.name).toBe('ExecutionDoesNotExist');
    expect(missingExec.message).toContain('execution:steps:nope');

    const badArn = await rejection(() => sfn.send(new DescribeExecutionCommand({ executionArn: 'not-an-arn' })));
    expect(badArn).toBeInstanceOf(InvalidArn);
    const wrongType = await rejection(() => sfn.send(new DescribeExecutionCommand({ executionArn: stepsArn })));
    expect(wrongType).toBeInstanceOf(InvalidArn);

    const missingSm = await rejection(() =>
      sfn.send(
        new StartExecutionCommand({ stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:nope' }),
      ),
    );
    expect(missingSm).toBeInstanceOf(StateMachineDoesNotExist);

    const badInput = await rejection(() =>
      sfn.send(new StartExecutionCommand({ stateMachineArn: stepsArn, input: '{oops' })),
    );
    expect(badInput).toBeInstanceOf(InvalidExecutionInput);

    const badName = await rejection(() =>
      sfn.send(new StartExecutionCommand({ stateMachineArn: stepsArn, name: 'has space' })),
    );
    expect(badName.name).toBe('InvalidName');
  });

  it('lists and describes state machines', async () => {
    const list = await sfn.send(new ListStateMachinesCommand({}));
    expect(list.stateMachines!.map((s) => s.name)).toEqual(['callback', 'steps']);
    expect(list.stateMachines![0].creationDate).toBeInstanceOf(Date);
    const described = await sfn.send(new DescribeStateMachineCommand({ stateMachineArn: stepsArn }));
    expect(described).toMatchObject({ name: 'steps', status: 'ACTIVE', type: 'STANDARD' });
    expect(described.definition).toContain('arn:aws:lambda:us-east-1:000000000000:function:echo');
    expect(described.definition).not.toContain('${Echo}');
  });

  it('answers unknown operations and bad bodies with JSON 1.0 errors', async () => {
    const post = (target: string, body: string) =>
      fetch(endpoint.url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-amz-json-1.0', 'X-Amz-Target': target },
        body,
      });
    const unknownOp = await post('AWSStepFunctions.DeleteStateMachine', '{}');
    expect(unknownOp.status).toBe(400);
    expect(await unknownOp.json()).toMatchObject({ __type: 'com.amazonaws.sfn#UnknownOperationException' });
    const badJson = await post('AWSStepFunctions.DescribeExecution', '{');
    expect(badJson.status).toBe(400);
    expect(await badJson.json()).toMatchObject({ __type: 'com.amazonaws.sfn#SerializationException' });
    const missing = await post('AWSStepFunctions.DescribeExecution', '{}');
    expect(missing.status).toBe(400);
    expect(await missing.json()).toMatchObject({ __type: 'com.amazonaws.sfn#ValidationException' });
    const ok = await post('AWSStepFunctions.ListStateMachines', '{}');
    expect(ok.headers.get('content-type')).toBe('application/x-amz-json-1.0');
    const body = (await ok.json()) as { stateMachines: Array<{ creationDate: unknown }> };
    expect(typeof body.stateMachines[0].creationDate).toBe('number');
  });
});

describe('restart on the same database file', () => {
  it('answers for old executions and marks interrupted ones ABORTED', async () => {
    const dbFile = scratch.db('restart');
    const first = new LocalEngine({ dbFile, functions });
    const endpoint1 = await startSfnEndpoint(first, { port: 0 });
    const sfn1 = client(endpoint1.url);
    const stepsArn = first.createStateMachine({
      name: 'steps',
      definition: manySteps,
      substitutions: { Echo: 'echo' },
    }).stateMachineArn;
    const callbackArn = first.createStateMachine({
      name: 'callback',
      definition: waitForCallback,
      substitutions: { Register: 'register' },
    }).stateMachineArn;
    const done = await sfn1.send(new StartExecutionCommand({ stateMachineArn: stepsArn, name: 'finished' }));
    await first.waitForExecution(done.executionArn!);
    const tokenP = nextTaskToken(first);
    const submitted = nextHistoryEvent(first, (e) => e.type === 'TaskSubmitted');
    const interrupted = await sfn1.send(
      new StartExecutionCommand({ stateMachineArn: callbackArn, name: 'interrupted' }),
    );
    const token = await tokenP;
    await submitted;
    const historyBefore = await sfn1.send(new GetExecutionHistoryCommand({ executionArn: done.executionArn }));
    // Simulate the process going away: nothing is recorded as aborted by close().
    sfn1.destroy();
    await endpoint1.close();
    await first.close();

    const second = new LocalEngine({ dbFile, functions });
    const statusChange = new Promise<ExecutionStatusChangeDetail>((resolve) =>
      second.once('executionStatusChange', resolve),
    );
    const endpoint2 = await startSfnEndpoint(second, { port: 0 });
    const sfn2 = client(endpoint2.url);
    try {
      expect(second.recoveredExecutionArns).toEqual([interrupted.executionArn]);
      expect(await statusChange).toMatchObject({
        executionArn: interrupted.executionArn,
        status: 'ABORTED',
        error: 'States.Runtime',
        cause: RESTART_ABORT_CAUSE,
      });

      const old = await sfn2.send(new DescribeExecutionCommand({ executionArn: done.executionArn }));
      expect(old.status).toBe('SUCCEEDED');
      const historyAfter = await sfn2.send(new GetExecutionHistoryCommand({ executionArn: done.executionArn }));
      expect(historyAfter.events).toEqual(historyBefore.events);

      const aborted = await sfn2.send(new DescribeExecutionCommand({ executionArn: interrupted.executionArn }));
      expect(aborted).toMatchObject({ status: 'ABORTED', error: 'States.Runtime', cause: RESTART_ABORT_CAUSE });
      const abortedHistory = await sfn2.send(
        new GetExecutionHistoryCommand({ executionArn: interrupted.executionArn, reverseOrder: true, maxResults: 1 }),
      );
      expect(abortedHistory.events![0]).toMatchObject({
        type: 'ExecutionAborted',
        executionAbortedEventDetails: { error: 'States.Runtime', cause: RESTART_ABORT_CAUSE },
      });
      const late = await rejection(() => sfn2.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })));
      expect(late).toBeInstanceOf(TaskTimedOut);

      // State machines survive too, and can run again.
      const list = await sfn2.send(new ListStateMachinesCommand({}));
      expect(list.stateMachines!.map((s) => s.name)).toEqual(['callback', 'steps']);
      const again = await sfn2.send(new StartExecutionCommand({ stateMachineArn: stepsArn, name: 'after-restart' }));
      expect((await second.waitForExecution(again.executionArn!)).status).toBe('SUCCEEDED');
    } finally {
      sfn2.destroy();
      await endpoint2.close();
      await second.close();
    }
  });
});

describe('busy port', () => {
  let blocker: Server;
  let engine: LocalEngine;

  beforeAll(async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    engine = new LocalEngine({ dbFile: scratch.db('busy'), functions });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    await engine.close();
    scratch.remove();
  });

  it('rejects with a message naming the port and the flag to change it', async () => {
    const port = (blocker.address() as AddressInfo).port;
    const err = await rejection(() => startSfnEndpoint(engine, { port }));
    expect(err.message).toContain(`Port ${port}`);
    expect(err.message).toContain('--sfn-port');
    expect((err as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
  });
});
