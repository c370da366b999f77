import { runSmokeTests } from '../core/steps/smoke-test';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = taskHandler('smoke-test', runSmokeTests);
export const handler = createHandler(awsDeps);
