import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
  type ExecutionListItem,
  type ListExecutionsCommandInput,
  type ListExecutionsCommandOutput,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { GoLiveClient, GoLiveClientError, type Actor } from '../../lambdas/core/client';
import { awsError } from '../aws/helpers';
import { demoConfigFile, FakeCallbacks, holdLock, NOW, pendingApproval } from '../support/fake-deps';
import { SqliteStore } from '../../local/providers/sqlite-store';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:golive-go-live';
const arnOf = (name: string) => `arn:aws:states:eu-west-1:123456789012:execution:golive-go-live:${name}`;
const RM: Actor = { user: 'U_RELEASE_MANAGER', verifiedBy: 'iam' };
const ANA: Actor = { user: 'U_APPROVER_ANA', verifiedBy: 'iam', name: 'Ana' };

function execution(
  name: string,
  fields: Partial<Omit<DescribeExecutionCommandOutput, 'input'>> & { input?: object } = {},
) {
  const { input, ...rest } = fields;
  return {
    name,
    executionArn: arnOf(name),
    stateMachineArn: MACHINE,
    status: 'RUNNING' as const,
    startDate: NOW,
    input: JSON.stringify({ service: 'demo', version: '2.0.0', requestedBy: 'U_RELEASE_MANAGER', ...input }),
    ...rest,
  };
}

/** DescribeExecution answers from `executions` by ARN; others do not exist. */
function describeFrom(executions: ReturnType<typeof execution>[]) {
  sfn.on(DescribeExecutionCommand).callsFake(({ executionArn }: { executionArn: string }) => {
    const found = executions.find((e) => e.executionArn === executionArn);
    if (!found) throw awsError('ExecutionDoesNotExist', 400, `Execution Does Not Exist: '${executionArn}'`);
    return found;
  });
}

const listed = (e: ReturnType<typeof execution>): ExecutionListItem => ({
  name: e.name,
  executionArn: e.executionArn,
  stateMachineArn: MACHINE,
  status: e.status,
  startDate: e.startDate,
});

let store: SqliteStore;
let callbacks: FakeCallbacks;
let client: GoLiveClient;

beforeEach(() => {
  sfn.reset();
  store = new SqliteStore(':memory:');
  callbacks = new FakeCallbacks();
  client = new GoLiveClient({
    config: demoConfigFile(),
    sfn: new SFNClient({ region: 'eu-west-1' }),
    stateMachineArn: MACHINE,
    store,
    callbacks,
    now: () => NOW,
  });
  sfn.on(ListExecutionsCommand).resolves({ executions: [] });
  sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
  describeFrom([]);
});
afterEach(() => store.close());

const refusal = async (promise: Promise<unknown>) => {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GoLiveClientError);
  return err as GoLiveClientError;
};

describe('GoLiveClient.start', () => {
  it('starts the execution with the requester and how they were verified in its input', async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn: arnOf('demo-2.0.0-20261126T100000Z'), startDate: NOW });

    const started = await client.start(RM, { service: 'demo', version: '2.0.0', strategy: 'canary' });

    expect(started).toMatchObject({ name: 'demo-2.0.0-20261126T100000Z', duplicate: false });
    const [call] = sfn.commandCalls(StartExecutionCommand);
    expect(call.args[0].input).toMatchObject({ stateMachineArn: MACHINE, name: 'demo-2.0.0-20261126T100000Z' });
    expect(JSON.parse(call.args[0].input.input!)).toEqual({
      service: 'demo',
      version: '2.0.0',
      strategy: 'canary',
      requestedBy: 'U_RELEASE_MANAGER',
      verifiedBy: 'iam',
    });
  });

  it.each(['constructor', '__proto__', 'toString'])(
    'calls a service named %s unknown (InvalidRequest) and starts nothing',
    async (service) => {
      const err = await refusal(client.start(RM, { service, version: '1.0.0' }));

      expect(err.code).toBe('InvalidRequest');
      expect(err.message).toContain(`unknown service "${service}"`);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    },
  );

  it('refuses a requester who is not a release manager of the service, naming those who are', async () => {
    const err = await refusal(
      client.start({ user: 'U_GUEST', verifiedBy: 'local' }, { service: 'demo', version: '2.0.0' }),
    );

    expect(err.code).toBe('Unauthorized');
    expect(err.message).toContain('U_GUEST is not a release manager of demo (release managers: U_RELEASE_MANAGER)');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('answers AlreadyStarting, never a failure, when the same name was started a moment ago', async () => {
    sfn.on(StartExecutionCommand).rejects(awsError('ExecutionAlreadyExists', 400, 'Execution Already Exists'));

    const err = await refusal(client.start(RM, { service: 'demo', version: '2.0.0' }));

    expect(err.code).toBe('AlreadyStarting');
    expect(err.message).toContain('demo 2.0.0 is already starting as demo-2.0.0-20261126T100000Z');
  });

  it('refuses the same version while it is running, and another version while the service is busy', async () => {
    const running = execution('demo-2.0.0-earlier');
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'RUNNING' }).resolves({
      executions: [listed(running)],
    });
    describeFrom([running]);

    const same = await refusal(client.start(RM, { service: 'demo', version: '2.0.0' }));
    const other = await refusal(client.start(RM, { service: 'demo', version: '2.1.0' }));

    expect(same.code).toBe('AlreadyStarting');
    expect(same.message).toContain('already going live as demo-2.0.0-earlier');
    expect(other.code).toBe('LockHeld');
    expect(other.message).toContain('demo is going live with 2.0.0 as demo-2.0.0-earlier');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('refuses a start while the service lock is held (a rollback that failed keeps it)', async () => {
    await holdLock(store, arnOf('demo-1.9.0-failed'));

    const err = await refusal(client.start(RM, { service: 'demo', version: '2.0.0' }));

    expect(err.code).toBe('LockHeld');
    expect(err.message).toContain('demo is locked by demo-1.9.0-failed');
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });

  it('starts once per dedupe key: a repeat finds the execution the first one started', async () => {
    sfn.on(StartExecutionCommand).callsFake(({ name }: { name: string }) => ({ executionArn: arnOf(name) }));
    const first = await client.start(RM, { service: 'demo', version: '2.0.0' }, { dedupeKey: 'trigger-1' });
    describeFrom([execution(first.name)]);

    const again = await client.start(RM, { service: 'demo', version: '2.0.0' }, { dedupeKey: 'trigger-1' });

    expect(first).toMatchObject({ duplicate: false, name: expect.stringMatching(/^demo-2-0-0-slack-[0-9a-f]{12}$/) });
    expect(again).toMatchObject({ duplicate: true, name: first.name, executionArn: first.executionArn });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });

  it('answers a repeat that arrives while the first start runs as that start, not as AlreadyStarting', async () => {
    const started: ReturnType<typeof execution>[] = [];
    describeFrom(started);
    sfn.on(StartExecutionCommand).callsFake(({ name }: { name: string }) => {
      started.push(execution(name));
      return { executionArn: arnOf(name) };
    });
    sfn.on(ListExecutionsCommand).callsFake(() => ({ executions: started.map(listed) }));

    const [first, again] = await Promise.all([
      client.start(RM, { service: 'demo', version: '2.0.0' }, { dedupeKey: 'trigger-1' }),
      client.start(RM, { service: 'demo', version: '2.0.0' }, { dedupeKey: 'trigger-1' }),
    ]);

    expect(first).toMatchObject({ duplicate: false });
    expect(again).toMatchObject({ duplicate: true, name: first.name });
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });
});

describe('GoLiveClient.list', () => {
  const a = execution('a', { status: 'SUCCEEDED' });
  const b = execution('b', { status: 'FAILED', error: 'GoLiveAborted', cause: 'aborted by U_RELEASE_MANAGER: x' });
  const c = execution('c', { status: 'FAILED', error: 'SmokeTestFailed', input: { service: 'other' } });
  const d = execution('d', { status: 'ABORTED' });
  const e = execution('e', { status: 'FAILED', error: 'RollbackFailed' });

  it('pages with the SDK paginator, stops once it has the page, and goes on from its nextToken', async () => {
    // ListExecutions pages by token: t1 and t2 lead to the second and third page.
    const byToken: Record<string, Partial<ListExecutionsCommandOutput>> = {
      '': { executions: [listed(a)], nextToken: 't1' },
      t1: { executions: [listed(b), listed(c), listed(d)], nextToken: 't2' },
      t2: { executions: [listed(e)] },
    };
    const sent: ListExecutionsCommandInput[] = [];
    sfn.on(ListExecutionsCommand).callsFake((input: ListExecutionsCommandInput) => {
      sent.push(structuredClone(input));
      return byToken[input.nextToken ?? ''];
    });
    describeFrom([a, b, c, d, e]);

    const first = await client.list({ limit: 2 });
    const sentForFirst = sent.length;
    const second = await client.list({ limit: 2, nextToken: first.nextToken });
    const third = await client.list({ limit: 2, nextToken: second.nextToken });

    expect(first.goLives.map((g) => g.name)).toEqual(['a', 'b']);
    expect(sentForFirst).toBe(2);
    expect(second.goLives.map((g) => g.name)).toEqual(['c', 'd']);
    // The second call resumed in the page it had stopped in (token t1), not from the start.
    expect(sent[sentForFirst]).toEqual({ stateMachineArn: MACHINE, maxResults: 100, nextToken: 't1' });
    expect(third).toEqual({
      goLives: [expect.objectContaining({ name: 'e', status: 'FAILED', error: 'RollbackFailed' })],
    });
  });

  it('tells ABORTED apart from FAILED: an abort is ABORTED, and the ABORTED filter finds both kinds', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [a, b, c, d, e].map(listed) });
    describeFrom([a, b, c, d, e]);

    const all = await client.list();
    const aborted = await client.list({ status: 'ABORTED' });

    expect(all.goLives.map((g) => [g.name, g.status])).toEqual([
      ['a', 'SUCCEEDED'],
      ['b', 'ABORTED'],
      ['c', 'FAILED'],
      ['d', 'ABORTED'],
      ['e', 'FAILED'],
    ]);
    expect(aborted.goLives.map((g) => g.name)).toEqual(['b', 'd']);
  });

  it('asks Step Functions for FAILED ones and leaves the aborted ones out', async () => {
    sfn.on(ListExecutionsCommand, { stateMachineArn: MACHINE, statusFilter: 'FAILED' }).resolves({
      executions: [b, c, e].map(listed),
    });
    describeFrom([b, c, e]);

    const failed = await client.list({ status: 'FAILED' });

    expect(failed.goLives.map((g) => g.name)).toEqual(['c', 'e']);
  });

  it('lists one service’s go-lives (what the Slack app’s history shows)', async () => {
    sfn.on(ListExecutionsCommand).resolves({ executions: [c, a, b].map(listed) });
    describeFrom([a, b, c]);

    expect((await client.listGoLives('demo', 2)).map((g) => g.name)).toEqual(['a', 'b']);
  });

  it.each([
    [{ service: 'constructor' }, 'unknown service "constructor"'],
    [{ status: 'DONE' }, 'unknown status "DONE"'],
    [{ limit: 0 }, 'limit must be a whole number from 1 to 100'],
    [{ nextToken: 'garbage' }, 'nextToken is not one this API returned'],
  ])('refuses %j naming the problem', async (query, message) => {
    const err = await refusal(client.list(query));

    expect(err).toMatchObject({ code: 'InvalidRequest', message: expect.stringContaining(message) });
  });
});

describe('GoLiveClient.describe', () => {
  it('says NotFound, naming the go-live, when the execution does not exist', async () => {
    const err = await refusal(client.describe('no-such-go-live'));

    expect(err).toMatchObject({
      code: 'NotFound',
      message: expect.stringContaining('no go-live named no-such-go-live'),
    });
  });

  it('refuses an ARN of another state machine', async () => {
    const err = await refusal(client.describe('arn:aws:states:eu-west-1:123456789012:execution:other:x'));

    expect(err.code).toBe('InvalidRequest');
  });
});

describe('GoLiveClient.vote', () => {
  const running = execution('run-1');

  beforeEach(async () => {
    describeFrom([running]);
    await store.createApproval(pendingApproval({ executionId: running.executionArn }));
  });

  it('records the vote with how the voter was verified and resumes the sign-off', async () => {
    const voted = await client.vote(ANA, 'run-1', { decision: 'approve' });

    expect(voted).toMatchObject({ kind: 'decided', status: 'approved', name: 'run-1' });
    expect(callbacks.succeeded).toHaveLength(1);
    const audit = await store.listAudit(running.executionArn);
    expect(audit.find((r) => r.action === 'approve')).toMatchObject({ actor: 'U_APPROVER_ANA', verifiedBy: 'iam' });
  });

  it('refuses a vote that changes nothing with Conflict, saying why', async () => {
    await client.vote(ANA, 'run-1', { decision: 'approve' });

    const again = await refusal(client.vote(ANA, 'run-1', { decision: 'approve' }));

    expect(again.code).toBe('Conflict');
    expect(again.message).toMatch(/already approved: nothing changed|already voted/);
  });

  it('refuses someone who is not an approver with Unauthorized', async () => {
    const err = await refusal(client.vote({ user: 'U_GUEST', verifiedBy: 'local' }, 'run-1', { decision: 'approve' }));

    expect(err).toMatchObject({ code: 'Unauthorized', message: expect.stringContaining('not an approver') });
    expect(callbacks.succeeded).toHaveLength(0);
  });

  it('says NotFound for a go-live that does not exist, never "no sign-off requested"', async () => {
    const err = await refusal(client.vote(ANA, 'nope', { decision: 'approve' }));

    expect(err.code).toBe('NotFound');
  });

  it('says a go-live that ended is not running', async () => {
    describeFrom([{ ...running, status: 'SUCCEEDED' as never }]);

    const err = await refusal(client.vote(ANA, 'run-1', { decision: 'approve' }));

    expect(err).toMatchObject({ code: 'Conflict', message: 'run-1 is not running (it is SUCCEEDED): nothing changed' });
  });

  it.each([
    [{ decision: 'maybe' }, '"decision" must be approve or reject'],
    [{ decision: 'reject' }, 'a rejection needs a reason'],
    [{ decision: 'approve', waive: [{ item: 'x', reason: ' ' }] }, 'a waiver needs a reason'],
    [{ decision: 'approve', attest: [3] }, '"attest" must be a list of checklist item ids'],
  ])('refuses %j as InvalidRequest', async (vote, message) => {
    const err = await refusal(client.vote(ANA, 'run-1', vote));

    expect(err).toMatchObject({ code: 'InvalidRequest', message: expect.stringContaining(message) });
  });
});

describe('GoLiveClient.abort', () => {
  const running = execution('run-1');

  it('records who aborted and how they were verified, and fails the waiting task', async () => {
    describeFrom([running]);
    await store.putCallback({
      token: 'bake-token',
      executionId: running.executionArn,
      service: 'demo',
      kind: 'bake',
      alarms: [],
      createdAt: NOW.toISOString(),
    });

    const aborted = await client.abort(RM, 'run-1', 'wrong build');

    expect(aborted).toMatchObject({ name: 'run-1', signalledTasks: 1 });
    expect(callbacks.failed).toEqual([
      { token: 'bake-token', error: 'GoLiveAborted', cause: 'aborted by U_RELEASE_MANAGER: wrong build' },
    ]);
    const [entry] = await store.listAudit(running.executionArn);
    expect(entry).toMatchObject({ action: 'abort', actor: 'U_RELEASE_MANAGER', verifiedBy: 'iam' });
  });

  it('refuses someone who is not a release manager of the service, and changes nothing', async () => {
    describeFrom([running]);

    const err = await refusal(client.abort(ANA, 'run-1'));

    expect(err.code).toBe('Unauthorized');
    expect(await store.getExecutionValue(running.executionArn, 'abort')).toBeUndefined();
  });

  it('says there is nothing to abort once it ended, and NotFound when it never existed', async () => {
    describeFrom([{ ...running, status: 'FAILED' as never, error: 'GoLiveAborted' }]);

    const ended = await refusal(client.abort(RM, 'run-1'));
    const missing = await refusal(client.abort(RM, 'nope'));

    expect(ended).toMatchObject({
      code: 'Conflict',
      message: 'run-1 is not running (it is ABORTED): nothing to abort',
    });
    expect(missing.code).toBe('NotFound');
  });

  it('refuses a second abort of the same go-live with Conflict', async () => {
    describeFrom([running]);
    await client.abort(RM, 'run-1', 'first');

    const err = await refusal(client.abort(RM, 'run-1', 'second'));

    expect(err).toMatchObject({ code: 'Conflict', message: expect.stringContaining('already asked to abort run-1') });
  });
});
