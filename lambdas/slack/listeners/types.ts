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
export type ListenerArgs = CommandArgs | ButtonArgs | ViewArgs;

/**
 * A listener in two phases, the way Slack must be answered from a function that stops when it
 * returns (Bolt for Python calls the second one a lazy listener; Bolt for JavaScript has none):
 * - `answer` runs within Slack's 3 s and calls ack(): it checks what it can from the config and the
 *   store (reads only) and answers. A modal is opened here too: its trigger_id expires after 3 s.
 *   It returns 'work' when `work` has something to do for this request.
 * - `work` does what takes time or changes things (GoLiveClient, chat.update) after the answer. It
 *   reads what it needs again: state may have moved on since the answer, and nothing is carried
 *   over but the request itself.
 */
export interface Phases<A, X extends unknown[] = []> {
  answer(args: A, ...extra: X): Promise<'work' | void>;
  work?(args: A, ...extra: X): Promise<void>;
}

/** What Bolt registers: both phases of a listener behind one callback (see ./legs.ts). */
export type Listener<A> = (ctx: SlackAppContext) => (args: A) => Promise<void>;
/** A /golive subcommand gets the words after its name. */
export type Subcommand = (ctx: SlackAppContext) => Phases<CommandArgs, [words: string[]]>;
