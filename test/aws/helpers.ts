import { parseConfig, type GoLiveConfig } from '../../lambdas/core/config';

/** An AWS SDK service error as the clients throw it: name + HTTP status in $metadata. */
export function awsError(name: string, httpStatusCode: number, message = name): Error {
  return Object.assign(new Error(message), {
    name,
    $metadata: { httpStatusCode },
    $fault: httpStatusCode >= 500 ? 'server' : 'client',
  });
}

export const throttled = () => awsError('ThrottlingException', 400, 'Rate exceeded');
export const serverError = () => awsError('InternalFailure', 500, 'We encountered an internal error');
export const accessDenied = () =>
  awsError('AccessDeniedException', 400, 'User is not authorized to perform this action');

/** A config with one service per AWS traffic / backup kind. */
export function awsConfig(overrides: Record<string, unknown> = {}): GoLiveConfig {
  const smokeTests = [{ name: 'health', path: '/health' }];
  const endpoints = {
    live: 'https://orders.example.com',
    blue: 'https://blue.orders.example.com',
    green: 'https://green.orders.example.com',
  };
  return parseConfig({
    slack: { channel: '#releases', releaseManagers: ['U_RM'], approvers: ['U_APPROVER'] },
    services: {
      orders: {
        endpoints,
        alerts: { alarms: ['orders-5xx', 'orders-latency'] },
        backup: { kind: 'dynamodb-pitr', tableName: 'orders', rpoMinutes: 60 },
        smokeTests,
        traffic: {
          kind: 'alb',
          listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/orders/abc/def',
          blueTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-blue/1',
          greenTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-green/2',
        },
      },
      billing: {
        endpoints,
        alerts: { alarms: ['billing-errors'], muteMode: 'disable-actions' },
        backup: { kind: 'rds-snapshot', dbInstanceIdentifier: 'billing-db' },
        smokeTests,
        traffic: { kind: 'lambda-alias', functionName: 'billing-api', alias: 'live' },
      },
      ledger: {
        endpoints,
        alerts: { alarms: ['ledger-errors'] },
        backup: { kind: 'rds-snapshot', dbClusterIdentifier: 'ledger-aurora' },
        smokeTests,
        traffic: {
          kind: 'alb',
          listenerArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/shared/abc/def',
          ruleArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener-rule/app/shared/abc/def/ghi',
          blueTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/ledger-blue/3',
          greenTargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/ledger-green/4',
        },
      },
      vault: {
        endpoints,
        alerts: { alarms: ['vault-errors'] },
        backup: {
          kind: 'aws-backup',
          backupVaultName: 'prod-vault',
          resourceArn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/vault',
          iamRoleArn: 'arn:aws:iam::123456789012:role/golive-restore',
        },
        smokeTests,
        traffic: { kind: 'lambda-alias', functionName: 'vault-api', alias: 'live' },
      },
    },
    ...overrides,
  });
}
