import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { GoLiveClient } from '../../lambdas/core/client';
import { parseConfig, type GoLiveConfig } from '../../lambdas/core/config';
import { createControlHandler, type ControlEvent } from '../../lambdas/control/api';
import { iamIdentity } from '../../lambdas/control/identity';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { awsError } from '../aws/helpers';
import { demoConfigFile, FakeCallbacks, NOW, pendingApproval } from '../support/fake-deps';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:golive-go-live';
const arnOf = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:golive-go-live:${name}`;
const ACCOUNT = '123456789012';
const PRINCIPALS = {
  /** A session of the role mapped to the release manager. */
  releaseManager: `arn:aws:sts::${ACCOUNT}:assumed-role/GoLiveReleaseManagers/alice`,
  ana: `arn:aws:iam::${ACCOUNT}:user/ana`,
  guest: `arn:aws:iam::${ACCOUNT}:user/guest`,
  stranger: `arn:aws:iam::${ACCOUNT}:user/mallory`,
};

function configWithIdentities(): GoLiveConfig {
  return parseConfig({
    ...demoConfigFile(),
    identities: [
      { principal: `arn:aws:iam::${ACCOUNT}:role/GoLiveReleaseManagers`, user: 'U_RELEASE_MANAGER' },
      { principal: PRINCIPALS.ana, user: 'U_APPROVER_ANA' },
      { principal: PRINCIPALS.guest, user: 'U_GUEST' },
    ],
  });
}

/** A REST (v1) proxy event as API Gateway sends it once IAM authorization passed. */
function request(
  method: string,
  path: string,
  principal: string | undefined,
  fields: Partial<ControlEvent> & { json?: unknown } = {},
): ControlEvent {
  const { json, ...rest } = fields;
  return {
    httpMethod: method,
    path,
    headers: { 'content-type': 'application/json' },
    body: json === undefined ? null : JSON.stringify(json),
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', identity: { userArn: principal ?? null, accountId: ACCOUNT } },
    ...rest,
  };
}

const running = {
  name: 'run-1',
  executionArn: arnOf('run-1'),
  stateMachineArn: MACHINE,
  status: 'RUNNING' as const,
  startDate: NOW,
  input: JSON.stringify({ service: 'demo', version: '2.0.0', requestedBy: 'U_RELEASE_MANAGER', verifiedBy: 'iam' }),
};

let store: SqliteStore;
let callbacks: FakeCallbacks;
let handle: ReturnType<typeof createControlHandler>;
const body = (result: { body: string }) => JSON.parse(result.body) as Record<string, unknown>;

beforeEach(() => {
  sfn.reset();
  store = new SqliteStore(':memory:');
  callbacks = new FakeCallbacks();
  const config = configWithIdentities();
  const client = new GoLiveClient({
    config,
    sfn: new SFNClient({ region: 'eu-west-1' }),
    stateMachineArn: MACHINE,
    store,
    callbacks,
    now: () => NOW,
  });
  handle = createControlHandler({ client, identify: iamIdentity(config) });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
  sfn.on(DescribeExecutionCommand).callsFake(({ executionArn }: { executionArn: string }) => {
    if (executionArn === running.executionArn) return running;
    throw awsError('ExecutionDoesNotExist', 400, `Execution Does Not Exist: '${executionArn}'`);
  });
  sfn.on(StartExecutionCommand).callsFake(({ name }: { name: string }) => ({ executionArn: arnOf(name) }));
});
afterEach(() => store.close());

describe('control API identity (IAM request context)', () => {
  it('refuses a principal the config does not map, naming it and the config key, with 403', async () => {
    const result = await handle(
      request('POST', '/go-lives', PRINCIPALS.stranger, { json: { service: 'demo', version: '2.0.0' } }),
    );

    expect(result.statusCode).toBe(403);
    expect(body(result)).toEqual({
      code: 'Unauthorized',
      message: expect.stringContaining(`IAM principal ${PRINCIPALS.stranger} is not a golive user`),
    });
    expect(body(result).message).toContain('identities');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('refuses a request without an IAM principal (not SigV4-signed) with 403', async () => {
    const result = await handle(request('GET', '/go-lives', undefined));

    expect(result.statusCode).toBe(403);
    expect(body(result).message).toContain('SigV4');
  });

  it('never takes the actor from a header or the body: a guest claiming to be the release manager is refused', async () => {
    const result = await handle(
      request('POST', '/go-lives', PRINCIPALS.guest, {
        headers: { 'content-type': 'application/json', 'x-golive-as': 'U_RELEASE_MANAGER' },
        json: { service: 'demo', version: '2.0.0', requestedBy: 'U_RELEASE_MANAGER', verifiedBy: 'slack' },
      }),
    );

    expect(result.statusCode).toBe(403);
    expect(body(result)).toMatchObject({
      code: 'Unauthorized',
      message: expect.stringContaining('U_GUEST is not a release manager of demo'),
    });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('starts a go-live as the user an assumed-role session maps to, verified by IAM', async () => {
    const result = await handle(
      request('POST', '/go-lives', PRINCIPALS.releaseManager, {
        json: { service: 'demo', version: '2.0.0', strategy: 'blue-green' },
      }),
    );

    expect(result.statusCode).toBe(201);
    expect(body(result)).toMatchObject({ name: 'demo-2.0.0-20261126T100000Z', duplicate: false });
    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0].args[0].input.input!) as Record<
      string,
      unknown
    >;
    expect(input).toMatchObject({ requestedBy: 'U_RELEASE_MANAGER', verifiedBy: 'iam', strategy: 'blue-green' });
  });
});

describe('control API routes', () => {
  it('lists go-lives with the query’s filters and answers JSON', async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: [{ ...running, status: 'RUNNING' }],
    });

    const result = await handle(
      request('GET', '/go-lives', PRINCIPALS.ana, {
        queryStringParameters: { service: 'demo', status: 'RUNNING', limit: '5' },
      }),
    );

    expect(result.statusCode).toBe(200);
    expect(result.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(body(result)).toEqual({
      goLives: [expect.objectContaining({ name: 'run-1', status: 'RUNNING', service: 'demo' })],
    });
    expect(sfn.commandCalls(ListExecutionsCommand)[0].args[0].input).toMatchObject({ statusFilter: 'RUNNING' });
  });

  it('says 404 NotFound for a go-live that does not exist', async () => {
    const result = await handle(request('GET', '/go-lives/no-such-go-live', PRINCIPALS.ana));

    expect(result.statusCode).toBe(404);
    expect(body(result)).toEqual({
      code: 'NotFound',
      message: expect.stringContaining('no go-live named no-such-go-live'),
    });
  });

  it('takes the name from API Gateway’s path parameter, an ARN included', async () => {
    const result = await handle(
      request('GET', `/go-lives/${encodeURIComponent(running.executionArn)}`, PRINCIPALS.ana, {
        pathParameters: { name: running.executionArn },
      }),
    );

    expect(result.statusCode).toBe(200);
    expect(body(result)).toMatchObject({ name: 'run-1', status: 'RUNNING' });
  });

  it('records a vote as the IAM-verified approver, and answers 409 to a vote that changes nothing', async () => {
    await store.createApproval(pendingApproval({ executionId: running.executionArn }));

    const approved = await handle(
      request('POST', '/go-lives/run-1/votes', PRINCIPALS.ana, { json: { decision: 'approve' } }),
    );
    const again = await handle(
      request('POST', '/go-lives/run-1/votes', PRINCIPALS.ana, { json: { decision: 'approve' } }),
    );

    expect(approved.statusCode).toBe(200);
    expect(body(approved)).toMatchObject({ kind: 'decided', status: 'approved' });
    expect(callbacks.succeeded).toHaveLength(1);
    expect((await store.listAudit(running.executionArn)).find((r) => r.action === 'approve')).toMatchObject({
      actor: 'U_APPROVER_ANA',
      verifiedBy: 'iam',
    });
    expect(again.statusCode).toBe(409);
    expect(body(again)).toMatchObject({ code: 'Conflict' });
  });

  it('lets only a release manager abort (403 otherwise), recording who and how they were verified', async () => {
    const refused = await handle(
      request('POST', '/go-lives/run-1/abort', PRINCIPALS.ana, { json: { reason: 'nope' } }),
    );
    const aborted = await handle(
      request('POST', '/go-lives/run-1/abort', PRINCIPALS.releaseManager, { json: { reason: 'wrong build' } }),
    );

    expect(refused.statusCode).toBe(403);
    expect(aborted.statusCode).toBe(200);
    expect(await store.listAudit(running.executionArn)).toEqual([
      expect.objectContaining({
        action: 'abort',
        actor: 'U_RELEASE_MANAGER',
        verifiedBy: 'iam',
        summary: 'abort requested by U_RELEASE_MANAGER: wrong build',
      }),
    ]);
  });

  it.each([
    ['POST', '/go-lives', '{"service":', 400, 'InvalidRequest', 'not valid JSON'],
    ['POST', '/go-lives', '[1]', 400, 'InvalidRequest', 'must be a JSON object'],
    ['GET', '/go-lives?x', null, 400, 'InvalidRequest', 'limit must be a whole number'],
    [
      'DELETE',
      '/go-lives/run-1',
      null,
      405,
      'InvalidRequest',
      'DELETE is not allowed on /go-lives/run-1 (allowed: GET)',
    ],
    ['GET', '/admin', null, 404, 'NotFound', 'no route GET /admin'],
    ['POST', '/go-lives/run-1/frobnicate', '{}', 404, 'NotFound', 'no route'],
  ])('answers %s %s (body %s) with %i %s', async (method, path, raw, status, code, message) => {
    const event = request(method, path.split('?')[0], PRINCIPALS.releaseManager, {
      body: raw,
      ...(path.includes('?') ? { queryStringParameters: { limit: 'ten' } } : {}),
    });

    const result = await handle(event);

    expect(result.statusCode).toBe(status);
    expect(body(result)).toEqual({ code, message: expect.stringContaining(message) });
  });

  it('answers 500 with the request id when something unexpected fails, and logs it', async () => {
    sfn
      .on(ListExecutionsCommand)
      .rejects(awsError('AccessDeniedException', 400, 'not authorized to perform states:ListExecutions'));
    const logged: unknown[] = [];
    const failing = createControlHandler({
      client: async () => {
        throw new Error('the store is gone');
      },
      identify: iamIdentity(configWithIdentities()),
      logError: (message, details) => logged.push({ message, ...details }),
    });

    const result = await failing(request('GET', '/go-lives', PRINCIPALS.ana));

    expect(result.statusCode).toBe(500);
    expect(body(result)).toEqual({ code: 'InternalError', message: 'Error: the store is gone (request req-1)' });
    expect(logged).toEqual([expect.objectContaining({ requestId: 'req-1', message: 'the store is gone' })]);
  });
});

describe('control function as deployed (lambdas/control/index.ts)', () => {
  const global = globalThis as { __GOLIVE_CONFIG__?: string };
  const env = { ...process.env };
  afterEach(() => {
    process.env = { ...env };
    delete global.__GOLIVE_CONFIG__;
  });

  it('fails a request naming the missing environment variable, then serves once it is set', async () => {
    const { handler } = await import('../../lambdas/control');
    global.__GOLIVE_CONFIG__ = JSON.stringify(configWithIdentities());
    process.env.GOLIVE_TABLE = 'golive-store';
    delete process.env.GOLIVE_STATE_MACHINE_ARN;

    const missing = await handler(request('GET', '/go-lives', PRINCIPALS.ana));
    process.env.GOLIVE_STATE_MACHINE_ARN = MACHINE;
    const stranger = await handler(request('GET', '/go-lives', PRINCIPALS.stranger));
    const listed = await handler(request('GET', '/go-lives', PRINCIPALS.ana));

    expect(missing.statusCode).toBe(500);
    expect(body(missing).message).toContain('GOLIVE_STATE_MACHINE_ARN');
    expect(stranger.statusCode).toBe(403);
    expect(listed.statusCode).toBe(200);
    expect(sfn.commandCalls(ListExecutionsCommand)[0].args[0].input).toEqual({
      stateMachineArn: MACHINE,
      maxResults: 100,
    });
  });
});
