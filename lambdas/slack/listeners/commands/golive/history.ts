import { GoLiveClientError } from '../../../../core/client';
import { escapeMrkdwn } from '../../../../providers/slack/mrkdwn';
import { USAGE, unknownService } from '../../../context';
import { goLiveLine } from '../../../executions';
import type { Subcommand } from '../../types';

/** Go-lives per page: one ephemeral message stays readable. */
export const HISTORY_PAGE = 10;

/**
 * `/golive history <service> [page]`: the service's go-lives, newest first, ten at a time. Each
 * answer is one GoLiveClient.list page (bounded in what it examines); when there may be more, it
 * ends with the command that shows the next page.
 */
export const history: Subcommand = (ctx) => ({
  async answer({ ack }, words) {
    const [service] = words;
    const problem = unknownService(ctx.config, service) ?? (words.length > 2 ? `too many arguments` : undefined);
    if (problem) {
      await ack({ response_type: 'ephemeral', text: `⚠️ ${escapeMrkdwn(problem)}.\n${USAGE}` });
      return;
    }
    await ack();
    return 'work';
  },
  async work({ respond }, [service, page]) {
    let answer;
    try {
      answer = await ctx.client.list({ service, limit: HISTORY_PAGE, ...(page ? { nextToken: page } : {}) });
    } catch (err) {
      if (!(page && err instanceof GoLiveClientError && err.code === 'InvalidRequest')) throw err;
      await respond({
        response_type: 'ephemeral',
        text: `⚠️ that page is not one golive gave for ${escapeMrkdwn(service)}: start again with \`/golive history ${escapeMrkdwn(service)}\`.`,
      });
      return;
    }
    const { goLives, nextToken } = answer;
    const title = page
      ? `*${escapeMrkdwn(service)}: ${goLives.length} older go-live(s)*`
      : `*${escapeMrkdwn(service)}: last ${goLives.length} go-live(s)*`;
    const more = nextToken ? `\nOlder ones: \`/golive history ${escapeMrkdwn(service)} ${nextToken}\`` : '';
    const none = page
      ? `No older go-lives of ${escapeMrkdwn(service)}.`
      : `${escapeMrkdwn(service)} has no go-lives yet.`;
    await respond({
      response_type: 'ephemeral',
      text:
        goLives.length || more ? `${title}\n${goLives.map((e) => goLiveLine(e, ctx.now())).join('\n')}${more}` : none,
    });
  },
});
