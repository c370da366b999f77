import { startBake } from '../core/steps/bake';
import { stepHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = stepHandler(startBake);
export const handler = createHandler(awsDeps);
