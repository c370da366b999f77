import { castVote } from '../../../core/steps/approval';
import { READINESS_VALUE, type ReadinessReport } from '../../../core/steps/readiness';
import { displayNames, knownUsers, type SlackAppContext } from '../../context';
import { APPROVE_NOTE, ATTEST_BLOCK } from '../../modals';
import { withNames } from '../../user-names';
import { checkedValues, fieldText, metaText, viewMeta } from '../../view-state';
import { reportVote } from '../../vote-outcome';
import type { Listener, ViewArgs } from '../types';

/** Errors shown under a modal field are short; the refusal is cut rather than lost. */
const ERROR_MAX = 1000;

/**
 * The approve form: one vote that attests exactly the ticked items (verified by Slack's signature,
 * with the voter's display name). A refusal (required items still to attest, say) is shown in the
 * form, which stays open; anything else closes it and is told like a click.
 */
export const approveSubmitted: Listener<ViewArgs> =
  (ctx) =>
  async ({ ack, view, body, client }) => {
    const user = body.user.id;
    const meta = viewMeta(view);
    const approvalId = metaText(meta, 'approvalId');
    const origin = {
      user,
      ...(metaText(meta, 'channel') ? { channel: metaText(meta, 'channel') } : {}),
      ...(metaText(meta, 'ts') ? { ts: metaText(meta, 'ts') } : {}),
    };
    if (!approvalId) {
      await ack();
      await reportVote(ctx, client, '', { kind: 'refused', message: 'this sign-off is unknown' }, origin);
      return;
    }
    // One batch of lookups (cached, bounded): the voter's name for the record, everyone's for an error.
    const names = await displayNames(ctx, client, [user, ...knownUsers(ctx.config)]);
    const note = fieldText(view, APPROVE_NOTE);
    const attest = checkedValues(view, ATTEST_BLOCK);
    const outcome = await castVote(
      ctx,
      { approvalId },
      {
        voter: user,
        voterName: names.get(user) ?? user,
        verifiedBy: 'slack',
        decision: 'approve',
        attest,
        ...(note ? { reason: note } : {}),
      },
    );
    if (outcome.kind === 'refused') {
      // Under the first checkbox group (the form has none when there is nothing to attest: under the note).
      const blocks = ((view.blocks ?? []) as { block_id?: string }[]).map((b) => b.block_id ?? '');
      const field =
        [...blocks, ...Object.keys(view.state?.values ?? {})].find((id) => id.startsWith(ATTEST_BLOCK)) ?? APPROVE_NOTE;
      // The core's refusal for items left unattested speaks of CLI flags: said here in the form's terms.
      const unattested = outcome.message.startsWith('not approved')
        ? await stillUnattested(ctx, approvalId, attest, names)
        : undefined;
      const message = unattested ?? withNames(outcome.message, names);
      await ack({
        response_action: 'errors',
        errors: { [field]: message.length > ERROR_MAX ? `${message.slice(0, ERROR_MAX - 1)}…` : message },
      });
      return;
    }
    await ack();
    await reportVote(ctx, client, approvalId, outcome, origin);
  };

/**
 * The refusal in the form's terms when required items would stay unattested: each one, and who may
 * attest it (the core's message speaks of CLI flags).
 */
async function stillUnattested(
  ctx: SlackAppContext,
  approvalId: string,
  ticked: string[],
  names: Map<string, string>,
): Promise<string | undefined> {
  const record = await ctx.store.getApproval(approvalId);
  const report = record && (await ctx.store.getExecutionValue<ReadinessReport>(record.executionId, READINESS_VALUE));
  const open = (report?.items ?? []).filter((i) => i.required && i.status === 'to-attest' && !ticked.includes(i.id));
  if (open.length === 0) return undefined;
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
