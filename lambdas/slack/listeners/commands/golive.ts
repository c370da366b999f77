import { twoPhase } from '../legs';
import type { CommandArgs, Phases, Subcommand } from '../types';
import { abort } from './golive/abort';
import { controlCommand } from './golive/control';
import { help } from './golive/help';
import { history } from './golive/history';
import { metrics } from './golive/metrics';
import { openStartModal } from './golive/open-start-modal';
import { retry } from './golive/retry';
import { rollback } from './golive/rollback';
import { start } from './golive/start';
import { status } from './golive/status';

const SUBCOMMANDS: Record<string, Subcommand> = {
  status,
  abort,
  history,
  metrics,
  help,
  pause: controlCommand('pause'),
  resume: controlCommand('resume'),
  promote: controlCommand('promote'),
  retry,
  rollback,
};

/** `/golive …`: a subcommand by its first word; anything else is a start request. */
export const golive = twoPhase<CommandArgs>((ctx) => {
  // A Map, not an object: `/golive constructor 1.0.0` is a start request, never Object's constructor.
  const sub = new Map(Object.entries(SUBCOMMANDS).map(([name, make]) => [name, make(ctx)]));
  const startGoLive = start(ctx);
  const modal = openStartModal(ctx);
  const route = (args: CommandArgs): [Phases<CommandArgs, [string[]]>, string[]] => {
    const words = (args.command.text ?? '').trim().split(/\s+/).filter(Boolean);
    if (words.length === 0) return [modal, []];
    const handler = sub.get(words[0].toLowerCase());
    return handler ? [handler, words.slice(1)] : [startGoLive, words];
  };
  return {
    answer(args) {
      const [phases, words] = route(args);
      return phases.answer(args, words);
    },
    async work(args) {
      const [phases, words] = route(args);
      await phases.work?.(args, words);
    },
  };
});
