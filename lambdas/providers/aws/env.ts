/** Environment variables the AWS functions read; set by the GoLiveOrchestrator construct. */
export const ENV = {
  table: 'GOLIVE_TABLE',
  slackSecretArn: 'GOLIVE_SLACK_SECRET_ARN',
} as const;

export class MissingEnvironment extends Error {
  constructor(name: string) {
    super(
      `environment variable ${name} is not set: deploy the function through the GoLiveOrchestrator construct, which sets it`,
    );
    this.name = 'MissingEnvironment';
  }
}

/** Reads the named variables once, failing fast and naming the first missing one. */
export function readEnv<K extends keyof typeof ENV>(
  keys: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const key of keys) {
    const value = env[ENV[key]];
    if (!value) throw new MissingEnvironment(ENV[key]);
    out[key] = value;
  }
  return out;
}
