import { APPROVE_MODAL, REJECT_MODAL, START_MODAL } from '../../../providers/slack/messages';
import { BREAK_GLASS_REJECT_MODAL } from '../../../providers/slack/release-controls';
import type { Listener, ViewArgs } from '../types';
import { approveSubmitted } from './approve-submitted';
import { breakGlassRejectSubmitted } from './break-glass-reject-submitted';
import { rejectSubmitted } from './reject-submitted';
import { startSubmitted } from './start-submitted';

/** Modal submissions by callback_id. */
export const views: Record<string, Listener<ViewArgs>> = {
  [START_MODAL]: startSubmitted,
  [APPROVE_MODAL]: approveSubmitted,
  [REJECT_MODAL]: rejectSubmitted,
  [BREAK_GLASS_REJECT_MODAL]: breakGlassRejectSubmitted,
};
