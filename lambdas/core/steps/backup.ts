import { BackupVerificationFailed } from '../errors';
import type { BackupEvidence, Deps } from '../ports';
import { runStep, type StepEvent } from './step';

/** VerifyBackup: the latest recovery point must be within RPO and must restore and validate. */
export function verifyBackup(
  deps: Deps,
  event: StepEvent,
): Promise<BackupEvidence & { ageMinutes: number; rpoMinutes: number }> {
  return runStep(deps, event, 'VerifyBackup', 'verify', async () => {
    const { service } = event.request;
    const rpoMinutes = deps.config.services[service].backup.rpoMinutes;
    const evidence = await deps.backup.verifyLatest(service);
    const ageMinutes = Math.round(((deps.now().getTime() - Date.parse(evidence.recoveryPointAt)) / 60000) * 10) / 10;
    const full = { ...evidence, ageMinutes, rpoMinutes };
    if (ageMinutes > rpoMinutes) {
      throw new BackupVerificationFailed(
        `latest recovery point of ${service} (${evidence.recoveryPointAt}) is ${ageMinutes} min old, beyond the RPO of ${rpoMinutes} min: take a fresh backup and start again`,
        { evidence: full },
      );
    }
    if (!evidence.ok) {
      const bad = evidence.tables
        .filter((t) => !t.match)
        .map((t) => `${t.name} (${t.restoredRows}/${t.expectedRows} rows)`);
      throw new BackupVerificationFailed(
        `restore of ${evidence.recoveryPointId} did not validate: integrity ${evidence.integrityCheck}` +
          (bad.length ? `; mismatching tables: ${bad.join(', ')}` : '') +
          '. The backup cannot be trusted: investigate before going live',
        { evidence: full },
      );
    }
    return {
      result: full,
      summary: `restored ${evidence.recoveryPointId} (${ageMinutes} min old, RPO ${rpoMinutes}) into a scratch copy: ${evidence.tables.length} table(s) match, integrity ${evidence.integrityCheck}, scratch deleted`,
      evidence: full,
    };
  });
}
