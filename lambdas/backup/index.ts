import { verifyBackup } from '../core/steps/backup';
import { stepHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = stepHandler(verifyBackup);
export const handler = createHandler(awsDeps);
