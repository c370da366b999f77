import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { ProgressTracker, type StepLine } from '../../bin/cli/progress';

const at = (s: number) => new Date(Date.UTC(2026, 10, 30, 0, 0, s));

describe('ProgressTracker', () => {
  it('shows each canary verdict as it happens, from AnalyzeCanary’s output', () => {
    const lines: StepLine[] = [];
    const tracker = new ProgressTracker((l) => lines.push(l));
    const events: HistoryEvent[] = [
      { type: 'ExecutionStarted', timestamp: at(0), id: 1 },
      { type: 'TaskStateEntered', timestamp: at(1), id: 2, stateEnteredEventDetails: { name: 'AnalyzeCanary' } },
      {
        type: 'TaskSucceeded',
        timestamp: at(2),
        id: 3,
        taskSucceededEventDetails: {
          resource: 'invoke',
          resourceType: 'lambda',
          output: JSON.stringify({
            Payload: {
              weight: 10,
              flagged: false,
              judgement: { verdict: 'marginal', score: 88, requests: { candidate: 61, baseline: 540 } },
            },
          }),
        },
      },
      { type: 'TaskStateExited', timestamp: at(2), id: 4, stateExitedEventDetails: { name: 'AnalyzeCanary' } },
    ];

    for (const e of events) tracker.handle(e);

    expect(lines).toEqual([
      {
        step: 'AnalyzeCanary',
        state: 'succeeded',
        durationMs: 1000,
        detail: '10%: marginal (score 88), 61 vs 540 requests',
      },
    ]);
  });

  it('says what a step boundary did only when it held or promoted, and that a hold looked again', () => {
    const lines: StepLine[] = [];
    const tracker = new ProgressTracker((l) => lines.push(l));
    let id = 0;
    const boundary = (name: string, s: number, payload: unknown): HistoryEvent[] => [
      { type: 'TaskStateEntered', timestamp: at(s), id: ++id, stateEnteredEventDetails: { name } },
      {
        type: 'TaskSucceeded',
        timestamp: at(s),
        id: ++id,
        taskSucceededEventDetails: {
          resource: 'invoke',
          resourceType: 'lambda',
          output: JSON.stringify({ Payload: payload }),
        },
      },
      { type: 'TaskStateExited', timestamp: at(s), id: ++id, stateExitedEventDetails: { name } },
    ];
    const events: HistoryEvent[] = [
      { type: 'ExecutionStarted', timestamp: at(0), id: ++id },
      ...boundary('Checkpoint', 1, { action: 'continue' }),
      ...boundary('Checkpoint', 2, { action: 'hold', holdSeconds: 60, reason: 'paused by U_RM: lunch' }),
      { type: 'TaskStateEntered', timestamp: at(3), id: ++id, stateEnteredEventDetails: { name: 'Paused' } },
      {
        type: 'TaskTimedOut',
        timestamp: at(63),
        id: ++id,
        taskTimedOutEventDetails: { resource: 'invoke', resourceType: 'lambda', error: 'States.Timeout' },
      },
      ...boundary('Checkpoint', 64, { action: 'promote' }),
    ];

    for (const e of events) tracker.handle(e);

    expect(lines.map((l) => [l.step, l.state, l.detail])).toEqual([
      ['Checkpoint', 'succeeded', 'held: paused by U_RM: lunch'],
      ['Paused', 'succeeded', 'held: looking again'],
      ['Checkpoint', 'succeeded', 'promoted: the remaining canary steps are skipped'],
    ]);
  });
});
