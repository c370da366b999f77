import { successClosedBlocks } from '../../../providers/slack/release-controls';
import { escapeMrkdwn, mention } from '../../../providers/slack/mrkdwn';
import { slackActor } from '../../context';
import { throughClient } from '../../release-controls';
import { tell, twoPhase } from '../legs';
import type { ButtonArgs } from '../types';

const when = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/**
 * Roll back on a success message: an undo go-live (GoLiveClient.undo) of the service back to the
 * version before, as the Slack-verified user. The button names the go-live that succeeded; it acts
 * only within controls.undoButtonSeconds of its end and while the service still runs what that
 * go-live made live. Otherwise the button goes and the user hears why (`/golive rollback` still works).
 */
export const undo = twoPhase<ButtonArgs>((ctx) => ({
  async answer({ ack }) {
    await ack();
    return 'work';
  },
  async work(args) {
    const { action, body, client } = args;
    const target = action.value ?? '';
    const channel = body.channel?.id;
    const ts = body.message?.ts;
    const said = typeof body.message?.text === 'string' ? body.message.text : '';
    const close = async (outcome: string) => {
      if (channel && ts)
        await client.chat.update({ channel, ts, text: said, blocks: successClosedBlocks(said, outcome) });
    };
    const described = await throughClient(ctx, target, () => ctx.client.describe(target));
    if (!described.ok) return tell(ctx, args, described.text);
    const goLive = described.value;
    const service = goLive.service ?? '';
    const rollback = `\`/golive rollback ${escapeMrkdwn(service)}\``;
    if (goLive.status !== 'SUCCEEDED') {
      return tell(ctx, args, `⚠️ \`${goLive.name}\` did not go live (it is ${goLive.status}): nothing to roll back.`);
    }
    const seconds = ctx.config.controls.undoButtonSeconds;
    const deadline = Date.parse(goLive.stopDate ?? '') + seconds * 1000;
    if (!(ctx.now().getTime() <= deadline)) {
      const expired = seconds > 0 && Number.isFinite(deadline) ? `expired at ${when(deadline)}` : 'is not offered';
      await close(`⌛ Roll back offer ${expired}; ${rollback} works any time.`);
      return tell(
        ctx,
        args,
        `⌛ This Roll back button ${expired} (controls.undoButtonSeconds is ${seconds} s): nothing changed. ` +
          `Roll back with ${rollback} instead.`,
      );
    }
    const live = await ctx.store.getLiveVersion(service);
    if (live?.executionId !== goLive.executionArn) {
      const now = live ? `${escapeMrkdwn(live.version)} is live now` : 'no live version is recorded';
      await close(`ℹ️ Roll back no longer offered: ${now}.`);
      return tell(
        ctx,
        args,
        `ℹ️ ${escapeMrkdwn(service)} no longer runs what \`${goLive.name}\` made live (${now}): nothing rolled back. ` +
          `${rollback} takes back the current version.`,
      );
    }
    const actor = await slackActor(ctx, client, body.user.id);
    const started = await throughClient(ctx, service, () =>
      ctx.client.undo(actor, service, `undo of ${goLive.name}, from its success message`),
    );
    if (!started.ok) return tell(ctx, args, started.text);
    const back = escapeMrkdwn(started.value.request.version);
    await close(`↩️ Roll back to ${back} started by ${mention(body.user.id)}: \`${started.value.name}\``);
    await tell(
      ctx,
      args,
      `↩️ Started \`${started.value.name}\`: ${escapeMrkdwn(service)} goes back to ${back}. Follow its status card.`,
    );
  },
}));
