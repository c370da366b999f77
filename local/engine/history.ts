import type { HistoryEvent, HistoryEventType } from '@aws-sdk/client-sfn';
import type { StoredEvent } from './store';

/** The `HistoryEvent` member that carries each event type's details (Step Functions API naming). */
const DETAILS_KEY: Partial<Record<string, keyof HistoryEvent>> = {
  ExecutionStarted: 'executionStartedEventDetails',
  ExecutionSucceeded: 'executionSucceededEventDetails',
  ExecutionFailed: 'executionFailedEventDetails',
  ExecutionAborted: 'executionAbortedEventDetails',
  ExecutionTimedOut: 'executionTimedOutEventDetails',
  ExecutionRedriven: 'executionRedrivenEventDetails',
  TaskScheduled: 'taskScheduledEventDetails',
  TaskStarted: 'taskStartedEventDetails',
  TaskSubmitted: 'taskSubmittedEventDetails',
  TaskSucceeded: 'taskSucceededEventDetails',
  TaskFailed: 'taskFailedEventDetails',
  TaskTimedOut: 'taskTimedOutEventDetails',
  LambdaFunctionScheduled: 'lambdaFunctionScheduledEventDetails',
  LambdaFunctionSucceeded: 'lambdaFunctionSucceededEventDetails',
  LambdaFunctionFailed: 'lambdaFunctionFailedEventDetails',
  LambdaFunctionTimedOut: 'lambdaFunctionTimedOutEventDetails',
  MapIterationStarted: 'mapIterationStartedEventDetails',
  MapIterationSucceeded: 'mapIterationSucceededEventDetails',
  MapIterationFailed: 'mapIterationFailedEventDetails',
};

export function detailsKeyFor(type: string): keyof HistoryEvent | null {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return DETAILS_KEY[type] ?? null;
}

/** Fields that carry execution data, dropped when GetExecutionHistory asks for includeExecutionData=false. */
const DATA_FIELDS = ['input', 'inputDetails', 'output', 'outputDetails', 'parameters'];

export function toHistoryEvent(stored: StoredEvent, includeExecutionData = true): HistoryEvent {
  const event: HistoryEvent = {
    timestamp: new Date(stored.timestamp),
    type: stored.type as HistoryEventType,
    id: stored.id,
    previousEventId: stored.previousEventId,
  };
  if (stored.detailsKey && stored.details !== undefined) {
    let details = stored.details as Record<string, unknown>;
    if (!includeExecutionData) {
      details = Object.fromEntries(Object.entries(details).filter(([k]) => !DATA_FIELDS.includes(k)));
    }
    (event as unknown as Record<string, unknown>)[stored.detailsKey] = details;
  }
  return event;
}

/** JSON text of a value as Step Functions shows it in history and API fields. */
export function jsonText(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

export const NOT_TRUNCATED = { truncated: false } as const;
