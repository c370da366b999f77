import { BackupClient, ListRecoveryPointsByResourceCommand } from '@aws-sdk/client-backup';
import { CloudWatchClient, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import { CloudWatchLogsClient, paginateDescribeMetricFilters } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeContinuousBackupsCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { DescribeTaskDefinitionCommand, ECSClient, type TaskDefinition } from '@aws-sdk/client-ecs';
import {
  GetFunctionConcurrencyCommand,
  GetFunctionConfigurationCommand,
  LambdaClient,
  paginateListVersionsByFunction,
} from '@aws-sdk/client-lambda';
import {
  DescribeDBClusterSnapshotsCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  DescribeDBSnapshotsCommand,
  RDSClient,
} from '@aws-sdk/client-rds';
import { DescribeSecretCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { GoLiveConfig } from '../../core/config';
import type {
  ObservedAlarm,
  ObservedArtifact,
  ObservedCapacity,
  ObservedDatabase,
  ObservedEnvironment,
  ObservedMetricFilter,
  ObservedRecoveryPoint,
  ObservedSecret,
  ReadinessProvider,
} from '../../core/ports';

export interface AwsReadinessClients {
  cloudwatch: CloudWatchClient;
  logs: CloudWatchLogsClient;
  backup: BackupClient;
  dynamodb: DynamoDBClient;
  rds: RDSClient;
  lambda: LambdaClient;
  ecs: ECSClient;
  ecr: ECRClient;
  secrets: SecretsManagerClient;
}

/**
 * Readiness facts from AWS, read-only: each method describes the resources listed in
 * services.<name>.readiness.resources (and the backup / traffic config) and returns them as they are.
 */
export class AwsReadiness implements ReadinessProvider {
  private readonly clients: AwsReadinessClients;

  constructor(private readonly options: { config: GoLiveConfig; clients?: Partial<AwsReadinessClients> }) {
    const c = options.clients ?? {};
    this.clients = {
      cloudwatch: c.cloudwatch ?? new CloudWatchClient({}),
      logs: c.logs ?? new CloudWatchLogsClient({}),
      backup: c.backup ?? new BackupClient({}),
      dynamodb: c.dynamodb ?? new DynamoDBClient({}),
      rds: c.rds ?? new RDSClient({}),
      lambda: c.lambda ?? new LambdaClient({}),
      ecs: c.ecs ?? new ECSClient({}),
      ecr: c.ecr ?? new ECRClient({}),
      secrets: c.secrets ?? new SecretsManagerClient({}),
    };
  }

  private service(service: string) {
    return this.options.config.services[service];
  }

  private resources(service: string) {
    return this.service(service).readiness.resources;
  }

  /** The declared Lambda functions, plus the one a lambda-alias service shifts traffic on. */
  private lambdaFunctions(service: string): string[] {
    const traffic = this.service(service).traffic;
    const extra = traffic.kind === 'lambda-alias' ? [traffic.functionName] : [];
    return [...new Set([...this.resources(service).lambdaFunctions, ...extra])];
  }

  async alarms(service: string): Promise<ObservedAlarm[]> {
    const prefix = this.resources(service).alarmNamePrefix ?? service;
    const alarms: ObservedAlarm[] = [];
    const pages = paginateDescribeAlarms(
      { client: this.clients.cloudwatch },
      { AlarmNamePrefix: prefix, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
    );
    for await (const page of pages) {
      for (const a of page.MetricAlarms ?? []) {
        const metrics = [
          ...(a.MetricName ? [a.MetricName] : []),
          ...(a.Metrics ?? []).flatMap((m) =>
            m.MetricStat?.Metric?.MetricName ? [m.MetricStat.Metric.MetricName] : [],
          ),
        ];
        alarms.push({
          name: a.AlarmName ?? '',
          metrics,
          actions: a.AlarmActions ?? [],
          actionsEnabled: a.ActionsEnabled ?? false,
          ...(a.StateValue ? { state: a.StateValue } : {}),
        });
      }
      for (const a of page.CompositeAlarms ?? []) {
        alarms.push({
          name: a.AlarmName ?? '',
          metrics: [],
          actions: a.AlarmActions ?? [],
          actionsEnabled: a.ActionsEnabled ?? false,
          ...(a.StateValue ? { state: a.StateValue } : {}),
        });
      }
    }
    return alarms;
  }

  async metricFilters(service: string): Promise<ObservedMetricFilter[] | undefined> {
    const groups = this.resources(service).logGroups;
    if (groups.length === 0) return undefined;
    const filters: ObservedMetricFilter[] = [];
    for (const logGroupName of groups) {
      const before = filters.length;
      for await (const page of paginateDescribeMetricFilters({ client: this.clients.logs }, { logGroupName })) {
        for (const f of page.metricFilters ?? []) {
          filters.push({
            logGroup: f.logGroupName ?? logGroupName,
            filterName: f.filterName ?? '',
            pattern: f.filterPattern ?? '',
            ...(f.metricTransformations?.[0]?.metricName ? { metricName: f.metricTransformations[0].metricName } : {}),
          });
        }
      }
      // A log group without filters still counts as declared: the check names what it lacks.
      if (filters.length === before) filters.push({ logGroup: logGroupName, filterName: '(none)', pattern: '' });
    }
    return filters;
  }

  async latestRecoveryPoint(service: string): Promise<ObservedRecoveryPoint | undefined> {
    const backup = this.service(service).backup;
    switch (backup.kind) {
      case 'dynamodb-pitr': {
        const out = await this.clients.dynamodb.send(
          new DescribeContinuousBackupsCommand({ TableName: backup.tableName }),
        );
        const pitr = out.ContinuousBackupsDescription?.PointInTimeRecoveryDescription;
        if (pitr?.PointInTimeRecoveryStatus !== 'ENABLED' || !pitr.LatestRestorableDateTime) return undefined;
        return {
          id: `${backup.tableName}@${pitr.LatestRestorableDateTime.toISOString()}`,
          at: pitr.LatestRestorableDateTime.toISOString(),
          source: 'DynamoDB point-in-time recovery (LatestRestorableDateTime)',
        };
      }
      case 'rds-snapshot': {
        const snapshots = backup.dbClusterIdentifier
          ? (
              (
                await this.clients.rds.send(
                  new DescribeDBClusterSnapshotsCommand({ DBClusterIdentifier: backup.dbClusterIdentifier }),
                )
              ).DBClusterSnapshots ?? []
            ).map((s) => ({ id: s.DBClusterSnapshotIdentifier, at: s.SnapshotCreateTime, status: s.Status }))
          : (
              (
                await this.clients.rds.send(
                  new DescribeDBSnapshotsCommand({ DBInstanceIdentifier: backup.dbInstanceIdentifier }),
                )
              ).DBSnapshots ?? []
            ).map((s) => ({ id: s.DBSnapshotIdentifier, at: s.SnapshotCreateTime, status: s.Status }));
        const latest = snapshots
          .filter((s) => s.status === 'available' && s.at)
          .sort((a, b) => b.at!.getTime() - a.at!.getTime())[0];
        return latest ? { id: latest.id ?? '?', at: latest.at!.toISOString(), source: 'RDS snapshot' } : undefined;
      }
      case 'aws-backup': {
        const out = await this.clients.backup.send(
          new ListRecoveryPointsByResourceCommand({ ResourceArn: backup.resourceArn }),
        );
        const latest = (out.RecoveryPoints ?? [])
          .filter((p) => p.Status === 'COMPLETED' && p.CreationDate)
          .sort((a, b) => b.CreationDate!.getTime() - a.CreationDate!.getTime())[0];
        return latest
          ? { id: latest.RecoveryPointArn ?? '?', at: latest.CreationDate!.toISOString(), source: 'AWS Backup' }
          : undefined;
      }
      default:
        return undefined;
    }
  }

  async databases(service: string): Promise<ObservedDatabase[]> {
    const r = this.resources(service);
    const dbs: ObservedDatabase[] = [];
    for (const DBInstanceIdentifier of r.rdsInstances) {
      const out = await this.clients.rds.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier }));
      const db = out.DBInstances?.[0];
      dbs.push({
        id: DBInstanceIdentifier,
        kind: 'rds-instance',
        multiAz: db?.MultiAZ ?? false,
        replicas: db?.ReadReplicaDBInstanceIdentifiers ?? [],
        ...(db?.PubliclyAccessible === undefined ? {} : { publiclyAccessible: db.PubliclyAccessible }),
      });
    }
    for (const DBClusterIdentifier of r.rdsClusters) {
      const out = await this.clients.rds.send(new DescribeDBClustersCommand({ DBClusterIdentifier }));
      const cluster = out.DBClusters?.[0];
      const members = cluster?.DBClusterMembers ?? [];
      dbs.push({
        id: DBClusterIdentifier,
        kind: 'rds-cluster',
        multiAz: cluster?.MultiAZ ?? false,
        replicas: members.filter((m) => !m.IsClusterWriter).map((m) => m.DBInstanceIdentifier ?? '?'),
        // Aurora members carry their own flag; the cluster's is set for Multi-AZ DB clusters only.
        publiclyAccessible: cluster?.PubliclyAccessible ?? false,
      });
    }
    for (const TableName of r.dynamodbTables) {
      const table = (await this.clients.dynamodb.send(new DescribeTableCommand({ TableName }))).Table;
      const backups = await this.clients.dynamodb.send(new DescribeContinuousBackupsCommand({ TableName }));
      dbs.push({
        id: TableName,
        kind: 'dynamodb',
        replicas: (table?.Replicas ?? []).map((rep) => rep.RegionName ?? '?'),
        pointInTimeRecovery:
          backups.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus === 'ENABLED',
      });
    }
    return dbs;
  }

  private async taskDefinitions(service: string): Promise<TaskDefinition[]> {
    const defs: TaskDefinition[] = [];
    for (const taskDefinition of this.resources(service).ecsTaskDefinitions) {
      const out = await this.clients.ecs.send(new DescribeTaskDefinitionCommand({ taskDefinition }));
      if (out.taskDefinition) defs.push(out.taskDefinition);
    }
    return defs;
  }

  async environments(service: string): Promise<ObservedEnvironment[]> {
    const envs: ObservedEnvironment[] = [];
    for (const FunctionName of this.lambdaFunctions(service)) {
      const out = await this.clients.lambda.send(new GetFunctionConfigurationCommand({ FunctionName }));
      envs.push({
        component: `lambda:${FunctionName}`,
        variables: Object.entries(out.Environment?.Variables ?? {}).map(([name, value]) => ({ name, value })),
      });
    }
    for (const def of await this.taskDefinitions(service)) {
      for (const c of def.containerDefinitions ?? []) {
        envs.push({
          component: `ecs:${def.family ?? '?'}/${c.name ?? '?'}`,
          variables: [
            ...(c.environment ?? []).map((e) => ({ name: e.name ?? '', value: e.value ?? '' })),
            ...(c.secrets ?? []).map((s) => ({ name: s.name ?? '', valueFrom: s.valueFrom ?? '' })),
          ],
        });
      }
    }
    return envs;
  }

  async secrets(service: string): Promise<ObservedSecret[]> {
    const out: ObservedSecret[] = [];
    for (const SecretId of this.resources(service).secrets) {
      const s = await this.clients.secrets.send(new DescribeSecretCommand({ SecretId }));
      out.push({
        id: s.Name ?? SecretId,
        rotationEnabled: s.RotationEnabled ?? false,
        ...(s.RotationRules?.AutomaticallyAfterDays ? { rotationDays: s.RotationRules.AutomaticallyAfterDays } : {}),
        ...(s.LastRotatedDate ? { lastRotatedAt: s.LastRotatedDate.toISOString() } : {}),
      });
    }
    return out;
  }

  async capacity(service: string): Promise<ObservedCapacity[]> {
    const out: ObservedCapacity[] = [];
    for (const FunctionName of this.lambdaFunctions(service)) {
      const c = await this.clients.lambda.send(new GetFunctionConcurrencyCommand({ FunctionName }));
      out.push({
        component: `lambda:${FunctionName}`,
        limits: { reservedConcurrency: c.ReservedConcurrentExecutions },
      });
    }
    for (const def of await this.taskDefinitions(service)) {
      const containers = def.containerDefinitions ?? [];
      // Task-level cpu/memory, or every container's own, caps what one leak can take.
      const cpu = def.cpu
        ? Number(def.cpu)
        : containers.every((c) => c.cpu)
          ? containers.reduce((n, c) => n + (c.cpu ?? 0), 0)
          : undefined;
      const memory = def.memory
        ? Number(def.memory)
        : containers.every((c) => c.memory ?? c.memoryReservation)
          ? containers.reduce((n, c) => n + (c.memory ?? c.memoryReservation ?? 0), 0)
          : undefined;
      out.push({ component: `ecs:${def.family ?? '?'}`, limits: { cpu, memoryMb: memory } });
    }
    return out;
  }

  async artifact(service: string, version: string): Promise<ObservedArtifact | undefined> {
    const { ecrRepository } = this.resources(service);
    if (ecrRepository) {
      try {
        const out = await this.clients.ecr.send(
          new DescribeImagesCommand({ repositoryName: ecrRepository, imageIds: [{ imageTag: version }] }),
        );
        const image = out.imageDetails?.[0];
        return {
          exists: Boolean(image),
          ref: `${ecrRepository}:${version}`,
          detail: image ? { digest: image.imageDigest, pushedAt: image.imagePushedAt?.toISOString() } : {},
        };
      } catch (err) {
        if ((err as Error).name === 'ImageNotFoundException')
          return { exists: false, ref: `${ecrRepository}:${version}` };
        throw err;
      }
    }
    const [fn] = this.lambdaFunctions(service);
    if (!fn) return undefined;
    // A Lambda version is published with the release version as its description.
    for await (const page of paginateListVersionsByFunction({ client: this.clients.lambda }, { FunctionName: fn })) {
      const match = (page.Versions ?? []).find((v) => v.Description === version);
      if (match) return { exists: true, ref: `lambda:${fn}:${match.Version}`, detail: { description: version } };
    }
    return { exists: false, ref: `lambda:${fn} (version described "${version}")` };
  }
}
