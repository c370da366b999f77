import { checkReadiness } from '../core/steps/readiness';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = taskHandler('readiness', checkReadiness);
export const handler = createHandler(awsDeps);
