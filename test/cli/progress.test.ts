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
});
