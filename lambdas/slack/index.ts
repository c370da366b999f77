import { SFNClient } from '@aws-sdk/client-sfn';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { awsDeps } from '../providers/aws';
import { slackClientOptions } from '../providers/aws/notifier';
import { createLambdaSlackHandler, type ApiGatewayEvent, type SlackLambdaHandler } from './lambda-receiver';

/**
 * The Slack endpoint behind API Gateway: AwsLambdaReceiver via createLambdaSlackHandler.
 * Environment: SLACK_SECRET_ARN (a Secrets Manager secret holding JSON
 * `{"signingSecret": "...", "botToken": "xoxb-..."}`, read at run time and cached, never logged)
 * and STATE_MACHINE_ARN. Store, config and task callbacks come from the AWS providers.
 */
const sfn = new SFNClient({});
const secrets = new SecretsManagerClient({});

function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`environment variable ${name} is not set`);
  return value;
}

async function build(): Promise<SlackLambdaHandler> {
  const { SecretString } = await secrets.send(new GetSecretValueCommand({ SecretId: requiredEnv('SLACK_SECRET_ARN') }));
  const { signingSecret, botToken } = JSON.parse(SecretString ?? '{}') as { signingSecret?: string; botToken?: string };
  if (!signingSecret || !botToken) throw new Error('the Slack secret must hold JSON with signingSecret and botToken');
  const deps = await awsDeps();
  return createLambdaSlackHandler(
    {
      config: deps.config,
      store: deps.store,
      callbacks: deps.callbacks,
      now: deps.now,
      sfn,
      stateMachineArn: requiredEnv('STATE_MACHINE_ARN'),
    },
    {
      signingSecret,
      botToken,
      // Bounded timeouts and retries, and GOLIVE_SLACK_API_URL (GovSlack): as the other functions.
      clientOptions: slackClientOptions(),
    },
  );
}

let built: Promise<SlackLambdaHandler> | undefined;

export const handler = async (event: ApiGatewayEvent, context: unknown) => {
  built ??= build().catch((err: unknown) => {
    built = undefined; // try again on the next request rather than caching the failure
    throw err;
  });
  return (await built)(event, context);
};
