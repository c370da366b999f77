import { serviceConfig } from '../../../../core/roles';
import { formatDuration } from '../../../../providers/slack/messages';
import { escapeMrkdwn, mention } from '../../../../providers/slack/mrkdwn';
import { USAGE } from '../../../context';
import { describe, executionArnFor, listGoLives, summarise, type ExecutionSummary } from '../../../executions';
import type { Subcommand } from '../../types';

/** One line per go-live; what its input and the audit trail say is shown as written, never as Slack controls. */
export function describeGoLive(e: ExecutionSummary, now: Date, currentStep?: string): string {
  const took = formatDuration((e.stopDate ?? now).getTime() - (e.startDate ?? now).getTime());
  const icon = e.status === 'SUCCEEDED' ? '✅' : e.status === 'RUNNING' ? '⏳' : '↩️';
  const text = (s: string | undefined) => escapeMrkdwn(s ?? '');
  return (
    `${icon} \`${e.name}\` ${text(e.service ?? '?')} ${text(e.version)} — *${e.status}*` +
    `${e.error ? ` (${text(e.error)})` : ''}${currentStep && e.status === 'RUNNING' ? `, at ${text(currentStep)}` : ''}` +
    `, ${e.status === 'RUNNING' ? 'running for' : 'took'} ${took}${e.requestedBy ? `, by ${mention(e.requestedBy)}` : ''}`
  );
}

/** `/golive status <service|execution>`. */
export const status: Subcommand =
  (ctx) =>
  async ({ ack, respond }, words) => {
    const [target] = words;
    if (!target) {
      await ack({ response_type: 'ephemeral', text: `⚠️ name a service or an execution.\n${USAGE}` });
      return;
    }
    await ack();
    let summary: ExecutionSummary | undefined;
    if (serviceConfig(ctx.config, target)) {
      [summary] = await listGoLives(ctx, target, 1);
      if (!summary) {
        await respond({ response_type: 'ephemeral', text: `${target} has no go-lives yet.` });
        return;
      }
    } else {
      const described = await describe(ctx, executionArnFor(ctx.stateMachineArn, target));
      if (!described) {
        await respond({
          response_type: 'ephemeral',
          text: `⚠️ "${escapeMrkdwn(target)}" is neither a service (${Object.keys(ctx.config.services).join(', ')}) nor a known execution.`,
        });
        return;
      }
      summary = summarise(described);
    }
    const audit = await ctx.store.listAudit(summary.executionArn);
    const last = audit[audit.length - 1];
    await respond({
      response_type: 'ephemeral',
      text:
        describeGoLive(summary, ctx.now(), last?.step) +
        (last ? `\nlast: ${escapeMrkdwn(last.step)} — ${escapeMrkdwn(last.summary)}` : ''),
    });
  };
