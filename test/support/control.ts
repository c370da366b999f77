import { SFNClient } from '@aws-sdk/client-sfn';
import { GoLiveClient } from '../../lambdas/core/client';
import { startControlServer, type ControlServer } from '../../local/control-server';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { demoConfigFile, FakeCallbacks } from './fake-deps';

export const MOCKED_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:golive';

/**
 * The local control API over an in-memory store and an SFN client the test mocks
 * (aws-sdk-client-mock on SFNClient): for CLI tests that need exact Step Functions answers.
 */
export async function startMockedControl(): Promise<{
  server: ControlServer;
  store: SqliteStore;
  close(): Promise<void>;
}> {
  const store = new SqliteStore(':memory:');
  const client = new GoLiveClient({
    config: demoConfigFile(),
    sfn: new SFNClient({ region: 'us-east-1' }),
    stateMachineArn: MOCKED_MACHINE,
    store,
    callbacks: new FakeCallbacks(),
    now: () => new Date(),
  });
  const server = await startControlServer({ client, port: 0 });
  return {
    server,
    store,
    async close() {
      await server.close();
      store.close();
    },
  };
}
