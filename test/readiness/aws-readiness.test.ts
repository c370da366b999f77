import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, DescribeMetricFiltersCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeContinuousBackupsCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, ECRClient, ImageNotFoundException } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, ECSClient } from '@aws-sdk/client-ecs';
import {
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
} from '@aws-sdk/client-lambda';
import { DescribeDBInstancesCommand, DescribeDBSnapshotsCommand, RDSClient } from '@aws-sdk/client-rds';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { parseConfig } from '../../lambdas/core/config';
import { runCheck, type ReadinessContext } from '../../lambdas/core/readiness/checks';
import type { CheckKind } from '../../lambdas/core/readiness/policy';
import { AwsReadiness } from '../../lambdas/providers/aws/readiness';
import { answerPages } from '../support/pages';

const cloudwatch = mockClient(CloudWatchClient);
const logs = mockClient(CloudWatchLogsClient);
const backup = mockClient(BackupClient);
const dynamodb = mockClient(DynamoDBClient);
const rds = mockClient(RDSClient);
const lambda = mockClient(LambdaClient);
const ecs = mockClient(ECSClient);
const ecr = mockClient(ECRClient);
const secrets = mockClient(SecretsManagerClient);
const mocks = [cloudwatch, logs, backup, dynamodb, rds, lambda, ecs, ecr, secrets];

const NOW = new Date('2026-11-26T12:00:00Z');
const minutesAgo = (m: number) => new Date(NOW.getTime() - m * 60_000);

function config(backupConfig: Record<string, unknown> = { kind: 'rds-snapshot', dbInstanceIdentifier: 'orders-db' }) {
  return parseConfig({
    slack: { channel: '#releases', releaseManagers: ['U_RM'], approvers: ['U_A'] },
    services: {
      orders: {
        alerts: { alarms: ['orders-5xx'] },
        backup: backupConfig,
        smokeTests: [{ name: 'health', path: '/health' }],
        traffic: { kind: 'lambda-alias', functionName: 'orders-api', alias: 'live' },
        readiness: {
          resources: {
            alarmNamePrefix: 'orders-',
            logGroups: ['/aws/lambda/orders-api'],
            ecsTaskDefinitions: ['orders-worker'],
            ecrRepository: 'orders',
            rdsInstances: ['orders-db'],
            dynamodbTables: ['orders-events'],
            secrets: ['orders/db'],
          },
        },
      },
    },
  });
}

async function check(kind: CheckKind, cfg = config()) {
  const ctx: ReadinessContext = {
    config: cfg,
    readiness: new AwsReadiness({ config: cfg }),
    endpoints: async () => ({ live: 'https://x', blue: 'https://x', green: 'https://x' }),
    fetch,
    now: () => NOW,
  };
  return runCheck(kind, ctx, 'orders', '2.4.0');
}

const alarm = (name: string, metric: string, actions = ['arn:aws:sns:eu-west-1:1:pager']) => ({
  AlarmName: name,
  MetricName: metric,
  AlarmActions: actions,
  ActionsEnabled: true,
  StateValue: 'OK' as const,
});

beforeEach(() => mocks.forEach((m) => m.reset()));

describe('AWS readiness: alarms (DescribeAlarms)', () => {
  it('passes when CPU, memory, disk, IOPS and error-rate alarms all have actions, reading every page', async () => {
    const pages = answerPages([
      {
        MetricAlarms: [alarm('orders-cpu', 'CPUUtilization'), alarm('orders-mem', 'FreeableMemory')],
        NextToken: 'p2',
      },
      {
        MetricAlarms: [
          alarm('orders-disk', 'FreeStorageSpace'),
          alarm('orders-iops', 'WriteIOPS'),
          alarm('orders-5xx', 'HTTPCode_Target_5XX_Count'),
        ],
      },
    ]);
    cloudwatch.on(DescribeAlarmsCommand).callsFake(pages.answer);

    const result = await check('alarms-coverage');

    expect(result.status).toBe('pass');
    expect(pages.sent).toEqual([
      { AlarmNamePrefix: 'orders-', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: undefined },
      { AlarmNamePrefix: 'orders-', AlarmTypes: ['MetricAlarm', 'CompositeAlarm'], NextToken: 'p2' },
    ]);
  });

  it('fails naming the missing classes and the alarms without an action', async () => {
    cloudwatch.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [alarm('orders-cpu', 'CPUUtilization'), alarm('orders-5xx', 'Errors', [])],
    });

    const result = await check('alarms-coverage');

    expect(result.status).toBe('fail');
    expect(result.summary).toBe('no alarm with an action for memory, disk, iops, error-rate; no action on orders-5xx');
  });
});

describe('AWS readiness: metric filters (DescribeMetricFilters)', () => {
  it('passes with ERROR and WARN filters on the log group', async () => {
    logs.on(DescribeMetricFiltersCommand).resolves({
      metricFilters: [
        { logGroupName: '/aws/lambda/orders-api', filterName: 'errors', filterPattern: '?ERROR ?Error' },
        { logGroupName: '/aws/lambda/orders-api', filterName: 'warnings', filterPattern: 'WARN' },
      ],
    });

    expect((await check('log-metric-filters')).status).toBe('pass');
    expect(logs.commandCalls(DescribeMetricFiltersCommand)[0].args[0].input).toEqual({
      logGroupName: '/aws/lambda/orders-api',
      nextToken: undefined,
    });
  });

  it('fails when the log group has no filter at all', async () => {
    logs.on(DescribeMetricFiltersCommand).resolves({ metricFilters: [] });

    const result = await check('log-metric-filters');

    expect(result).toMatchObject({
      status: 'fail',
      summary: 'no metric filter for ERROR on /aws/lambda/orders-api, WARN on /aws/lambda/orders-api',
    });
  });
});

describe('AWS readiness: recovery point within RPO', () => {
  it('passes on a recent available RDS snapshot (DescribeDBSnapshots)', async () => {
    rds.on(DescribeDBSnapshotsCommand).resolves({
      DBSnapshots: [
        { DBSnapshotIdentifier: 'old', SnapshotCreateTime: minutesAgo(3000), Status: 'available' },
        { DBSnapshotIdentifier: 'nightly', SnapshotCreateTime: minutesAgo(120), Status: 'available' },
        { DBSnapshotIdentifier: 'running', SnapshotCreateTime: minutesAgo(1), Status: 'creating' },
      ],
    });

    const result = await check('backup-recovery-point');

    expect(result).toMatchObject({ status: 'pass', evidence: { id: 'nightly', ageMinutes: 120, rpoMinutes: 1440 } });
    expect(rds.commandCalls(DescribeDBSnapshotsCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: 'orders-db',
    });
  });

  it('fails when the latest AWS Backup recovery point is older than the RPO (ListRecoveryPointsByResource)', async () => {
    backup.on(ListRecoveryPointsByResourceCommand).resolves({
      RecoveryPoints: [{ RecoveryPointArn: 'arn:rp:1', CreationDate: minutesAgo(2000), Status: 'COMPLETED' }],
    });
    const cfg = config({
      kind: 'aws-backup',
      backupVaultName: 'v',
      resourceArn: 'arn:aws:rds:db:orders',
      iamRoleArn: 'arn:role',
    });

    const result = await check('backup-recovery-point', cfg);

    expect(result).toMatchObject({
      status: 'fail',
      summary: 'latest recovery point arn:rp:1 is 2000 min old, RPO is 1440 min',
    });
    expect(backup.commandCalls(ListRecoveryPointsByResourceCommand)[0].args[0].input).toEqual({
      ResourceArn: 'arn:aws:rds:db:orders',
    });
  });

  it('fails when DynamoDB point-in-time recovery is off (DescribeContinuousBackups)', async () => {
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'DISABLED' },
      },
    });

    const result = await check('backup-recovery-point', config({ kind: 'dynamodb-pitr', tableName: 'orders' }));

    expect(result).toMatchObject({ status: 'fail', summary: 'no recovery point (dynamodb-pitr)' });
    expect(dynamodb.commandCalls(DescribeContinuousBackupsCommand)[0].args[0].input).toEqual({ TableName: 'orders' });
  });
});

describe('AWS readiness: databases (DescribeDBInstances, DescribeTable)', () => {
  const dynamoOk = () => {
    dynamodb
      .on(DescribeTableCommand)
      .resolves({ Table: { TableName: 'orders-events', Replicas: [{ RegionName: 'eu-central-1' }] } });
    dynamodb.on(DescribeContinuousBackupsCommand).resolves({
      ContinuousBackupsDescription: {
        ContinuousBackupsStatus: 'ENABLED',
        PointInTimeRecoveryDescription: { PointInTimeRecoveryStatus: 'ENABLED' },
      },
    });
  };

  it('passes replication and privacy for a Multi-AZ private RDS instance and a replicated table', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'orders-db',
          MultiAZ: true,
          PubliclyAccessible: false,
          ReadReplicaDBInstanceIdentifiers: [],
        },
      ],
    });
    dynamoOk();

    expect((await check('db-replication')).status).toBe('pass');
    expect((await check('db-not-public')).status).toBe('pass');
    expect(rds.commandCalls(DescribeDBInstancesCommand)[0].args[0].input).toEqual({
      DBInstanceIdentifier: 'orders-db',
    });
    expect(dynamodb.commandCalls(DescribeTableCommand)[0].args[0].input).toEqual({ TableName: 'orders-events' });
  });

  it('fails replication for a single-AZ instance without replicas, and privacy when it is public', async () => {
    rds.on(DescribeDBInstancesCommand).resolves({
      DBInstances: [
        {
          DBInstanceIdentifier: 'orders-db',
          MultiAZ: false,
          PubliclyAccessible: true,
          ReadReplicaDBInstanceIdentifiers: [],
        },
      ],
    });
    dynamoOk();

    expect(await check('db-replication')).toMatchObject({
      status: 'fail',
      summary: expect.stringContaining('orders-db: single node, no replica'),
    });
    expect(await check('db-not-public')).toMatchObject({ status: 'fail', summary: 'publicly accessible: orders-db' });
  });
});

describe('AWS readiness: environment, secrets, capacity (Lambda, ECS, Secrets Manager)', () => {
  const taskDefinition = (env: { name: string; value: string }[], limits: { cpu?: string; memory?: string }) => ({
    taskDefinition: {
      family: 'orders-worker',
      ...limits,
      containerDefinitions: [
        {
          name: 'worker',
          environment: env,
          secrets: [{ name: 'DB_PASSWORD', valueFrom: 'arn:aws:secretsmanager:eu-west-1:1:secret:orders/db' }],
        },
      ],
    },
  });

  it('passes when secret-looking variables are references and limits are set', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves({
      Environment: {
        Variables: { TABLE: 'orders', API_KEY_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:orders/api' },
      },
    });
    lambda.on(GetFunctionConcurrencyCommand).resolves({ ReservedConcurrentExecutions: 50 });
    ecs
      .on(DescribeTaskDefinitionCommand)
      .resolves(taskDefinition([{ name: 'LOG_LEVEL', value: 'info' }], { cpu: '256', memory: '512' }));

    expect((await check('no-plaintext-secrets')).status).toBe('pass');
    expect(await check('capacity-limits')).toMatchObject({
      status: 'pass',
      summary: 'lambda:orders-api: reservedConcurrency=50; ecs:orders-worker: cpu=256, memoryMb=512',
    });
    expect(lambda.commandCalls(GetFunctionConfigurationCommand)[0].args[0].input).toEqual({
      FunctionName: 'orders-api',
    });
    expect(lambda.commandCalls(GetFunctionConcurrencyCommand)[0].args[0].input).toEqual({ FunctionName: 'orders-api' });
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)[0].args[0].input).toEqual({
      taskDefinition: 'orders-worker',
    });
  });

  it('fails on a literal token in Lambda and a password in the task definition, and on missing limits', async () => {
    lambda.on(GetFunctionConfigurationCommand).resolves({ Environment: { Variables: { SLACK_TOKEN: 'xoxb-123' } } });
    lambda.on(GetFunctionConcurrencyCommand).resolves({});
    ecs.on(DescribeTaskDefinitionCommand).resolves(taskDefinition([{ name: 'ADMIN_PASSWORD', value: 'hunter2' }], {}));

    const secretsResult = await check('no-plaintext-secrets');
    const capacity = await check('capacity-limits');

    expect(secretsResult.summary).toBe(
      'plain-text secret-looking value(s): lambda:orders-api SLACK_TOKEN, ecs:orders-worker/worker ADMIN_PASSWORD',
    );
    expect(JSON.stringify(secretsResult)).not.toContain('hunter2');
    expect(capacity).toMatchObject({
      status: 'fail',
      fix: 'set lambda:orders-api reservedConcurrency, ecs:orders-worker cpu, ecs:orders-worker memoryMb',
    });
  });

  it('passes rotation on and fails rotation off (DescribeSecret)', async () => {
    secrets
      .on(DescribeSecretCommand)
      .resolvesOnce({ Name: 'orders/db', RotationEnabled: true, RotationRules: { AutomaticallyAfterDays: 30 } })
      .resolvesOnce({ Name: 'orders/db', RotationEnabled: false });

    expect(await check('secrets-rotation')).toMatchObject({
      status: 'pass',
      summary: 'orders/db: rotation every 30 days',
    });
    expect(await check('secrets-rotation')).toMatchObject({ status: 'fail', summary: 'rotation off: orders/db' });
    expect(secrets.commandCalls(DescribeSecretCommand)[0].args[0].input).toEqual({ SecretId: 'orders/db' });
  });
});

describe('AWS readiness: artifact of the version (ECR DescribeImages, Lambda ListVersionsByFunction)', () => {
  it('passes when the ECR image tag exists', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: 'sha256:abc', imageTags: ['2.4.0'] }] });

    expect(await check('artifact-exists')).toMatchObject({ status: 'pass', summary: 'orders:2.4.0 exists' });
    expect(ecr.commandCalls(DescribeImagesCommand)[0].args[0].input).toEqual({
      repositoryName: 'orders',
      imageIds: [{ imageTag: '2.4.0' }],
    });
  });

  it('fails when ECR answers ImageNotFoundException', async () => {
    ecr.on(DescribeImagesCommand).rejects(new ImageNotFoundException({ message: 'not found', $metadata: {} }));

    expect(await check('artifact-exists')).toMatchObject({ status: 'fail', summary: 'orders:2.4.0 not found' });
  });

  it('looks for a Lambda version described with the release version when no ECR repository is declared', async () => {
    const cfg = config();
    delete cfg.services.orders.readiness.resources.ecrRepository;
    lambda
      .on(ListVersionsByFunctionCommand)
      .resolvesOnce({ Versions: [{ Version: '7', Description: '2.3.9' }] })
      .resolvesOnce({ Versions: [{ Version: '8', Description: '2.4.0' }] });

    const missing = await check('artifact-exists', cfg);
    const found = await check('artifact-exists', cfg);

    expect(missing.status).toBe('fail');
    expect(found).toMatchObject({ status: 'pass', summary: 'lambda:orders-api:8 exists' });
    expect(lambda.commandCalls(ListVersionsByFunctionCommand)[0].args[0].input).toEqual({
      FunctionName: 'orders-api',
      Marker: undefined,
    });
  });

  it('turns an AWS error into a failing item that says what happened', async () => {
    cloudwatch.on(DescribeAlarmsCommand).rejects(Object.assign(new Error('not authorized'), { name: 'AccessDenied' }));

    expect(await check('alarms-coverage')).toMatchObject({
      status: 'fail',
      summary: 'could not check: AccessDenied: not authorized',
    });
  });
});
