import { notify } from '../core/steps/notify';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = taskHandler('notify', notify);
export const handler = createHandler(awsDeps);
