import { FreezeWindow, PauseExpired } from '../errors';
import { activeFreezes, freezeMessage, type FreezeOccurrence } from '../freeze';
import type { Deps } from '../ports';
import type { StepPayload } from '../workflow/definition';
import {
  HOLD_VALUE,
  PAUSE_VALUE,
  PROMOTE_VALUE,
  type ControlWish,
  type HoldRecord,
  type PauseRecord,
} from './controls';
import { runStep } from './step';

/**
 * The step boundaries (Checkpoint, CheckpointBeforePromotion), in the lock function: they read the
 * release controls' wishes (controls.ts) and the change-freeze calendar, and decide to go on, hold
 * or promote. Apart from controls.ts, which every function's notifier reads: the calendar's cron
 * evaluation is bundled only where it is used.
 */

export interface CheckpointResult {
  action: 'continue' | 'hold' | 'promote';
  /** How long the Paused task waits before the boundary looks again (hold only). */
  holdSeconds?: number;
  reason?: string;
}

const secondsBetween = (from: string, to: Date) => Math.max(0, (to.getTime() - Date.parse(from)) / 1000);

/**
 * Checkpoint / CheckpointBeforePromotion. Holds while a release manager paused the go-live, or (before
 * promotion, freezePolicy.duringRun: hold) while a change freeze that began during it is in force and it
 * is not a break-glass. All holds of a go-live share controls.maxHoldSeconds: beyond it, PauseExpired
 * (or FreezeWindow) rolls back. At a canary boundary, a promote skips the remaining canary steps.
 * An uneventful boundary leaves no audit record (it would repeat before every step).
 */
export async function checkpoint(
  deps: Deps,
  event: StepPayload<'Checkpoint' | 'CheckpointBeforePromotion'>,
): Promise<CheckpointResult> {
  const { executionId, request, plan } = event;
  const now = deps.now();
  const [pause, promote, hold] = await Promise.all([
    deps.store.getExecutionValue<PauseRecord>(executionId, PAUSE_VALUE),
    deps.store.getExecutionValue<ControlWish>(executionId, PROMOTE_VALUE),
    deps.store.getExecutionValue<HoldRecord>(executionId, HOLD_VALUE),
  ]);
  const beforePromotion = event.state === 'CheckpointBeforePromotion';
  const freeze: FreezeOccurrence | undefined =
    // An approved break-glass, and an undo (let into the freeze on purpose), are never held by one.
    beforePromotion && plan.breakGlass !== 'required' && plan.kind !== 'undo'
      ? activeFreezes(deps.config.freezes, request.service, now)[0]
      : undefined;
  const holdForFreeze = freeze !== undefined && deps.config.freezePolicy.duringRun === 'hold';
  const paused = pause?.paused === true;
  const clock: HoldRecord = hold ?? { heldSeconds: 0 };
  const held = clock.heldSeconds + (clock.since ? secondsBetween(clock.since, now) : 0);

  if (!paused && !holdForFreeze) {
    const promoting = !beforePromotion && promote !== undefined && event.canaryIndex < plan.stepCount;
    if (!clock.since && !promoting && !freeze) {
      // Nothing to do or tell; an abort still stops the go-live here.
      const abort = await deps.store.getExecutionValue<{ by: string; reason: string }>(executionId, 'abort');
      if (!abort) return { action: 'continue' };
    }
    return runStep<CheckpointResult>(deps, event, event.state, 'checkpoint', async () => {
      if (clock.since) await deps.store.putExecutionValue(executionId, HOLD_VALUE, { heldSeconds: held });
      const resumed = clock.since ? `resumed after ${Math.round(held - clock.heldSeconds)} s held; ` : '';
      if (promoting) {
        const skipped = plan.steps.slice(event.canaryIndex);
        return {
          result: { action: 'promote' },
          summary: `${resumed}promoted by ${promote.by}: canary step(s) ${skipped.join('%, ')}% skipped, straight to ${
            plan.signOff === 'before-promotion' ? 'the sign-off' : 'promotion'
          }${promote.reason ? ` (${promote.reason})` : ''}`,
          evidence: { promote, skipped },
        };
      }
      return {
        result: { action: 'continue' },
        summary: freeze
          ? `${resumed}${freezeMessage(freeze, now)} began during the go-live: it finishes (freezePolicy.duringRun: finish)`
          : `${resumed}going on`,
        evidence: { heldSeconds: held, ...(freeze ? { freeze } : {}) },
      };
    });
  }

  const why: HoldRecord['why'] = paused ? 'pause' : 'freeze';
  return runStep<CheckpointResult>(deps, event, event.state, 'hold', async () => {
    const max = deps.config.controls.maxHoldSeconds;
    const remaining = Math.floor(max - held);
    const reason = paused
      ? `paused by ${pause.by}${pause.reason ? `: ${pause.reason}` : ''}`
      : `${freezeMessage(freeze!, now)} began during the go-live (freezePolicy.duringRun: hold)`;
    if (remaining <= 0) {
      const message = `held ${Math.round(held)} s in all, controls.maxHoldSeconds is ${max} s: rolling back (${reason})`;
      throw paused
        ? new PauseExpired(message, { evidence: { pause, heldSeconds: held } })
        : new FreezeWindow(message, { evidence: { freeze, heldSeconds: held } });
    }
    await deps.store.putExecutionValue(executionId, HOLD_VALUE, {
      heldSeconds: clock.heldSeconds,
      since: clock.since ?? now.toISOString(),
      why,
    } satisfies HoldRecord);
    const untilFreezeEnds = freeze ? Math.ceil((Date.parse(freeze.end) - now.getTime()) / 1000) : Infinity;
    const holdSeconds = Math.max(1, paused ? remaining : Math.min(remaining, untilFreezeEnds));
    return {
      result: { action: 'hold', holdSeconds, reason },
      summary: `held before ${beforePromotion ? 'promotion' : `canary step ${event.canaryIndex + 1}`}: ${reason}; ${remaining} s of the hold budget left`,
      evidence: { ...(pause ? { pause } : {}), ...(freeze ? { freeze } : {}), heldSeconds: held, holdSeconds },
    };
  });
}
