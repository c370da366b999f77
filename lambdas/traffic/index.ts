import { rollbackTraffic, shiftTraffic } from '../core/steps/traffic';
import { stepHandler } from '../handler';
import { awsDeps } from '../providers/aws';

export const createHandler = stepHandler<unknown>((deps, event) =>
  event.action === 'rollback' ? rollbackTraffic(deps, event) : shiftTraffic(deps, event),
);
export const handler = createHandler(awsDeps);
