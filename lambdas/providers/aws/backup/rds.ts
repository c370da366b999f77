import {
  CreateDBInstanceCommand,
  DeleteDBClusterCommand,
  DeleteDBInstanceCommand,
  DescribeDBClustersCommand,
  DescribeDBInstancesCommand,
  paginateDescribeDBClusterSnapshots,
  paginateDescribeDBSnapshots,
  RDSClient,
  RestoreDBClusterFromSnapshotCommand,
  RestoreDBInstanceFromDBSnapshotCommand,
} from '@aws-sdk/client-rds';
import { BackupVerificationFailed } from '../../../core/errors';
import type { RecoveryPoint, RestoreHandle, RestoreProgress } from '../../../core/ports';
import { RESTORE_BUDGETS } from '../../../core/workflow/budget';
import { awsCall, awsPages, CLIENT_CONFIG, ProviderResourceMissing } from '../errors';
import {
  allDeleted,
  auroraInstanceName,
  isScratchOf,
  SCRATCH_TAGS,
  scratchHandle,
  scratchTags,
  scratchTaken,
  tryDelete,
  type BackupKindAdapter,
  type KindConfig,
  type StartedRestore,
  type Verdict,
} from './kind';

type RdsConfig = KindConfig<'rds-snapshot'>;

/**
 * RDS snapshot restore: the latest available snapshot (instance, or Aurora cluster) is restored
 * into a private scratch instance (Aurora: the cluster, then one instance in it) in the source's
 * subnet group and security groups. Validation is the restore reaching `available` with the
 * snapshot's engine: row-level checks would need network access to the database, which the
 * function does not have. Scratch resources are deleted without a final snapshot.
 */
export class RdsSnapshotBackup implements BackupKindAdapter<RdsConfig> {
  constructor(private readonly client: RDSClient = new RDSClient(CLIENT_CONFIG)) {}

  async latestRecoveryPoint(config: RdsConfig): Promise<RecoveryPoint & { engine?: string }> {
    const candidates: { id: string; at: Date; engine?: string }[] = [];
    const keep = (id: string | undefined, s: { Status?: string; SnapshotCreateTime?: Date; Engine?: string }) => {
      if (s.Status === 'available' && s.SnapshotCreateTime && id) {
        candidates.push({ id, at: s.SnapshotCreateTime, ...(s.Engine ? { engine: s.Engine } : {}) });
      }
    };
    const client = { client: this.client };
    if (config.dbClusterIdentifier) {
      const cluster = config.dbClusterIdentifier;
      const pages = paginateDescribeDBClusterSnapshots(client, { DBClusterIdentifier: cluster });
      for await (const page of awsPages(`rds:DescribeDBClusterSnapshots ${cluster}`, pages)) {
        for (const s of page.DBClusterSnapshots ?? []) keep(s.DBClusterSnapshotIdentifier, s);
      }
    } else if (config.dbInstanceIdentifier) {
      const instance = config.dbInstanceIdentifier;
      const pages = paginateDescribeDBSnapshots(client, { DBInstanceIdentifier: instance });
      for await (const page of awsPages(`rds:DescribeDBSnapshots ${instance}`, pages)) {
        for (const s of page.DBSnapshots ?? []) keep(s.DBSnapshotIdentifier, s);
      }
    } else {
      throw new BackupVerificationFailed('backup.kind rds-snapshot needs dbInstanceIdentifier or dbClusterIdentifier');
    }
    const latest = candidates.sort((a, b) => b.at.getTime() - a.at.getTime())[0];
    if (!latest) {
      throw new BackupVerificationFailed(
        `no available snapshot of ${config.dbClusterIdentifier ?? config.dbInstanceIdentifier}: take one and start again`,
      );
    }
    return { id: latest.id, at: latest.at.toISOString(), ...(latest.engine ? { engine: latest.engine } : {}) };
  }

  async startRestore(
    service: string,
    config: RdsConfig,
    point: RecoveryPoint,
    scratch: string,
  ): Promise<StartedRestore> {
    if (config.dbClusterIdentifier)
      return this.startClusterRestore(service, config.dbClusterIdentifier, point, scratch);
    const source = config.dbInstanceIdentifier!;
    const described = await awsCall(`rds:DescribeDBInstances ${source}`, () =>
      this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: source })),
    );
    const src = described.DBInstances?.[0];
    let adopted = false;
    try {
      await awsCall(`rds:RestoreDBInstanceFromDBSnapshot ${point.id} → ${scratch}`, () =>
        this.client.send(
          new RestoreDBInstanceFromDBSnapshotCommand({
            DBInstanceIdentifier: scratch,
            DBSnapshotIdentifier: point.id,
            ...(src?.DBSubnetGroup?.DBSubnetGroupName
              ? { DBSubnetGroupName: src.DBSubnetGroup.DBSubnetGroupName }
              : {}),
            ...(src?.VpcSecurityGroups?.length
              ? { VpcSecurityGroupIds: src.VpcSecurityGroups.map((g) => g.VpcSecurityGroupId!) }
              : {}),
            PubliclyAccessible: false,
            MultiAZ: false,
            DeletionProtection: false,
            AutoMinorVersionUpgrade: false,
            Tags: scratchTags(point.id),
          }),
        ),
      );
    } catch (err) {
      if ((err as Error).name !== 'DBInstanceAlreadyExistsFault') throw err;
      // A retry: the instance an earlier attempt restored is adopted, by its tags; nothing else is.
      const existing = await this.describeInstance(scratch);
      if (!isScratchOf(existing?.TagList, point.id)) {
        throw scratchTaken('RDS DB instance', scratch, `its tags do not name it golive's restore of ${point.id}`);
      }
      adopted = true;
    }
    return {
      handle: scratchHandle('rds-snapshot', service, point, scratch, {
        instance: scratch,
        engine: src?.Engine ?? null,
      }),
      pollSeconds: RESTORE_BUDGETS['rds-instance'].pollSeconds,
      ...(adopted ? { adopted } : {}),
    };
  }

  private async startClusterRestore(
    service: string,
    sourceCluster: string,
    point: RecoveryPoint,
    scratch: string,
  ): Promise<StartedRestore> {
    const described = await awsCall(`rds:DescribeDBClusters ${sourceCluster}`, () =>
      this.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: sourceCluster })),
    );
    const src = described.DBClusters?.[0];
    if (!src?.Engine) throw new ProviderResourceMissing(`Aurora cluster ${sourceCluster} does not exist`);
    const writer = src.DBClusterMembers?.find((m) => m.IsClusterWriter)?.DBInstanceIdentifier;
    let instanceClass = 'db.t4g.medium';
    if (writer) {
      const instances = await awsCall(`rds:DescribeDBInstances ${writer}`, () =>
        this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: writer })),
      );
      instanceClass = instances.DBInstances?.[0]?.DBInstanceClass ?? instanceClass;
    }
    let adopted = false;
    try {
      await awsCall(`rds:RestoreDBClusterFromSnapshot ${point.id} → ${scratch}`, () =>
        this.client.send(
          new RestoreDBClusterFromSnapshotCommand({
            DBClusterIdentifier: scratch,
            SnapshotIdentifier: point.id,
            Engine: src.Engine,
            ...(src.EngineVersion ? { EngineVersion: src.EngineVersion } : {}),
            ...(src.DBSubnetGroup ? { DBSubnetGroupName: src.DBSubnetGroup } : {}),
            ...(src.VpcSecurityGroups?.length
              ? { VpcSecurityGroupIds: src.VpcSecurityGroups.map((g) => g.VpcSecurityGroupId!) }
              : {}),
            ...(src.ServerlessV2ScalingConfiguration
              ? { ServerlessV2ScalingConfiguration: src.ServerlessV2ScalingConfiguration }
              : {}),
            DeletionProtection: false,
            Tags: scratchTags(point.id),
          }),
        ),
      );
    } catch (err) {
      if ((err as Error).name !== 'DBClusterAlreadyExistsFault') throw err;
      // A retry: the cluster an earlier attempt restored is adopted, by its tags; nothing else is.
      const existing = await awsCall(`rds:DescribeDBClusters ${scratch}`, () =>
        this.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: scratch })),
      );
      if (!isScratchOf(existing.DBClusters?.[0]?.TagList, point.id)) {
        throw scratchTaken('Aurora cluster', scratch, `its tags do not name it golive's restore of ${point.id}`);
      }
      adopted = true;
    }
    return {
      handle: scratchHandle('rds-snapshot', service, point, scratch, {
        cluster: scratch,
        instance: auroraInstanceName(scratch),
        engine: src.Engine,
        instanceClass,
        phase: 'cluster',
      }),
      pollSeconds: RESTORE_BUDGETS['aurora-cluster'].pollSeconds,
      ...(adopted ? { adopted } : {}),
    };
  }

  private async describeInstance(id: string) {
    try {
      const res = await awsCall(`rds:DescribeDBInstances ${id}`, () =>
        this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
      );
      return res.DBInstances?.[0];
    } catch (err) {
      if (err instanceof ProviderResourceMissing) return undefined;
      throw err;
    }
  }

  private async instanceStatus(id: string): Promise<{ status: string; engine?: string }> {
    const res = await awsCall(`rds:DescribeDBInstances ${id}`, () =>
      this.client.send(new DescribeDBInstancesCommand({ DBInstanceIdentifier: id })),
    );
    const i = res.DBInstances?.[0];
    return { status: i?.DBInstanceStatus ?? 'unknown', ...(i?.Engine ? { engine: i.Engine } : {}) };
  }

  async checkRestore(handle: RestoreHandle): Promise<RestoreProgress> {
    const d = handle.detail as {
      cluster?: string;
      instance: string;
      engine: string;
      instanceClass?: string;
      phase?: string;
    };
    if (d.cluster && d.phase === 'cluster') {
      const res = await awsCall(`rds:DescribeDBClusters ${d.cluster}`, () =>
        this.client.send(new DescribeDBClustersCommand({ DBClusterIdentifier: d.cluster })),
      );
      const status = res.DBClusters?.[0]?.Status ?? 'unknown';
      if (status !== 'available') return this.pendingOrFailed(handle, `cluster ${d.cluster}`, status);
      // Aurora restores a cluster without instances: one is needed before the restore can be used.
      await this.createClusterInstance(d.cluster, d.instance, d.engine, d.instanceClass);
      return {
        status: 'pending',
        handle: { ...handle, detail: { ...d, phase: 'instance' } },
        detail: `cluster ${d.cluster} available; instance ${d.instance} creating`,
      };
    }
    const { status } = await this.instanceStatus(d.instance);
    if (status === 'available') return { status: 'ready', handle, detail: `instance ${d.instance}: available` };
    return this.pendingOrFailed(handle, `instance ${d.instance}`, status);
  }

  /**
   * Creates the instance inside the scratch cluster. Idempotent: an instance of that name already
   * in the scratch cluster is golive's (an earlier check created it, then failed); one anywhere else
   * is not, and is neither used nor deleted.
   */
  private async createClusterInstance(
    cluster: string,
    instance: string,
    engine: string,
    instanceClass: string | undefined,
  ): Promise<void> {
    try {
      await awsCall(`rds:CreateDBInstance ${instance}`, () =>
        this.client.send(
          new CreateDBInstanceCommand({
            DBInstanceIdentifier: instance,
            DBClusterIdentifier: cluster,
            Engine: engine,
            DBInstanceClass: instanceClass,
            PubliclyAccessible: false,
            Tags: SCRATCH_TAGS,
          }),
        ),
      );
    } catch (err) {
      if ((err as Error).name !== 'DBInstanceAlreadyExistsFault') throw err;
      const existing = await this.describeInstance(instance);
      if (existing?.DBClusterIdentifier !== cluster) {
        throw scratchTaken(
          'RDS DB instance',
          instance,
          `it belongs to ${existing?.DBClusterIdentifier ? `cluster ${existing.DBClusterIdentifier}` : 'no cluster'}, not to the scratch cluster ${cluster}`,
        );
      }
    }
  }

  private pendingOrFailed(handle: RestoreHandle, what: string, status: string): RestoreProgress {
    if (/failed|incompatible|storage-full|inaccessible/.test(status)) {
      throw new BackupVerificationFailed(`restored ${what} is ${status}`);
    }
    return { status: 'pending', handle, detail: `${what}: ${status}` };
  }

  async validate(handle: RestoreHandle): Promise<Verdict> {
    const d = handle.detail as { instance: string; engine: string | null };
    const { status, engine } = await this.instanceStatus(d.instance);
    const engineOk = !d.engine || d.engine === engine;
    return {
      ok: status === 'available' && engineOk,
      integrityCheck: `restored instance ${status}, engine ${engine ?? 'unknown'}${engineOk ? '' : ` (expected ${d.engine})`}`,
      tables: [],
    };
  }

  /**
   * Deletes the instance, then the Aurora cluster, whatever phase the restore is in (an instance not
   * created yet is missing, which is fine). A deletion RDS refuses for the resource's state does
   * not stop the other; both are named in ScratchNotDeleted. A name the handle says is held by
   * something golive did not create (`leaveAlone`) is not deleted.
   */
  async cleanUp(handle: RestoreHandle): Promise<boolean> {
    const d = handle.detail as { cluster?: string; instance: string };
    const ours = (name: string) => !handle.leaveAlone?.includes(name);
    const refusals: (string | undefined)[] = [];
    if (ours(d.instance)) {
      refusals.push(
        await tryDelete(`rds:DeleteDBInstance ${d.instance}`, () =>
          this.client.send(
            new DeleteDBInstanceCommand({
              DBInstanceIdentifier: d.instance,
              SkipFinalSnapshot: true,
              DeleteAutomatedBackups: true,
            }),
          ),
        ),
      );
    }
    if (d.cluster && ours(d.cluster)) {
      const cluster = d.cluster;
      refusals.push(
        await tryDelete(`rds:DeleteDBCluster ${cluster}`, () =>
          this.client.send(new DeleteDBClusterCommand({ DBClusterIdentifier: cluster, SkipFinalSnapshot: true })),
        ),
      );
    }
    return allDeleted(refusals);
  }
}
