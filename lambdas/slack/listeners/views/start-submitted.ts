import { validateRequest } from '../../../core/request';
import { isReleaseManager, unknownService } from '../../context';
import { startGoLive } from '../../executions';
import { START_FIELDS } from '../../modals';
import { fieldText, metaText, viewMeta } from '../../view-state';
import type { Listener, ViewArgs } from '../types';

/** The start form: field errors shown in the modal; a valid request starts once per modal. */
export const startSubmitted: Listener<ViewArgs> =
  (ctx) =>
  async ({ ack, view, body, client }) => {
    const field = (id: string) => fieldText(view, id);
    const user = body.user.id;
    const channel = metaText(viewMeta(view), 'channel');
    const service = field(START_FIELDS.service);
    // Errors under a modal field are plain text: nothing to escape there.
    const unknown = unknownService(ctx.config, service);
    if (unknown || !service) {
      await ack({ response_action: 'errors', errors: { [START_FIELDS.service]: unknown ?? 'name a service' } });
      return;
    }
    if (!isReleaseManager(ctx.config, service, user)) {
      await ack({
        response_action: 'errors',
        errors: { [START_FIELDS.service]: `You are not a release manager of ${service}: nothing started.` },
      });
      return;
    }
    let request;
    try {
      request = validateRequest(
        {
          service,
          version: field(START_FIELDS.version),
          ...(field(START_FIELDS.strategy) ? { strategy: field(START_FIELDS.strategy) } : {}),
          ...(field(START_FIELDS.notes) ? { notes: field(START_FIELDS.notes) } : {}),
          requestedBy: user,
          verifiedBy: 'slack',
        },
        ctx.config,
      );
    } catch (err) {
      const message = (err as Error).message;
      const block = /version/.test(message)
        ? START_FIELDS.version
        : /strategy/.test(message)
          ? START_FIELDS.strategy
          : START_FIELDS.service;
      await ack({ response_action: 'errors', errors: { [block]: message } });
      return;
    }
    await ack();
    const { name, duplicate } = await startGoLive(ctx, request, `view:${view.id}`);
    if (duplicate) return;
    await client.chat.postEphemeral({
      channel: channel ?? ctx.config.slack.channel,
      user,
      text: `🚀 Started \`${name}\` (${request.service} ${request.version}, ${request.strategy}): follow its status card.`,
    });
  };
