import { notReleaseManager, servicesManagedBy } from '../../../context';
import { startModal } from '../../../modals';
import type { Subcommand } from '../../types';

/** `/golive` alone: the start form (at once: its trigger expires after 3 s), offering the services the user manages. */
export const openStartModal: Subcommand = (ctx) => ({
  async answer({ ack, command, client }) {
    const services = servicesManagedBy(ctx.config, command.user_id);
    if (services.length === 0) {
      await ack({
        response_type: 'ephemeral',
        text: notReleaseManager(ctx.config, command.user_id, 'start a go-live'),
      });
      return;
    }
    await ack();
    await client.views.open({
      trigger_id: command.trigger_id,
      view: startModal(services, { channel: command.channel_id }),
    });
  },
});
