import { notify } from '../core/steps/notify';
import { stepHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = stepHandler(notify);
export const handler = createHandler(awsDeps);
