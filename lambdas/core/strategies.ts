/**
 * Constants the Lambdas need at run time, kept apart from the config schema so that a function
 * bundle does not carry zod and yaml (the config is validated at synth and at local start).
 */
export const STRATEGIES = ['all-at-once', 'blue-green', 'canary'] as const;
export type Strategy = (typeof STRATEGIES)[number];
