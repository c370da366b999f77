import { Logger } from '@aws-lambda-powertools/logger';
import { SFNClient } from '@aws-sdk/client-sfn';
import { GoLiveClient } from '../core/client';
import { bundledConfig } from '../providers/aws/config';
import { readEnv } from '../providers/aws/env';
import { CLIENT_CONFIG } from '../providers/aws/errors';
import { lazyProvider } from '../providers/aws/lazy';
import type { Store } from '../core/ports';
import { SfnTaskCallbacks } from '../providers/sfn-callbacks';
import { createControlHandler, type ControlEvent } from './api';
import { iamIdentity } from './identity';

/** Environment variable carrying the go-live state machine's ARN (set by lib/control-api.ts). */
export const STATE_MACHINE_ENV = 'GOLIVE_STATE_MACHINE_ARN';

const logger = new Logger();
const sfn = new SFNClient(CLIENT_CONFIG);

let client: GoLiveClient | undefined;

/** Built on the first request (a missing variable or config then fails that request, naming it). */
function goLiveClient(): GoLiveClient {
  if (client) return client;
  const config = bundledConfig();
  const { table } = readEnv(['table']);
  const stateMachineArn = process.env[STATE_MACHINE_ENV];
  if (!stateMachineArn) {
    throw new Error(`environment variable ${STATE_MACHINE_ENV} is not set: deploy the function through ControlApi`);
  }
  client = new GoLiveClient({
    config,
    sfn,
    stateMachineArn,
    store: lazyProvider<Store>(() => import('../providers/aws/store').then((m) => new m.DynamoStore(table))),
    callbacks: new SfnTaskCallbacks(sfn),
    now: () => new Date(),
  });
  return client;
}

const handle = createControlHandler({
  client: async () => goLiveClient(),
  identify: (event) => iamIdentity(goLiveClient().config)(event),
  logError: (message, details) => logger.error(message, details),
});

/** API Gateway (REST, Lambda proxy, IAM authorization) → the control API. */
export const handler = async (event: ControlEvent) => {
  const result = await handle(event);
  logger.info('control request', {
    method: event.httpMethod,
    path: event.path,
    principal: event.requestContext?.identity?.userArn,
    status: result.statusCode,
  });
  return result;
};
