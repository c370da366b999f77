import { APPROVE_ACTION, REJECT_ACTION } from '../../../providers/slack/messages';
import type { ButtonArgs, Listener } from '../types';
import { approve } from './approve';
import { reject } from './reject';

/** Block actions by action_id. The buttons carry only the approval id, never a task token. */
export const actions: Record<string, Listener<ButtonArgs>> = {
  [APPROVE_ACTION]: approve,
  [REJECT_ACTION]: reject,
};
