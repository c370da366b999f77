/**
 * IAM's size limits hold for a platform of 20 services: a role's inline policies may total 10,240
 * characters, a managed policy 6,144, and a role carries at most 10 managed policies by default.
 * Sizes are measured on the policies as deployed (intrinsics resolved), without whitespace.
 */
import { App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseConfig, type GoLiveConfig } from '../../lambdas/core/config';
import { GoLiveOrchestrator } from '../../lib/go-live-orchestrator';
import { ACCOUNT, DeployedIam, policySize, REGION, type CfnTemplate } from './iam-template';

const INLINE_LIMIT = 10_240;
const MANAGED_LIMIT = 6_144;
const MANAGED_PER_ROLE = 10;

/** Twenty services as a platform team would list them: every traffic, backup and mute kind, readiness resources declared. */
export function twentyServices(): GoLiveConfig {
  const arn = (service: string, resource: string) => `arn:aws:${service}:${REGION}:${ACCOUNT}:${resource}`;
  const services: Record<string, unknown> = {};
  for (let i = 1; i <= 20; i++) {
    const name = `service-${String(i).padStart(2, '0')}-payments-platform`;
    const traffic =
      i % 2
        ? {
            kind: 'alb',
            listenerArn: arn('elasticloadbalancing', `listener/app/${name}/0123456789abcdef/fedcba9876543210`),
            ...(i % 4 === 1
              ? {
                  ruleArn: arn(
                    'elasticloadbalancing',
                    `listener-rule/app/${name}/0123456789abcdef/fedcba9876543210/0a1b2c3d4e5f6a7b`,
                  ),
                }
              : {}),
            blueTargetGroupArn: arn('elasticloadbalancing', `targetgroup/${name}-blue/0123456789abcdef`),
            greenTargetGroupArn: arn('elasticloadbalancing', `targetgroup/${name}-green/0123456789abcdef`),
          }
        : { kind: 'lambda-alias', functionName: `${name}-api`, alias: 'live' };
    const kms = [arn('kms', `key/1234abcd-12ab-34cd-56ef-${String(i).padStart(12, '0')}`)];
    const backups = [
      { kind: 'dynamodb-pitr', tableName: `${name}-orders`, kmsKeyArns: kms },
      { kind: 'rds-snapshot', dbInstanceIdentifier: `${name}-db`, kmsKeyArns: kms },
      { kind: 'rds-snapshot', dbClusterIdentifier: `${name}-aurora` },
      {
        kind: 'aws-backup',
        backupVaultName: 'prod-vault',
        resourceArn: i % 2 ? arn('rds', `db:${name}-db`) : arn('dynamodb', `table/${name}-orders`),
        iamRoleArn: `arn:aws:iam::${ACCOUNT}:role/golive-backup-restore`,
      },
    ];
    services[name] = {
      endpoints: {
        live: `https://${name}.example.com`,
        blue: `https://blue.${name}.example.com`,
        green: `https://green.${name}.example.com`,
      },
      alerts: {
        alarms: [`${name}-5xx-rate`, `${name}-p99-latency`, `${name}-composite`],
        ...(i % 3 === 0 ? { muteMode: 'disable-actions' } : {}),
      },
      backup: backups[i % backups.length],
      smokeTests: [{ name: 'health', path: '/health' }],
      traffic,
      readiness: {
        resources: {
          dynamodbTables: [`${name}-orders`],
          rdsInstances: [`${name}-db`],
          lambdaFunctions: [`${name}-worker`],
          logGroups: [`/aws/lambda/${name}-api`],
          secrets: [`${name}/database`],
          ecrRepository: name,
        },
      },
    };
  }
  return parseConfig(
    { slack: { channel: '#releases', releaseManagers: ['U_RM'], approvers: ['U_ANA', 'U_BEN'] }, services },
    'twenty services',
  );
}

let iam: DeployedIam;
let functionIds: string[];

beforeAll(() => {
  // Not bundled: these tests are about the template's IAM, not the code.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], '@aws-cdk/aws-iam:minimizePolicies': true } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new Stack(app, 'GoLive');
  new GoLiveOrchestrator(stack, 'Orchestrator', { config: twentyServices() });
  // Throws on any cdk-nag finding left unacknowledged.
  const template = app.synth().getStackByName('GoLive').template as CfnTemplate;
  iam = new DeployedIam(template);
  functionIds = Object.entries(template.Resources)
    .filter(
      ([, r]) =>
        r.Type === 'AWS::Lambda::Function' && (r.Properties as { Handler?: string }).Handler === 'index.handler',
    )
    .map(([id]) => id);
});

describe('golive IAM for 20 services', () => {
  it('synthesizes every function (cdk-nag clean)', () => {
    expect(functionIds.length).toBeGreaterThanOrEqual(13);
  });

  it('keeps each role’s inline policies within 10,240 characters', () => {
    const sizes = functionIds.map((id) => [
      id,
      iam
        .policies(id)
        .filter((p) => p.kind === 'inline')
        .reduce((sum, p) => sum + policySize(p.policy), 0),
    ]);

    expect(sizes.filter(([, size]) => (size as number) > INLINE_LIMIT)).toEqual([]);
  });

  it('keeps each managed policy within 6,144 characters and each role within 10 managed policies', () => {
    const tooLarge = functionIds.flatMap((id) =>
      iam
        .policies(id)
        .filter((p) => p.kind === 'managed' && policySize(p.policy) > MANAGED_LIMIT)
        .map((p) => [p.name, policySize(p.policy)]),
    );
    const tooMany = functionIds.filter((id) => iam.managedPolicyCount(id) > MANAGED_PER_ROLE);

    expect({ tooLarge, tooMany }).toEqual({ tooLarge: [], tooMany: [] });
  });
});
