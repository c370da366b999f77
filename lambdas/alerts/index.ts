import { muteAlerts, unmuteAlerts } from '../core/steps/alerts';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

/** MuteAlerts, UnmuteAlerts, UnmuteAfterRollback and UnmuteAfterFailedRollback. */
export const createHandler = taskHandler('alerts', (deps, event): Promise<unknown> =>
  event.state === 'MuteAlerts' ? muteAlerts(deps, event) : unmuteAlerts(deps, event),
);
export const handler = createHandler(awsDeps);
