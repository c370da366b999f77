import { validateRequest } from '../../../core/request';
import { isReleaseManager, notReleaseManager } from '../../context';
import { startGoLive } from '../../executions';
import { START_FIELDS } from '../../modals';
import type { Listener, ViewArgs } from '../types';

/** The start form: field errors shown in the modal; a valid request starts once per modal. */
export const startSubmitted: Listener<ViewArgs> =
  (ctx) =>
  async ({ ack, view, body, client }) => {
    const values = view.state.values;
    const field = (id: string) => {
      const v = values[id]?.[id];
      return (v?.selected_option?.value ?? v?.value ?? '').trim() || undefined;
    };
    const user = body.user.id;
    const meta = JSON.parse(view.private_metadata || '{}') as { channel?: string };
    if (!isReleaseManager(ctx.config, user)) {
      await ack({
        response_action: 'errors',
        errors: { [START_FIELDS.service]: notReleaseManager(ctx.config, user, 'start a go-live') },
      });
      return;
    }
    let request;
    try {
      request = validateRequest(
        {
          service: field(START_FIELDS.service),
          version: field(START_FIELDS.version),
          ...(field(START_FIELDS.strategy) ? { strategy: field(START_FIELDS.strategy) } : {}),
          ...(field(START_FIELDS.notes) ? { notes: field(START_FIELDS.notes) } : {}),
          requestedBy: user,
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
      channel: meta.channel ?? ctx.config.slack.channel,
      user,
      text: `🚀 Started \`${name}\` (${request.service} ${request.version}, ${request.strategy}): follow its status card.`,
    });
  };
