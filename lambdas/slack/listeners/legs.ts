import { GoLiveClientError } from '../../core/client';
import { coreText, type SlackAppContext } from '../context';
import { metaText, viewMeta } from '../view-state';
import type { Listener, ListenerArgs, Phases } from './types';

/** The Bolt context key (a receiver's customProperties) that says which leg of a request runs. */
export const LEG_KEY = 'goliveLeg';

/**
 * Which part of a request this invocation runs. On Lambda the answer reaches Slack only when the
 * invocation returns, so a request is handled in two legs: the API Gateway invocation runs each
 * listener's `answer` and hands the request over (`handOver`: an asynchronous invocation of the
 * same function), which then runs its `work`. Without a leg (the local HTTP receiver, which
 * answers at ack(); unit tests) both phases run in turn.
 */
export type Leg = { kind: 'answer'; handOver(body: unknown): void } | { kind: 'work' };

export function legOf(context: Record<string, unknown> | undefined): Leg | undefined {
  const leg = context?.[LEG_KEY] as Leg | undefined;
  return leg && (leg.kind === 'answer' || leg.kind === 'work') ? leg : undefined;
}

/** Runs the phases of a listener that this leg is for (see Phases). */
export function inLegs<A extends ListenerArgs>(ctx: SlackAppContext, phases: Phases<A>): (args: A) => Promise<void> {
  return async (args) => {
    const leg = legOf(args.context);
    if (leg?.kind !== 'work') {
      const next = await phases.answer(args);
      if (next !== 'work' || !phases.work) return;
      if (leg?.kind === 'answer') {
        leg.handOver(args.body);
        return;
      }
    }
    if (phases.work) await work(ctx, args, phases.work);
  };
}

/**
 * The work of a request, after its answer: a refusal of GoLiveClient is told to the person (it is
 * an answer, not a fault); anything else is told too, then thrown, so the invocation counts as
 * failed and is logged.
 */
async function work<A extends ListenerArgs>(ctx: SlackAppContext, args: A, run: (args: A) => Promise<void>) {
  try {
    await run(args);
  } catch (err) {
    if (err instanceof GoLiveClientError) {
      await tell(ctx, args, `⚠️ ${coreText(ctx, err.message)}`);
      return;
    }
    const name = err instanceof Error ? err.name : 'Error';
    await tell(
      ctx,
      args,
      `⚠️ golive could not finish this (${name}): its logs say why. See where things stand with \`/golive status\` before trying again.`,
    ).catch(() => undefined);
    throw err;
  }
}

/** A private message to whoever sent the request: by its response_url for a command, ephemeral otherwise. */
export async function tell(ctx: SlackAppContext, args: ListenerArgs, text: string): Promise<void> {
  if ('command' in args) {
    await args.respond({ response_type: 'ephemeral', text });
    return;
  }
  const body = args.body as { user: { id: string }; channel?: { id?: string }; view?: { private_metadata?: unknown } };
  const channel =
    body.channel?.id ?? (body.view ? metaText(viewMeta(body.view), 'channel') : undefined) ?? ctx.config.slack.channel;
  await args.client.chat.postEphemeral({ channel, user: body.user.id, text });
}

/** A listener of both phases, as Bolt registers it. */
export function twoPhase<A extends ListenerArgs>(make: (ctx: SlackAppContext) => Phases<A>): Listener<A> {
  return (ctx) => inLegs(ctx, make(ctx));
}
