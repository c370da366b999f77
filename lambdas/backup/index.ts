import { backupStep } from '../core/steps/backup';
import { stepHandler } from '../handler';
import { awsDeps } from '../providers/aws';

/** StartRestore, CheckRestore and VerifyBackup: the ASL's `action` picks the phase. */
export const createHandler = stepHandler(backupStep);
export const handler = createHandler(awsDeps);
