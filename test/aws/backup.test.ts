import {
  BackupClient,
  DescribeRestoreJobCommand,
  GetRecoveryPointRestoreMetadataCommand,
  ListRecoveryPointsByResourceCommand,
  StartRestoreJobCommand,
} from '@aws-sdk/client-backup';
import {
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  RestoreTableToPointInTimeCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import {
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { mockClient } from 'aws-sdk-client-mock';
import type { Deps, RestoreHandle, Store } from '../../lambdas/core/ports';
import { backupStep, type RestoreLoopView } from '../../lambdas/core/steps/backup';
import { RESTORE_BUDGETS } from '../../lambdas/core/workflow/budget';
import { AwsBackup } from '../../lambdas/providers/aws/backup';
import { AwsBackupRestore } from '../../lambdas/providers/aws/backup/aws-backup';
import { DynamoDbPitrBackup } from '../../lambdas/providers/aws/backup/dynamodb-pitr';
import { RdsSnapshotBackup } from '../../lambdas/providers/aws/backup/rds';
import { accessDenied, awsConfig, awsError, throttled } from './helpers';
import { fakeDeps, type FakeDeps } from '../support/fake-deps';
import { testPlan } from '../support/payloads';
import type { FunctionPayload } from '../../lambdas/core/workflow/definition';

const ddb = mockClient(DynamoDBClient);
const rds = mockClient(RDSClient);
const backupApi = mockClient(BackupClient);
const config = awsConfig();
const NOW = new Date('2026-11-26T10:00:00.000Z');

function provider(): AwsBackup {
  const dynamodb = new DynamoDbPitrBackup(new DynamoDBClient({}));
  const rdsBackup = new RdsSnapshotBackup(new RDSClient({}));
  return new AwsBackup(
    config,
    dynamodb,
    rdsBackup,
    new AwsBackupRestore(new BackupClient({}), dynamodb, rdsBackup),
    () => NOW,
  );
}

const handle = (overrides: Partial<RestoreHandle>): RestoreHandle => ({
  kind: 'dynamodb-pitr',
  service: 'orders',
  recoveryPointId: 'orders@2026-11-26T09:55:00.000Z',
  recoveryPointAt: '2026-11-26T09:55:00.000Z',
  restoredTo: 'golive-scratch-orders-abc',
  startedAt: '2026-11-26T09:58:00.000Z',
  detail: { sourceTable: 'orders' },
  ...overrides,
});

beforeEach(() => {
  ddb.reset();
  rds.reset();
  backupApi.reset();
});

describe('DynamoDB PITR restore proof', () => {
  it('takes the latest restorable time as the recovery point', async () => {
    ddb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: 'ENABLED',
          LatestRestorableDateTime: new Date('2026-11-26T09:55:00.000Z'),
        },
      },
    });

    const point = await provider().latestRecoveryPoint('orders');

    expect(point).toEqual({ id: 'orders@2026-11-26T09:55:00.000Z', at: '2026-11-26T09:55:00.000Z' });
    expect(ddb.commandCalls(DescribeContinuousBackupsCommand)[0].args[0].input).toEqual({ TableName: 'orders' });
  });

  it('fails by name when point-in-time recovery is off', async () => {
    ddb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' },
      },
    });

    await expect(provider().latestRecoveryPoint('orders')).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining('point-in-time recovery is DISABLED on orders'),
    });
  });

  it('restores that exact time into an on-demand scratch table without indexes', async () => {
    ddb.on(RestoreTableToPointInTimeCommand).resolves({});

    const started = await provider().startRestore(
      'orders',
      { id: 'orders@2026-11-26T09:55:00.000Z', at: '2026-11-26T09:55:00.000Z' },
      'golive-scratch-orders-abc',
    );

    expect(ddb.commandCalls(RestoreTableToPointInTimeCommand)[0].args[0].input).toEqual({
      SourceTableName: 'orders',
      TargetTableName: 'golive-scratch-orders-abc',
      RestoreDateTime: new Date('2026-11-26T09:55:00.000Z'),
      BillingModeOverride: 'PAY_PER_REQUEST',
      GlobalSecondaryIndexOverride: [],
    });
    expect(started).toMatchObject({ pollSeconds: 30, handle: { restoredTo: 'golive-scratch-orders-abc' } });
  });

  it('is pending while the scratch table is CREATING and ready once ACTIVE', async () => {
    ddb
      .on(DescribeTableCommand)
      .resolvesOnce({ Table: { TableStatus: 'CREATING' } })
      .resolves({ Table: { TableStatus: 'ACTIVE' } });

    const first = await provider().checkRestore(handle({}));
    const second = await provider().checkRestore(handle({}));

    expect([first.status, second.status]).toEqual(['pending', 'ready']);
    expect(ddb.commandCalls(DescribeTableCommand)[0].args[0].input).toEqual({ TableName: 'golive-scratch-orders-abc' });
  });

  it('counts (paginated) and samples the scratch table against the source, then deletes it', async () => {
    ddb.on(DescribeTableCommand, { TableName: 'orders' }).resolves({
      Table: { ItemCount: 1000, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] },
    });
    ddb
      .on(ScanCommand, { Select: 'COUNT' })
      .resolvesOnce({ Count: 600, LastEvaluatedKey: { pk: { S: 'k600' } } })
      .resolves({ Count: 395 });
    ddb.on(ScanCommand, { Limit: 25 }).resolves({ Items: [{ pk: { S: 'a' } }, { pk: { S: 'b' } }] });
    ddb.on(DeleteTableCommand).resolves({});

    const evidence = await provider().validateAndCleanUp(handle({}));

    expect(evidence).toMatchObject({
      ok: true,
      kind: 'dynamodb-pitr',
      integrityCheck: 'ok',
      scratchDeleted: true,
      tables: [{ name: 'orders', expectedRows: 1000, restoredRows: 995, match: true, sampled: 2 }],
      durationMs: 120000,
    });
    const scans = ddb.commandCalls(ScanCommand).map((c) => c.args[0].input);
    expect(scans[1]).toEqual({
      TableName: 'golive-scratch-orders-abc',
      Select: 'COUNT',
      ExclusiveStartKey: { pk: { S: 'k600' } },
    });
    expect(ddb.commandCalls(DeleteTableCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: 'golive-scratch-orders-abc' },
    ]);
  });

  it('reports a restore with far fewer items as not matching, and still deletes the scratch table', async () => {
    ddb
      .on(DescribeTableCommand)
      .resolves({ Table: { ItemCount: 1000, KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }] } });
    ddb.on(ScanCommand, { Select: 'COUNT' }).resolves({ Count: 500 });
    ddb.on(ScanCommand, { Limit: 25 }).resolves({ Items: [{ other: { S: 'x' } }] });
    ddb.on(DeleteTableCommand).resolves({});

    const evidence = await provider().validateAndCleanUp(handle({}));

    expect(evidence).toMatchObject({
      ok: false,
      integrityCheck: '1 of 1 sampled items lack key attributes pk',
      tables: [{ expectedRows: 1000, restoredRows: 500, match: false }],
      scratchDeleted: true,
    });
    expect(ddb.commandCalls(DeleteTableCommand)).toHaveLength(1);
  });

  it('deletes the scratch table even when validation is denied, and names the missing permission', async () => {
    ddb.on(DescribeTableCommand).rejects(accessDenied());
    ddb.on(DeleteTableCommand).resolves({});

    await expect(provider().validateAndCleanUp(handle({}))).rejects.toMatchObject({
      name: 'ProviderAccessDenied',
      message: expect.stringContaining('dynamodb:DescribeTable orders'),
    });
    expect(ddb.commandCalls(DeleteTableCommand)).toHaveLength(1);
  });

  it('turns throttling into ProviderUnavailable, which the workflow retries', async () => {
    ddb.on(DescribeTableCommand).rejects(throttled());

    await expect(provider().checkRestore(handle({}))).rejects.toMatchObject({ name: 'ProviderUnavailable' });
  });
});

describe('RDS snapshot restore proof', () => {
  it('restores the latest available instance snapshot privately into the source’s network', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        { DBSnapshotIdentifier: 'old', Status: 'available', SnapshotCreateTime: new Date('2026-11-25T03:00:00Z') },
        { DBSnapshotIdentifier: 'new', Status: 'available', SnapshotCreateTime: new Date('2026-11-26T03:00:00Z') },
        { DBSnapshotIdentifier: 'running', Status: 'creating', SnapshotCreateTime: new Date('2026-11-26T09:00:00Z') },
      ],
    });
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'billing-db' }).resolves({
      DBInstances: [
        {
          Engine: 'postgres',
          DBSubnetGroup: { DBSubnetGroupName: 'private' },
          VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
        },
      ],
    });
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});
    const p = provider();

    const point = await p.latestRecoveryPoint('billing');
    const { handle: h, pollSeconds } = await p.startRestore('billing', point, 'golive-scratch-billing-abc');

    expect(point.id).toBe('new');
    expect(rds.commandCalls(DescribeDBSnapshotsCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: 'billing-db',
    });
    expect(rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: 'golive-scratch-billing-abc',
      DBSnapshotIdentifier: 'new',
      DBSubnetGroupName: 'private',
      VpcSecurityGroupIds: ['sg-1'],
      PubliclyAccessible: false,
      MultiAZ: false,
      DeletionProtection: false,
      AutoMinorVersionUpgrade: false,
      Tags: expect.arrayContaining([{ Key: 'golive:scratch', Value: 'true' }]),
    });
    expect(pollSeconds).toBe(60);
    expect(h.detail).toEqual({ instance: 'golive-scratch-billing-abc', engine: 'postgres' });
  });

  it('validates the available instance and deletes it without a final snapshot', async () => {
    rds
      .on(DescribeDBInstancesCommand)
      .resolves({ DBInstances: [{ DBInstanceStatus: 'available', Engine: 'postgres' }] });
    rds.on(DeleteDBInstanceCommand).resolves({});
    const h = handle({
      kind: 'rds-snapshot',
      service: 'billing',
      restoredTo: 'golive-scratch-billing-abc',
      detail: { instance: 'golive-scratch-billing-abc', engine: 'postgres' },
    });

    const evidence = await provider().validateAndCleanUp(h);

    expect(evidence).toMatchObject({
      ok: true,
      integrityCheck: 'restored instance available, engine postgres',
      scratchDeleted: true,
    });
    expect(rds.commandCalls(DeleteDBInstanceCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: 'golive-scratch-billing-abc',
      SkipFinalSnapshot: true,
      DeleteAutomatedBackups: true,
    });
  });

  it('restores an Aurora cluster, then creates its instance, then reports ready; clean-up deletes both', async () => {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: 'ledger-snap',
          Status: 'available',
          SnapshotCreateTime: new Date('2026-11-26T03:00:00Z'),
        },
      ],
    });
    rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: 'ledger-aurora' }).resolves({
      DBClusters: [
        {
          Engine: 'aurora-postgresql',
          EngineVersion: '16.4',
          DBSubnetGroup: 'private',
          VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-2' }],
          DBClusterMembers: [{ DBInstanceIdentifier: 'ledger-writer', IsClusterWriter: true }],
        },
      ],
    });
    rds
      .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'ledger-writer' })
      .resolves({ DBInstances: [{ DBInstanceClass: 'db.r7g.large' }] });
    rds.on(RestoreDBClusterFromSnapshotCommand).resolves({});
    rds
      .on(DescribeDBClustersCommand, { DBClusterIdentifier: 'golive-scratch-ledger-abc' })
      .resolves({ DBClusters: [{ Status: 'available' }] });
    rds.on(CreateDBInstanceCommand).resolves({});
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'golive-scratch-ledger-abc-i1' }).resolves({
      DBInstances: [{ DBInstanceStatus: 'available', Engine: 'aurora-postgresql' }],
    });
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DeleteDBClusterCommand).resolves({});
    const p = provider();

    const point = await p.latestRecoveryPoint('ledger');
    const started = await p.startRestore('ledger', point, 'golive-scratch-ledger-abc');
    const clusterReady = await p.checkRestore(started.handle);
    const instanceReady = await p.checkRestore(clusterReady.handle);
    await p.cleanUp(instanceReady.handle);

    expect(rds.commandCalls(RestoreDBClusterFromSnapshotCommand)[0].args[0].input).toEqual({
      DBClusterIdentifier: 'golive-scratch-ledger-abc',
      SnapshotIdentifier: 'ledger-snap',
      Engine: 'aurora-postgresql',
      EngineVersion: '16.4',
      DBSubnetGroupName: 'private',
      VpcSecurityGroupIds: ['sg-2'],
      DeletionProtection: false,
      Tags: expect.any(Array),
    });
    expect(clusterReady.status).toBe('pending');
    expect(rds.commandCalls(CreateDBInstanceCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: 'golive-scratch-ledger-abc-i1',
      DBClusterIdentifier: 'golive-scratch-ledger-abc',
      Engine: 'aurora-postgresql',
      DBInstanceClass: 'db.r7g.large',
      PubliclyAccessible: false,
      Tags: expect.any(Array),
    });
    expect(instanceReady.status).toBe('ready');
    expect(rds.commandCalls(DeleteDBInstanceCommand)[0].args[0].input.DBInstanceIdentifier).toBe(
      'golive-scratch-ledger-abc-i1',
    );
    expect(rds.commandCalls(DeleteDBClusterCommand)[0].args[0].input).toEqual({
      DBClusterIdentifier: 'golive-scratch-ledger-abc',
      SkipFinalSnapshot: true,
    });
  });

  it('fails a restore that ends in a failed state', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ DBInstanceStatus: 'incompatible-restore' }] });
    const h = handle({ kind: 'rds-snapshot', service: 'billing', detail: { instance: 'x', engine: 'postgres' } });

    await expect(provider().checkRestore(h)).rejects.toMatchObject({ name: 'BackupVerificationFailed' });
  });
});

describe('AWS Backup restore proof', () => {
  it('restores the latest completed recovery point of the vault into a scratch table and follows the job', async () => {
    const rp = (arn: string, vault: string, status: string, at: string) => ({
      RecoveryPointArn: arn,
      BackupVaultName: vault,
      Status: status as 'COMPLETED',
      CreationDate: new Date(at),
    });
    backupApi.on(ListRecoveryPointsByResourceCommand).resolves({
      RecoveryPoints: [
        rp('arn:rp:1', 'prod-vault', 'COMPLETED', '2026-11-26T01:00:00Z'),
        rp('arn:rp:2', 'other-vault', 'COMPLETED', '2026-11-26T05:00:00Z'),
        rp('arn:rp:3', 'prod-vault', 'PARTIAL', '2026-11-26T06:00:00Z'),
      ],
    });
    backupApi.on(GetRecoveryPointRestoreMetadataCommand).resolves({ RestoreMetadata: { originalTableName: 'vault' } });
    backupApi.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-1' });
    backupApi.on(DescribeRestoreJobCommand).resolvesOnce({ Status: 'RUNNING', PercentDone: '40%' }).resolves({
      Status: 'COMPLETED',
      CreatedResourceArn: 'arn:aws:dynamodb:eu-west-1:1:table/golive-scratch-vault-abc',
    });
    const p = provider();

    const point = await p.latestRecoveryPoint('vault');
    const { handle: h } = await p.startRestore('vault', point, 'golive-scratch-vault-abc');
    const running = await p.checkRestore(h);
    const done = await p.checkRestore(h);

    expect(point.id).toBe('arn:rp:1');
    expect(backupApi.commandCalls(StartRestoreJobCommand)[0].args[0].input).toEqual({
      RecoveryPointArn: 'arn:rp:1',
      IamRoleArn: 'arn:aws:iam::123456789012:role/golive-restore',
      Metadata: { originalTableName: 'vault', targetTableName: 'golive-scratch-vault-abc' },
      ResourceType: 'DynamoDB',
      IdempotencyToken: 'golive-scratch-vault-abc',
    });
    expect([running.status, running.detail]).toEqual(['pending', 'restore job job-1: RUNNING (40%)']);
    expect(done.status).toBe('ready');
    expect(backupApi.commandCalls(DescribeRestoreJobCommand)[0].args[0].input).toEqual({ RestoreJobId: 'job-1' });
  });

  it('fails by name when the restore job fails', async () => {
    backupApi.on(DescribeRestoreJobCommand).resolves({ Status: 'FAILED', StatusMessage: 'KMS key disabled' });
    const h = handle({
      kind: 'aws-backup',
      service: 'vault',
      detail: { restoreJobId: 'job-2', resourceType: 'DynamoDB' },
    });

    await expect(provider().checkRestore(h)).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining('KMS key disabled'),
    });
  });
});

describe('clean-up of an abandoned restore (rollback, janitor)', () => {
  const rdsHandle = (detail: Record<string, unknown>) =>
    handle({ kind: 'rds-snapshot', service: 'billing', restoredTo: 'golive-scratch-billing-abc', detail });
  const auroraHandle = (phase: 'cluster' | 'instance') =>
    handle({
      kind: 'rds-snapshot',
      service: 'ledger',
      restoredTo: 'golive-scratch-ledger-abc',
      detail: {
        cluster: 'golive-scratch-ledger-abc',
        instance: 'golive-scratch-ledger-abc-i1',
        engine: 'aurora-postgresql',
        phase,
      },
    });
  const vaultHandle = handle({
    kind: 'aws-backup',
    service: 'vault',
    restoredTo: 'golive-scratch-vault-abc',
    detail: { restoreJobId: 'job-3', resourceType: 'DynamoDB' },
  });

  it('reports a DynamoDB scratch table still being restored (CREATING) as not deleted, naming it and the reason', async () => {
    ddb
      .on(DeleteTableCommand)
      .rejects(awsError('ResourceInUseException', 400, 'Attempt to change a resource which is still in use'));

    await expect(provider().cleanUp(handle({}))).rejects.toMatchObject({
      name: 'ScratchNotDeleted',
      message:
        'dynamodb:DeleteTable golive-scratch-orders-abc refused while it is busy: ResourceInUseException (Attempt to change a resource which is still in use)',
    });
    expect(ddb.commandCalls(DeleteTableCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: 'golive-scratch-orders-abc' },
    ]);
  });

  it('counts a scratch table that no longer exists as deleted', async () => {
    ddb.on(DeleteTableCommand).rejects(awsError('ResourceNotFoundException', 400, 'Requested resource not found'));

    await expect(provider().cleanUp(handle({}))).resolves.toBe(true);
  });

  it('asks RDS to delete the scratch instance whatever its state, without a final snapshot', async () => {
    rds.on(DeleteDBInstanceCommand).resolves({ DBInstance: { DBInstanceStatus: 'deleting' } });

    await expect(
      provider().cleanUp(rdsHandle({ instance: 'golive-scratch-billing-abc', engine: 'postgres' })),
    ).resolves.toBe(true);
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: 'golive-scratch-billing-abc', SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
    ]);
  });

  it('counts an RDS scratch instance already being deleted as deleted', async () => {
    rds
      .on(DeleteDBInstanceCommand)
      .rejects(
        awsError('InvalidDBInstanceStateFault', 400, 'Instance golive-scratch-billing-abc is already being deleted.'),
      );

    await expect(
      provider().cleanUp(rdsHandle({ instance: 'golive-scratch-billing-abc', engine: 'postgres' })),
    ).resolves.toBe(true);
  });

  it('deletes the Aurora scratch cluster while its instance does not exist yet (cluster phase)', async () => {
    rds.on(DeleteDBInstanceCommand).rejects(awsError('DBInstanceNotFoundFault', 404, 'DBInstance not found'));
    rds.on(DeleteDBClusterCommand).resolves({});

    await expect(provider().cleanUp(auroraHandle('cluster'))).resolves.toBe(true);
    expect(rds.commandCalls(DeleteDBInstanceCommand)[0].args[0].input.DBInstanceIdentifier).toBe(
      'golive-scratch-ledger-abc-i1',
    );
    expect(rds.commandCalls(DeleteDBClusterCommand).map((c) => c.args[0].input)).toEqual([
      { DBClusterIdentifier: 'golive-scratch-ledger-abc', SkipFinalSnapshot: true },
    ]);
  });

  it('still tries the Aurora cluster when RDS refuses the instance, and names both refusals', async () => {
    rds
      .on(DeleteDBInstanceCommand)
      .rejects(
        awsError(
          'InvalidDBInstanceStateFault',
          400,
          'Instance golive-scratch-ledger-abc-i1 is not in available state.',
        ),
      );
    rds
      .on(DeleteDBClusterCommand)
      .rejects(
        awsError(
          'InvalidDBClusterStateFault',
          400,
          'Cluster cannot be deleted, it still contains DB instances in non-deleting state.',
        ),
      );

    await expect(provider().cleanUp(auroraHandle('instance'))).rejects.toMatchObject({
      name: 'ScratchNotDeleted',
      message:
        'rds:DeleteDBInstance golive-scratch-ledger-abc-i1 refused while it is busy: InvalidDBInstanceStateFault (Instance golive-scratch-ledger-abc-i1 is not in available state.); ' +
        'rds:DeleteDBCluster golive-scratch-ledger-abc refused while it is busy: InvalidDBClusterStateFault (Cluster cannot be deleted, it still contains DB instances in non-deleting state.)',
    });
    expect(rds.commandCalls(DeleteDBClusterCommand)).toHaveLength(1);
  });

  it('throws any other fault, classified (a missing permission is not a busy resource)', async () => {
    ddb.on(DeleteTableCommand).rejects(accessDenied());

    await expect(provider().cleanUp(handle({}))).rejects.toMatchObject({
      name: 'ProviderAccessDenied',
      message: expect.stringContaining('dynamodb:DeleteTable golive-scratch-orders-abc'),
    });
  });

  it('reports an AWS Backup restore job still running as not deleted: its target appears when it completes', async () => {
    backupApi.on(DescribeRestoreJobCommand).resolves({ Status: 'RUNNING', PercentDone: '10%' });
    ddb.on(DeleteTableCommand).rejects(awsError('ResourceNotFoundException', 400, 'Requested resource not found'));

    await expect(provider().cleanUp(vaultHandle)).rejects.toMatchObject({
      name: 'ScratchNotDeleted',
      message:
        'restore job job-3 is still RUNNING and AWS Backup cannot stop it: golive-scratch-vault-abc appears when it completes',
    });
    expect(backupApi.commandCalls(DescribeRestoreJobCommand).map((c) => c.args[0].input)).toEqual([
      { RestoreJobId: 'job-3' },
    ]);
    // What may already exist is deleted all the same.
    expect(ddb.commandCalls(DeleteTableCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: 'golive-scratch-vault-abc' },
    ]);
  });

  it('still deletes what exists when the AWS Backup restore job cannot be read, and says so', async () => {
    backupApi
      .on(DescribeRestoreJobCommand)
      .rejects(awsError('AccessDeniedException', 400, 'not authorized to perform: backup:DescribeRestoreJob'));
    ddb.on(DeleteTableCommand).resolves({});

    const failure = await provider()
      .cleanUp(vaultHandle)
      .catch((err: Error) => err);

    expect(failure).toMatchObject({
      name: 'ScratchNotDeleted',
      message: expect.stringMatching(
        /^restore job job-3 could not be read \(.*backup:DescribeRestoreJob.*\): golive-scratch-vault-abc may appear when it completes$/,
      ),
    });
    expect(ddb.commandCalls(DeleteTableCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: 'golive-scratch-vault-abc' },
    ]);
  });

  it('deletes the target of a completed AWS Backup restore job (RDS)', async () => {
    backupApi.on(DescribeRestoreJobCommand).resolves({ Status: 'COMPLETED' });
    rds.on(DeleteDBInstanceCommand).resolves({});
    const restore = new AwsBackupRestore(
      new BackupClient({}),
      new DynamoDbPitrBackup(new DynamoDBClient({})),
      new RdsSnapshotBackup(new RDSClient({})),
    );

    const deleted = await restore.cleanUp(
      handle({
        kind: 'aws-backup',
        restoredTo: 'golive-scratch-billing-abc',
        detail: { restoreJobId: 'job-4', resourceType: 'RDS' },
      }),
    );

    expect(deleted).toBe(true);
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      { DBInstanceIdentifier: 'golive-scratch-billing-abc', SkipFinalSnapshot: true, DeleteAutomatedBackups: true },
    ]);
  });
});

describe('the restore polling loop (core steps over the DynamoDB provider)', () => {
  const base = {
    executionId: 'arn:aws:states:eu-west-1:1:execution:golive:run-7',
    request: { service: 'orders', version: '2.4.0', strategy: 'canary' as const, requestedBy: 'U_RM' },
    plan: testPlan(),
  };
  const event = (action: 'start' | 'check' | 'validate'): FunctionPayload<'backup'> =>
    action === 'start'
      ? { ...base, state: 'StartRestore', action }
      : action === 'check'
        ? { ...base, state: 'CheckRestore', action }
        : { ...base, state: 'VerifyBackup', action };
  let fakes: FakeDeps;
  let store: Store;
  let deps: Deps;

  beforeEach(() => {
    fakes = fakeDeps({ config, backup: provider(), now: () => NOW });
    ({ store, deps } = fakes);
    ddb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: 'ENABLED',
          LatestRestorableDateTime: new Date('2026-11-26T09:55:00.000Z'),
        },
      },
    });
    ddb.on(RestoreTableToPointInTimeCommand).resolves({});
    ddb.on(DeleteTableCommand).resolves({});
  });
  afterEach(() => fakes.close());

  it('gives up after the bounded attempts: deletes the scratch table and fails BackupVerificationFailed', async () => {
    ddb.on(DescribeTableCommand).resolves({ Table: { TableStatus: 'CREATING' } });

    const started = (await backupStep(deps, event('start'))) as RestoreLoopView;
    let view = started;
    while (view.status !== 'ready' && view.attempt < view.maxAttempts) {
      view = (await backupStep(deps, event('check'))) as RestoreLoopView;
    }
    const verify = backupStep(deps, event('validate'));

    expect(started.maxAttempts * started.pollSeconds).toBeLessThanOrEqual(RESTORE_BUDGETS['dynamodb-table'].seconds);
    await expect(verify).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringMatching(/was not ready after \d+ check\(s\).*scratch deleted/),
    });
    expect(ddb.commandCalls(DescribeTableCommand)).toHaveLength(started.maxAttempts);
    expect(ddb.commandCalls(DeleteTableCommand).map((c) => c.args[0].input.TableName)).toEqual([
      expect.stringMatching(/^golive-scratch-orders-[0-9a-f]{10}$/),
    ]);
    // Pending checks are not audited one by one; start and the failed verification are.
    const steps = (await store.listAudit(base.executionId)).map((r) => `${r.step}:${r.outcome}`);
    expect(steps).toEqual(['StartRestore:succeeded', 'VerifyBackup:failed']);
  });

  it('refuses a recovery point older than the RPO before starting any restore', async () => {
    deps.now = () => new Date('2026-11-26T12:00:00.000Z');

    await expect(backupStep(deps, event('start'))).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining('beyond the RPO of 60 min'),
    });
    expect(ddb.commandCalls(RestoreTableToPointInTimeCommand)).toHaveLength(0);
  });
});
