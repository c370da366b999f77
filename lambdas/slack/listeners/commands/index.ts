import type { CommandArgs, Listener } from '../types';
import { golive } from './golive';

/** Slash commands by name (see slack/manifest.yaml). */
export const commands: Record<string, Listener<CommandArgs>> = {
  '/golive': golive,
};
