import { formatDuration } from '../../../../providers/slack/messages';
import { USAGE } from '../../../context';
import { describe, executionArnFor, listGoLives, summarise, type ExecutionSummary } from '../../../executions';
import type { Subcommand } from '../../types';

export function describeGoLive(e: ExecutionSummary, now: Date, currentStep?: string): string {
  const took = formatDuration((e.stopDate ?? now).getTime() - (e.startDate ?? now).getTime());
  const icon = e.status === 'SUCCEEDED' ? '✅' : e.status === 'RUNNING' ? '⏳' : '↩️';
  return (
    `${icon} \`${e.name}\` ${e.service ?? '?'} ${e.version ?? ''} — *${e.status}*` +
    `${e.error ? ` (${e.error})` : ''}${currentStep && e.status === 'RUNNING' ? `, at ${currentStep}` : ''}` +
    `, ${e.status === 'RUNNING' ? 'running for' : 'took'} ${took}${e.requestedBy ? `, by <@${e.requestedBy}>` : ''}`
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
    if (ctx.config.services[target]) {
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
          text: `⚠️ "${target}" is neither a service (${Object.keys(ctx.config.services).join(', ')}) nor a known execution.`,
        });
        return;
      }
      summary = summarise(described);
    }
    const audit = await ctx.store.listAudit(summary.executionArn);
    const last = audit[audit.length - 1];
    await respond({
      response_type: 'ephemeral',
      text: describeGoLive(summary, ctx.now(), last?.step) + (last ? `\nlast: ${last.step} — ${last.summary}` : ''),
    });
  };
