import type { GoLiveSummary } from '../core/client';
import { formatDuration } from '../providers/slack/messages';
import { escapeMrkdwn, mention } from '../providers/slack/mrkdwn';

/**
 * How a go-live reads in Slack: one line. Listing, describing and summarising go-lives is
 * GoLiveClient's (lambdas/core/client); what its input and the audit trail say is shown here as
 * written, never as Slack controls.
 */
export function goLiveLine(e: GoLiveSummary, now: Date, currentStep?: string): string {
  const at = (iso: string | undefined) => (iso ? Date.parse(iso) : now.getTime());
  const took = formatDuration(at(e.stopDate) - at(e.startDate));
  const icon = e.status === 'SUCCEEDED' ? '✅' : e.status === 'RUNNING' ? '⏳' : e.status === 'ABORTED' ? '🛑' : '↩️';
  const text = (s: string | undefined) => escapeMrkdwn(s ?? '');
  return (
    `${icon} \`${e.name}\` ${text(e.service ?? '?')} ${text(e.version)} — *${e.status}*` +
    `${e.error ? ` (${text(e.error)})` : ''}${currentStep && e.status === 'RUNNING' ? `, at ${text(currentStep)}` : ''}` +
    `, ${e.status === 'RUNNING' ? 'running for' : 'took'} ${took}${e.requestedBy ? `, by ${mention(e.requestedBy)}` : ''}`
  );
}
