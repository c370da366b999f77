import { requestApproval } from '../core/steps/approval';
import { stepHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = stepHandler(requestApproval);
export const handler = createHandler(awsDeps);
