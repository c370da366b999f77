import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { LocalEngine } from '../../local/engine/engine';

/** A scratch directory per test file, removed in afterAll. */
export function scratchDir(prefix: string): { dir: string; db: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `golive-engine-${prefix}-`));
  return {
    dir,
    db: (name) => join(dir, `${name}.sqlite`),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** An Error whose `name` is the ASL error name, as the workflow's handlers throw them. */
export function namedError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

export const INVOKE = 'arn:aws:states:::lambda:invoke';
export const CALLBACK = 'arn:aws:states:::lambda:invoke.waitForTaskToken';

/** A lambda:invoke Task state calling `${Var}` with the given Payload template. */
export function invokeTask(fnVar: string, extra: Record<string, unknown> = {}, payload: unknown = { 'input.$': '$' }) {
  return {
    Type: 'Task',
    Resource: INVOKE,
    Parameters: { FunctionName: `\${${fnVar}}`, Payload: payload },
    TimeoutSeconds: 10,
    ...extra,
  };
}

export function definition(states: Record<string, unknown>, startAt = Object.keys(states)[0], extra = {}): string {
  return JSON.stringify({ StartAt: startAt, States: states, ...extra });
}

/** Resolves with the first `history` event of an execution matching the predicate (no polling, no sleeps). */
export function nextHistoryEvent(
  engine: LocalEngine,
  predicate: (event: HistoryEvent, executionArn: string) => boolean,
): Promise<{ executionArn: string; event: HistoryEvent }> {
  return new Promise((resolve) => {
    const listener = (executionArn: string, event: HistoryEvent): void => {
      if (predicate(event, executionArn)) {
        engine.off('history', listener);
        resolve({ executionArn, event });
      }
    };
    engine.on('history', listener);
  });
}

/** Resolves with the task token of the next callback task the engine submits (from its TaskScheduled). */
export async function nextTaskToken(engine: LocalEngine, executionArn?: string): Promise<string> {
  const { event } = await nextHistoryEvent(
    engine,
    (e, arn) =>
      e.type === 'TaskScheduled' &&
      e.taskScheduledEventDetails?.resource === 'invoke.waitForTaskToken' &&
      (executionArn === undefined || arn === executionArn),
  );
  const params = JSON.parse(event.taskScheduledEventDetails!.parameters!) as { Payload: { taskToken: string } };
  return params.Payload.taskToken;
}

export function types(events: HistoryEvent[] | undefined): string[] {
  return (events ?? []).map((e) => e.type!);
}
