/**
 * The Slack function as Lambda runs it (lambdas/slack/index.ts `handler`): the API Gateway
 * invocation answers Slack and hands the work to an asynchronous invocation of itself; that
 * invocation does the work. AWS is aws-sdk-client-mock; Slack's Web API and response_url are a
 * server on 127.0.0.1.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  type StartExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { SECRET_CACHE_MS } from '../../lambdas/providers/aws/notifier';
import {
  WORK_MAX_AGE_MS,
  workMac,
  type ApiGatewayResult,
  type SlackWorkEvent,
} from '../../lambdas/slack/lambda-receiver';
import { awsError } from '../aws/helpers';
import { REQUESTER, testConfig } from '../support/harness';
import { commandBody, slackRequest } from './helpers';

const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:golive-go-live';
const SECRET_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:golive/slack-AbCdEf';
const FUNCTION_NAME = 'golive-slack';
const ENV = {
  GOLIVE_SLACK_SECRET_ARN: SECRET_ARN,
  STATE_MACHINE_ARN: MACHINE,
  GOLIVE_TABLE: 'golive',
  AWS_LAMBDA_FUNCTION_NAME: FUNCTION_NAME,
  AWS_REGION: 'eu-west-1',
};

const secrets = mockClient(SecretsManagerClient);
const lambdaApi = mockClient(LambdaClient);
const sfn = mockClient(SFNClient);
const dynamo = mockClient(DynamoDBDocumentClient);

type Handler = (event: unknown, context: unknown) => Promise<ApiGatewayResult | undefined>;
let handler: Handler;
let slack: Server;
let slackUrl: string;
/** What reached Slack: Web API calls and response_url posts, in order. */
let slackCalls: { path: string; body: Record<string, unknown> }[];
let signingSecret = 'signing-1';

const credentials = (signing: string, bot: string) => ({
  SecretString: JSON.stringify({ signingSecret: signing, botToken: bot }),
});

/** A request as API Gateway (REST, Lambda proxy) hands it to the function. */
function apiEvent(body: string, headers: Record<string, string>): Record<string, unknown> {
  return {
    resource: '/slack/events',
    path: '/slack/events',
    httpMethod: 'POST',
    headers,
    multiValueHeaders: {},
    queryStringParameters: null,
    requestContext: { resourcePath: '/slack/events', httpMethod: 'POST', stage: 'prod', requestId: 'req-1' },
    body,
    isBase64Encoded: false,
  };
}
const signed = (body: string) => apiEvent(body, slackRequest(signingSecret, body));
const context = { functionName: FUNCTION_NAME, awsRequestId: 'req-1' };
const invoked = () =>
  lambdaApi.commandCalls(InvokeCommand).map((c) => {
    const { Payload, ...rest } = c.args[0].input;
    return { ...rest, Payload: JSON.parse(new TextDecoder().decode(Payload as Uint8Array)) as SlackWorkEvent };
  });

beforeAll(async () => {
  // Only the clock is fake (the secret's cache expires by it); timers and I/O run for real.
  jest.useFakeTimers({
    now: new Date('2026-05-04T10:00:00Z'),
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'requestAnimationFrame',
      'cancelAnimationFrame',
      'requestIdleCallback',
      'cancelIdleCallback',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
  });
  slack = createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const body = (
        req.headers['content-type']?.includes('json')
          ? JSON.parse(raw || '{}')
          : Object.fromEntries(new URLSearchParams(raw))
      ) as Record<string, unknown>;
      slackCalls.push({ path: req.url ?? '', body });
      const user = { id: String(body.user), name: 'rita', profile: { display_name: 'Rita' } };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(req.url?.endsWith('users.info') ? { ok: true, user } : { ok: true }));
    });
  });
  await new Promise<void>((resolve) => slack.listen(0, '127.0.0.1', resolve));
  slackUrl = `http://127.0.0.1:${(slack.address() as AddressInfo).port}`;
  Object.assign(process.env, ENV, { GOLIVE_SLACK_API_URL: `${slackUrl}/api/` });
  (globalThis as { __GOLIVE_CONFIG__?: string }).__GOLIVE_CONFIG__ = JSON.stringify(testConfig());
  ({ handler } = (await import('../../lambdas/slack')) as unknown as { handler: Handler });
});

afterAll(async () => {
  jest.useRealTimers();
  for (const key of [...Object.keys(ENV), 'GOLIVE_SLACK_API_URL']) delete process.env[key];
  delete (globalThis as { __GOLIVE_CONFIG__?: string }).__GOLIVE_CONFIG__;
  await new Promise<void>((resolve) => slack.close(() => resolve()));
});

beforeEach(() => {
  slackCalls = [];
  for (const mock of [secrets, lambdaApi, sfn, dynamo]) mock.reset();
  secrets.on(GetSecretValueCommand).resolves(credentials(signingSecret, 'xoxb-1'));
  lambdaApi.on(InvokeCommand).resolves({ StatusCode: 202 });
  sfn.on(DescribeExecutionCommand).rejects(awsError('ExecutionDoesNotExist', 400));
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  dynamo.on(GetCommand).resolves({});
});

describe('the Slack function on Lambda', () => {
  it('answers Slack before the go-live starts, handing the start to an asynchronous invocation of itself', async () => {
    let startCalled!: (input: StartExecutionCommandInput) => void;
    const startReached = new Promise<StartExecutionCommandInput>((resolve) => (startCalled = resolve));
    let openGate!: () => void;
    const gate = new Promise<void>((resolve) => (openGate = resolve));
    // StartExecution waits for the test: had the answer waited for it, the answer would never come.
    sfn.on(StartExecutionCommand).callsFake(async (input: StartExecutionCommandInput) => {
      startCalled(input);
      await gate;
      return { executionArn: `${MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}` };
    });
    const body = commandBody(REQUESTER, 'demo 2.0.0 canary', 'trigger-start', `${slackUrl}/respond/1`);

    const answer = await handler(signed(body), context);

    expect(answer).toEqual({
      statusCode: 200,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', text: 'Starting demo 2.0.0 (canary)…' }),
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    expect(invoked()).toEqual([
      {
        FunctionName: FUNCTION_NAME,
        InvocationType: 'Event',
        Payload: {
          goliveSlackWork: 1,
          body: Object.fromEntries(new URLSearchParams(body)),
          at: expect.any(Number),
          mac: expect.stringMatching(/^[0-9a-f]{64}$/),
        },
      },
    ]);

    const work = handler(invoked()[0].Payload, context);
    const start = await startReached;
    const toldBeforeStart = slackCalls.filter((c) => c.path.startsWith('/respond/'));
    openGate();
    await work;

    expect(start).toEqual({
      stateMachineArn: MACHINE,
      name: expect.stringMatching(/^demo-2-0-0-slack-[0-9a-f]{12}$/),
      input: JSON.stringify({
        service: 'demo',
        version: '2.0.0',
        strategy: 'canary',
        requestedBy: REQUESTER,
        verifiedBy: 'slack',
      }),
    });
    expect(toldBeforeStart).toEqual([]);
    expect(slackCalls.filter((c) => c.path === '/respond/1').map((c) => c.body.text)).toEqual([
      `🚀 Started \`${start.name}\`: follow its status card in <#C0RELEASES>. Abort with \`/golive abort ${start.name}\`.`,
    ]);
    // The work invocation hands nothing over again.
    expect(lambdaApi.commandCalls(InvokeCommand)).toHaveLength(1);
  });

  it('hands nothing over when the answer is all there is to do', async () => {
    const body = commandBody(REQUESTER, 'help');

    const answer = await handler(signed(body), context);

    expect(answer?.statusCode).toBe(200);
    expect(answer?.body).toContain('/golive status');
    expect(lambdaApi.commandCalls(InvokeCommand)).toHaveLength(0);
  });

  it('answers 500 and starts nothing when the work cannot be handed over', async () => {
    lambdaApi.on(InvokeCommand).rejects(awsError('TooManyRequestsException', 429, 'Rate exceeded'));
    const body = commandBody(REQUESTER, 'demo 2.0.0', 'trigger-refused');

    const answer = await handler(signed(body), context);

    expect(answer?.statusCode).toBe(500);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  describe('refuses a work event that did not come from its own first leg', () => {
    const forgedBody = () =>
      Object.fromEntries(new URLSearchParams(commandBody(REQUESTER, 'demo 2.0.0', 'trigger-invoked')));

    it.each([
      ['no MAC (someone allowed only lambda:InvokeFunction)', () => ({ goliveSlackWork: 1, body: forgedBody() })],
      [
        'a MAC made with another key',
        () => {
          const body = forgedBody();
          return { goliveSlackWork: 1, body, at: Date.now(), mac: workMac('not-the-secret', Date.now(), body) };
        },
      ],
      [
        'a valid MAC, replayed after the event age',
        () => {
          const body = forgedBody();
          const at = Date.now() - WORK_MAX_AGE_MS - 1000;
          return { goliveSlackWork: 1, body, at, mac: workMac(signingSecret, at, body) };
        },
      ],
    ])('%s: nothing is done', async (_, event) => {
      await handler(event() as SlackWorkEvent, context);

      expect(sfn.calls()).toHaveLength(0);
      expect(lambdaApi.calls()).toHaveLength(0);
    });
  });

  describe('refuses work that arrives through API Gateway', () => {
    const work = (): SlackWorkEvent => {
      const body = Object.fromEntries(new URLSearchParams(commandBody(REQUESTER, 'demo 2.0.0', 'trigger-forged')));
      return { goliveSlackWork: 1, body, at: Date.now(), mac: workMac(signingSecret, Date.now(), body) };
    };

    it('as the body of an unsigned request', async () => {
      const answer = await handler(apiEvent(JSON.stringify(work()), { 'content-type': 'application/json' }), context);

      expect(answer?.statusCode).toBe(401);
      expect(sfn.calls()).toHaveLength(0);
      expect(lambdaApi.calls()).toHaveLength(0);
    });

    it('as top-level keys of an event in API Gateway’s shape, signed with a wrong secret', async () => {
      const raw = JSON.stringify(work());
      const forged = { ...apiEvent(raw, slackRequest('not-the-secret', raw)), ...work() };

      const answer = await handler(forged, context);

      expect(answer?.statusCode).toBe(401);
      expect(sfn.calls()).toHaveLength(0);
      expect(lambdaApi.calls()).toHaveLength(0);
    });
  });

  it('reads its secret once per 5 minutes, and a rotated one after that', async () => {
    const help = () => commandBody(REQUESTER, 'help');
    const reads = () => secrets.commandCalls(GetSecretValueCommand).length;
    jest.setSystemTime(Date.now() + SECRET_CACHE_MS + 1); // whatever earlier tests cached is stale now
    const first = await handler(signed(help()), context);
    secrets.on(GetSecretValueCommand).resolves(credentials('signing-2', 'xoxb-2'));

    jest.setSystemTime(Date.now() + SECRET_CACHE_MS - 1000);
    const cached = await handler(signed(help()), context);
    const readsWithinTtl = reads();
    jest.setSystemTime(Date.now() + 2000);
    const withOldSecret = await handler(signed(help()), context);
    signingSecret = 'signing-2';
    const withNewSecret = await handler(signed(help()), context);

    expect([first?.statusCode, cached?.statusCode]).toEqual([200, 200]);
    expect(readsWithinTtl).toBe(1);
    expect(reads()).toBe(2);
    expect(secrets.commandCalls(GetSecretValueCommand)[1].args[0].input).toEqual({ SecretId: SECRET_ARN });
    expect([withOldSecret?.statusCode, withNewSecret?.statusCode]).toEqual([401, 200]);
  });
});
