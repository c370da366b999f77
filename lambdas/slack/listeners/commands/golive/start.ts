import { STRATEGIES } from '../../../../core/strategies';
import { validateRequest, type GoLiveRequest } from '../../../../core/request';
import { escapeMrkdwn } from '../../../../providers/slack/mrkdwn';
import { USAGE, isReleaseManager, notReleaseManager, slackActor, unknownService } from '../../../context';
import type { Subcommand } from '../../types';

/**
 * `/golive <service> <version> [strategy]`: release managers of that service only; bad input names
 * the problem at once (the user's words shown as typed, never as Slack controls). The go-live is
 * started after the answer, once per command, through GoLiveClient.
 */
export const start: Subcommand = (ctx) => ({
  async answer({ ack, command }, words) {
    const user = command.user_id;
    const [service, version, strategy, ...rest] = words;
    const unknown = unknownService(ctx.config, service);
    if (!unknown && !isReleaseManager(ctx.config, service, user)) {
      await ack({
        response_type: 'ephemeral',
        text: notReleaseManager(ctx.config, user, `start a go-live of ${service}`, service),
      });
      return;
    }
    let problem: string | undefined = unknown;
    let request: GoLiveRequest | undefined;
    if (problem) {
      // unknown service: said below
    } else if (rest.length > 0) problem = `too many arguments ("${rest.join(' ')}")`;
    else if (strategy && !(STRATEGIES as readonly string[]).includes(strategy))
      problem = `unknown strategy "${strategy}": use one of ${STRATEGIES.join(', ')}`;
    else if (!version) problem = `the version is missing after "${service}"`;
    else {
      try {
        request = validateRequest(
          { service, version, ...(strategy ? { strategy } : {}), requestedBy: user, verifiedBy: 'slack' },
          ctx.config,
        );
      } catch (err) {
        problem = (err as Error).message;
      }
    }
    if (!request) {
      await ack({
        response_type: 'ephemeral',
        text: `⚠️ ${escapeMrkdwn(problem ?? 'bad input')}. Nothing started.\n${USAGE}`,
      });
      return;
    }
    await ack({
      response_type: 'ephemeral',
      text: `Starting ${request.service} ${request.version} (${request.strategy})…`,
    });
    return 'work';
  },
  async work({ command, respond, client }, words) {
    const [service, version, strategy] = words;
    const started = await ctx.client.start(
      await slackActor(ctx, client, command.user_id),
      { service, version, ...(strategy ? { strategy } : {}) },
      { dedupeKey: `command:${command.trigger_id}` },
    );
    if (started.duplicate) return; // a retry of a command that already started its go-live
    await respond({
      response_type: 'ephemeral',
      text: `🚀 Started \`${started.name}\`: follow its status card in <#${command.channel_id}>. Abort with \`/golive abort ${started.name}\`.`,
    });
  },
});
