import { USAGE } from '../../../context';
import { listGoLives } from '../../../executions';
import type { Subcommand } from '../../types';
import { describeGoLive } from './status';

/** `/golive history <service>`: the last ten go-lives, newest first. */
export const history: Subcommand =
  (ctx) =>
  async ({ ack, respond }, words) => {
    const [service] = words;
    if (!service || !ctx.config.services[service]) {
      await ack({
        response_type: 'ephemeral',
        text: `⚠️ ${service ? `unknown service "${service}"` : 'name a service'}: use one of ${Object.keys(ctx.config.services).join(', ')}.\n${USAGE}`,
      });
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
