import { AlarmTriggered, HoldEnded } from '../errors';
import type { AuditEntry, Deps } from '../ports';
import type { ActorVerification } from '../roles';
import type { StepPayload } from '../workflow/definition';
import { runStep } from './step';

/**
 * Steering a running go-live (golive pause / resume / promote). The front ends (through
 * GoLiveClient) only record the wish; the workflow acts on it at its step boundaries: Checkpoint
 * before each traffic change and CheckpointBeforePromotion. While held, the Paused task keeps the
 * watch: once traffic has moved, an alarm rolls back as during a bake.
 */

/** Execution values: the pause wish (front ends), promote (front ends, once), the hold clock (the workflow only). */
export const PAUSE_VALUE = 'control:pause';
export const PROMOTE_VALUE = 'control:promote';
export const HOLD_VALUE = 'control:hold';

export interface ControlWish {
  by: string;
  verifiedBy?: ActorVerification;
  reason: string;
  at: string;
}
export interface PauseRecord extends ControlWish {
  paused: boolean;
}
/** Written only by the Checkpoint states: time held before the current hold, and when that hold began. */
export interface HoldRecord {
  heldSeconds: number;
  since?: string;
  why?: 'pause' | 'freeze';
}

/** Once the candidate takes traffic (a canary step ran, or at promotion), a hold watches the alarms. */
const trafficMoved = (event: StepPayload<'Paused' | 'PausedBeforePromotion'>) =>
  event.canaryIndex > 0 || (event.state === 'PausedBeforePromotion' && event.plan.stepCount > 0);

/**
 * Paused / PausedBeforePromotion (a callback task): registers the token so `golive resume` can end
 * the wait, and against the watched alarms once traffic has moved. An alarm already firing fails it
 * here. A resume that came between the Checkpoint and this registration ends the hold at once
 * (HoldEnded, which the state catches back to its Checkpoint): no token answered from here.
 */
export async function startHold(
  deps: Deps,
  event: StepPayload<'Paused' | 'PausedBeforePromotion'>,
): Promise<{ watching: string[] }> {
  const watching = trafficMoved(event) ? event.plan.alarms : [];
  await deps.store.putCallback({
    token: event.taskToken,
    executionId: event.executionId,
    service: event.request.service,
    kind: 'hold',
    alarms: watching,
    state: event.state,
    createdAt: deps.now().toISOString(),
  });
  const [pause, hold] = await Promise.all([
    deps.store.getExecutionValue<PauseRecord>(event.executionId, PAUSE_VALUE),
    deps.store.getExecutionValue<HoldRecord>(event.executionId, HOLD_VALUE),
  ]);
  if (hold?.why === 'pause' && !pause?.paused) {
    await deps.store.deleteCallback(event.taskToken);
    throw new HoldEnded(`resumed by ${pause?.by ?? 'a release manager'} before the hold began`);
  }
  return runStep(deps, event, event.state, 'hold', async () => {
    const firing = watching.length ? (await deps.alerts.describe(watching)).filter((a) => a.state === 'ALARM') : [];
    if (firing.length > 0) {
      await deps.store.deleteCallback(event.taskToken);
      throw new AlarmTriggered(`alarm ${firing.map((a) => a.name).join(', ')} in ALARM while the go-live is held`, {
        evidence: { alarms: firing },
      });
    }
    return {
      result: { watching },
      summary: watching.length
        ? `holding; still watching ${watching.join(', ')}: an alarm rolls back`
        : 'holding (no traffic on the candidate yet)',
      evidence: { watching },
    };
  });
}

export type ControlAction = 'pause' | 'resume' | 'promote';

export interface ControlOutcome {
  /** False when nothing changed (already paused, not paused, already promoted). */
  changed: boolean;
  message: string;
}

/**
 * Records a release manager's pause, resume or promote (authorization is the client's, which
 * passes only release managers of the service), audits it, and ends a hold the go-live is in.
 */
export async function requestControl(
  deps: Pick<Deps, 'store' | 'callbacks' | 'now'>,
  executionId: string,
  action: ControlAction,
  wish: Omit<ControlWish, 'at'> & { name?: string },
): Promise<ControlOutcome> {
  const at = deps.now().toISOString();
  const { name, ...record } = wish;
  const entry = { ...record, at };
  const pause = await deps.store.getExecutionValue<PauseRecord>(executionId, PAUSE_VALUE);
  let outcome: ControlOutcome;
  if (action === 'pause') {
    if (pause?.paused) return { changed: false, message: `already paused by ${pause.by} at ${pause.at}` };
    await deps.store.putExecutionValue(executionId, PAUSE_VALUE, { ...entry, paused: true } satisfies PauseRecord);
    outcome = {
      changed: true,
      message: 'paused: it holds at the next step boundary (before a traffic change); alarms stay watched',
    };
  } else if (action === 'resume') {
    if (!pause?.paused) {
      // An earlier resume recorded but never delivered (a crash, a throttled SendTaskSuccess): finish it.
      const ended = await endHolds(deps, executionId, { resumedBy: wish.by });
      return ended > 0
        ? { changed: true, message: `resumed (the resume by ${pause?.by ?? '?'} had not reached the held go-live)` }
        : { changed: false, message: 'not paused: nothing to resume' };
    }
    await deps.store.putExecutionValue(executionId, PAUSE_VALUE, { ...entry, paused: false } satisfies PauseRecord);
    outcome = { changed: true, message: 'resumed' };
  } else {
    if (!(await deps.store.claimExecutionValue(executionId, PROMOTE_VALUE, entry))) {
      const earlier = await deps.store.getExecutionValue<ControlWish>(executionId, PROMOTE_VALUE);
      return { changed: false, message: `already promoted by ${earlier?.by} at ${earlier?.at}` };
    }
    // Promoting a paused go-live lets it go on: promotion is a decision to proceed.
    if (pause?.paused)
      await deps.store.putExecutionValue(executionId, PAUSE_VALUE, { ...entry, paused: false } satisfies PauseRecord);
    outcome = {
      changed: true,
      message:
        'promoted: the remaining canary steps are skipped at the next step boundary; the sign-off is still required',
    };
  }
  const request = await deps.store.getExecutionValue<{ service: string }>(executionId, 'request');
  await deps.store.appendAudit({
    executionId,
    service: request?.service ?? 'unknown',
    step: 'Controls',
    action,
    actor: wish.by,
    ...(wish.verifiedBy ? { verifiedBy: wish.verifiedBy } : {}),
    ...(name ? { actorName: name } : {}),
    outcome: 'info',
    summary: `${action} by ${wish.by}${wish.reason ? `: ${wish.reason}` : ''}`,
    evidence: entry,
    at,
  } satisfies AuditEntry);
  // A hold in progress ends now; the Checkpoint it returns to decides what comes next.
  if (action !== 'pause')
    await endHolds(deps, executionId, { [action === 'resume' ? 'resumedBy' : 'promotedBy']: wish.by });
  return outcome;
}

/**
 * Ends the holds the go-live waits in: answered, then forgotten, so a repeat after a crash between
 * the two answers again (SendTaskSuccess on a token already answered changes nothing).
 */
async function endHolds(
  deps: Pick<Deps, 'store' | 'callbacks'>,
  executionId: string,
  output: Record<string, string>,
): Promise<number> {
  const holds = await deps.store.findCallbacks({ executionId, kind: 'hold' });
  for (const callback of holds) {
    await deps.callbacks.succeed(callback.token, output);
    await deps.store.deleteCallback(callback.token);
  }
  return holds.length;
}

/** What the status card and `golive status --json` show. */
export async function controlState(
  store: Deps['store'],
  executionId: string,
): Promise<{ paused: boolean; held: boolean; pause?: PauseRecord; promote?: ControlWish; hold?: HoldRecord }> {
  const [pause, promote, hold, holds] = await Promise.all([
    store.getExecutionValue<PauseRecord>(executionId, PAUSE_VALUE),
    store.getExecutionValue<ControlWish>(executionId, PROMOTE_VALUE),
    store.getExecutionValue<HoldRecord>(executionId, HOLD_VALUE),
    store.findCallbacks({ executionId, kind: 'hold' }),
  ]);
  return {
    paused: pause?.paused === true,
    held: holds.length > 0,
    ...(pause ? { pause } : {}),
    ...(promote ? { promote } : {}),
    ...(hold ? { hold } : {}),
  };
}
