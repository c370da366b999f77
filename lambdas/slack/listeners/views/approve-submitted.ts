import type { ApprovalRecord } from '../../../core/ports';
import { checkVote } from '../../../core/steps/approval';
import { READINESS_VALUE, type ReadinessReport } from '../../../core/steps/readiness';
import { displayNames, knownUsers, slackActor, type SlackAppContext } from '../../context';
import { APPROVE_NOTE, ATTEST_BLOCK } from '../../modals';
import { withNames } from '../../user-names';
import { checkedValues, fieldText, metaText, viewMeta } from '../../view-state';
import { castThroughClient, checkBeforeVote, reportVote } from '../../vote-outcome';
import { twoPhase } from '../legs';
import type { ViewArgs } from '../types';

/** Errors shown under a modal field are short; the refusal is cut rather than lost. */
const ERROR_MAX = 1000;

function request({ view, body }: ViewArgs) {
  const meta = viewMeta(view);
  const channel = metaText(meta, 'channel');
  const ts = metaText(meta, 'ts');
  return {
    approvalId: metaText(meta, 'approvalId') ?? '',
    origin: { user: body.user.id, ...(channel ? { channel } : {}), ...(ts ? { ts } : {}) },
    attest: checkedValues(view, ATTEST_BLOCK),
    note: fieldText(view, APPROVE_NOTE),
  };
}

/**
 * The approve form: one vote that attests exactly the ticked items (verified by Slack's signature,
 * with the voter's display name), cast through GoLiveClient after the answer. What would refuse it
 * (required items left unticked, a voter who may not vote) is shown in the form at once, which
 * stays open; anything else closes it and is told like a click.
 */
export const approveSubmitted = twoPhase<ViewArgs>((ctx) => ({
  async answer(args) {
    const { ack, view, body, client } = args;
    const { approvalId, attest } = request(args);
    const record = approvalId ? await ctx.store.getApproval(approvalId) : undefined;
    const now = ctx.now();
    const early = record && checkVote(record, { voter: body.user.id, decision: 'approve', at: now.toISOString() }, now);
    const refusal =
      early?.kind === 'refused'
        ? withNames(early.message, await displayNames(ctx, client, [body.user.id, ...knownUsers(ctx.config)]))
        : record && !early
          ? await stillUnattested(ctx, client, record, attest)
          : undefined;
    if (refusal) {
      // Under the first checkbox group (the form has none when there is nothing to attest: under the note).
      const blocks = ((view.blocks ?? []) as { block_id?: string }[]).map((b) => b.block_id ?? '');
      const field =
        [...blocks, ...Object.keys(view.state?.values ?? {})].find((id) => id.startsWith(ATTEST_BLOCK)) ?? APPROVE_NOTE;
      await ack({
        response_action: 'errors',
        errors: { [field]: refusal.length > ERROR_MAX ? `${refusal.slice(0, ERROR_MAX - 1)}…` : refusal },
      });
      return;
    }
    await ack();
    return 'work';
  },
  async work(args) {
    const { approvalId, origin, attest, note } = request(args);
    const { record, early } = await checkBeforeVote(ctx, approvalId, origin.user, 'approve');
    const outcome =
      early ??
      (await castThroughClient(ctx, record!, await slackActor(ctx, args.client, origin.user), {
        decision: 'approve',
        attest,
        ...(note ? { reason: note } : {}),
      }));
    await reportVote(ctx, args.client, approvalId, outcome, origin);
  },
}));

/**
 * Why approving would be refused when required items would stay unattested, in the form's terms:
 * each one, and who may attest it (the core's refusal speaks of CLI flags).
 */
async function stillUnattested(
  ctx: SlackAppContext,
  client: ViewArgs['client'],
  record: ApprovalRecord,
  ticked: string[],
): Promise<string | undefined> {
  const report = await ctx.store.getExecutionValue<ReadinessReport>(record.executionId, READINESS_VALUE);
  const open = (report?.items ?? []).filter((i) => i.required && i.status === 'to-attest' && !ticked.includes(i.id));
  if (open.length === 0) return undefined;
  const names = await displayNames(
    ctx,
    client,
    open.flatMap((i) => i.attesters),
  );
  // Grouped by who may attest them: the form already shows each item's title beside its id.
  const byAttesters = new Map<string, string[]>();
  for (const i of open) {
    const who = i.attesters.map((id) => names.get(id) ?? id).join(', ') || 'nobody';
    byAttesters.set(who, [...(byAttesters.get(who) ?? []), i.id]);
  }
  const groups = [...byAttesters].map(([who, ids]) => `${ids.join(', ')} (may attest: ${who})`);
  return (
    `Not approved, nothing recorded: ${open.length} required item(s) would stay unattested: ${groups.join('; ')}. ` +
    'Tick those you have checked yourself, or have them attested or waived first.'
  );
}
