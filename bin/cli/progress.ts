import { describeCause } from '../../lambdas/core/steps/step';
import type { HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { executionHistory } from '../../lambdas/providers/sfn-history';

export interface StepLine {
  step: string;
  state: 'succeeded' | 'failed' | 'waiting' | 'caught';
  durationMs: number;
  detail?: string;
}
export interface ExecutionEnd {
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
  /** From ExecutionStarted to this event, as recorded in the history. */
  durationMs?: number;
  error?: string;
  cause?: string;
  output?: string;
}

/** "pass (score 100), 120 vs 480 requests" from AnalyzeCanary's task output (the Lambda invoke result). */
function canaryVerdict(output: string | undefined): string | undefined {
  try {
    const { Payload } = JSON.parse(output ?? '{}') as {
      Payload?: {
        weight?: number;
        flagged?: boolean;
        judgement?: { verdict?: string; score?: number | null; requests?: { candidate: number; baseline: number } };
      };
    };
    const j = Payload?.judgement;
    if (!j?.verdict) return undefined;
    return (
      `${Payload?.weight ?? '?'}%: ${j.verdict}${typeof j.score === 'number' ? ` (score ${j.score})` : ''}` +
      (j.requests ? `, ${j.requests.candidate} vs ${j.requests.baseline} requests` : '') +
      (Payload?.flagged ? ' — FLAGGED' : '')
    );
  } catch {
    return undefined;
  }
}

/**
 * Turns Step Functions history events into one line per step (Task states), with duration.
 * Works on any HistoryEvent stream: the local endpoint or AWS.
 */
/** The step boundaries: a line only when they held, promoted or noted a freeze. */
const BOUNDARIES = new Set(['Checkpoint', 'CheckpointBeforePromotion']);

/** What a boundary did, from its Lambda result (`{ Payload: { action, reason } }`). */
function boundaryLine(output: string | undefined): string | undefined {
  try {
    const payload = (JSON.parse(output ?? '{}') as { Payload?: { action?: string; reason?: string } }).Payload;
    if (payload?.action === 'hold') return `held: ${payload.reason ?? 'paused'}`;
    if (payload?.action === 'promote') return 'promoted: the remaining canary steps are skipped';
  } catch {
    // Not a boundary result golive wrote: no line rather than a wrong one.
  }
  return undefined;
}

export class ProgressTracker {
  private readonly entered = new Map<string, number>();
  /** States whose failure was already printed; their caught exit is not a success. */
  private readonly failed = new Set<string>();
  private current?: string;
  private startedAt?: number;
  /** What a succeeded task said worth a line (a canary verdict), until its state exits. */
  private readonly said = new Map<string, string>();

  constructor(
    private readonly onLine: (line: StepLine) => void,
    private readonly onWaiting: (step: string) => void = () => {},
  ) {}

  handle(event: HistoryEvent): ExecutionEnd | undefined {
    const at = event.timestamp ? new Date(event.timestamp).getTime() : Date.now();
    const end = this.end(event);
    if (end) return this.startedAt === undefined ? end : { ...end, durationMs: at - this.startedAt };
    switch (event.type) {
      case 'ExecutionStarted':
        this.startedAt = at;
        return undefined;
      case 'TaskStateEntered': {
        const name = event.stateEnteredEventDetails?.name ?? '?';
        this.entered.set(name, at);
        this.current = name;
        return undefined;
      }
      case 'TaskSubmitted':
        if (this.current) this.onWaiting(this.current);
        return undefined;
      case 'TaskSucceeded': {
        const output = event.taskSucceededEventDetails?.output;
        const verdict =
          this.current === 'AnalyzeCanary'
            ? canaryVerdict(output)
            : this.current && BOUNDARIES.has(this.current)
              ? boundaryLine(output)
              : undefined;
        if (verdict && this.current) this.said.set(this.current, verdict);
        return undefined;
      }
      case 'TaskStateExited': {
        const name = event.stateExitedEventDetails?.name ?? '?';
        if (this.failed.delete(name)) return undefined;
        if (BOUNDARIES.has(name) && !this.said.has(name)) {
          // A step boundary with nothing to do (no pause, promote or freeze): not worth a line.
          this.entered.delete(name);
          return undefined;
        }
        const detail = this.said.get(name);
        this.said.delete(name);
        this.onLine({
          step: name,
          state: 'succeeded',
          durationMs: at - (this.entered.get(name) ?? at),
          ...(detail ? { detail } : {}),
        });
        this.entered.delete(name);
        return undefined;
      }
      case 'TaskFailed':
      case 'TaskTimedOut': {
        const name = this.current ?? '?';
        const details = event.taskFailedEventDetails ?? event.taskTimedOutEventDetails;
        const error = details?.error ?? (event.type === 'TaskTimedOut' ? 'States.Timeout' : 'Error');
        const timedOutBake = error === 'States.Timeout' && /Bake$/.test(name);
        // A hold that times out goes back to its boundary for another look; one resumed before it began too.
        const holdEnded = /^Paused/.test(name) && (error === 'States.Timeout' || error === 'HoldEnded');
        this.onLine({
          step: name,
          state: timedOutBake || holdEnded ? 'succeeded' : 'failed',
          durationMs: at - (this.entered.get(name) ?? at),
          detail: timedOutBake
            ? 'bake passed, no alarm'
            : holdEnded
              ? error === 'HoldEnded'
                ? 'resumed'
                : 'held: looking again'
              : `${error}: ${describeCause(details?.cause)}`,
        });
        this.entered.delete(name);
        this.failed.add(name);
        return undefined;
      }
      default:
        return undefined;
    }
  }

  private end(event: HistoryEvent): ExecutionEnd | undefined {
    switch (event.type) {
      case 'ExecutionSucceeded':
        return {
          status: 'SUCCEEDED',
          ...(event.executionSucceededEventDetails?.output
            ? { output: event.executionSucceededEventDetails.output }
            : {}),
        };
      case 'ExecutionFailed':
        return {
          status: 'FAILED',
          error: event.executionFailedEventDetails?.error ?? 'Error',
          cause: describeCause(event.executionFailedEventDetails?.cause),
        };
      case 'ExecutionAborted':
        return {
          status: 'ABORTED',
          ...(event.executionAbortedEventDetails?.cause ? { cause: event.executionAbortedEventDetails.cause } : {}),
        };
      case 'ExecutionTimedOut':
        return { status: 'TIMED_OUT' };
      default:
        return undefined;
    }
  }
}

/** Follows an execution's history through GetExecutionHistory (paged) until it ends. */
export async function followExecution(
  sfn: SFNClient,
  executionArn: string,
  onEvent: (event: HistoryEvent) => ExecutionEnd | undefined,
  pollMs = 200,
): Promise<ExecutionEnd> {
  let seen = 0;
  for (;;) {
    const events = await executionHistory(sfn, executionArn, { includeExecutionData: true });
    for (const event of events.slice(seen)) {
      const end = onEvent(event);
      if (end) return end;
    }
    seen = events.length;
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

export function formatLine(line: StepLine): string {
  const icon = line.state === 'succeeded' ? '✓' : line.state === 'failed' ? '✗' : '…';
  return `  ${icon} ${line.step.padEnd(26)} ${formatDuration(line.durationMs).padStart(8)}${line.detail ? `  ${line.detail}` : ''}`;
}
