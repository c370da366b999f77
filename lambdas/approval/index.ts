import { requestApproval } from '../core/steps/approval';
import { requestBreakGlass } from '../core/steps/break-glass';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

/** SignOff asks the approvers; BreakGlass asks the emergency role (a go-live inside a change freeze). */
export const createHandler = taskHandler('approval', (deps, event): Promise<unknown> =>
  event.state === 'BreakGlass' ? requestBreakGlass(deps, event) : requestApproval(deps, event),
);
export const handler = createHandler(awsDeps);
