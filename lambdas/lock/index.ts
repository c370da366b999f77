import { checkpoint } from '../core/steps/checkpoint';
import { acquire } from '../core/steps/lock';
import { release } from '../core/steps/release';
import { awaitRetry } from '../core/steps/retry';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

/** The go-live's governance: the lock, the step boundaries (pause, promote, freeze) and the retry point. */
export const createHandler = taskHandler('lock', (deps, event): Promise<unknown> => {
  switch (event.state) {
    case 'ValidateAndLock':
      return acquire(deps, event);
    case 'Checkpoint':
    case 'CheckpointBeforePromotion':
      return checkpoint(deps, event);
    case 'AwaitRetry':
      return awaitRetry(deps, event);
    default:
      return release(deps, event);
  }
});
export const handler = createHandler(awsDeps);
