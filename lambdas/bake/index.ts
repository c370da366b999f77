import { analyzeCanary } from '../core/steps/analysis';
import { startBake } from '../core/steps/bake';
import { startHold } from '../core/steps/controls';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

/** Bake / PostPromotionBake register their watch; AnalyzeCanary judges the bake that passed; Paused holds, watched. */
export const createHandler = taskHandler('bake', (deps, event): Promise<unknown> => {
  switch (event.state) {
    case 'AnalyzeCanary':
      return analyzeCanary(deps, event);
    case 'Paused':
    case 'PausedBeforePromotion':
      return startHold(deps, event);
    default:
      return startBake(deps, event);
  }
});
export const handler = createHandler(awsDeps);
