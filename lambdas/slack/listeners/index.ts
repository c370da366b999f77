import type { App, BlockButtonAction } from '@slack/bolt';
import type { SlackAppContext } from '../context';
import { actions } from './actions';
import { commands } from './commands';
import { views } from './views';

/** Registers every listener of every kind (one registry per kind, one callback per file). */
export function registerListeners(app: App, ctx: SlackAppContext): void {
  for (const [name, make] of Object.entries(commands)) app.command(name, make(ctx));
  for (const [actionId, make] of Object.entries(actions)) app.action<BlockButtonAction>(actionId, make(ctx));
  for (const [callbackId, make] of Object.entries(views))
    app.view({ type: 'view_submission', callback_id: callbackId }, make(ctx));
}
