import { analyzeCanary } from '../core/steps/analysis';
import { startBake } from '../core/steps/bake';
import { taskHandler } from '../handler';
import { awsDeps } from '../providers/aws';

/** Bake / PostPromotionBake register their watch; AnalyzeCanary judges the bake that passed. */
export const createHandler = taskHandler('bake', (deps, event): Promise<unknown> =>
  event.state === 'AnalyzeCanary' ? analyzeCanary(deps, event) : startBake(deps, event),
);
export const handler = createHandler(awsDeps);
