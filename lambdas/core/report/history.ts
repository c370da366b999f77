/**
 * The slice of a Step Functions execution the audit report reads. Structural types only, so core
 * stays vendor-free: `@aws-sdk/client-sfn`'s HistoryEvent and DescribeExecution output fit them.
 */
export interface HistoryEventLike {
  id?: number;
  timestamp?: Date;
  type?: string;
  stateEnteredEventDetails?: { name?: string };
  stateExitedEventDetails?: { name?: string; output?: string };
  taskFailedEventDetails?: { error?: string; cause?: string };
  taskTimedOutEventDetails?: { error?: string; cause?: string };
  executionFailedEventDetails?: { error?: string; cause?: string };
  executionAbortedEventDetails?: { error?: string; cause?: string };
  executionTimedOutEventDetails?: { error?: string; cause?: string };
}

export interface ExecutionLike {
  executionArn?: string;
  name?: string;
  status?: string;
  startDate?: Date;
  stopDate?: Date;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
}

export interface HistoryPage<E> {
  events?: E[];
  nextToken?: string;
}

/**
 * Reads every page of an execution's history (GetExecutionHistory returns at most 1000 events a
 * page). `fetchPage` is the SDK call; the loop is here so the CLI and the export Lambda share it.
 */
export async function readAllHistory<E>(
  fetchPage: (nextToken: string | undefined) => Promise<HistoryPage<E>>,
): Promise<E[]> {
  const events: E[] = [];
  let nextToken: string | undefined;
  do {
    const page = await fetchPage(nextToken);
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

/** Where the final chain hash sits in a SUCCEEDED execution's output (NotifySuccess's result). */
export function finalHashFromOutput(output: string | undefined): string | undefined {
  if (!output) return undefined;
  try {
    const parsed = JSON.parse(output) as { notification?: { value?: { audit?: { finalHash?: unknown } } } };
    const hash = parsed.notification?.value?.audit?.finalHash;
    return typeof hash === 'string' ? hash : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The final hash as the execution itself recorded it: the output of its last Notify step (present
 * for FAILED executions too, whose Fail state has no output). Scans the history newest first.
 */
export function finalHashFromHistory(
  events: (HistoryEventLike & { stateExitedEventDetails?: { name?: string; output?: string } })[],
): { finalHash: string; records?: number } | undefined {
  for (let i = events.length - 1; i >= 0; i--) {
    const e = events[i];
    if (e.type !== 'TaskStateExited' || !/^Notify/.test(e.stateExitedEventDetails?.name ?? '')) continue;
    try {
      const parsed = JSON.parse(e.stateExitedEventDetails?.output ?? '') as {
        notification?: { value?: { audit?: { finalHash?: unknown; records?: unknown } } };
      };
      const audit = parsed.notification?.value?.audit;
      if (typeof audit?.finalHash === 'string') {
        return { finalHash: audit.finalHash, ...(typeof audit.records === 'number' ? { records: audit.records } : {}) };
      }
    } catch {
      // not JSON: not a seal
    }
  }
  return undefined;
}
