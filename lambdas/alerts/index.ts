import { muteAlerts, unmuteAlerts } from '../core/steps/alerts';
import { stepHandler } from '../handler';
import { awsDeps } from '../providers/aws';

/** MuteAlerts, UnmuteAlerts and UnmuteAfterRollback (the latter carries the error). */
export const createHandler = stepHandler<unknown>((deps, event) =>
  event.action === 'mute' ? muteAlerts(deps, event) : unmuteAlerts(deps, event, event.error !== undefined),
);
export const handler = createHandler(awsDeps);
