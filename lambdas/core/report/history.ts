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
