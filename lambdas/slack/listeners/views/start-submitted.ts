import { validateRequest, type GoLiveRequest } from '../../../core/request';
import { isReleaseManager, slackActor, unknownService } from '../../context';
import { START_FIELDS } from '../../modals';
import { fieldText, metaText, viewMeta } from '../../view-state';
import { twoPhase } from '../legs';
import type { ViewArgs } from '../types';

/** The form's fields as a start request (validateRequest defaults the strategy). */
function fields({ view }: ViewArgs) {
  const field = (id: string) => fieldText(view, id);
  return {
    service: field(START_FIELDS.service),
    version: field(START_FIELDS.version),
    ...(field(START_FIELDS.strategy) ? { strategy: field(START_FIELDS.strategy) } : {}),
    ...(field(START_FIELDS.notes) ? { notes: field(START_FIELDS.notes) } : {}),
  };
}

/**
 * The start form: field errors shown in the modal at once (from the config: who manages what, a
 * valid version and strategy); a valid request starts after the answer, once per modal, through
 * GoLiveClient (which refuses a locked or busy service).
 */
export const startSubmitted = twoPhase<ViewArgs>((ctx) => ({
  async answer(args) {
    const { ack, body } = args;
    const user = body.user.id;
    const { service, ...rest } = fields(args);
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
    try {
      validateRequest({ service, ...rest, requestedBy: user, verifiedBy: 'slack' }, ctx.config);
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
    return 'work';
  },
  async work(args) {
    const { view, body, client } = args;
    const user = body.user.id;
    const started = await ctx.client.start(await slackActor(ctx, client, user), fields(args), {
      dedupeKey: `view:${view.id}`,
    });
    if (started.duplicate) return;
    const request: GoLiveRequest = started.request;
    await client.chat.postEphemeral({
      channel: metaText(viewMeta(view), 'channel') ?? ctx.config.slack.channel,
      user,
      text: `🚀 Started \`${started.name}\` (${request.service} ${request.version}, ${request.strategy}): follow its status card.`,
    });
  },
}));
