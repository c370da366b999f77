import { createHash } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  paginateQuery,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { chainRecord, GENESIS_HASH } from '../../core/audit';
import type {
  ApprovalRecord,
  ApprovalStatus,
  AuditEntry,
  AuditRecord,
  CallbackKind,
  CallbackRecord,
  LockRecord,
  ScratchLeft,
  Slot,
  Store,
  Vote,
  LiveVersion,
  LiveVersionExtra,
} from '../../core/ports';
import { ProviderUnavailable } from '../../core/errors';
import { awsCall, awsPages, classifyAwsError, CLIENT_CONFIG } from './errors';

/** Concurrent appenders (a step and the alarm handler) race for the next seq; the loser retries. */
const AUDIT_APPEND_ATTEMPTS = 5;

/** The partition indexing scratch targets left behind (sk: execution id). */
const SCRATCH_LEFT_PK = 'SCRATCH#LEFT';
/** The partition indexing held locks (sk: service). */
const LOCKS_PK = 'LOCKS';
const tokenKey = (token: string) => createHash('sha256').update(token).digest('hex');
const seqKey = (seq: number) => `SEQ#${String(seq).padStart(10, '0')}`;
const epochSeconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);
const isConditionFailure = (err: unknown) =>
  (err as { name?: string })?.name === 'ConditionalCheckFailedException' ||
  (err as { name?: string })?.name === 'TransactionCanceledException';
interface CancellationReason {
  Code?: string;
  Item?: Record<string, unknown>;
}
/** A transaction refused by one of its conditions (not by a conflict with another transaction). */
const conditionReasons = (err: unknown): CancellationReason[] | undefined => {
  if ((err as { name?: string })?.name !== 'TransactionCanceledException') return undefined;
  const reasons = (err as { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
  return reasons.some((r) => r.Code === 'ConditionalCheckFailed') ? reasons : undefined;
};
/** Any other cancelled transaction lost a race with a concurrent write (TransactionConflict): transient. */
const classifyTransactionError = (err: unknown, what: string): unknown =>
  (err as { name?: string })?.name === 'TransactionCanceledException'
    ? new ProviderUnavailable(`${what}: ${(err as Error).message}; retried`, { cause: err })
    : classifyAwsError(err, what);

/**
 * The store on one DynamoDB table (`pk` / `sk`, TTL attribute `expiresAt` in epoch seconds).
 * Records are kept as JSON strings (`data`) so the audit chain hashes exactly what was written.
 *
 * | item              | pk                  | sk                         |
 * | lock              | LOCK#<service>      | LOCK                       |
 * | execution value   | EXEC#<execution>    | VALUE#<key>                |
 * | callback          | CALLBACK#<sha256>   | CALLBACK                   |
 * |   by execution    | EXEC#<execution>    | CALLBACK#<sha256>          |
 * |   by alarm        | ALARM#<alarm>       | CALLBACK#<sha256>          |
 * | approval          | APPROVAL#<id>       | APPROVAL                   |
 * |   by execution    | EXEC#<execution>    | APPROVAL#<createdAt>#<id>  |
 * | vote              | APPROVAL#<id>       | VOTE#<voter>               |
 * | audit record      | AUDIT#<execution>   | SEQ#<10-digit seq>         |
 * | live version      | SERVICE#<service>   | LIVE                       |
 * | scratch left      | SCRATCH#LEFT        | <execution>                |
 * |   lock index      | LOCKS               | <service>                  |
 *
 * Lookups by execution and by alarm are Queries on extra items written in the same transaction,
 * so they are strongly consistent and need no index. Scratch-left items are plain attributes (no
 * `data`: a later mark keeps `since` with if_not_exists) and have no TTL: a scratch target costs
 * money until deleted, so its entry stays until the sweep sees it gone. One partition, a handful
 * of small items at most: the sweep reads it with one paged Query. Each lock has a copy in the
 * LOCKS partition, written and deleted in the same transaction as the lock (same TTL), so the
 * reconciler lists the held locks with one Query, no scan.
 */
export class DynamoStore implements Store {
  private readonly doc: DynamoDBDocumentClient;

  constructor(
    private readonly tableName: string,
    client: DynamoDBClient = new DynamoDBClient(CLIENT_CONFIG),
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  private async get<T>(pk: string, sk: string): Promise<T | undefined> {
    const res = await awsCall(`dynamodb:GetItem ${pk}`, () =>
      this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true })),
    );
    return res.Item ? (JSON.parse(res.Item.data as string) as T) : undefined;
  }

  private async query(input: Omit<QueryCommandInput, 'TableName'>): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    const pages = paginateQuery({ client: this.doc }, { TableName: this.tableName, ConsistentRead: true, ...input });
    for await (const page of awsPages(`dynamodb:Query ${String(input.ExpressionAttributeValues?.[':pk'])}`, pages)) {
      items.push(...(page.Items ?? []));
      // A Limit asks for the first items only: one page.
      if (input.Limit) break;
    }
    return items;
  }

  private queryPrefix(pk: string, prefix: string, options: { newestFirst?: boolean; limit?: number } = {}) {
    return this.query({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ...(options.newestFirst ? { ScanIndexForward: false } : {}),
      ...(options.limit ? { Limit: options.limit } : {}),
    });
  }

  async acquireLock(
    lock: LockRecord,
    now: Date,
  ): Promise<{ acquired: true } | { acquired: false; holder: LockRecord }> {
    const item = { executionId: lock.executionId, expiresAt: epochSeconds(lock.expiresAt), data: JSON.stringify(lock) };
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { pk: `LOCK#${lock.service}`, sk: 'LOCK', ...item },
                // Free, ours already (a retried ValidateAndLock), or expired (TTL deletes lazily, so check it here).
                ConditionExpression: 'attribute_not_exists(pk) OR executionId = :exec OR expiresAt < :now',
                ExpressionAttributeValues: { ':exec': lock.executionId, ':now': Math.floor(now.getTime() / 1000) },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            // The index entry follows the lock: replaced with it (an expired holder's entry too).
            { Put: { TableName: this.tableName, Item: { pk: LOCKS_PK, sk: lock.service, ...item } } },
          ],
        }),
      );
      return { acquired: true };
    } catch (err) {
      const reasons = conditionReasons(err);
      if (reasons) {
        // The old item comes back marshalled (the document client does not convert error payloads).
        const old = reasons[0]?.Item?.data as { S?: string } | string | undefined;
        const text = typeof old === 'string' ? old : old?.S;
        const holder = text ? (JSON.parse(text) as LockRecord) : await this.getLock(lock.service);
        if (holder) return { acquired: false, holder };
        return this.acquireLock(lock, now); // released in between
      }
      throw classifyTransactionError(err, 'dynamodb:TransactWriteItems lock');
    }
  }

  getLock(service: string): Promise<LockRecord | undefined> {
    return this.get<LockRecord>(`LOCK#${service}`, 'LOCK');
  }

  async releaseLock(service: string, executionId: string): Promise<boolean> {
    const ours = { ExpressionAttributeValues: { ':exec': executionId } };
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Delete: {
                TableName: this.tableName,
                Key: { pk: `LOCK#${service}`, sk: 'LOCK' },
                ConditionExpression: 'executionId = :exec',
                ...ours,
              },
            },
            {
              // Gone already when TTL deleted it first; never another execution's entry.
              Delete: {
                TableName: this.tableName,
                Key: { pk: LOCKS_PK, sk: service },
                ConditionExpression: 'attribute_not_exists(pk) OR executionId = :exec',
                ...ours,
              },
            },
          ],
        }),
      );
      return true;
    } catch (err) {
      if (conditionReasons(err)) return false;
      throw classifyTransactionError(err, 'dynamodb:TransactWriteItems release lock');
    }
  }

  async listLocks(): Promise<LockRecord[]> {
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': LOCKS_PK },
    });
    return items.map((i) => JSON.parse(i.data as string) as LockRecord);
  }

  async putExecutionValue(executionId: string, key: string, value: unknown): Promise<void> {
    await awsCall('dynamodb:PutItem execution value', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `EXEC#${executionId}`, sk: `VALUE#${key}`, data: JSON.stringify(value ?? null) },
        }),
      ),
    );
  }

  async claimExecutionValue(executionId: string, key: string, value: unknown): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `EXEC#${executionId}`, sk: `VALUE#${key}`, data: JSON.stringify(value ?? null) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw classifyAwsError(err, 'dynamodb:PutItem claim execution value');
    }
  }

  getExecutionValue<T>(executionId: string, key: string): Promise<T | undefined> {
    return this.get<T>(`EXEC#${executionId}`, `VALUE#${key}`);
  }

  async putCallback(record: CallbackRecord): Promise<void> {
    const hash = tokenKey(record.token);
    const data = JSON.stringify(record);
    const items = [
      { pk: `CALLBACK#${hash}`, sk: 'CALLBACK' },
      { pk: `EXEC#${record.executionId}`, sk: `CALLBACK#${hash}` },
      ...[...new Set(record.alarms)].map((alarm) => ({ pk: `ALARM#${alarm}`, sk: `CALLBACK#${hash}` })),
    ];
    await awsCall('dynamodb:TransactWriteItems callback', () =>
      this.doc.send(
        new TransactWriteCommand({
          TransactItems: items.map((key) => ({ Put: { TableName: this.tableName, Item: { ...key, data } } })),
        }),
      ),
    );
  }

  async findCallbacks(filter: {
    executionId?: string;
    alarmName?: string;
    kind?: CallbackKind;
  }): Promise<CallbackRecord[]> {
    if (!filter.executionId && !filter.alarmName) {
      throw new Error('findCallbacks needs an executionId or an alarmName on DynamoDB (no table scans)');
    }
    const pk = filter.executionId ? `EXEC#${filter.executionId}` : `ALARM#${filter.alarmName}`;
    const records = (await this.queryPrefix(pk, 'CALLBACK#')).map(
      (i) => JSON.parse(i.data as string) as CallbackRecord,
    );
    return records.filter(
      (r) =>
        (!filter.kind || r.kind === filter.kind) &&
        (!filter.alarmName || r.alarms.includes(filter.alarmName)) &&
        (!filter.executionId || r.executionId === filter.executionId),
    );
  }

  async deleteCallback(token: string): Promise<void> {
    const hash = tokenKey(token);
    const record = await this.get<CallbackRecord>(`CALLBACK#${hash}`, 'CALLBACK');
    if (!record) return;
    const keys = [
      { pk: `CALLBACK#${hash}`, sk: 'CALLBACK' },
      { pk: `EXEC#${record.executionId}`, sk: `CALLBACK#${hash}` },
      ...[...new Set(record.alarms)].map((alarm) => ({ pk: `ALARM#${alarm}`, sk: `CALLBACK#${hash}` })),
    ];
    await awsCall('dynamodb:TransactWriteItems delete callback', () =>
      this.doc.send(
        new TransactWriteCommand({
          TransactItems: keys.map((Key) => ({ Delete: { TableName: this.tableName, Key } })),
        }),
      ),
    );
  }

  async createApproval(record: ApprovalRecord): Promise<void> {
    const stored = { ...record, votes: [] };
    await awsCall('dynamodb:TransactWriteItems approval', () =>
      this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: `APPROVAL#${record.approvalId}`,
                  sk: 'APPROVAL',
                  status: record.status,
                  data: JSON.stringify(stored),
                },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: `EXEC#${record.executionId}`,
                  sk: `APPROVAL#${record.createdAt}#${record.approvalId}`,
                  approvalId: record.approvalId,
                  data: JSON.stringify({ approvalId: record.approvalId }),
                },
              },
            },
          ],
        }),
      ),
    );
  }

  async getApproval(approvalId: string): Promise<ApprovalRecord | undefined> {
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': `APPROVAL#${approvalId}` },
    });
    const main = items.find((i) => i.sk === 'APPROVAL');
    if (!main) return undefined;
    const record = JSON.parse(main.data as string) as ApprovalRecord;
    const votes = items
      .filter((i) => String(i.sk).startsWith('VOTE#'))
      .map((i) => JSON.parse(i.data as string) as Vote & { seq?: number })
      .sort((a, b) => a.at.localeCompare(b.at));
    return {
      ...record,
      status: main.status as ApprovalStatus,
      votes,
      ...(typeof main.closedAt === 'string' ? { closedAt: main.closedAt } : {}),
    };
  }

  async findApprovalByExecution(executionId: string): Promise<ApprovalRecord | undefined> {
    const [latest] = await this.queryPrefix(`EXEC#${executionId}`, 'APPROVAL#', { newestFirst: true, limit: 1 });
    return latest ? this.getApproval(latest.approvalId as string) : undefined;
  }

  async addVote(approvalId: string, vote: Vote): Promise<{ added: boolean; record: ApprovalRecord }> {
    let added = true;
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              ConditionCheck: {
                TableName: this.tableName,
                Key: { pk: `APPROVAL#${approvalId}`, sk: 'APPROVAL' },
                ConditionExpression: '#status = :pending',
                ExpressionAttributeNames: { '#status': 'status' },
                ExpressionAttributeValues: { ':pending': 'pending' },
              },
            },
            {
              Put: {
                TableName: this.tableName,
                Item: { pk: `APPROVAL#${approvalId}`, sk: `VOTE#${vote.voter}`, data: JSON.stringify(vote) },
                // One vote per approver: a second click is refused, not counted twice.
                ConditionExpression: 'attribute_not_exists(sk)',
              },
            },
          ],
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw classifyAwsError(err, 'dynamodb:TransactWriteItems vote');
      added = false;
    }
    const record = await this.getApproval(approvalId);
    if (!record) throw new Error(`approval ${approvalId} does not exist`);
    return { added, record };
  }

  async closeApproval(
    approvalId: string,
    status: Exclude<ApprovalStatus, 'pending'>,
    at: Date,
    from: ApprovalStatus = 'pending',
  ): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `APPROVAL#${approvalId}`, sk: 'APPROVAL' },
          UpdateExpression: 'SET #status = :status, closedAt = :at',
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':status': status, ':at': at.toISOString(), ':from': from },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw classifyAwsError(err, 'dynamodb:UpdateItem approval');
    }
  }

  async appendAudit(entry: AuditEntry): Promise<AuditRecord> {
    const pk = `AUDIT#${entry.executionId}`;
    for (let attempt = 1; attempt <= AUDIT_APPEND_ATTEMPTS; attempt++) {
      const [last] = await this.queryPrefix(pk, 'SEQ#', { newestFirst: true, limit: 1 });
      const prev = last ? (JSON.parse(last.data as string) as AuditRecord) : undefined;
      const record = chainRecord(entry, (prev?.seq ?? 0) + 1, prev?.hash ?? GENESIS_HASH);
      try {
        await this.doc.send(
          new PutCommand({
            TableName: this.tableName,
            Item: { pk, sk: seqKey(record.seq), data: JSON.stringify(record) },
            // The chain never forks: a seq is written once; a concurrent append makes this one re-read.
            ConditionExpression: 'attribute_not_exists(sk)',
          }),
        );
        return record;
      } catch (err) {
        if (!isConditionFailure(err)) throw classifyAwsError(err, 'dynamodb:PutItem audit');
      }
    }
    throw new ProviderUnavailable(
      `audit of ${entry.executionId}: ${AUDIT_APPEND_ATTEMPTS} concurrent appends in a row`,
    );
  }

  async listAudit(executionId: string): Promise<AuditRecord[]> {
    return (await this.queryPrefix(`AUDIT#${executionId}`, 'SEQ#')).map(
      (i) => JSON.parse(i.data as string) as AuditRecord,
    );
  }

  async setLiveVersion(
    service: string,
    version: string,
    slot: Slot,
    at: Date,
    extra?: LiveVersionExtra,
  ): Promise<void> {
    await awsCall('dynamodb:PutItem live version', () =>
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: `SERVICE#${service}`,
            sk: 'LIVE',
            data: JSON.stringify({ version, slot, at: at.toISOString(), ...extra }),
          },
        }),
      ),
    );
  }

  getLiveVersion(service: string): Promise<LiveVersion | undefined> {
    return this.get(`SERVICE#${service}`, 'LIVE');
  }

  async markScratchLeft(
    executionId: string,
    info: { service: string; restoredTo: string; at: string; warnedAt?: string },
  ): Promise<void> {
    await awsCall('dynamodb:UpdateItem scratch left', () =>
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: SCRATCH_LEFT_PK, sk: executionId },
          UpdateExpression:
            'SET #service = :service, #restoredTo = :restoredTo, #since = if_not_exists(#since, :at)' +
            (info.warnedAt ? ', #warnedAt = :warnedAt' : ''),
          ExpressionAttributeNames: {
            '#service': 'service',
            '#restoredTo': 'restoredTo',
            '#since': 'since',
            ...(info.warnedAt ? { '#warnedAt': 'warnedAt' } : {}),
          },
          ExpressionAttributeValues: {
            ':service': info.service,
            ':restoredTo': info.restoredTo,
            ':at': info.at,
            ...(info.warnedAt ? { ':warnedAt': info.warnedAt } : {}),
          },
        }),
      ),
    );
  }

  async clearScratchLeft(executionId: string): Promise<void> {
    await awsCall('dynamodb:DeleteItem scratch left', () =>
      this.doc.send(new DeleteCommand({ TableName: this.tableName, Key: { pk: SCRATCH_LEFT_PK, sk: executionId } })),
    );
  }

  async listScratchLeft(): Promise<ScratchLeft[]> {
    const items = await this.query({
      KeyConditionExpression: 'pk = :pk',
      ExpressionAttributeValues: { ':pk': SCRATCH_LEFT_PK },
    });
    return items
      .map((i) => ({
        executionId: String(i.sk),
        service: String(i.service),
        restoredTo: String(i.restoredTo),
        since: String(i.since),
        ...(typeof i.warnedAt === 'string' ? { warnedAt: i.warnedAt } : {}),
      }))
      .sort((a, b) => a.since.localeCompare(b.since) || a.executionId.localeCompare(b.executionId));
  }
}
