import type { ServiceConfig } from '../../../core/config';
import { BackupVerificationFailed, GoLiveError } from '../../../core/errors';
import type { BackupEvidence, RecoveryPoint, RestoreHandle, RestoreProgress } from '../../../core/ports';
import { backedUpResource } from '../../../core/workflow/budget';
import { awsCall, ProviderResourceMissing } from '../errors';

/** The backup kinds golive restores on AWS (`sqlite` is the local runtime's). */
export type AwsBackupConfig = Exclude<ServiceConfig['backup'], { kind: 'sqlite' }>;
export type AwsBackupKind = AwsBackupConfig['kind'];
export type KindConfig<K extends AwsBackupKind> = Extract<AwsBackupConfig, { kind: K }>;
export type Verdict = Pick<BackupEvidence, 'ok' | 'integrityCheck' | 'tables'>;
export interface StartedRestore {
  handle: RestoreHandle;
  pollSeconds: number;
  /** The target already existed and is this restore's own: an earlier attempt started it. */
  adopted?: boolean;
}

/**
 * One backup kind on AWS, given its `services.<name>.backup` section: AwsBackup picks the adapter
 * by `kind` and adds what every kind shares (deleting the scratch target before the verdict is
 * reported, the duration).
 */
export interface BackupKindAdapter<C extends AwsBackupConfig = AwsBackupConfig> {
  latestRecoveryPoint(config: C): Promise<RecoveryPoint>;
  /** Idempotent: adopts the target an earlier attempt created (see BackupProvider.startRestore). */
  startRestore(service: string, config: C, point: RecoveryPoint, scratch: string): Promise<StartedRestore>;
  /** One status check; never waits. */
  checkRestore(handle: RestoreHandle, config: C): Promise<RestoreProgress>;
  /** Validates the ready scratch target; deleting it is cleanUp's job. */
  validate(handle: RestoreHandle, config: C): Promise<Verdict>;
  /** Deletes whatever the restore created so far; true, or ScratchNotDeleted naming what is left. */
  cleanUp(handle: RestoreHandle, config: C): Promise<boolean>;
}

/**
 * Tags on every scratch target (RDS, Aurora), so that one left behind is recognisable in the
 * account, and so that a retried StartRestore recognises its own. RDS allows letters, digits,
 * spaces and `_ . : / = + - @` in values, and no `aws:` or `rds:` prefix.
 */
export const SCRATCH_TAGS = [
  { Key: 'golive:scratch', Value: 'true' },
  { Key: 'golive:purpose', Value: 'restore proof - deleted after validation' },
];

/** The tag naming the recovery point a scratch target was restored from. */
export const RESTORED_FROM_TAG = 'golive:restored-from';

/** A value RDS accepts as a tag value (see SCRATCH_TAGS), naming `text`. */
export function tagValue(text: string): string {
  return `from ${text}`.replace(/[^\p{L}\p{Z}\p{N}_.:/=+\-@]/gu, '-').slice(0, 256);
}

/** Every tag of a restore of `recoveryPointId`: what StartRestore sets, and checks before adopting. */
export const scratchTags = (recoveryPointId: string) => [
  ...SCRATCH_TAGS,
  { Key: RESTORED_FROM_TAG, Value: tagValue(recoveryPointId) },
];

/** True when `tags` carry golive's scratch tag and name `recoveryPointId` as the source. */
export function isScratchOf(tags: readonly { Key?: string; Value?: string }[] | undefined, recoveryPointId: string) {
  const has = (key: string, value: string) => (tags ?? []).some((t) => t.Key === key && t.Value === value);
  return has('golive:scratch', 'true') && has(RESTORED_FROM_TAG, tagValue(recoveryPointId));
}

/**
 * StartRestore found the scratch name held by something that is not this restore's: it is neither
 * adopted nor ever deleted in golive's name (`scratchTaken`, see BackupProvider.startRestore).
 */
export function scratchTaken(what: string, name: string, why: string): GoLiveError {
  return new BackupVerificationFailed(
    `${what} ${name} already exists and is not this go-live's restore (${why}): golive neither uses nor deletes it. ` +
      `Start the go-live again (a new execution restores under a new name); delete ${name} by hand if nobody needs it`,
    { evidence: { scratchTaken: name } },
  );
}

/** The instance golive creates inside an Aurora scratch cluster (RDS identifiers: at most 63 characters). */
export const auroraInstanceName = (cluster: string): string => `${cluster.slice(0, 60)}-i1`;

/** The handle of a restore just started: plain JSON, kept in the store between status checks. */
export const scratchHandle = (
  kind: AwsBackupKind,
  service: string,
  point: RecoveryPoint,
  restoredTo: string,
  detail = {},
): RestoreHandle => ({
  kind,
  service,
  recoveryPointId: point.id,
  recoveryPointAt: point.at,
  restoredTo,
  startedAt: new Date().toISOString(),
  detail,
});

/**
 * What a restore into `scratch` will create, before it exists (BackupProvider.plannedRestore): every
 * name a clean-up deletes. Loads no SDK client.
 */
export function plannedHandle(
  service: string,
  backup: AwsBackupConfig,
  point: RecoveryPoint,
  scratch: string,
): RestoreHandle {
  switch (backup.kind) {
    case 'dynamodb-pitr':
      return scratchHandle(backup.kind, service, point, scratch, { sourceTable: backup.tableName });
    case 'rds-snapshot':
      return scratchHandle(
        backup.kind,
        service,
        point,
        scratch,
        backup.dbClusterIdentifier
          ? { cluster: scratch, instance: auroraInstanceName(scratch), engine: null, phase: 'cluster' }
          : { instance: scratch, engine: null },
      );
    case 'aws-backup': {
      const target = backedUpResource(backup.resourceArn);
      const resourceType = target === 'dynamodb-table' ? 'DynamoDB' : target === 'rds-instance' ? 'RDS' : null;
      return scratchHandle(backup.kind, service, point, scratch, { resourceType });
    }
  }
}

/** A scratch target AWS did not delete (yet): what is left and AWS's reason, for the step to report. */
export class ScratchNotDeleted extends GoLiveError {
  constructor(message: string) {
    super('ScratchNotDeleted', message);
  }
}

/** Faults AWS answers a deletion with while the resource is busy: still being created, or still holding instances. */
const BUSY = new Set(['ResourceInUseException', 'InvalidDBInstanceStateFault', 'InvalidDBClusterStateFault']);

/**
 * One deletion of a scratch resource. Missing, or already being deleted, counts as deleted; a
 * refusal because of the resource's state is returned as the reason, so that the other deletions
 * still run; any other fault is thrown, classified like every AWS call.
 */
export async function tryDelete(what: string, call: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await awsCall(what, call);
    return undefined;
  } catch (err) {
    if (err instanceof ProviderResourceMissing) return undefined;
    const { name, message } = err as Error;
    if (!BUSY.has(name)) throw err;
    if (/already.*delet/i.test(message)) return undefined; // "already being deleted", "already in deleting state"
    return `${what} refused while it is busy: ${name} (${message})`;
  }
}

/** True once every deletion went through; otherwise ScratchNotDeleted naming each refusal. */
export function allDeleted(refusals: (string | undefined)[]): true {
  const reasons = refusals.filter((r): r is string => r !== undefined);
  if (reasons.length) throw new ScratchNotDeleted(reasons.join('; '));
  return true;
}
