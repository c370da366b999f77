import { escapeMrkdwn } from '../../../../providers/slack/mrkdwn';
import { USAGE, unknownService } from '../../../context';
import { listGoLives } from '../../../executions';
import type { Subcommand } from '../../types';
import { describeGoLive } from './status';

/** `/golive history <service>`: the last ten go-lives, newest first. */
export const history: Subcommand =
  (ctx) =>
  async ({ ack, respond }, words) => {
    const [service] = words;
    const unknown = unknownService(ctx.config, service);
    if (unknown) {
      await ack({ response_type: 'ephemeral', text: `⚠️ ${escapeMrkdwn(unknown)}.\n${USAGE}` });
      return;
    }
    await ack();
    const list = await listGoLives(ctx, service, 10);
    await respond({
      response_type: 'ephemeral',
      text: list.length
        ? `*${service}: last ${list.length} go-live(s)*\n${list.map((e) => describeGoLive(e, ctx.now())).join('\n')}`
        : `${service} has no go-lives yet.`,
    });
  };
