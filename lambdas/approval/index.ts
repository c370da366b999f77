import { requestApproval } from '../core/steps/approval';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = taskHandler('approval', requestApproval);
export const handler = createHandler(awsDeps);
