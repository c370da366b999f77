import { onAlarmStateChange, parseAlarmStateChange } from '../core/steps/alarm-handler';
import type { DepsResolver } from '../handler';
import { awsDeps } from '../providers/aws';

/** EventBridge rule target: CloudWatch Alarm State Change → fail the bakes watching that alarm. */
export const createHandler = (resolveDeps: DepsResolver) => async (event: unknown) =>
  onAlarmStateChange(await resolveDeps(), parseAlarmStateChange(event));
export const handler = createHandler(awsDeps);
