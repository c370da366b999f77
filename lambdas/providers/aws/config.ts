import { parseConfig, type GoLiveConfig } from '../../core/config';

/**
 * golive.config.yaml, validated at synth and bundled into every function as JSON by esbuild's
 * `define` (see lib/golive-function.ts): a config change redeploys the functions, and a function
 * can never run with a config that was not validated.
 */
declare const __GOLIVE_CONFIG__: string | undefined;

export function bundledConfig(
  json: string | undefined = typeof __GOLIVE_CONFIG__ === 'string' ? __GOLIVE_CONFIG__ : undefined,
): GoLiveConfig {
  if (!json) {
    throw new Error(
      'this bundle carries no golive config: build it through the GoLiveOrchestrator construct (cdk synth)',
    );
  }
  return parseConfig(JSON.parse(json), 'the bundled golive config');
}
