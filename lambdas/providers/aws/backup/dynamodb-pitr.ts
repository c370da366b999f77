import {
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  paginateScan,
  RestoreTableToPointInTimeCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { BackupVerificationFailed } from '../../../core/errors';
import type { RecoveryPoint, RestoreHandle, RestoreProgress } from '../../../core/ports';
import { awsCall, awsPages, CLIENT_CONFIG } from '../errors';
import { RESTORE_BUDGETS } from '../../../core/workflow/budget';
import {
  allDeleted,
  scratchHandle,
  scratchTaken,
  tryDelete,
  type BackupKindAdapter,
  type KindConfig,
  type StartedRestore,
  type Verdict,
} from './kind';

type PitrConfig = KindConfig<'dynamodb-pitr'>;

/** DynamoDB updates ItemCount about every six hours: counts are compared with this tolerance. */
export const ITEM_COUNT_TOLERANCE = 0.1;
/** Items whose keys are checked in the restored table. */
const SAMPLE_SIZE = 25;
/** Scan pages counted at most (1 MB each); beyond that the count is a lower bound. */
const MAX_COUNT_PAGES = 200;

/**
 * DynamoDB point-in-time recovery: the latest restorable time is the recovery point; the table is
 * restored into a scratch table (on demand, no GSIs: faster and cheaper, and counts need no index),
 * counted and sampled against the source, then deleted.
 */
export class DynamoDbPitrBackup implements BackupKindAdapter<PitrConfig> {
  constructor(private readonly client: DynamoDBClient = new DynamoDBClient(CLIENT_CONFIG)) {}

  async latestRecoveryPoint({ tableName }: PitrConfig): Promise<RecoveryPoint> {
    const res = await awsCall(`dynamodb:DescribeContinuousBackups ${tableName}`, () =>
      this.client.send(new DescribeContinuousBackupsCommand({ TableName: tableName })),
    );
    const pitr = res.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
    if (pitr?.PointInTimeRecoveryStatus !== 'ENABLED' || !pitr.LatestRestorableDateTime) {
      throw new BackupVerificationFailed(
        `point-in-time recovery is ${pitr?.PointInTimeRecoveryStatus ?? 'not configured'} on ${tableName}: enable it, or configure another backup kind`,
      );
    }
    const at = pitr.LatestRestorableDateTime.toISOString();
    return { id: `${tableName}@${at}`, at };
  }

  /**
   * Restores into the scratch table. Idempotent: when a retry finds the table there
   * (TableAlreadyExistsException), it is adopted if it is the restore of this source at this time
   * (an earlier attempt's), never otherwise.
   */
  async startRestore(
    service: string,
    { tableName }: PitrConfig,
    point: RecoveryPoint,
    scratch: string,
  ): Promise<StartedRestore> {
    let adopted = false;
    try {
      await awsCall(`dynamodb:RestoreTableToPointInTime ${tableName} → ${scratch}`, () =>
        this.client.send(
          new RestoreTableToPointInTimeCommand({
            SourceTableName: tableName,
            TargetTableName: scratch,
            RestoreDateTime: new Date(point.at),
            BillingModeOverride: 'PAY_PER_REQUEST',
            GlobalSecondaryIndexOverride: [],
          }),
        ),
      );
    } catch (err) {
      if ((err as Error).name !== 'TableAlreadyExistsException') throw err;
      await this.adoptTable(tableName, point, scratch);
      adopted = true;
    }
    return {
      handle: scratchHandle('dynamodb-pitr', service, point, scratch, { sourceTable: tableName }),
      pollSeconds: RESTORE_BUDGETS['dynamodb-table'].pollSeconds,
      ...(adopted ? { adopted } : {}),
    };
  }

  /**
   * The scratch table exists: ours only if DynamoDB says it is a restore of `source` at the point's
   * time (RestoreSummary; a restore carries no tags). Otherwise scratchTaken.
   */
  private async adoptTable(source: string, point: RecoveryPoint, scratch: string): Promise<void> {
    const res = await awsCall(`dynamodb:DescribeTable ${scratch}`, () =>
      this.client.send(new DescribeTableCommand({ TableName: scratch })),
    );
    const restored = res.Table?.RestoreSummary;
    const from = restored?.SourceTableArn?.split(':table/')[1];
    const at = restored?.RestoreDateTime;
    // DynamoDB keeps the restore time to the second at least.
    if (from === source && at && Math.abs(at.getTime() - Date.parse(point.at)) < 1000) return;
    throw scratchTaken(
      'DynamoDB table',
      scratch,
      restored
        ? `it was restored from ${restored.SourceTableArn ?? restored.SourceBackupArn ?? 'an unknown source'} at ${at?.toISOString() ?? 'an unknown time'}, not from ${source} at ${point.at}`
        : 'it is not a restore',
    );
  }

  async tableStatus(tableName: string): Promise<string> {
    const res = await awsCall(`dynamodb:DescribeTable ${tableName}`, () =>
      this.client.send(new DescribeTableCommand({ TableName: tableName })),
    );
    return res.Table?.TableStatus ?? 'UNKNOWN';
  }

  async checkRestore(handle: RestoreHandle): Promise<RestoreProgress> {
    const status = await this.tableStatus(handle.restoredTo);
    if (status === 'ACTIVE') return { status: 'ready', handle, detail: `DescribeTable ${handle.restoredTo}: ACTIVE` };
    if (status === 'CREATING' || status === 'UPDATING') {
      return { status: 'pending', handle, detail: `DescribeTable ${handle.restoredTo}: ${status}` };
    }
    throw new BackupVerificationFailed(`restored table ${handle.restoredTo} is ${status}, not ACTIVE`);
  }

  validate(handle: RestoreHandle, { tableName }: PitrConfig): Promise<Verdict> {
    return this.validateTable(tableName, handle.restoredTo);
  }

  /** Counts and samples the scratch table against the source (AWS Backup restores of tables too). */
  async validateTable(sourceTable: string, scratchTable: string): Promise<Verdict> {
    const source = await awsCall(`dynamodb:DescribeTable ${sourceTable}`, () =>
      this.client.send(new DescribeTableCommand({ TableName: sourceTable })),
    );
    const keys = (source.Table?.KeySchema ?? []).map((k) => k.AttributeName!);
    const expectedRows = source.Table?.ItemCount ?? 0;
    let restoredRows = 0;
    let pages = 0;
    let countTruncated = false;
    const counts = paginateScan({ client: this.client }, { TableName: scratchTable, Select: 'COUNT' });
    for await (const page of awsPages(`dynamodb:Scan ${scratchTable}`, counts)) {
      restoredRows += page.Count ?? 0;
      countTruncated = page.LastEvaluatedKey !== undefined;
      if (++pages === MAX_COUNT_PAGES) break;
    }
    const sample = await awsCall(`dynamodb:Scan ${scratchTable}`, () =>
      this.client.send(new ScanCommand({ TableName: scratchTable, Limit: SAMPLE_SIZE })),
    );
    const items = sample.Items ?? [];
    const broken = items.filter((item) => keys.some((k) => item[k] === undefined)).length;
    const slack = Math.ceil(expectedRows * ITEM_COUNT_TOLERANCE);
    // A truncated count is a lower bound: it matches once it reaches the expected count minus the tolerance.
    const match = countTruncated
      ? restoredRows >= expectedRows - slack
      : Math.abs(restoredRows - expectedRows) <= slack && (expectedRows === 0 || restoredRows > 0);
    return {
      ok: match && broken === 0,
      integrityCheck:
        broken === 0 ? 'ok' : `${broken} of ${items.length} sampled items lack key attributes ${keys.join(', ')}`,
      tables: [
        {
          name: sourceTable,
          expectedRows,
          restoredRows,
          match,
          countTruncated,
          tolerance: ITEM_COUNT_TOLERANCE,
          sampled: items.length,
        },
      ],
    };
  }

  async cleanUp(handle: RestoreHandle): Promise<boolean> {
    if (handle.leaveAlone?.includes(handle.restoredTo)) return true; // not golive's
    return this.deleteTable(handle.restoredTo);
  }

  /** A table still CREATING (restore in progress) cannot be deleted yet: ScratchNotDeleted says so. */
  async deleteTable(tableName: string): Promise<boolean> {
    return allDeleted([
      await tryDelete(`dynamodb:DeleteTable ${tableName}`, () =>
        this.client.send(new DeleteTableCommand({ TableName: tableName })),
      ),
    ]);
  }
}
