import { awsConfig } from './helpers';

const CLIENTS = ['@aws-sdk/client-dynamodb', '@aws-sdk/client-rds', '@aws-sdk/client-backup'];

describe('AwsBackup module loading', () => {
  let loaded: Set<string>;

  beforeEach(() => {
    jest.resetModules();
    loaded = new Set();
    for (const pkg of CLIENTS) {
      jest.doMock(pkg, () => {
        loaded.add(pkg);
        return jest.requireActual<object>(pkg);
      });
    }
  });
  afterEach(() => {
    for (const pkg of CLIENTS) jest.dontMock(pkg);
  });

  it('loads no SDK client until a kind is used', async () => {
    const { AwsBackup } = await import('../../lambdas/providers/aws/backup');

    new AwsBackup(awsConfig());

    expect([...loaded]).toEqual([]);
  });

  it('loads only the DynamoDB client for a dynamodb-pitr service', async () => {
    const { AwsBackup } = await import('../../lambdas/providers/aws/backup');
    const { mockClient } = await import('aws-sdk-client-mock');
    const sdk = await import('@aws-sdk/client-dynamodb');
    mockClient(sdk.DynamoDBClient)
      .on(sdk.DescribeContinuousBackupsCommand)
      .resolves({
        ContinuousBackupsDescription: {
          ContinuousBackupsStatus: 'ENABLED',
          PointInTimeRecoveryDescription: {
            PointInTimeRecoveryStatus: 'ENABLED',
            LatestRestorableDateTime: new Date('2026-11-26T09:55:00.000Z'),
          },
        },
      });

    const point = await new AwsBackup(awsConfig()).latestRecoveryPoint('orders');

    expect(point.at).toBe('2026-11-26T09:55:00.000Z');
    expect([...loaded]).toEqual(['@aws-sdk/client-dynamodb']);
  });
});
