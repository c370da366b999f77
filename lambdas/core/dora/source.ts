import type { GoLiveClient, GoLivePage } from '../client';
import type { Store } from '../ports';
import type { Trail } from './facts';

/**
 * Longest a go-live can run (the state machine's TimeoutSeconds, 24 h): one that started this long
 * before a period can still have ended in it, none that started earlier can.
 */
export const MAX_GO_LIVE_MS = 24 * 3_600_000;

/**
 * The trails of the go-lives that may have ended since `since`, the way every front end lists
 * go-lives (GoLiveClient.list, newest first, a page at a time), each with its audit trail
 * (Store.listAudit) and Step Functions' status. Paging stops at the first go-live that started
 * more than MAX_GO_LIVE_MS before `since`. Reads only: ListExecutions and DescribeExecution through
 * the client, a Query of the audit partition per go-live.
 */
export async function trailsSince(
  client: Pick<GoLiveClient, 'list'>,
  store: Pick<Store, 'listAudit'>,
  options: { since: Date; service?: string },
): Promise<Trail[]> {
  const oldest = options.since.getTime() - MAX_GO_LIVE_MS;
  const trails: Trail[] = [];
  let nextToken: string | undefined;
  do {
    const page: GoLivePage = await client.list({
      limit: 100,
      ...(options.service ? { service: options.service } : {}),
      ...(nextToken ? { nextToken } : {}),
    });
    for (const g of page.goLives) {
      if (g.startDate && Date.parse(g.startDate) < oldest) return trails;
      trails.push({
        executionId: g.executionArn,
        records: await store.listAudit(g.executionArn),
        status: g.status,
        ...(g.error ? { error: g.error } : {}),
        ...(g.stopDate ? { stopDate: g.stopDate } : {}),
      });
    }
    nextToken = page.nextToken;
  } while (nextToken);
  return trails;
}
