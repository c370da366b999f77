import { Readable } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CLIENT_CONFIG } from '../../lambdas/providers/aws/errors';
import { DynamoStore } from '../../lambdas/providers/aws/store';

interface SentRequest {
  headers: Record<string, string>;
}

/**
 * The real SDK client (no mock of `send`) over a scripted HTTP handler: proves that throttling is
 * retried by the SDK with golive's client settings before the workflow's own Retry sees anything.
 */
function scriptedClient(statuses: number[]): { client: DynamoDBClient; requests: SentRequest[] } {
  const requests: SentRequest[] = [];
  const requestHandler = {
    handle: async (request: SentRequest) => {
      requests.push(request);
      const status = statuses[Math.min(requests.length - 1, statuses.length - 1)];
      const body =
        status === 200
          ? '{}'
          : JSON.stringify({
              __type: 'com.amazonaws.dynamodb.v20120810#ThrottlingException',
              message: 'Rate exceeded',
            });
      return {
        response: {
          statusCode: status,
          headers: { 'content-type': 'application/x-amz-json-1.0' },
          body: Readable.from([Buffer.from(body)]),
        },
      };
    },
  };
  const client = new DynamoDBClient({
    ...CLIENT_CONFIG,
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: 'secret' },
    requestHandler: requestHandler as never,
  });
  return { client, requests };
}

describe('AWS SDK retries with golive’s client settings', () => {
  // One throttled attempt only: the SDK waits about 2 s before retrying a throttled call. The
  // mapping of exhausted retries to ProviderUnavailable is covered with mocked clients.
  it('retries a throttled write and succeeds without the workflow noticing', async () => {
    const { client, requests } = scriptedClient([400, 200]);

    await new DynamoStore('golive-store', client).putExecutionValue('exec-1', 'plan', { steps: [10] });

    expect(requests).toHaveLength(2);
    expect(requests.every((r) => r.headers['x-amz-target'] === 'DynamoDB_20120810.PutItem')).toBe(true);
  });
});
