import { REDRIVE_ENTRY_STATE } from './definition';
import { jsonText, NOT_TRUNCATED } from './history';
import type { EndStatus, ExecutionEnd, HistoryRecorder } from './history-recorder';
import type { RunningExecution } from './running-execution';
import type { EngineStore } from './store';

/** The subset of aws-local-stepfunctions' EventLog fields the engine reads. */
export interface LibraryEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

/** Records the end of an execution (see Executions). */
export type FinalizeExecution = (exec: RunningExecution, status: EndStatus, end: ExecutionEnd) => void;

function errorOf(error: unknown): { error: string | null; cause: string | null } {
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  if (inner instanceof Error) return { error: inner.name, cause: inner.message };
  return { error: 'States.Runtime', cause: String(inner) };
}

/**
 * Follows one run of the library: its state events become Step Functions history (state-level events, and
 * the anchors that release buffered task events), its terminal event or result ends the execution.
 */
export class LibraryEventConsumer {
  constructor(
    private readonly store: EngineStore,
    private readonly recorder: HistoryRecorder,
    private readonly finalize: FinalizeExecution,
  ) {}

  async consume(
    exec: RunningExecution,
    eventLogs: AsyncGenerator<LibraryEvent>,
    result: Promise<unknown>,
  ): Promise<void> {
    let outcome: { ok: true; value: unknown } | { ok: false; error: unknown } | undefined;
    const settled = result.then(
      (value) => (outcome = { ok: true, value }),
      (error: unknown) => (outcome = { ok: false, error }),
    );
    try {
      for await (const event of eventLogs) {
        if (exec.closed) break;
        this.onEvent(exec, event);
      }
      await settled;
      if (!exec.closed) {
        // The library ended without a terminal event: settle from its result instead.
        if (outcome?.ok) this.finalize(exec, 'SUCCEEDED', { output: jsonText(outcome.value) });
        else this.finalize(exec, 'FAILED', errorOf(outcome?.error));
      }
    } catch (err) {
      if (!exec.closed && this.store.isOpen) {
        this.finalize(exec, 'FAILED', { error: 'States.Runtime', cause: `local runtime error: ${String(err)}` });
      }
    }
  }

  private onEvent(exec: RunningExecution, event: LibraryEvent): void {
    // The Pass state a redriven run enters first (see redriveMachine) is the engine's, not the workflow's.
    if (event.state?.name === REDRIVE_ENTRY_STATE) return;
    switch (event.type) {
      case 'StateEntered': {
        const { name, type, input } = event.state!;
        exec.lastFailState = type === 'Fail' ? name : undefined;
        this.recorder.record(
          exec,
          `${type}StateEntered`,
          { name, input: jsonText(input), inputDetails: NOT_TRUNCATED },
          event.timestamp,
        );
        if (type === 'Task') this.recorder.anchor(exec, name);
        break;
      }
      case 'StateRetried':
        if (event.state!.type === 'Task') this.recorder.anchor(exec, event.state!.name);
        break;
      case 'StateFailed':
        if (event.state!.type === 'Task') this.recorder.unanchor(exec, event.state!.name);
        break;
      case 'StateExited': {
        const { name, type, output } = event.state!;
        if (type === 'Task') this.recorder.unanchor(exec, name);
        this.recorder.record(
          exec,
          `${type}StateExited`,
          { name, output: jsonText(output), outputDetails: NOT_TRUNCATED },
          event.timestamp,
        );
        break;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.recorder.record(exec, event.type, { name: event.parentState?.name, index: event.index }, event.timestamp);
        break;
      case 'ExecutionSucceeded':
        this.finalize(exec, 'SUCCEEDED', { output: jsonText(event.output) });
        break;
      case 'ExecutionFailed': {
        let error: string | null = event.Error ?? null;
        let cause: string | null =
          event.Cause === undefined || event.Cause === null
            ? null
            : typeof event.Cause === 'string'
              ? event.Cause
              : JSON.stringify(event.Cause);
        const fail = exec.lastFailState ? exec.prepared.failStates.get(exec.lastFailState) : undefined;
        // A Fail state without Error/Cause ends the execution without them; the library fills in defaults.
        if (fail && !fail.hasError) error = null;
        if (fail && !fail.hasCause) cause = null;
        this.finalize(exec, 'FAILED', { error, cause });
        break;
      }
      case 'ExecutionTimeout':
        this.finalize(exec, 'TIMED_OUT', {
          error: 'States.Timeout',
          cause: 'The execution ran longer than the state machine TimeoutSeconds',
        });
        break;
      default:
        // ExecutionStarted is recorded by startExecution, ExecutionAborted by stopExecution; StateCaught and
        // the Parallel branch events have no Step Functions history counterpart.
        break;
    }
  }
}
