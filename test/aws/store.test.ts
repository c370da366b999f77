import {
  ConditionalCheckFailedException,
  DynamoDBClient,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { chainRecord, GENESIS_HASH, verifyChain } from '../../lambdas/core/audit';
import type { AuditEntry, LockRecord } from '../../lambdas/core/ports';
import { DynamoStore } from '../../lambdas/providers/aws/store';
import { answerPages } from '../support/pages';
import { STORE_KEYS, STORE_OPERATIONS, type StoreOperation } from '../../lib/store-access';
import { accessDenied, throttled } from './helpers';

const doc = mockClient(DynamoDBDocumentClient);
const TABLE = 'golive-store';
const store = () => new DynamoStore(TABLE, new DynamoDBClient({}));
const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: {},
    ...(item ? { Item: item as never } : {}),
  });

const lock: LockRecord = {
  service: 'orders',
  executionId: 'exec-1',
  version: '2.4.0',
  requestedBy: 'U_RM',
  acquiredAt: '2026-11-26T10:00:00.000Z',
  expiresAt: '2026-11-26T12:00:00.000Z',
};
const entry = (summary: string): AuditEntry => ({
  executionId: 'exec-1',
  service: 'orders',
  step: 'MuteAlerts',
  action: 'mute',
  actor: 'system',
  outcome: 'succeeded',
  summary,
  at: '2026-11-26T10:00:00.000Z',
});

beforeEach(() => doc.reset());

const cancelled = (reasons: { Code: string; Item?: Record<string, unknown> }[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: {},
    CancellationReasons: reasons as never,
  });

describe('DynamoStore locks', () => {
  const lockItem = {
    executionId: 'exec-1',
    expiresAt: Date.parse('2026-11-26T12:00:00.000Z') / 1000,
    data: JSON.stringify(lock),
  };

  it('takes a lock with a conditional put whose TTL attribute is epoch seconds, indexed under LOCKS in the same transaction', async () => {
    doc.on(TransactWriteCommand).resolves({});

    const result = await store().acquireLock(lock, new Date('2026-11-26T10:00:00.000Z'));

    expect(result).toEqual({ acquired: true });
    expect(doc.commandCalls(TransactWriteCommand)[0].args[0].input).toEqual({
      TransactItems: [
        {
          Put: {
            TableName: TABLE,
            Item: { pk: 'LOCK#orders', sk: 'LOCK', ...lockItem },
            ConditionExpression: 'attribute_not_exists(pk) OR executionId = :exec OR expiresAt < :now',
            ExpressionAttributeValues: { ':exec': 'exec-1', ':now': Date.parse('2026-11-26T10:00:00.000Z') / 1000 },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        { Put: { TableName: TABLE, Item: { pk: 'LOCKS', sk: 'orders', ...lockItem } } },
      ],
    });
  });

  it('reports the holder when another execution holds an unexpired lock', async () => {
    const holder = { ...lock, executionId: 'exec-0' };
    doc
      .on(TransactWriteCommand)
      .rejects(
        cancelled([
          { Code: 'ConditionalCheckFailed', Item: { data: { S: JSON.stringify(holder) } } },
          { Code: 'None' },
        ]),
      );

    const result = await store().acquireLock(lock, new Date('2026-11-26T10:00:00.000Z'));

    expect(result).toEqual({ acquired: false, holder });
  });

  it('releases only its own lock and its index entry (conditional deletes, one transaction)', async () => {
    doc
      .on(TransactWriteCommand)
      .rejectsOnce(cancelled([{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }]))
      .resolves({});

    const notOurs = await store().releaseLock('orders', 'exec-2');
    const ours = await store().releaseLock('orders', 'exec-1');

    expect([notOurs, ours]).toEqual([false, true]);
    const ownExecution = { ExpressionAttributeValues: { ':exec': 'exec-1' } };
    expect(doc.commandCalls(TransactWriteCommand)[1].args[0].input).toEqual({
      TransactItems: [
        {
          Delete: {
            TableName: TABLE,
            Key: { pk: 'LOCK#orders', sk: 'LOCK' },
            ConditionExpression: 'executionId = :exec',
            ...ownExecution,
          },
        },
        {
          Delete: {
            TableName: TABLE,
            Key: { pk: 'LOCKS', sk: 'orders' },
            ConditionExpression: 'attribute_not_exists(pk) OR executionId = :exec',
            ...ownExecution,
          },
        },
      ],
    });
  });

  it('treats a lock transaction lost to a concurrent write as transient (ProviderUnavailable), not as refused', async () => {
    doc.on(TransactWriteCommand).rejects(cancelled([{ Code: 'TransactionConflict' }, { Code: 'None' }]));

    await expect(store().releaseLock('orders', 'exec-1')).rejects.toMatchObject({ name: 'ProviderUnavailable' });
    await expect(store().acquireLock(lock, new Date())).rejects.toMatchObject({ name: 'ProviderUnavailable' });
  });

  it('lists the held locks with a consistent query of the LOCKS partition, no scan', async () => {
    const other = { ...lock, service: 'payments', executionId: 'exec-7' };
    doc.on(QueryCommand).resolves({
      Items: [
        { pk: 'LOCKS', sk: 'orders', ...lockItem },
        { pk: 'LOCKS', sk: 'payments', data: JSON.stringify(other) },
      ],
    });

    expect(await store().listLocks()).toEqual([lock, other]);
    expect(doc.commandCalls(QueryCommand)[0].args[0].input).toMatchObject({
      TableName: TABLE,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'LOCKS' },
    });
  });

  it.each([
    ['throttling', 'ProviderUnavailable', throttled],
    ['AccessDenied', 'ProviderAccessDenied', accessDenied],
  ])('turns %s into %s', async (_what, name, error) => {
    doc.on(TransactWriteCommand).rejects(error());

    await expect(store().acquireLock(lock, new Date())).rejects.toMatchObject({ name });
  });
});

describe('DynamoStore execution values', () => {
  it('claims a value only when the execution has none under that key (conditional put)', async () => {
    doc.on(PutCommand).resolvesOnce({}).rejects(conditionFailed());

    const first = await store().claimExecutionValue('exec-1', 'janitor', { status: 'FAILED' });
    const second = await store().claimExecutionValue('exec-1', 'janitor', { status: 'ABORTED' });

    expect([first, second]).toEqual([true, false]);
    expect(doc.commandCalls(PutCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Item: { pk: 'EXEC#exec-1', sk: 'VALUE#janitor', data: JSON.stringify({ status: 'FAILED' }) },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });
});

describe('DynamoStore approvals and votes', () => {
  it('records one vote per approver while pending, in one transaction with the status check', async () => {
    doc
      .on(TransactWriteCommand)
      .resolvesOnce({})
      .rejects(
        new TransactionCanceledException({
          message: 'Transaction cancelled',
          $metadata: {},
          CancellationReasons: [{ Code: 'None' }, { Code: 'ConditionalCheckFailed' }],
        }),
      );
    doc.on(QueryCommand).resolves({
      Items: [
        {
          pk: 'APPROVAL#ap-1',
          sk: 'APPROVAL',
          status: 'pending',
          data: JSON.stringify({ approvalId: 'ap-1', votes: [] }),
        },
        {
          pk: 'APPROVAL#ap-1',
          sk: 'VOTE#U_A',
          data: JSON.stringify({ voter: 'U_A', decision: 'approve', at: '2026-11-26T10:01:00Z' }),
        },
      ],
    });
    const vote = { voter: 'U_A', decision: 'approve' as const, at: '2026-11-26T10:01:00Z' };

    const first = await store().addVote('ap-1', vote);
    const again = await store().addVote('ap-1', vote);

    expect([first.added, again.added]).toEqual([true, false]);
    expect(first.record.votes).toEqual([vote]);
    expect(doc.commandCalls(TransactWriteCommand)[0].args[0].input).toEqual({
      TransactItems: [
        {
          ConditionCheck: {
            TableName: TABLE,
            Key: { pk: 'APPROVAL#ap-1', sk: 'APPROVAL' },
            ConditionExpression: '#status = :pending',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':pending': 'pending' },
          },
        },
        {
          Put: {
            TableName: TABLE,
            Item: { pk: 'APPROVAL#ap-1', sk: 'VOTE#U_A', data: JSON.stringify(vote) },
            ConditionExpression: 'attribute_not_exists(sk)',
          },
        },
      ],
    });
  });

  it('closes an approval only while it is pending', async () => {
    doc.on(UpdateCommand).resolvesOnce({}).rejects(conditionFailed());
    const at = new Date('2026-11-26T11:00:00.000Z');

    const closed = await store().closeApproval('ap-1', 'approved', at);
    const late = await store().closeApproval('ap-1', 'expired', at);

    expect([closed, late]).toEqual([true, false]);
    expect(doc.commandCalls(UpdateCommand)[0].args[0].input).toMatchObject({
      Key: { pk: 'APPROVAL#ap-1', sk: 'APPROVAL' },
      ConditionExpression: '#status = :from',
      ExpressionAttributeValues: { ':status': 'approved', ':at': at.toISOString(), ':from': 'pending' },
    });
  });

  it('corrects a decision only from the status it expects (a sign-off that had already timed out)', async () => {
    doc.on(UpdateCommand).resolves({});
    const at = new Date('2026-11-26T11:00:00.000Z');

    await store().closeApproval('ap-1', 'expired', at, 'approved');

    expect(doc.commandCalls(UpdateCommand)[0].args[0].input).toMatchObject({
      ConditionExpression: '#status = :from',
      ExpressionAttributeValues: { ':status': 'expired', ':at': at.toISOString(), ':from': 'approved' },
    });
  });
});

describe('DynamoStore audit chain', () => {
  it('appends the next hash-chained record with a conditional put on its seq, re-reading after a race', async () => {
    const first = chainRecord(entry('one'), 1, GENESIS_HASH);
    const raced = chainRecord(entry('raced'), 2, first.hash);
    doc
      .on(QueryCommand)
      .resolvesOnce({ Items: [{ data: JSON.stringify(first) }] })
      .resolves({ Items: [{ data: JSON.stringify(raced) }] });
    doc.on(PutCommand).rejectsOnce(conditionFailed()).resolves({});

    const record = await store().appendAudit(entry('two'));

    expect(record).toMatchObject({ seq: 3, prevHash: raced.hash });
    expect(verifyChain([first, raced, record])).toMatchObject({ intact: true });
    const puts = doc.commandCalls(PutCommand).map((c) => c.args[0].input);
    expect(puts[1]).toEqual({
      TableName: TABLE,
      Item: { pk: 'AUDIT#exec-1', sk: 'SEQ#0000000003', data: JSON.stringify(record) },
      ConditionExpression: 'attribute_not_exists(sk)',
    });
    expect(doc.commandCalls(QueryCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': 'AUDIT#exec-1', ':prefix': 'SEQ#' },
      ScanIndexForward: false,
      Limit: 1,
    });
  });
});

describe('DynamoStore callbacks', () => {
  const callback = {
    token: 'task-token-1',
    executionId: 'exec-1',
    service: 'orders',
    kind: 'bake' as const,
    alarms: ['orders-5xx', 'orders-latency'],
    createdAt: '2026-11-26T10:00:00.000Z',
  };

  it('writes the callback with one lookup item per execution and per alarm, in one transaction', async () => {
    doc.on(TransactWriteCommand).resolves({});

    await store().putCallback(callback);

    const keys = doc
      .commandCalls(TransactWriteCommand)[0]
      .args[0].input.TransactItems!.map((t) => [t.Put!.Item!.pk, t.Put!.Item!.sk]);
    expect(keys).toEqual([
      [expect.stringMatching(/^CALLBACK#[0-9a-f]{64}$/), 'CALLBACK'],
      ['EXEC#exec-1', expect.stringMatching(/^CALLBACK#/)],
      ['ALARM#orders-5xx', expect.stringMatching(/^CALLBACK#/)],
      ['ALARM#orders-latency', expect.stringMatching(/^CALLBACK#/)],
    ]);
  });

  it('finds the bakes watching an alarm with a consistent query, no scan', async () => {
    doc.on(QueryCommand).resolves({ Items: [{ data: JSON.stringify(callback) }] });

    const found = await store().findCallbacks({ alarmName: 'orders-5xx', kind: 'bake' });

    expect(found).toEqual([callback]);
    expect(doc.commandCalls(QueryCommand)[0].args[0].input).toMatchObject({
      ConsistentRead: true,
      ExpressionAttributeValues: { ':pk': 'ALARM#orders-5xx', ':prefix': 'CALLBACK#' },
    });
  });

  it('deletes every item of a callback', async () => {
    doc.on(GetCommand).resolves({ Item: { data: JSON.stringify(callback) } });
    doc.on(TransactWriteCommand).resolves({});

    await store().deleteCallback('task-token-1');

    const deletes = doc
      .commandCalls(TransactWriteCommand)[0]
      .args[0].input.TransactItems!.map((t) => t.Delete!.Key!.pk);
    expect(deletes).toEqual([
      expect.stringMatching(/^CALLBACK#/),
      'EXEC#exec-1',
      'ALARM#orders-5xx',
      'ALARM#orders-latency',
    ]);
  });
});

describe('DynamoStore scratch targets left behind', () => {
  const executionId = 'arn:aws:states:eu-west-1:1:execution:golive-go-live:run-9';

  it('marks one in the SCRATCH#LEFT partition, keeping the first refusal’s time, with no TTL', async () => {
    doc.on(UpdateCommand).resolves({});

    await store().markScratchLeft(executionId, {
      service: 'orders',
      restoredTo: 'golive-scratch-orders-0123456789',
      at: '2026-11-26T10:00:00.000Z',
    });

    expect(doc.commandCalls(UpdateCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: 'SCRATCH#LEFT', sk: executionId },
      UpdateExpression: 'SET #service = :service, #restoredTo = :restoredTo, #since = if_not_exists(#since, :at)',
      ExpressionAttributeNames: { '#service': 'service', '#restoredTo': 'restoredTo', '#since': 'since' },
      ExpressionAttributeValues: {
        ':service': 'orders',
        ':restoredTo': 'golive-scratch-orders-0123456789',
        ':at': '2026-11-26T10:00:00.000Z',
      },
    });
  });

  it('records when the release channel was warned', async () => {
    doc.on(UpdateCommand).resolves({});

    await store().markScratchLeft(executionId, {
      service: 'orders',
      restoredTo: 'golive-scratch-orders-0123456789',
      at: '2026-11-26T10:00:00.000Z',
      warnedAt: '2026-11-27T10:15:00.000Z',
    });

    expect(doc.commandCalls(UpdateCommand)[0].args[0].input).toMatchObject({
      UpdateExpression:
        'SET #service = :service, #restoredTo = :restoredTo, #since = if_not_exists(#since, :at), #warnedAt = :warnedAt',
      ExpressionAttributeNames: { '#warnedAt': 'warnedAt' },
      ExpressionAttributeValues: { ':warnedAt': '2026-11-27T10:15:00.000Z' },
    });
  });

  it('clears one with a delete of its item', async () => {
    doc.on(DeleteCommand).resolves({});

    await store().clearScratchLeft(executionId);

    expect(doc.commandCalls(DeleteCommand)[0].args[0].input).toEqual({
      TableName: TABLE,
      Key: { pk: 'SCRATCH#LEFT', sk: executionId },
    });
  });

  it('lists them with consistent queries of the one partition, every page, oldest first', async () => {
    const item = (n: number, since: string, warnedAt?: string) => ({
      pk: 'SCRATCH#LEFT',
      sk: `exec-${n}`,
      service: 'orders',
      restoredTo: `golive-scratch-orders-${n}`,
      since,
      ...(warnedAt ? { warnedAt } : {}),
    });
    const pages = answerPages([
      {
        Items: [item(1, '2026-11-26T10:00:00.000Z', '2026-11-27T10:15:00.000Z')],
        LastEvaluatedKey: { pk: 'SCRATCH#LEFT', sk: 'exec-1' },
      },
      { Items: [item(2, '2026-11-25T09:00:00.000Z')] },
    ]);
    doc.on(QueryCommand).callsFake(pages.answer);

    const listed = await store().listScratchLeft();

    expect(listed).toEqual([
      {
        executionId: 'exec-2',
        service: 'orders',
        restoredTo: 'golive-scratch-orders-2',
        since: '2026-11-25T09:00:00.000Z',
      },
      {
        executionId: 'exec-1',
        service: 'orders',
        restoredTo: 'golive-scratch-orders-1',
        since: '2026-11-26T10:00:00.000Z',
        warnedAt: '2026-11-27T10:15:00.000Z',
      },
    ]);
    const query = {
      TableName: TABLE,
      ConsistentRead: true,
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': 'SCRATCH#LEFT' },
    };
    expect(pages.sent).toEqual([query, { ...query, ExclusiveStartKey: { pk: 'SCRATCH#LEFT', sk: 'exec-1' } }]);
  });

  it('fails a mark DynamoDB throttles as ProviderUnavailable', async () => {
    doc.on(UpdateCommand).rejects(throttled());

    await expect(
      store().markScratchLeft(executionId, { service: 'orders', restoredTo: 'x', at: '2026-11-26T10:00:00.000Z' }),
    ).rejects.toMatchObject({ name: 'ProviderUnavailable' });
  });
});

/** The item actions and partition keys a command sends, as IAM authorizes them (TransactWriteItems item by item). */
function itemRequests(command: { constructor: { name: string }; input: Record<string, unknown> }): [string, string][] {
  const input = command.input as {
    Key?: { pk: string };
    Item?: { pk: string };
    ExpressionAttributeValues?: Record<string, string>;
    TransactItems?: Record<string, { Key?: { pk: string }; Item?: { pk: string } }>[];
  };
  switch (command.constructor.name) {
    case 'GetCommand':
      return [['GetItem', input.Key!.pk]];
    case 'PutCommand':
      return [['PutItem', input.Item!.pk]];
    case 'UpdateCommand':
      return [['UpdateItem', input.Key!.pk]];
    case 'DeleteCommand':
      return [['DeleteItem', input.Key!.pk]];
    case 'QueryCommand':
      return [['Query', input.ExpressionAttributeValues![':pk']]];
    case 'TransactWriteCommand':
      return input.TransactItems!.map((item) => {
        const [kind, body] = Object.entries(item)[0];
        const action = {
          Put: 'PutItem',
          Delete: 'DeleteItem',
          Update: 'UpdateItem',
          ConditionCheck: 'ConditionCheckItem',
        }[kind]!;
        return [action, (body.Key ?? body.Item)!.pk];
      });
    default:
      throw new Error(`unexpected store command ${command.constructor.name}`);
  }
}

describe('STORE_OPERATIONS (the IAM grants of lib/store-access.ts)', () => {
  const keyName = (pk: string) =>
    (Object.entries(STORE_KEYS) as [keyof typeof STORE_KEYS, string][]).find(([, prefix]) =>
      prefix.endsWith('#') ? pk.startsWith(prefix) : pk === prefix,
    )![0];
  const record = (data: unknown) => ({ data: JSON.stringify(data) });
  const approval = { approvalId: 'a-1', executionId: 'exec-1', token: 't', status: 'pending', votes: [] };
  const callback = { token: 'tok', executionId: 'exec-1', kind: 'bake', alarms: ['orders-5xx'], createdAt: 'x' };
  /** Each method called on its paths that send the most: a refused lock, an existing callback. */
  const calls: Record<StoreOperation, (s: DynamoStore) => Promise<unknown>> = {
    acquireLock: async (s) => {
      doc.on(TransactWriteCommand).rejectsOnce(cancelled([{ Code: 'ConditionalCheckFailed' }]));
      doc.on(GetCommand).resolves({ Item: record(lock) });
      return s.acquireLock(lock, new Date());
    },
    getLock: (s) => s.getLock('orders'),
    releaseLock: (s) => s.releaseLock('orders', 'exec-1'),
    listLocks: (s) => s.listLocks(),
    putExecutionValue: (s) => s.putExecutionValue('exec-1', 'k', 1),
    claimExecutionValue: (s) => s.claimExecutionValue('exec-1', 'k', 1),
    getExecutionValue: (s) => s.getExecutionValue('exec-1', 'k'),
    putCallback: (s) => s.putCallback(callback as never),
    findCallbacks: async (s) => {
      await s.findCallbacks({ executionId: 'exec-1' });
      return s.findCallbacks({ alarmName: 'orders-5xx' });
    },
    deleteCallback: (s) => {
      doc.on(GetCommand).resolves({ Item: record(callback) });
      return s.deleteCallback('tok');
    },
    createApproval: (s) => s.createApproval(approval as never),
    getApproval: (s) => s.getApproval('a-1'),
    findApprovalByExecution: (s) => {
      doc
        .on(QueryCommand)
        .resolves({ Items: [{ approvalId: 'a-1', pk: 'APPROVAL#a-1', sk: 'APPROVAL', ...record(approval) }] });
      return s.findApprovalByExecution('exec-1');
    },
    addVote: (s) => {
      doc.on(QueryCommand).resolves({ Items: [{ pk: 'APPROVAL#a-1', sk: 'APPROVAL', ...record(approval) }] });
      return s.addVote('a-1', { voter: 'U_ANA', decision: 'approve', at: 'x' } as never);
    },
    closeApproval: (s) => s.closeApproval('a-1', 'approved', new Date()),
    appendAudit: (s) => s.appendAudit(entry('x')),
    listAudit: (s) => s.listAudit('exec-1'),
    setLiveVersion: (s) => s.setLiveVersion('orders', '2.4.0', 'green', new Date()),
    getLiveVersion: (s) => s.getLiveVersion('orders'),
    markScratchLeft: (s) => s.markScratchLeft('exec-1', { service: 'orders', restoredTo: 'x', at: 'x' }),
    clearScratchLeft: (s) => s.clearScratchLeft('exec-1'),
    listScratchLeft: (s) => s.listScratchLeft(),
  };

  it.each(Object.keys(calls) as StoreOperation[])('names exactly the actions and partitions %s sends', async (op) => {
    doc.on(QueryCommand).resolves({ Items: [] });
    doc.on(GetCommand).resolves({});
    await calls[op](store());

    const sent = doc.calls().flatMap((c) => itemRequests(c.args[0] as never));
    const named = (pairs: readonly (readonly [string, string])[]) =>
      [...new Set(pairs.map(([a, k]) => `${a} ${k}`))].sort();

    expect(named(sent.map(([action, pk]) => [action, keyName(pk)]))).toEqual(named(STORE_OPERATIONS[op]));
  });

  it('covers every Store method', () => {
    expect(Object.keys(calls).sort()).toEqual(Object.keys(STORE_OPERATIONS).sort());
  });
});
