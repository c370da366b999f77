import { rollbackTraffic, shiftTraffic } from '../core/steps/traffic';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = taskHandler('traffic', (deps, event): Promise<unknown> =>
  event.state === 'Rollback' ? rollbackTraffic(deps, event) : shiftTraffic(deps, event),
);
export const handler = createHandler(awsDeps);
