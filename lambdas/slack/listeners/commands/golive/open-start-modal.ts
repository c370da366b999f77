import { isReleaseManager, notReleaseManager } from '../../../context';
import { startModal } from '../../../modals';
import type { Subcommand } from '../../types';

/** `/golive` alone: the start form (release managers only). */
export const openStartModal: Subcommand =
  (ctx) =>
  async ({ ack, command, client }) => {
    if (!isReleaseManager(ctx.config, command.user_id)) {
      await ack({
        response_type: 'ephemeral',
        text: notReleaseManager(ctx.config, command.user_id, 'start a go-live'),
      });
      return;
    }
    await ack();
    await client.views.open({
      trigger_id: command.trigger_id,
      view: startModal(ctx.config, { channel: command.channel_id }),
    });
  };
