import { STRATEGIES } from '../../../../core/strategies';
import { validateRequest } from '../../../../core/request';
import { USAGE, isReleaseManager, notReleaseManager } from '../../../context';
import { startGoLive } from '../../../executions';
import type { Subcommand } from '../../types';

/** `/golive <service> <version> [strategy]`: release managers only; bad input names the problem. */
export const start: Subcommand =
  (ctx) =>
  async ({ ack, command, respond }, words) => {
    const user = command.user_id;
    if (!isReleaseManager(ctx.config, user)) {
      await ack({ response_type: 'ephemeral', text: notReleaseManager(ctx.config, user, 'start a go-live') });
      return;
    }
    const [service, version, strategy, ...rest] = words;
    let problem: string | undefined;
    let request;
    if (rest.length > 0) problem = `too many arguments ("${rest.join(' ')}")`;
    else if (strategy && !(STRATEGIES as readonly string[]).includes(strategy))
      problem = `unknown strategy "${strategy}": use one of ${STRATEGIES.join(', ')}`;
    else if (!version) problem = `the version is missing after "${service}"`;
    else {
      try {
        request = validateRequest(
          { service, version, ...(strategy ? { strategy } : {}), requestedBy: user },
          ctx.config,
        );
      } catch (err) {
        problem = (err as Error).message;
      }
    }
    if (!request) {
      await ack({ response_type: 'ephemeral', text: `⚠️ ${problem ?? 'bad input'}. Nothing started.\n${USAGE}` });
      return;
    }
    await ack({
      response_type: 'ephemeral',
      text: `Starting ${request.service} ${request.version} (${request.strategy})…`,
    });
    const { name, duplicate } = await startGoLive(ctx, request, `command:${command.trigger_id}`);
    if (duplicate) return; // a retry of a command that already started its go-live
    await respond({
      response_type: 'ephemeral',
      text: `🚀 Started \`${name}\`: follow its status card in <#${command.channel_id}>. Abort with \`/golive abort ${name}\`.`,
    });
  };
