/**
 * Every AWS call golive's functions make on a first go-live, checked against AWS's own rules,
 * offline: the functions' code (handlers with the AWS providers and the DynamoDB store, as shipped)
 * runs its first calls for every provider kind against mocked SDK clients, which record each
 * command; each is turned into the IAM request AWS would authorize (action, resource ARN,
 * dynamodb:LeadingKeys) and evaluated with @cloud-copilot/iam-simulate against that function's
 * policies in the synthesized template. Every call must be Allowed; a deny list must be Denied.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { BackupClient } from '@aws-sdk/client-backup';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ECRClient } from '@aws-sdk/client-ecr';
import { ECSClient } from '@aws-sdk/client-ecs';
import { ElasticLoadBalancingV2Client } from '@aws-sdk/client-elastic-load-balancing-v2';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { RDSClient } from '@aws-sdk/client-rds';
import { S3Client } from '@aws-sdk/client-s3';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { parseConfig, type GoLiveConfig } from '../../lambdas/core/config';
import type { Deps } from '../../lambdas/core/ports';
import { createAwsDeps } from '../../lambdas/providers/aws';
import { AwsBackupRestore } from '../../lambdas/providers/aws/backup/aws-backup';
import { DynamoDbPitrBackup } from '../../lambdas/providers/aws/backup/dynamodb-pitr';
import type { AwsBackupConfig, BackupKindAdapter } from '../../lambdas/providers/aws/backup/kind';
import { RdsSnapshotBackup } from '../../lambdas/providers/aws/backup/rds';
import { GoLiveOrchestrator } from '../../lib/go-live-orchestrator';
import { SCRATCH_PREFIX } from '../../lib/provider-grants';
import { firstEvent } from '../support/lambda-probe';
import {
  ACCOUNT,
  decide,
  DeployedIam,
  REGION,
  type CfnTemplate,
  type IamRequest,
  type NamedPolicy,
} from './iam-template';

const REPO_ROOT = path.join(__dirname, '..', '..');
const EXECUTION = 'arn:aws:states:us-east-1:000000000000:execution:golive-probe:probe-1';
const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
const KEY = arn('kms', 'key/1234abcd-12ab-34cd-56ef-1234567890ab');

/** One service per provider kind, alarms metric and composite, both mute modes. */
function platform(endpoint: string): GoLiveConfig {
  const endpoints = { live: endpoint, blue: endpoint, green: endpoint };
  const alb = (name: string, rule: boolean) => ({
    kind: 'alb',
    listenerArn: arn('elasticloadbalancing', `listener/app/${name}/0123456789abcdef/fedcba9876543210`),
    ...(rule
      ? { ruleArn: arn('elasticloadbalancing', `listener-rule/app/${name}/0123456789abcdef/fedcba9876543210/0a1b`) }
      : {}),
    blueTargetGroupArn: arn('elasticloadbalancing', `targetgroup/${name}-blue/0123456789abcdef`),
    greenTargetGroupArn: arn('elasticloadbalancing', `targetgroup/${name}-green/0123456789abcdef`),
  });
  const service = (traffic: object, backup: object, alarms: string[], extra: object = {}) => ({
    endpoints,
    alerts: { alarms },
    backup,
    smokeTests: [{ name: 'health', path: '/health' }],
    traffic,
    ...extra,
  });
  return parseConfig(
    {
      slack: { channel: '#releases', releaseManagers: ['U_RM'], approvers: ['U_ANA', 'U_BEN'] },
      services: {
        orders: service(
          { kind: 'lambda-alias', functionName: 'orders-api', alias: 'live' },
          { kind: 'dynamodb-pitr', tableName: 'orders', kmsKeyArns: [KEY] },
          ['orders-5xx', 'orders-health-composite'],
          {
            readiness: {
              resources: {
                dynamodbTables: ['orders'],
                rdsInstances: ['payments-db'],
                rdsClusters: ['ledger-aurora'],
                lambdaFunctions: ['orders-worker'],
                logGroups: ['/aws/lambda/orders-api'],
                secrets: ['orders/database'],
                ecrRepository: 'orders',
                ecsTaskDefinitions: ['orders-task'],
              },
            },
          },
        ),
        payments: service(
          alb('payments', false),
          { kind: 'rds-snapshot', dbInstanceIdentifier: 'payments-db', kmsKeyArns: [KEY] },
          ['payments-errors'],
        ),
        ledger: service(alb('ledger', true), { kind: 'rds-snapshot', dbClusterIdentifier: 'ledger-aurora' }, [
          'ledger-errors',
        ]),
        billing: service(
          { kind: 'lambda-alias', functionName: 'billing-api', alias: 'live' },
          {
            kind: 'aws-backup',
            backupVaultName: 'prod-vault',
            resourceArn: arn('rds', 'db:billing-db'),
            iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/golive-backup-restore`,
          },
          ['billing-errors'],
          { alerts: { alarms: ['billing-errors'], muteMode: 'disable-actions' } },
        ),
        catalog: service(
          alb('catalog', false),
          {
            kind: 'aws-backup',
            backupVaultName: 'prod-vault',
            resourceArn: arn('dynamodb', 'table/catalog'),
            iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/golive-backup-restore`,
          },
          ['catalog-errors'],
        ),
      },
    },
    'iam simulation',
  );
}

// ---------------------------------------------------------------------------------------------
// Mocked AWS: realistic answers, every command recorded.

type Input = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const now = new Date();
const CLIENTS = {
  DynamoDB: DynamoDBClient,
  Store: DynamoDBDocumentClient,
  Lambda: LambdaClient,
  ELB: ElasticLoadBalancingV2Client,
  CloudWatch: CloudWatchClient,
  Logs: CloudWatchLogsClient,
  RDS: RDSClient,
  Backup: BackupClient,
  Secrets: SecretsManagerClient,
  SFN: SFNClient,
  S3: S3Client,
  ECS: ECSClient,
  ECR: ECRClient,
} as const;
type ClientName = keyof typeof CLIENTS;
const mocks = Object.fromEntries(
  Object.entries(CLIENTS).map(([name, client]) => [name, mockClient(client as never)]),
) as Record<ClientName, ReturnType<typeof mockClient>>;

/** Store items a first go-live finds: the lock it holds, its request and mute record. */
function storeAnswer(name: string, input: Input): unknown {
  const lock = {
    service: 'orders',
    executionId: EXECUTION,
    version: '2.0.0',
    requestedBy: 'U_RM',
    acquiredAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
  };
  if (name === 'GetCommand') {
    const { pk, sk } = input.Key as { pk: string; sk: string };
    if (pk.startsWith('LOCK#')) return { Item: { data: JSON.stringify({ ...lock, service: pk.slice(5) }) } };
    if (sk === 'VALUE#mute') {
      return {
        Item: {
          data: JSON.stringify({
            ruleName: 'golive-orders-probe-1',
            mode: 'mute-rule',
            muted: ['orders-5xx'],
            alreadyMuted: [],
            expiresAt: lock.expiresAt,
          }),
        },
      };
    }
    return {};
  }
  if (name === 'QueryCommand') return { Items: [], Count: 0 };
  return {};
}

function answer(client: ClientName, name: string, input: Input): unknown {
  const op = name.replace(/Command$/, '');
  switch (`${client}.${op}`) {
    case 'Secrets.GetSecretValue':
      return { SecretString: JSON.stringify({ botToken: 'xoxb-probe', signingSecret: 'probe' }) };
    case 'CloudWatch.DescribeAlarms': {
      const names = (input.AlarmNames as string[] | undefined) ?? ['orders-5xx'];
      const alarm = (AlarmName: string) => ({
        AlarmName,
        AlarmArn: arn('cloudwatch', `alarm:${AlarmName}`),
        ActionsEnabled: true,
        StateValue: 'OK',
      });
      return {
        MetricAlarms: names
          .filter((n) => !n.includes('composite'))
          .map((n) => ({ ...alarm(n), Period: 60, EvaluationPeriods: 1 })),
        CompositeAlarms: names.filter((n) => n.includes('composite')).map(alarm),
      };
    }
    case 'Lambda.GetAlias':
      return { Name: input.Name, FunctionVersion: '6', Description: 'golive slots: blue=6 green=-', RevisionId: 'r1' };
    case 'Lambda.ListVersionsByFunction':
      return {
        Versions: [
          { Version: '6', Description: '1.9.0' },
          { Version: '7', Description: '2.0.0' },
        ],
      };
    case 'Lambda.UpdateAlias':
      return { Name: input.Name, FunctionVersion: input.FunctionVersion };
    case 'ELB.DescribeListeners':
    case 'ELB.DescribeRules': {
      const service = (input.ListenerArns ?? input.RuleArns)[0].split('/')[2];
      const actions = [
        {
          Type: 'forward',
          ForwardConfig: {
            TargetGroups: [
              {
                TargetGroupArn: arn('elasticloadbalancing', `targetgroup/${service}-blue/0123456789abcdef`),
                Weight: 100,
              },
              {
                TargetGroupArn: arn('elasticloadbalancing', `targetgroup/${service}-green/0123456789abcdef`),
                Weight: 0,
              },
            ],
          },
        },
      ];
      return op === 'DescribeRules'
        ? { Rules: [{ RuleArn: input.RuleArns[0], Actions: actions }] }
        : { Listeners: [{ ListenerArn: input.ListenerArns[0], DefaultActions: actions }] };
    }
    case 'DynamoDB.DescribeContinuousBackups':
      return {
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'ENABLED',
          PointInTimeRecoveryDescription: {
            PointInTimeRecoveryStatus: 'ENABLED',
            LatestRestorableDateTime: new Date(now.getTime() - 60_000),
          },
        },
      };
    case 'DynamoDB.DescribeTable':
      return {
        Table: {
          TableName: input.TableName,
          TableStatus: 'ACTIVE',
          ItemCount: 0,
          KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        },
      };
    case 'DynamoDB.Scan':
      return { Items: [], Count: 0 };
    case 'RDS.DescribeDBSnapshots':
      return {
        DBSnapshots: [
          {
            DBSnapshotIdentifier: `rds:${input.DBInstanceIdentifier}-2026-11-29-03-00`,
            Status: 'available',
            SnapshotCreateTime: new Date(now.getTime() - 3_600_000),
            Engine: 'postgres',
          },
        ],
      };
    case 'RDS.DescribeDBClusterSnapshots':
      return {
        DBClusterSnapshots: [
          {
            DBClusterSnapshotIdentifier: `rds:${input.DBClusterIdentifier}-2026-11-29-03-00`,
            Status: 'available',
            SnapshotCreateTime: new Date(now.getTime() - 3_600_000),
            Engine: 'aurora-postgresql',
          },
        ],
      };
    case 'RDS.DescribeDBInstances':
      return {
        DBInstances: [
          {
            DBInstanceIdentifier: input.DBInstanceIdentifier,
            DBInstanceStatus: 'available',
            Engine: 'postgres',
            DBInstanceClass: 'db.r6g.large',
            DBSubnetGroup: { DBSubnetGroupName: 'private' },
            VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
            StorageEncrypted: true,
          },
        ],
      };
    case 'RDS.DescribeDBClusters':
      return {
        DBClusters: [
          {
            DBClusterIdentifier: input.DBClusterIdentifier,
            Status: 'available',
            Engine: 'aurora-postgresql',
            EngineVersion: '16.4',
            DBSubnetGroup: 'private',
            VpcSecurityGroups: [{ VpcSecurityGroupId: 'sg-1' }],
            DBClusterMembers: [{ DBInstanceIdentifier: 'ledger-aurora-1', IsClusterWriter: true }],
          },
        ],
      };
    case 'Backup.ListRecoveryPointsByResource': {
      const rp = input.ResourceArn.includes(':rds:')
        ? arn('rds', 'snapshot:awsbackup:job-0123-4567')
        : arn('dynamodb', 'table/catalog/backup/01732000000000-abcdef12');
      return {
        RecoveryPoints: [
          {
            RecoveryPointArn: rp,
            BackupVaultName: 'prod-vault',
            Status: 'COMPLETED',
            CreationDate: new Date(now.getTime() - 3_600_000),
          },
        ],
      };
    }
    case 'Backup.GetRecoveryPointRestoreMetadata':
      return { RestoreMetadata: {} };
    case 'Backup.StartRestoreJob':
      return { RestoreJobId: 'restore-1' };
    case 'Backup.DescribeRestoreJob':
      return { RestoreJobId: input.RestoreJobId, Status: 'COMPLETED' };
    case 'Logs.DescribeMetricFilters':
      return { metricFilters: [] };
    case 'ECS.DescribeTaskDefinition':
      return { taskDefinition: { family: 'orders-task', containerDefinitions: [] } };
    case 'ECR.DescribeImages':
      return { imageDetails: [{ imageTags: ['2.0.0'] }] };
    case 'Secrets.DescribeSecret':
      return { ARN: arn('secretsmanager', `secret:${input.SecretId}-AbCdEf`), Name: input.SecretId };
    case 'Lambda.GetFunctionConfiguration':
      return { FunctionName: input.FunctionName, Environment: { Variables: {} } };
    case 'SFN.DescribeExecution':
      return { executionArn: input.executionArn, stateMachineArn: 'x', status: 'ABORTED', startDate: now, input: '{}' };
    case 'SFN.GetExecutionHistory':
      return { events: [] };
    default:
      return client === 'Store' ? storeAnswer(name, input) : {};
  }
}

interface Recorded {
  client: ClientName;
  command: string;
  input: Input;
}
function recordAll(): Recorded[] {
  return (Object.keys(mocks) as ClientName[]).flatMap((client) =>
    mocks[client].calls().map((call) => {
      const command = call.args[0] as { constructor: { name: string }; input: Input };
      return { client, command: command.constructor.name.replace(/Command$/, ''), input: command.input };
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The IAM request AWS authorizes for each recorded command.

let storeTableArn = '';
const table = (name: string) => (name.startsWith('arn:') ? name : arn('dynamodb', `table/${name}`));
const fn = (name: string) =>
  name.startsWith('arn:') ? name.split(':').slice(0, 7).join(':') : arn('lambda', `function:${name}`);
const alarm = (name: string) => arn('cloudwatch', `alarm:${name}`);
const db = (id: string) => arn('rds', `db:${id}`);
const cluster = (id: string) => arn('rds', `cluster:${id}`);
const leading = (pk: string) => ({ 'dynamodb:LeadingKeys': [pk] });
/** What a restore does with a customer-managed key, through the service: describe it, create a grant, decrypt. */
const kmsFor = (keys: string[]): IamRequest[] =>
  keys.flatMap((key) => [
    { action: 'kms:DescribeKey', resource: key },
    { action: 'kms:CreateGrant', resource: key, context: { 'kms:GrantIsForAWSResource': 'true' } },
    { action: 'kms:Decrypt', resource: key },
  ]);

function iamRequests(call: Recorded, config: GoLiveConfig): IamRequest[] {
  const { input } = call;
  const keysOf = (match: (b: AwsBackupConfig) => boolean) =>
    Object.values(config.services).flatMap((s) =>
      s.backup.kind !== 'sqlite' && match(s.backup) ? (s.backup.kmsKeyArns ?? []) : [],
    );
  switch (`${call.client}.${call.command}`) {
    case 'Store.Get':
      return [{ action: 'dynamodb:GetItem', resource: storeTableArn, context: leading(input.Key.pk) }];
    case 'Store.Put':
      return [{ action: 'dynamodb:PutItem', resource: storeTableArn, context: leading(input.Item.pk) }];
    case 'Store.Update':
      return [{ action: 'dynamodb:UpdateItem', resource: storeTableArn, context: leading(input.Key.pk) }];
    case 'Store.Delete':
      return [{ action: 'dynamodb:DeleteItem', resource: storeTableArn, context: leading(input.Key.pk) }];
    case 'Store.Query':
      return [
        { action: 'dynamodb:Query', resource: storeTableArn, context: leading(input.ExpressionAttributeValues[':pk']) },
      ];
    case 'Store.TransactWrite':
      return (input.TransactItems as Record<string, Input>[]).map((item) => {
        const [kind, body] = Object.entries(item)[0];
        const action = {
          Put: 'PutItem',
          Delete: 'DeleteItem',
          Update: 'UpdateItem',
          ConditionCheck: 'ConditionCheckItem',
        }[kind];
        return { action: `dynamodb:${action}`, resource: storeTableArn, context: leading((body.Key ?? body.Item).pk) };
      });
    case 'DynamoDB.DescribeContinuousBackups':
    case 'DynamoDB.DescribeTable':
    case 'DynamoDB.Scan':
    case 'DynamoDB.DeleteTable':
      return [{ action: `dynamodb:${call.command}`, resource: table(input.TableName) }];
    case 'DynamoDB.RestoreTableToPointInTime':
      // As AWS documents: the restore on the source, and the writes of the new table as the caller.
      return [
        { action: 'dynamodb:RestoreTableToPointInTime', resource: table(input.SourceTableName) },
        ...['PutItem', 'UpdateItem', 'DeleteItem', 'GetItem', 'Query', 'Scan', 'BatchWriteItem'].map((a) => ({
          action: `dynamodb:${a}`,
          resource: table(input.TargetTableName),
        })),
        ...kmsFor(keysOf((b) => b.kind === 'dynamodb-pitr' && b.tableName === input.SourceTableName)),
      ];
    case 'Lambda.GetAlias':
    case 'Lambda.UpdateAlias':
    case 'Lambda.ListVersionsByFunction':
    case 'Lambda.GetFunctionConfiguration':
    case 'Lambda.GetFunctionConcurrency':
      return [{ action: `lambda:${call.command}`, resource: fn(input.FunctionName) }];
    case 'ELB.DescribeListeners':
    case 'ELB.DescribeRules':
      return [{ action: `elasticloadbalancing:${call.command}`, resource: '*' }];
    case 'ELB.ModifyListener':
      return [{ action: 'elasticloadbalancing:ModifyListener', resource: input.ListenerArn }];
    case 'ELB.ModifyRule':
      return [{ action: 'elasticloadbalancing:ModifyRule', resource: input.RuleArn }];
    case 'CloudWatch.DescribeAlarms':
      // AWS documents that composite alarms can only be described with `*`: any alarm, which an alarm
      // golive's config never names stands for (the simulator reads a `*` request as "some resource").
      return [{ action: 'cloudwatch:DescribeAlarms', resource: alarm('an-alarm-no-config-names') }];
    case 'CloudWatch.ListAlarmMuteRules':
      return [{ action: 'cloudwatch:ListAlarmMuteRules', resource: arn('cloudwatch', 'alarm-mute-rule:*') }];
    case 'CloudWatch.PutAlarmMuteRule':
      return [
        { action: 'cloudwatch:PutAlarmMuteRule', resource: arn('cloudwatch', `alarm-mute-rule:${input.Name}`) },
        ...(input.MuteTargets.AlarmNames as string[]).map((n) => ({
          action: 'cloudwatch:PutAlarmMuteRule',
          resource: alarm(n),
        })),
        ...(input.Tags?.length
          ? [{ action: 'cloudwatch:TagResource', resource: arn('cloudwatch', `alarm-mute-rule:${input.Name}`) }]
          : []),
      ];
    case 'CloudWatch.DeleteAlarmMuteRule':
      return [
        {
          action: 'cloudwatch:DeleteAlarmMuteRule',
          resource: arn('cloudwatch', `alarm-mute-rule:${input.AlarmMuteRuleName}`),
        },
      ];
    case 'CloudWatch.DisableAlarmActions':
    case 'CloudWatch.EnableAlarmActions':
      return (input.AlarmNames as string[]).map((n) => ({ action: `cloudwatch:${call.command}`, resource: alarm(n) }));
    case 'Logs.DescribeMetricFilters':
      return [{ action: 'logs:DescribeMetricFilters', resource: arn('logs', `log-group:${input.logGroupName}:*`) }];
    case 'RDS.DescribeDBSnapshots':
      return [{ action: 'rds:DescribeDBSnapshots', resource: db(input.DBInstanceIdentifier) }];
    case 'RDS.DescribeDBClusterSnapshots':
      return [{ action: 'rds:DescribeDBClusterSnapshots', resource: cluster(input.DBClusterIdentifier) }];
    case 'RDS.DescribeDBInstances':
      return [{ action: 'rds:DescribeDBInstances', resource: db(input.DBInstanceIdentifier) }];
    case 'RDS.DescribeDBClusters':
      return [{ action: 'rds:DescribeDBClusters', resource: cluster(input.DBClusterIdentifier) }];
    case 'RDS.RestoreDBInstanceFromDBSnapshot':
      // The Service Authorization Reference: the new instance, the snapshot, its subnet, option and parameter groups.
      return [
        { action: 'rds:RestoreDBInstanceFromDBSnapshot', resource: db(input.DBInstanceIdentifier) },
        {
          action: 'rds:RestoreDBInstanceFromDBSnapshot',
          resource: arn('rds', `snapshot:${input.DBSnapshotIdentifier}`),
        },
        {
          action: 'rds:RestoreDBInstanceFromDBSnapshot',
          resource: arn('rds', `subgrp:${input.DBSubnetGroupName ?? 'default'}`),
        },
        { action: 'rds:RestoreDBInstanceFromDBSnapshot', resource: arn('rds', 'og:default:postgres-16') },
        { action: 'rds:RestoreDBInstanceFromDBSnapshot', resource: arn('rds', 'pg:default.postgres16') },
        ...(input.Tags?.length ? [{ action: 'rds:AddTagsToResource', resource: db(input.DBInstanceIdentifier) }] : []),
        ...kmsFor(
          keysOf(
            (b) => b.kind === 'rds-snapshot' && input.DBSnapshotIdentifier.includes(b.dbInstanceIdentifier ?? '?'),
          ),
        ),
      ];
    case 'RDS.RestoreDBClusterFromSnapshot':
      return [
        { action: 'rds:RestoreDBClusterFromSnapshot', resource: cluster(input.DBClusterIdentifier) },
        {
          action: 'rds:RestoreDBClusterFromSnapshot',
          resource: arn('rds', `cluster-snapshot:${input.SnapshotIdentifier}`),
        },
        {
          action: 'rds:RestoreDBClusterFromSnapshot',
          resource: arn('rds', `subgrp:${input.DBSubnetGroupName ?? 'default'}`),
        },
        { action: 'rds:RestoreDBClusterFromSnapshot', resource: arn('rds', 'og:default:aurora-postgresql-16') },
        { action: 'rds:RestoreDBClusterFromSnapshot', resource: arn('rds', 'cluster-pg:default.aurora-postgresql16') },
        ...(input.Tags?.length
          ? [{ action: 'rds:AddTagsToResource', resource: cluster(input.DBClusterIdentifier) }]
          : []),
      ];
    case 'RDS.CreateDBInstance':
      return [
        { action: 'rds:CreateDBInstance', resource: db(input.DBInstanceIdentifier) },
        ...(input.DBClusterIdentifier
          ? [{ action: 'rds:CreateDBInstance', resource: cluster(input.DBClusterIdentifier) }]
          : []),
        ...(input.Tags?.length ? [{ action: 'rds:AddTagsToResource', resource: db(input.DBInstanceIdentifier) }] : []),
      ];
    case 'RDS.DeleteDBInstance':
      return [{ action: 'rds:DeleteDBInstance', resource: db(input.DBInstanceIdentifier) }];
    case 'RDS.DeleteDBCluster':
      return [{ action: 'rds:DeleteDBCluster', resource: cluster(input.DBClusterIdentifier) }];
    case 'RDS.ListTagsForResource':
      return [{ action: 'rds:ListTagsForResource', resource: input.ResourceName }];
    case 'Backup.ListRecoveryPointsByResource':
    case 'Backup.DescribeRestoreJob':
      return [{ action: `backup:${call.command}`, resource: '*' }];
    case 'Backup.GetRecoveryPointRestoreMetadata':
    case 'Backup.DescribeRecoveryPoint':
      return [{ action: `backup:${call.command}`, resource: input.RecoveryPointArn }];
    case 'Backup.StartRestoreJob':
      return [
        { action: 'backup:StartRestoreJob', resource: input.RecoveryPointArn },
        {
          action: 'iam:PassRole',
          resource: input.IamRoleArn,
          context: { 'iam:PassedToService': 'backup.amazonaws.com' },
        },
      ];
    case 'Secrets.GetSecretValue':
    case 'Secrets.DescribeSecret':
      return [
        {
          action: `secretsmanager:${call.command}`,
          resource: input.SecretId.startsWith('arn:')
            ? input.SecretId
            : arn('secretsmanager', `secret:${input.SecretId}-AbCdEf`),
        },
      ];
    case 'ECS.DescribeTaskDefinition':
      return [{ action: 'ecs:DescribeTaskDefinition', resource: '*' }];
    case 'ECR.DescribeImages':
      return [{ action: 'ecr:DescribeImages', resource: arn('ecr', `repository/${input.repositoryName}`) }];
    case 'SFN.SendTaskSuccess':
    case 'SFN.SendTaskFailure':
    case 'SFN.SendTaskHeartbeat':
      // Authorized against the state machine the token's execution belongs to.
      return [{ action: `states:${call.command}`, resource: stateMachineArn }];
    case 'SFN.DescribeExecution':
    case 'SFN.GetExecutionHistory':
    case 'SFN.StopExecution':
      return [{ action: `states:${call.command}`, resource: ownExecution(input.executionArn) }];
    case 'S3.PutObject':
      return [{ action: 's3:PutObject', resource: `arn:aws:s3:::${input.Bucket}/${input.Key}` }];
    default:
      throw new Error(`${call.client}.${call.command}: no IAM mapping in test/cdk/iam-simulation.test.ts; add one`);
  }
}

let stateMachineArn = '';
/** The probe's execution, as one of this stack's state machine's executions. */
const ownExecution = (executionArn: string) =>
  `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${executionArn.split(':').pop()}`;

// ---------------------------------------------------------------------------------------------

let server: Server;
let config: GoLiveConfig;
let iam: DeployedIam;
const policiesOf = new Map<string, NamedPolicy[]>();
const depsOf = new Map<string, Deps>();
const FUNCTION_IDS: Record<string, string> = {
  lock: 'OrchestratorLock',
  readiness: 'OrchestratorReadiness',
  alerts: 'OrchestratorAlerts',
  backup: 'OrchestratorBackup',
  'smoke-test': 'OrchestratorSmokeTest',
  traffic: 'OrchestratorTraffic',
  bake: 'OrchestratorBake',
  approval: 'OrchestratorApproval',
  notify: 'OrchestratorNotify',
  'alarm-handler': 'OrchestratorAlarmHandler',
  janitor: 'OrchestratorJanitor',
  'audit-export': 'OrchestratorAuditExport',
  slack: 'OrchestratorSlackFunction',
};

beforeAll(async () => {
  // Smoke-test endpoints and the Slack Web API, on 127.0.0.1.
  server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, channel: 'C0PROBE', ts: '1700000000.000100' }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  process.env.GOLIVE_SLACK_API_URL = `${url}/api/`;
  config = platform(url);

  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/aws-iam:minimizePolicies': true } });
  const stack = new Stack(app, 'GoLive');
  new GoLiveOrchestrator(stack, 'Orchestrator', { config });
  iam = new DeployedIam(app.synth().getStackByName('GoLive').template as CfnTemplate);
  for (const [key, prefix] of Object.entries(FUNCTION_IDS)) {
    const id = iam.functionId(prefix);
    policiesOf.set(key, iam.policies(id));
    depsOf.set(key, createAwsDeps(config, iam.environment(id)));
  }
  const env = iam.environment(iam.functionId('OrchestratorLock'));
  storeTableArn = table(env.GOLIVE_TABLE);
  stateMachineArn = String(iam.environment(iam.functionId('OrchestratorSlackFunction')).STATE_MACHINE_ARN);

  for (const client of Object.keys(mocks) as ClientName[]) {
    mocks[client].send.callsFake(
      (command: { constructor: { name: string }; input: Input }) =>
        Promise.resolve(answer(client, command.constructor.name, command.input)) as Promise<never>,
    );
  }
});

afterAll(async () => {
  delete process.env.GOLIVE_SLACK_API_URL;
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Runs `act` as function `key`: returns every call it made as IAM requests. */
async function callsOf(act: () => Promise<unknown>): Promise<IamRequest[]> {
  for (const mock of Object.values(mocks)) mock.resetHistory();
  await act().catch(() => undefined); // how the call ends is another test's concern; what it asked for is ours
  return recordAll().flatMap((call) => iamRequests(call, config));
}

const handlerOf = async (key: string) => {
  const mod = (await import(path.join(REPO_ROOT, 'lambdas', key, 'index.ts'))) as {
    createHandler: (deps: () => Promise<Deps>) => (event: unknown) => Promise<unknown>;
  };
  return mod.createHandler(() => Promise.resolve(depsOf.get(key)!));
};
const PROBE_NAMES: Record<string, string> = {
  lock: 'Lock',
  readiness: 'Readiness',
  alerts: 'Alerts',
  'smoke-test': 'SmokeTest',
  traffic: 'Traffic',
  bake: 'Bake',
  approval: 'Approval',
  notify: 'Notify',
  'alarm-handler': 'AlarmHandler',
  janitor: 'Janitor',
};

async function expectAllowed(key: string, requests: IamRequest[]) {
  expect(requests.length).toBeGreaterThan(0);
  const denied: string[] = [];
  for (const request of requests) {
    const decision = await decide(policiesOf.get(key)!, request);
    if (decision !== 'Allowed')
      denied.push(`${decision}: ${request.action} ${request.resource} ${JSON.stringify(request.context ?? {})}`);
  }
  expect(denied).toEqual([]);
}

describe('every AWS call of a first go-live is Allowed by the calling function’s policy', () => {
  const services = ['orders', 'payments', 'ledger', 'billing', 'catalog'];

  it.each(Object.keys(PROBE_NAMES))('%s, for every service', async (key) => {
    const handler = await handlerOf(key);
    const requests: IamRequest[] = [];
    for (const service of services) {
      requests.push(...(await callsOf(() => handler(firstEvent(PROBE_NAMES[key], config, service)))));
    }
    await expectAllowed(key, requests);
  });

  /** A whole restore proof of each kind: recovery point, restore, status (Aurora: its instance), validation, deletion. */
  it.each([
    ['DynamoDB PITR', 'orders'],
    ['RDS snapshot', 'payments'],
    ['Aurora snapshot', 'ledger'],
    ['AWS Backup over RDS', 'billing'],
    ['AWS Backup over DynamoDB', 'catalog'],
  ])('backup: %s', async (_kind, service) => {
    const backup = config.services[service].backup as AwsBackupConfig;
    const dynamodb = new DynamoDbPitrBackup();
    const rds = new RdsSnapshotBackup();
    const adapter = (
      backup.kind === 'dynamodb-pitr'
        ? dynamodb
        : backup.kind === 'rds-snapshot'
          ? rds
          : new AwsBackupRestore(undefined, dynamodb, rds)
    ) as BackupKindAdapter;
    const scratch = `${SCRATCH_PREFIX}${service}-0a1b2c3d`;

    const requests = await callsOf(async () => {
      const point = await adapter.latestRecoveryPoint(backup);
      let { handle } = await adapter.startRestore(service, backup, point, scratch);
      for (let i = 0; i < 3; i++) {
        const progress = await adapter.checkRestore(handle, backup);
        handle = progress.handle;
        if (progress.status === 'ready') break;
      }
      await adapter.validate(handle, backup);
      await adapter.cleanUp(handle, backup);
    });

    await expectAllowed('backup', requests);
  });

  it('traffic: rollback of every traffic kind, and the janitor’s', async () => {
    const requests: Record<string, IamRequest[]> = { traffic: [], janitor: [] };
    for (const key of ['traffic', 'janitor']) {
      const traffic = depsOf.get(key)!.traffic;
      for (const service of services) {
        requests[key].push(...(await callsOf(() => traffic.setWeights(service, { blue: 100, green: 0 }))));
      }
    }
    await expectAllowed('traffic', requests.traffic);
    await expectAllowed('janitor', requests.janitor);
  });

  it('alerts: mute and unmute with metric and composite alarms, mute rule and disabled actions', async () => {
    const alerts = depsOf.get('alerts')!.alerts;
    const expiresAt = new Date(now.getTime() + 3_600_000);
    const requests = await callsOf(async () => {
      await alerts.describe(['orders-5xx', 'orders-health-composite']);
      await alerts.mute({
        ruleName: 'golive-orders-probe-1',
        alarms: ['orders-5xx', 'orders-health-composite'],
        mode: 'mute-rule',
        expiresAt,
      });
      await alerts.unmute({ ruleName: 'golive-orders-probe-1', mode: 'mute-rule', muted: ['orders-5xx'] } as never);
      await alerts.mute({
        ruleName: 'golive-billing-probe-1',
        alarms: ['billing-errors'],
        mode: 'disable-actions',
        expiresAt,
      });
      await alerts.unmute({ mode: 'disable-actions', muted: ['billing-errors'] } as never);
    });
    await expectAllowed('alerts', requests);
  });

  it('audit-export: reads the audit trail and the history, writes the archive', async () => {
    const handler = await handlerOf('audit-export');
    void handler; // the shipped handler reads its bucket from the environment; its calls are these:
    const deps = depsOf.get('audit-export')!;
    const requests = await callsOf(() => deps.store.listAudit(EXECUTION));
    await expectAllowed('audit-export', requests);
  });
});

describe('what no function may do is Denied', () => {
  const store = (action: string, pk: string): IamRequest => ({
    action: `dynamodb:${action}`,
    resource: storeTableArn,
    context: leading(pk),
  });
  const audit = `AUDIT#${EXECUTION}`;

  it.each(['DeleteItem', 'UpdateItem', 'BatchWriteItem'])(
    'the Slack function may not %s audit records',
    async (action) => {
      expect(await decide(policiesOf.get('slack')!, store(action, audit))).not.toBe('Allowed');
    },
  );

  it.each(Object.keys(FUNCTION_IDS))('%s may not rewrite or delete audit records', async (key) => {
    for (const action of ['DeleteItem', 'UpdateItem']) {
      expect({ action, decision: await decide(policiesOf.get(key)!, store(action, audit)) }).toEqual({
        action,
        decision: expect.stringMatching(/Denied/),
      });
    }
  });

  it('the lock function may not update an alias, a listener or a rule', async () => {
    const lock = policiesOf.get('lock')!;
    const changes: IamRequest[] = [
      { action: 'lambda:UpdateAlias', resource: fn('orders-api') },
      { action: 'lambda:UpdateAlias', resource: `${fn('orders-api')}:live` },
      {
        action: 'elasticloadbalancing:ModifyListener',
        resource: (config.services.payments.traffic as { listenerArn: string }).listenerArn,
      },
      {
        action: 'elasticloadbalancing:ModifyRule',
        resource: (config.services.ledger.traffic as { ruleArn: string }).ruleArn!,
      },
    ];
    for (const change of changes)
      expect({ change, decision: await decide(lock, change) }).toEqual({ change, decision: 'ImplicitlyDenied' });
  });

  it.each(Object.keys(FUNCTION_IDS))(
    '%s may not delete a table or database outside the scratch prefix',
    async (key) => {
      const deletions: IamRequest[] = [
        { action: 'dynamodb:DeleteTable', resource: table('orders') },
        { action: 'dynamodb:DeleteTable', resource: storeTableArn },
        { action: 'rds:DeleteDBInstance', resource: db('payments-db') },
        { action: 'rds:DeleteDBCluster', resource: cluster('ledger-aurora') },
      ];
      for (const deletion of deletions) {
        expect({ deletion, decision: await decide(policiesOf.get(key)!, deletion) }).toEqual({
          deletion,
          decision: 'ImplicitlyDenied',
        });
      }
    },
  );
});

describe('the simulator stays out of what golive ships', () => {
  // test/cdk/shipped-bundles.test.ts reads every synthesized bundle and its source map for it.
  it('is a devDependency only', () => {
    const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
      dependencies: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(Object.keys(pkg.dependencies).filter((d) => d.startsWith('@cloud-copilot/'))).toEqual([]);
    expect(pkg.devDependencies['@cloud-copilot/iam-simulate']).toBeDefined();
  });
});
