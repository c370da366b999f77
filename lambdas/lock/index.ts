import { acquire, release } from '../core/steps/lock';
import { stepHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = stepHandler<unknown>((deps, event) =>
  event.action === 'acquire' ? acquire(deps, event) : release(deps, event),
);
export const handler = createHandler(awsDeps);
