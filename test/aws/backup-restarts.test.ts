import { BackupClient, GetRecoveryPointRestoreMetadataCommand, StartRestoreJobCommand } from '@aws-sdk/client-backup';
import {
  DeleteTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  DynamoDBClient,
  RestoreTableToPointInTimeCommand,
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
import type { Deps, Store } from '../../lambdas/core/ports';
import {
  backupStep,
  deleteAbandonedScratch,
  scratchName,
  type RestoreLoopView,
  type RestoreState,
} from '../../lambdas/core/steps/backup';
import { sweepLeftoverScratch } from '../../lambdas/core/steps/sweep';
import { RESTORE_BUDGETS } from '../../lambdas/core/workflow/budget';
import type { FunctionPayload } from '../../lambdas/core/workflow/definition';
import { AwsBackup } from '../../lambdas/providers/aws/backup';
import { AwsBackupRestore } from '../../lambdas/providers/aws/backup/aws-backup';
import { DynamoDbPitrBackup } from '../../lambdas/providers/aws/backup/dynamodb-pitr';
import { RdsSnapshotBackup } from '../../lambdas/providers/aws/backup/rds';
import { fakeDeps, type FakeDeps } from '../support/fake-deps';
import { testPlan } from '../support/payloads';
import { awsConfig, awsError } from './helpers';

/**
 * The restore proof on AWS as the workflow runs it (core steps over the real adapters, AWS mocked):
 * a budget that fits each kind of restore, StartRestore and Aurora's CreateDBInstance idempotent on
 * "already exists", and the scratch target recorded before the call that creates it.
 */

const ddb = mockClient(DynamoDBClient);
const rds = mockClient(RDSClient);
const backupApi = mockClient(BackupClient);
const config = awsConfig();
const NOW = new Date('2026-11-26T10:00:00.000Z');
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:golive-go-live:run-7';

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

/** What the workflow's restore states send the backup function for `service`. */
function events(service: string) {
  const base = {
    executionId: EXECUTION,
    request: { service, version: '2.4.0', strategy: 'canary' as const, requestedBy: 'U_RM' },
    plan: testPlan(),
  };
  return {
    start: { ...base, state: 'StartRestore', action: 'start' } as FunctionPayload<'backup'>,
    check: { ...base, state: 'CheckRestore', action: 'check' } as FunctionPayload<'backup'>,
    validate: { ...base, state: 'VerifyBackup', action: 'validate' } as FunctionPayload<'backup'>,
  };
}

let f: FakeDeps;
let deps: Deps;
let store: Store;
beforeEach(() => {
  ddb.reset();
  rds.reset();
  backupApi.reset();
  f = fakeDeps({ config, backup: provider() });
  f.clock.at = NOW;
  ({ deps, store } = f);
});
afterEach(() => f.close());

const restoreState = () => store.getExecutionValue<RestoreState>(EXECUTION, 'restore');

/**
 * Runs the Wait / CheckRestore loop as the ASL does (RestoreReady?), moving the clock on by each
 * wait; returns the last view and how many checks ran.
 */
async function pollUntilDone(
  service: string,
  view: RestoreLoopView,
): Promise<{ view: RestoreLoopView; checks: number }> {
  let checks = 0;
  while (view.status !== 'ready' && view.attempt < view.maxAttempts) {
    f.clock.advance(view.pollSeconds * 1000);
    view = (await backupStep(deps, events(service).check)) as RestoreLoopView;
    checks++;
  }
  return { view, checks };
}

/** Every RDS tag value and key: letters, digits, spaces and `_ . : / = + - @`, no `aws:` / `rds:` prefix. */
const RDS_TAG = /^(?!aws:|rds:)[\p{L}\p{Z}\p{N}_.:/=+\-@]{1,256}$/u;

describe('restore budgets that fit the resource', () => {
  /** An Aurora snapshot of ledger-aurora, its source cluster and writer, as RDS describes them. */
  function auroraSource() {
    rds.on(DescribeDBClusterSnapshotsCommand).resolves({
      DBClusterSnapshots: [
        {
          DBClusterSnapshotIdentifier: 'rds:ledger-aurora-2026-11-26-03-00',
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
  }

  it('proves an Aurora restore that takes 50 minutes: the cluster, then an instance created inside it', async () => {
    const cluster = scratchName('ledger', EXECUTION);
    const instance = `${cluster}-i1`;
    auroraSource();
    rds.on(RestoreDBClusterFromSnapshotCommand).resolves({});
    // 30 minutes restoring the cluster, 20 more creating its instance.
    let clusterChecks = 0;
    rds
      .on(DescribeDBClustersCommand, { DBClusterIdentifier: cluster })
      .callsFake(async () => ({ DBClusters: [{ Status: ++clusterChecks > 30 ? 'available' : 'creating' }] }));
    rds.on(CreateDBInstanceCommand).resolves({});
    let instanceChecks = 0;
    rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: instance }).callsFake(async () => ({
      DBInstances: [
        { DBInstanceStatus: ++instanceChecks > 20 ? 'available' : 'creating', Engine: 'aurora-postgresql' },
      ],
    }));
    rds.on(DeleteDBInstanceCommand).resolves({});
    rds.on(DeleteDBClusterCommand).resolves({});
    const steps = events('ledger');

    const started = (await backupStep(deps, steps.start)) as RestoreLoopView;
    const { view, checks } = await pollUntilDone('ledger', started);
    const evidence = await backupStep(deps, steps.validate);

    expect(started).toMatchObject({ pollSeconds: 60, maxAttempts: Math.floor(7200 / 65) });
    // Longer than the single 900 s budget every kind had: the proof would have been abandoned.
    expect(checks * started.pollSeconds).toBeGreaterThan(900);
    expect(view.status).toBe('ready');
    expect(rds.commandCalls(CreateDBInstanceCommand).map((c) => c.args[0].input)).toEqual([
      {
        DBInstanceIdentifier: instance,
        DBClusterIdentifier: cluster,
        Engine: 'aurora-postgresql',
        DBInstanceClass: 'db.r7g.large',
        PubliclyAccessible: false,
        Tags: [
          { Key: 'golive:scratch', Value: 'true' },
          { Key: 'golive:purpose', Value: 'restore proof - deleted after validation' },
        ],
      },
    ]);
    expect(evidence).toMatchObject({
      ok: true,
      integrityCheck: 'restored instance available, engine aurora-postgresql',
    });
    expect(rds.commandCalls(DeleteDBInstanceCommand).map((c) => c.args[0].input.DBInstanceIdentifier)).toEqual([
      instance,
    ]);
    expect(rds.commandCalls(DeleteDBClusterCommand).map((c) => c.args[0].input)).toEqual([
      { DBClusterIdentifier: cluster, SkipFinalSnapshot: true },
    ]);
  });

  it('gives an RDS instance restore at least 60 minutes, checked every minute', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        { DBSnapshotIdentifier: 'nightly', Status: 'available', SnapshotCreateTime: new Date('2026-11-26T03:00:00Z') },
      ],
    });
    rds.on(DescribeDBInstancesCommand).resolves({ DBInstances: [{ Engine: 'postgres' }] });
    rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});

    const started = (await backupStep(deps, events('billing').start)) as RestoreLoopView;

    expect(started.pollSeconds).toBe(60);
    expect(started.maxAttempts * (started.pollSeconds + 5)).toBeGreaterThanOrEqual(3600);
    expect(started.maxAttempts * (started.pollSeconds + 5)).toBeLessThanOrEqual(
      RESTORE_BUDGETS['rds-instance'].seconds,
    );
    expect(await restoreState()).toMatchObject({ budgetSeconds: RESTORE_BUDGETS['rds-instance'].seconds });
  });

  it('checks an AWS Backup restore at the pace of the resource it restores', async () => {
    backupApi.on(GetRecoveryPointRestoreMetadataCommand).resolves({ RestoreMetadata: {} });
    backupApi.on(StartRestoreJobCommand).resolves({ RestoreJobId: 'job-1' });
    const point = { id: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:1', at: NOW.toISOString() };

    const started = await provider().startRestore('vault', point, 'golive-scratch-vault-abc');

    expect(started.pollSeconds).toBe(RESTORE_BUDGETS['dynamodb-table'].pollSeconds);
  });

  it('refuses an AWS Backup recovery point of an Aurora cluster before starting anything, naming the kind to use', async () => {
    const auroraVault = awsConfig({
      services: {
        ...Object.fromEntries(Object.entries(config.services)),
        vault: {
          ...config.services.vault,
          backup: {
            ...config.services.vault.backup,
            resourceArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:ledger-aurora',
          },
        },
      },
    });
    const dynamodb = new DynamoDbPitrBackup(new DynamoDBClient({}));
    const rdsBackup = new RdsSnapshotBackup(new RDSClient({}));
    const p = new AwsBackup(
      auroraVault,
      dynamodb,
      rdsBackup,
      new AwsBackupRestore(new BackupClient({}), dynamodb, rdsBackup),
    );

    await expect(
      p.startRestore('vault', { id: 'arn:rp', at: NOW.toISOString() }, 'golive-scratch-vault-abc'),
    ).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining('for an Aurora cluster use backup.kind rds-snapshot with dbClusterIdentifier'),
    });
    expect(backupApi.commandCalls(StartRestoreJobCommand)).toEqual([]);
  });
});

describe('a retried StartRestore (idempotent on "already exists")', () => {
  const table = scratchName('orders', EXECUTION);
  const pitr = (latest: string) =>
    ddb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: {
          PointInTimeRecoveryStatus: 'ENABLED',
          LatestRestorableDateTime: new Date(latest),
        },
      },
    });
  const restoreInput = {
    SourceTableName: 'orders',
    TargetTableName: table,
    RestoreDateTime: new Date('2026-11-26T09:55:00.000Z'),
    BillingModeOverride: 'PAY_PER_REQUEST',
    GlobalSecondaryIndexOverride: [],
  };
  const tableExists = () => awsError('TableAlreadyExistsException', 400, `Table already exists: ${table}`);

  it('records and adopts the table an earlier attempt restored, after TableAlreadyExists', async () => {
    pitr('2026-11-26T09:55:00.000Z');
    ddb
      .on(RestoreTableToPointInTimeCommand)
      .rejectsOnce(awsError('InternalServerError', 500, 'Internal server error'))
      .rejects(tableExists());
    ddb.on(DescribeTableCommand, { TableName: table }).resolves({
      Table: {
        TableStatus: 'CREATING',
        RestoreSummary: {
          SourceTableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/orders',
          RestoreDateTime: new Date('2026-11-26T09:55:00.000Z'),
          RestoreInProgress: true,
        },
      },
    });
    const { start } = events('orders');
    // The first attempt's answer is a 5xx: whether the restore started is not known.
    await expect(backupStep(deps, start)).rejects.toMatchObject({ name: 'ProviderUnavailable' });
    // By the retry, PITR can restore a later time: the retry restores the first one all the same.
    pitr('2026-11-26T09:59:00.000Z');
    f.clock.advance(10_000);

    const view = (await backupStep(deps, start)) as RestoreLoopView;

    expect(ddb.commandCalls(RestoreTableToPointInTimeCommand).map((c) => c.args[0].input)).toEqual([
      restoreInput,
      restoreInput,
    ]);
    expect(ddb.commandCalls(DescribeTableCommand).map((c) => c.args[0].input)).toEqual([{ TableName: table }]);
    expect(view).toMatchObject({
      status: 'pending',
      restoredTo: table,
      recoveryPointId: 'orders@2026-11-26T09:55:00.000Z',
    });
    expect(await restoreState()).toMatchObject({
      status: 'pending',
      detail: 'restore adopted (an earlier attempt started it)',
    });
    // Listed for the sweep until a clean-up deletes it.
    expect(await store.listScratchLeft()).toEqual([
      expect.objectContaining({ executionId: EXECUTION, restoredTo: table }),
    ]);
  });

  it('never adopts, nor deletes, a table of that name restored from something else', async () => {
    pitr('2026-11-26T09:55:00.000Z');
    ddb.on(RestoreTableToPointInTimeCommand).rejects(tableExists());
    ddb.on(DescribeTableCommand, { TableName: table }).resolves({
      Table: {
        TableStatus: 'ACTIVE',
        RestoreSummary: {
          SourceTableArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/payments',
          RestoreDateTime: new Date('2026-11-26T09:55:00.000Z'),
          RestoreInProgress: false,
        },
      },
    });
    ddb.on(DeleteTableCommand).resolves({});

    await expect(backupStep(deps, events('orders').start)).rejects.toMatchObject({
      name: 'BackupVerificationFailed',
      message: expect.stringContaining(
        `DynamoDB table ${table} already exists and is not this go-live's restore (it was restored from arn:aws:dynamodb:eu-west-1:123456789012:table/payments`,
      ),
    });
    const rollback = await deleteAbandonedScratch(deps, EXECUTION, 'Rollback');
    f.executions.states.set(EXECUTION, { status: 'FAILED' });
    await sweepLeftoverScratch(deps);

    expect(rollback).toBeUndefined();
    expect(ddb.commandCalls(DeleteTableCommand)).toEqual([]);
    expect(await store.listScratchLeft()).toEqual([]);
  });

  it('never adopts a table of that name that is not a restore at all', async () => {
    pitr('2026-11-26T09:55:00.000Z');
    ddb.on(RestoreTableToPointInTimeCommand).rejects(tableExists());
    ddb.on(DescribeTableCommand, { TableName: table }).resolves({ Table: { TableStatus: 'ACTIVE' } });

    await expect(backupStep(deps, events('orders').start)).rejects.toMatchObject({
      message: expect.stringContaining('(it is not a restore)'),
    });
  });

  describe('RDS and Aurora', () => {
    const snapshot = 'rds:billing-db-2026-11-26-03-00';
    const ourTags = [
      { Key: 'golive:scratch', Value: 'true' },
      { Key: 'golive:purpose', Value: 'restore proof - deleted after validation' },
      { Key: 'golive:restored-from', Value: `from ${snapshot}` },
    ];
    const instance = scratchName('billing', EXECUTION);

    beforeEach(() => {
      rds.on(DescribeDBSnapshotsCommand).resolves({
        DBSnapshots: [
          { DBSnapshotIdentifier: snapshot, Status: 'available', SnapshotCreateTime: new Date('2026-11-26T03:00:00Z') },
        ],
      });
      rds
        .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: 'billing-db' })
        .resolves({ DBInstances: [{ Engine: 'postgres' }] });
      rds.on(DeleteDBInstanceCommand).resolves({});
    });

    it('tags every scratch target with what RDS accepts, naming the snapshot it was restored from', async () => {
      rds.on(RestoreDBInstanceFromDBSnapshotCommand).resolves({});

      await backupStep(deps, events('billing').start);

      const [call] = rds.commandCalls(RestoreDBInstanceFromDBSnapshotCommand);
      expect(call.args[0].input.Tags).toEqual(ourTags);
      for (const tag of call.args[0].input.Tags ?? []) {
        expect(tag.Key).toMatch(RDS_TAG);
        expect(tag.Value).toMatch(RDS_TAG);
      }
    });

    it('adopts the instance an earlier attempt restored, by its tags, after DBInstanceAlreadyExists', async () => {
      rds
        .on(RestoreDBInstanceFromDBSnapshotCommand)
        .rejects(awsError('DBInstanceAlreadyExistsFault', 400, 'DB instance already exists'));
      rds
        .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: instance })
        .resolves({ DBInstances: [{ DBInstanceStatus: 'creating', TagList: ourTags }] });

      const view = (await backupStep(deps, events('billing').start)) as RestoreLoopView;

      expect(view).toMatchObject({ status: 'pending', restoredTo: instance });
      expect(rds.commandCalls(DescribeDBInstancesCommand).map((c) => c.args[0].input)).toEqual([
        { DBInstanceIdentifier: 'billing-db' },
        { DBInstanceIdentifier: instance },
      ]);
      expect(await restoreState()).toMatchObject({
        handle: { detail: { instance, engine: 'postgres' } },
        detail: 'restore adopted (an earlier attempt started it)',
      });
    });

    it('never adopts, nor deletes, an instance of that name without golive’s tags for this snapshot', async () => {
      rds
        .on(RestoreDBInstanceFromDBSnapshotCommand)
        .rejects(awsError('DBInstanceAlreadyExistsFault', 400, 'DB instance already exists'));
      rds.on(DescribeDBInstancesCommand, { DBInstanceIdentifier: instance }).resolves({
        DBInstances: [{ DBInstanceStatus: 'available', TagList: [{ Key: 'golive:scratch', Value: 'true' }] }],
      });

      await expect(backupStep(deps, events('billing').start)).rejects.toMatchObject({
        name: 'BackupVerificationFailed',
        message: expect.stringContaining(
          `RDS DB instance ${instance} already exists and is not this go-live's restore`,
        ),
      });
      await deleteAbandonedScratch(deps, EXECUTION, 'Rollback');

      expect(rds.commandCalls(DeleteDBInstanceCommand)).toEqual([]);
    });

    describe('Aurora', () => {
      const cluster = scratchName('ledger', EXECUTION);
      const auroraSnapshot = 'ledger-snap';
      const clusterTags = [
        { Key: 'golive:scratch', Value: 'true' },
        { Key: 'golive:restored-from', Value: `from ${auroraSnapshot}` },
      ];

      beforeEach(() => {
        rds.on(DescribeDBClusterSnapshotsCommand).resolves({
          DBClusterSnapshots: [
            {
              DBClusterSnapshotIdentifier: auroraSnapshot,
              Status: 'available',
              SnapshotCreateTime: new Date('2026-11-26T03:00:00Z'),
            },
          ],
        });
        rds
          .on(DescribeDBClustersCommand, { DBClusterIdentifier: 'ledger-aurora' })
          .resolves({ DBClusters: [{ Engine: 'aurora-mysql', DBClusterMembers: [] }] });
        rds.on(DeleteDBClusterCommand).resolves({});
      });

      it('adopts the cluster an earlier attempt restored, then the instance an earlier check created in it', async () => {
        rds
          .on(RestoreDBClusterFromSnapshotCommand)
          .rejects(awsError('DBClusterAlreadyExistsFault', 400, 'DB cluster already exists'));
        rds
          .on(DescribeDBClustersCommand, { DBClusterIdentifier: cluster })
          .resolves({ DBClusters: [{ Status: 'available', TagList: clusterTags }] });
        rds
          .on(CreateDBInstanceCommand)
          .rejects(awsError('DBInstanceAlreadyExistsFault', 400, 'DB instance already exists'));
        rds
          .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: `${cluster}-i1` })
          .resolves({ DBInstances: [{ DBInstanceStatus: 'creating', DBClusterIdentifier: cluster }] });
        const steps = events('ledger');

        const started = (await backupStep(deps, steps.start)) as RestoreLoopView;
        const checked = (await backupStep(deps, steps.check)) as RestoreLoopView;

        expect(started).toMatchObject({ status: 'pending', restoredTo: cluster });
        expect(checked).toMatchObject({ status: 'pending', attempt: 1 });
        expect(await restoreState()).toMatchObject({
          handle: { detail: { cluster, instance: `${cluster}-i1`, phase: 'instance', instanceClass: 'db.t4g.medium' } },
        });
        expect(rds.commandCalls(CreateDBInstanceCommand).map((c) => c.args[0].input.DBClusterIdentifier)).toEqual([
          cluster,
        ]);
      });

      it('abandons the proof when the instance name is held outside the scratch cluster, deleting only the cluster', async () => {
        rds.on(RestoreDBClusterFromSnapshotCommand).resolves({});
        rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: cluster }).resolves({
          DBClusters: [{ Status: 'available' }],
        });
        rds
          .on(CreateDBInstanceCommand)
          .rejects(awsError('DBInstanceAlreadyExistsFault', 400, 'DB instance already exists'));
        rds
          .on(DescribeDBInstancesCommand, { DBInstanceIdentifier: `${cluster}-i1` })
          .resolves({ DBInstances: [{ DBInstanceStatus: 'available', DBClusterIdentifier: 'payments-aurora' }] });
        const steps = events('ledger');
        await backupStep(deps, steps.start);

        await expect(backupStep(deps, steps.check)).rejects.toMatchObject({
          name: 'BackupVerificationFailed',
          message: expect.stringContaining('it belongs to cluster payments-aurora, not to the scratch cluster'),
        });
        // The rollback that follows finds it deleted, and deletes nothing more.
        expect(await deleteAbandonedScratch(deps, EXECUTION, 'Rollback')).toBeUndefined();

        expect(rds.commandCalls(DeleteDBInstanceCommand)).toEqual([]);
        expect(rds.commandCalls(DeleteDBClusterCommand).map((c) => c.args[0].input)).toEqual([
          { DBClusterIdentifier: cluster, SkipFinalSnapshot: true },
        ]);
      });

      it('never adopts a cluster of that name without golive’s tags', async () => {
        rds
          .on(RestoreDBClusterFromSnapshotCommand)
          .rejects(awsError('DBClusterAlreadyExistsFault', 400, 'DB cluster already exists'));
        rds.on(DescribeDBClustersCommand, { DBClusterIdentifier: cluster }).resolves({ DBClusters: [{ TagList: [] }] });

        await expect(backupStep(deps, events('ledger').start)).rejects.toMatchObject({
          message: expect.stringContaining(
            `Aurora cluster ${cluster} already exists and is not this go-live's restore`,
          ),
        });
        await deleteAbandonedScratch(deps, EXECUTION, 'Rollback');

        expect(rds.commandCalls(DeleteDBClusterCommand)).toEqual([]);
        expect(rds.commandCalls(DeleteDBInstanceCommand)).toEqual([]);
      });
    });
  });

  it('asks AWS Backup again for the same job: same recovery point, same target, same idempotency token', async () => {
    const point = { id: 'arn:aws:backup:eu-west-1:123456789012:recovery-point:1', at: '2026-11-26T09:00:00.000Z' };
    backupApi.on(GetRecoveryPointRestoreMetadataCommand).resolves({ RestoreMetadata: { originalTableName: 'vault' } });
    backupApi
      .on(StartRestoreJobCommand)
      .rejectsOnce(awsError('ServiceUnavailableException', 503, 'try again'))
      .resolves({ RestoreJobId: 'job-1' });
    const p = provider();
    const scratch = scratchName('vault', EXECUTION);

    await expect(p.startRestore('vault', point, scratch)).rejects.toMatchObject({ name: 'ProviderUnavailable' });
    const started = await p.startRestore('vault', point, scratch);

    const [first, second] = backupApi.commandCalls(StartRestoreJobCommand).map((c) => c.args[0].input);
    expect(second).toEqual(first);
    expect(first).toMatchObject({ IdempotencyToken: scratch, Metadata: { targetTableName: scratch } });
    expect(started.handle.detail).toEqual({ restoreJobId: 'job-1', resourceType: 'DynamoDB' });
  });
});

describe('write-ahead: the function dies right after the call that creates the scratch target', () => {
  const table = scratchName('orders', EXECUTION);

  /** A store that loses the StartRestore's last write, as a function killed right after its AWS call would. */
  function dyingAfterTheCall(): Store {
    const put = store.putExecutionValue.bind(store);
    return Object.assign(Object.create(store) as Store, {
      putExecutionValue: async (id: string, key: string, value: unknown) => {
        if (key === 'restore' && (value as RestoreState).status === 'pending') throw new Error('Task timed out');
        return put(id, key, value);
      },
    });
  }

  it('leaves a record the rollback, then the sweep, delete by: the table exists though no step saw it started', async () => {
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
    await expect(backupStep({ ...deps, store: dyingAfterTheCall() }, events('orders').start)).rejects.toThrow(
      'Task timed out',
    );
    // The execution is stopped; its rollback finds the table still CREATING, which DynamoDB will not delete.
    ddb
      .on(DeleteTableCommand)
      .rejectsOnce(awsError('ResourceInUseException', 400, `Table ${table} is being created`))
      .resolves({});
    f.clock.advance(60_000);
    const rollback = await deleteAbandonedScratch(deps, EXECUTION, 'Rollback');
    f.executions.states.set(EXECUTION, { status: 'ABORTED' });

    f.clock.advance(15 * 60_000);
    const swept = await sweepLeftoverScratch(deps);

    expect(rollback).toMatchObject({ restoredTo: table, deleted: false });
    expect(swept).toMatchObject({ swept: 1, deleted: 1 });
    expect(ddb.commandCalls(DeleteTableCommand).map((c) => c.args[0].input)).toEqual([
      { TableName: table },
      { TableName: table },
    ]);
    expect(await restoreState()).toMatchObject({ cleanedUp: { deleted: true, by: 'Sweep' } });
    expect(await store.listScratchLeft()).toEqual([]);
  });

  it('is never deleted by the sweep while its go-live still runs', async () => {
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
    await backupStep(deps, events('orders').start);
    f.executions.states.set(EXECUTION, { status: 'RUNNING' });

    expect(await sweepLeftoverScratch(deps)).toMatchObject({ swept: 1, inUse: 1, deleted: 0 });
    expect(ddb.commandCalls(DeleteTableCommand)).toEqual([]);
  });
});
