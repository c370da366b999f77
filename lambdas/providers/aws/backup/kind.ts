import type { ServiceConfig } from '../../../core/config';
import { GoLiveError } from '../../../core/errors';
import type { BackupEvidence, RecoveryPoint, RestoreHandle, RestoreProgress } from '../../../core/ports';
import { awsCall, ProviderResourceMissing } from '../errors';

/** The backup kinds golive restores on AWS (`sqlite` is the local runtime's). */
export type AwsBackupConfig = Exclude<ServiceConfig['backup'], { kind: 'sqlite' }>;
export type AwsBackupKind = AwsBackupConfig['kind'];
export type KindConfig<K extends AwsBackupKind> = Extract<AwsBackupConfig, { kind: K }>;
export type Verdict = Pick<BackupEvidence, 'ok' | 'integrityCheck' | 'tables'>;
export interface StartedRestore {
  handle: RestoreHandle;
  pollSeconds: number;
}

/**
 * One backup kind on AWS, given its `services.<name>.backup` section: AwsBackup picks the adapter
 * by `kind` and adds what every kind shares (deleting the scratch target before the verdict is
 * reported, the duration).
 */
export interface BackupKindAdapter<C extends AwsBackupConfig = AwsBackupConfig> {
  latestRecoveryPoint(config: C): Promise<RecoveryPoint>;
  startRestore(service: string, config: C, point: RecoveryPoint, scratch: string): Promise<StartedRestore>;
  /** One status check; never waits. */
  checkRestore(handle: RestoreHandle, config: C): Promise<RestoreProgress>;
  /** Validates the ready scratch target; deleting it is cleanUp's job. */
  validate(handle: RestoreHandle, config: C): Promise<Verdict>;
  /** Deletes whatever the restore created so far; true, or ScratchNotDeleted naming what is left. */
  cleanUp(handle: RestoreHandle, config: C): Promise<boolean>;
}

/** Tags on every scratch target, so that one left behind is recognisable in the account. */
export const SCRATCH_TAGS = [
  { Key: 'golive:scratch', Value: 'true' },
  { Key: 'golive:purpose', Value: 'restore proof, deleted after validation' },
];

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
