import { paginateGetExecutionHistory, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';

/** GetExecutionHistory's largest page. */
const EVENTS_PER_PAGE = 1000;

/**
 * Every event of an execution's history, oldest first, read page by page. One reader for the audit
 * export Lambda and the CLI (audit, watch); the local Step Functions endpoint pages with nextToken
 * like AWS, so it serves both runtimes.
 */
export async function executionHistory(
  sfn: SFNClient,
  executionArn: string,
  options: { includeExecutionData?: boolean } = {},
): Promise<HistoryEvent[]> {
  const events: HistoryEvent[] = [];
  const pages = paginateGetExecutionHistory({ client: sfn, pageSize: EVENTS_PER_PAGE }, { executionArn, ...options });
  for await (const page of pages) events.push(...(page.events ?? []));
  return events;
}
