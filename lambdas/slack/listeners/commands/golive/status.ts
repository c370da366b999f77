import { GoLiveClientError, type GoLiveSummary } from '../../../../core/client';
import { serviceConfig } from '../../../../core/roles';
import { escapeMrkdwn } from '../../../../providers/slack/mrkdwn';
import { USAGE } from '../../../context';
import { goLiveLine } from '../../../executions';
import type { Subcommand } from '../../types';

/**
 * `/golive status <service|execution>`: the newest go-live of a service, or one go-live, with the
 * last entry of its audit trail. Bounded: one page of one from GoLiveClient.list, or one describe.
 */
export const status: Subcommand = (ctx) => ({
  async answer({ ack }, [target]) {
    if (!target) {
      await ack({ response_type: 'ephemeral', text: `⚠️ name a service or an execution.\n${USAGE}` });
      return;
    }
    await ack();
    return 'work';
  },
  async work({ respond }, [target]) {
    let summary: GoLiveSummary | undefined;
    let currentStep: string | undefined;
    if (serviceConfig(ctx.config, target)) {
      [summary] = (await ctx.client.list({ service: target, limit: 1 })).goLives;
      if (!summary) {
        await respond({ response_type: 'ephemeral', text: `${escapeMrkdwn(target)} has no go-lives yet.` });
        return;
      }
    } else {
      try {
        const detail = await ctx.client.describe(target);
        summary = detail;
        currentStep = detail.currentStep;
      } catch (err) {
        if (!(err instanceof GoLiveClientError && (err.code === 'NotFound' || err.code === 'InvalidRequest')))
          throw err;
        await respond({
          response_type: 'ephemeral',
          text: `⚠️ "${escapeMrkdwn(target)}" is neither a service (${Object.keys(ctx.config.services).join(', ')}) nor a known execution.`,
        });
        return;
      }
    }
    const audit = await ctx.store.listAudit(summary.executionArn);
    const last = audit[audit.length - 1];
    await respond({
      response_type: 'ephemeral',
      text:
        goLiveLine(summary, ctx.now(), currentStep ?? last?.step) +
        (last ? `\nlast: ${escapeMrkdwn(last.step)} — ${escapeMrkdwn(last.summary)}` : ''),
    });
  },
});
