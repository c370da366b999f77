import { startBake } from '../core/steps/bake';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = taskHandler('bake', startBake);
export const handler = createHandler(awsDeps);
