import { REJECT_MODAL, START_MODAL } from '../../../providers/slack/messages';
import type { Listener, ViewArgs } from '../types';
import { rejectSubmitted } from './reject-submitted';
import { startSubmitted } from './start-submitted';

/** Modal submissions by callback_id. */
export const views: Record<string, Listener<ViewArgs>> = {
  [START_MODAL]: startSubmitted,
  [REJECT_MODAL]: rejectSubmitted,
};
