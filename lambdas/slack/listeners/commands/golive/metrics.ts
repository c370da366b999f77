import { doraMetrics, goLiveFact, metricTexts, trailsSince, type GoLiveFact } from '../../../../core/dora';
import { escapeMrkdwn } from '../../../../providers/slack/mrkdwn';
import { USAGE, unknownService } from '../../../context';
import type { Subcommand } from '../../types';

/** The period `/golive metrics` reports: the last 30 days (the CLI's default too). */
export const METRICS_DAYS = 30;

/**
 * `/golive metrics [service]`: the four DORA numbers of the last 30 days, per service, privately.
 * The go-lives come the way /golive history lists them (GoLiveClient.list), each with its audit
 * trail (Store.listAudit); the numbers from the same core functions as `golive metrics`.
 */
export const metrics: Subcommand = (ctx) => ({
  async answer({ ack }, words) {
    const [service] = words;
    const problem =
      (service === undefined ? undefined : unknownService(ctx.config, service)) ??
      (words.length > 1 ? 'too many arguments' : undefined);
    if (problem) {
      await ack({ response_type: 'ephemeral', text: `⚠️ ${escapeMrkdwn(problem)}.\n${USAGE}` });
      return;
    }
    await ack();
    return 'work';
  },
  async work({ respond }, [service]) {
    const until = ctx.now();
    const since = new Date(until.getTime() - METRICS_DAYS * 86_400_000);
    const trails = await trailsSince(ctx.client, ctx.store, { since, ...(service ? { service } : {}) });
    const facts = trails.map(goLiveFact).filter((f): f is GoLiveFact => f !== undefined);
    const report = doraMetrics(facts, {
      since,
      until,
      ...(service ? { service } : { services: Object.keys(ctx.config.services) }),
    });
    const lines = Object.entries(report.services).map(([name, m]) => {
      const t = metricTexts(m);
      return [
        `*${escapeMrkdwn(name)}*`,
        `• deployment frequency: ${t.deploymentFrequency}`,
        `• change failure rate: ${t.changeFailureRate}`,
        `• time to restore: ${t.timeToRestore}`,
        `• lead time: ${t.leadTime}`,
      ].join('\n');
    });
    await respond({
      response_type: 'ephemeral',
      text: [
        `*DORA metrics, last ${METRICS_DAYS} days* (go-lives ended since ${since.toISOString().slice(0, 10)})`,
        ...lines,
      ].join('\n\n'),
    });
  },
});
