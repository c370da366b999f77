import type { RolloutPlan } from '../../lambdas/core/request';

/** A complete rollout plan (a canary of the demo's shape), for tests that call a step directly. */
export function testPlan(overrides: Partial<RolloutPlan> = {}): RolloutPlan {
  return {
    strategy: 'canary',
    steps: [10, 50],
    stepCount: 2,
    bakeSeconds: 1,
    postPromotionBakeSeconds: 0,
    signOff: 'before-promotion',
    approvalTimeoutSeconds: 900,
    alarms: ['demo-5xx-rate'],
    stableSlot: 'blue',
    candidateSlot: 'green',
    maxRunSeconds: 3600,
    minApprovals: 1,
    kind: 'go-live',
    breakGlass: 'no',
    breakGlassTimeoutSeconds: 0,
    ...overrides,
  };
}
