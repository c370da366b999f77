import { acquire, release } from '../core/steps/lock';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = taskHandler('lock', (deps, event): Promise<unknown> =>
  event.state === 'ValidateAndLock' ? acquire(deps, event) : release(deps, event),
);
export const handler = createHandler(awsDeps);
