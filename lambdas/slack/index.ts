import { Logger } from '@aws-lambda-powertools/logger';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GoLiveClient } from '../core/client';
import type { Store } from '../core/ports';
import { bundledConfig } from '../providers/aws/config';
import { readEnv } from '../providers/aws/env';
import { CLIENT_CONFIG } from '../providers/aws/errors';
import { lazyProvider } from '../providers/aws/lazy';
import { SlackSecret, slackClientOptions } from '../providers/aws/notifier';
import { SfnTaskCallbacks } from '../providers/sfn-callbacks';
import { slackAppContext } from './context';
import {
  createLambdaSlackHandler,
  type ApiGatewayEvent,
  type SlackLambdaHandler,
  type SlackWorkEvent,
} from './lambda-receiver';

/**
 * The Slack endpoint behind API Gateway (lambdas/slack/lambda-receiver.ts), and the second leg of
 * each request it answers: an asynchronous invocation of this same function.
 * Environment: GOLIVE_SLACK_SECRET_ARN (the Secrets Manager secret holding JSON
 * `{"signingSecret": "...", "botToken": "xoxb-..."}`, read at run time through SlackSecret like
 * every golive function: cached 5 minutes, never logged), STATE_MACHINE_ARN and GOLIVE_TABLE.
 * AWS_LAMBDA_FUNCTION_NAME (set by Lambda) names the function it hands work to.
 */
export const STATE_MACHINE_ENV = 'STATE_MACHINE_ARN';

const logger = new Logger();
const sfn = new SFNClient(CLIENT_CONFIG);
const lambda = new LambdaClient({});

let goLives: { client: GoLiveClient; store: Store } | undefined;
let secret: SlackSecret | undefined;
let built: { credentials: string; handler: SlackLambdaHandler } | undefined;

/** Built on the first request (a missing variable or config then fails that request, naming it). */
function goLiveClient(): { client: GoLiveClient; store: Store } {
  if (goLives) return goLives;
  const config = bundledConfig();
  const { table } = readEnv(['table']);
  const stateMachineArn = process.env[STATE_MACHINE_ENV];
  if (!stateMachineArn) {
    throw new Error(`environment variable ${STATE_MACHINE_ENV} is not set: deploy the function through SlackIngress`);
  }
  const store = lazyProvider<Store>(() => import('../providers/aws/store').then((m) => new m.DynamoStore(table)));
  const client = new GoLiveClient({
    config,
    sfn,
    stateMachineArn,
    store,
    callbacks: new SfnTaskCallbacks(sfn),
    now: () => new Date(),
  });
  goLives = { client, store };
  return goLives;
}

/** The work of an answered request, to this function, asynchronously (it returns once Lambda queued it). */
async function handOver(work: SlackWorkEvent): Promise<void> {
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME;
  if (!functionName) throw new Error('environment variable AWS_LAMBDA_FUNCTION_NAME is not set: run this on Lambda');
  await lambda.send(
    new InvokeCommand({
      FunctionName: functionName,
      InvocationType: 'Event',
      Payload: new TextEncoder().encode(JSON.stringify(work)),
    }),
  );
}

/** The Bolt app for the current credentials: rebuilt when the secret read after its cache expired has changed. */
async function slackHandler(): Promise<SlackLambdaHandler> {
  secret ??= new SlackSecret(readEnv(['slackSecretArn']).slackSecretArn);
  const { signingSecret, botToken } = await secret.get();
  const credentials = `${signingSecret}\n${botToken}`;
  if (built?.credentials !== credentials) {
    const { client, store } = goLiveClient();
    built = {
      credentials,
      handler: createLambdaSlackHandler(slackAppContext(client, store), {
        signingSecret,
        botToken,
        // Bounded timeouts and retries, and GOLIVE_SLACK_API_URL (GovSlack): as the other functions.
        clientOptions: slackClientOptions(),
        handOver,
        logError: (message, details) => logger.error(message, details),
      }),
    };
  }
  return built.handler;
}

export const handler = async (event: ApiGatewayEvent | SlackWorkEvent, context: unknown) => {
  const slack = await slackHandler();
  return slack(event as ApiGatewayEvent, context);
};
