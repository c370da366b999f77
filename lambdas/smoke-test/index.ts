import { runSmokeTests } from '../core/steps/smoke-test';
import { stepHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = stepHandler(runSmokeTests);
export const handler = createHandler(awsDeps);
