import { checkReadiness } from '../core/steps/readiness';
import { stepHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = stepHandler(checkReadiness);
export const handler = createHandler(awsDeps);
