import type { GoLiveConfig } from '../../core/config';

/**
 * golive.config.yaml, validated at synth (GoLiveOrchestrator runs parseConfig on it) and bundled
 * into every function as JSON by esbuild's \`define\` (see lib/golive-function.ts): a config change
 * redeploys the functions. The bundle deliberately carries no validator (zod and yaml would
 * double its size and its cold start); a shape check catches a bundle built some other way.
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
  const config = JSON.parse(json) as Partial<GoLiveConfig>;
  const missing = (['slack', 'approval', 'services', 'readiness'] as const).filter(
    (key) => !config[key] || typeof config[key] !== 'object',
  );
  if (missing.length > 0) {
    throw new Error(
      `the bundled golive config is invalid (missing ${missing.join(', ')}): build it through the GoLiveOrchestrator construct, which validates it`,
    );
  }
  return config as GoLiveConfig;
}
