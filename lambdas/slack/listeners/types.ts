import type {
  AllMiddlewareArgs,
  BlockButtonAction,
  SlackActionMiddlewareArgs,
  SlackCommandMiddlewareArgs,
  SlackViewMiddlewareArgs,
  ViewSubmitAction,
} from '@slack/bolt';
import type { SlackAppContext } from '../context';

export type CommandArgs = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
export type ButtonArgs = SlackActionMiddlewareArgs<BlockButtonAction> & AllMiddlewareArgs;
export type ViewArgs = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** A listener is built from the app context once, then called per request. */
export type Listener<A> = (ctx: SlackAppContext) => (args: A) => Promise<void>;
/** A /golive subcommand gets the words after its name. */
export type Subcommand = (ctx: SlackAppContext) => (args: CommandArgs, words: string[]) => Promise<void>;
