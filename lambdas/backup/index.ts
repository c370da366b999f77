import { backupStep } from '../core/steps/backup';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

/** StartRestore, CheckRestore and VerifyBackup: the state that invoked it picks the phase. */
export const createHandler = taskHandler('backup', backupStep);
export const handler = createHandler(awsDeps);
