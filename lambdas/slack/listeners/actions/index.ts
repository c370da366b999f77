import { APPROVE_ACTION, REJECT_ACTION } from '../../../providers/slack/messages';
import {
  BREAK_GLASS_APPROVE_ACTION,
  BREAK_GLASS_REJECT_ACTION,
  PAUSE_ACTION,
  PROMOTE_ACTION,
  RESUME_ACTION,
  UNDO_ACTION,
} from '../../../providers/slack/release-controls';
import type { ButtonArgs, Listener } from '../types';
import { approve } from './approve';
import { breakGlassApprove } from './break-glass-approve';
import { breakGlassReject } from './break-glass-reject';
import { pause } from './pause';
import { promote } from './promote';
import { reject } from './reject';
import { resume } from './resume';
import { undo } from './undo';

/** Block actions by action_id. The buttons carry only the approval id, never a task token. */
export const actions: Record<string, Listener<ButtonArgs>> = {
  [APPROVE_ACTION]: approve,
  [REJECT_ACTION]: reject,
  // Release controls: the buttons carry the execution name; GoLiveClient decides who may.
  [PAUSE_ACTION]: pause,
  [RESUME_ACTION]: resume,
  [PROMOTE_ACTION]: promote,
  [UNDO_ACTION]: undo,
  [BREAK_GLASS_APPROVE_ACTION]: breakGlassApprove,
  [BREAK_GLASS_REJECT_ACTION]: breakGlassReject,
};
