/**
 * The example configs for real AWS services (examples/*.golive.config.yaml) go through the real
 * config schema and synthesize the default stack nag-clean, with the IAM they imply: what README's
 * "Deploying to AWS" tells a platform engineer to start from must deploy as written.
 */
import * as path from 'node:path';
import { App, Validations, type CfnElement } from 'aws-cdk-lib';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadConfig } from '../../lambdas/core/config-file';
import type { GoLiveConfig } from '../../lambdas/core/config';
import { configuredEndpoints } from '../../lambdas/providers/aws/traffic';
import { GoLiveStack } from '../../lib/golive-stack';
import { decide, DeployedIam, type CfnTemplate } from '../cdk/iam-template';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');
const ALB_EXAMPLE = path.join(EXAMPLES, 'alb-service.golive.config.yaml');
const LAMBDA_EXAMPLE = path.join(EXAMPLES, 'lambda-alias-service.golive.config.yaml');
const SUBNETS = ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'];

let alb: GoLiveStack;
let lambdaAlias: GoLiveStack;
/** The shipped local-only demo config, for contrast. */
let demo: GoLiveStack;
let iam: Record<'alb' | 'lambdaAlias', DeployedIam>;

const fnLogicalId = (stack: GoLiveStack, key: 'traffic' | 'readiness' | 'lock') =>
  stack.getLogicalId(stack.orchestrator.functions[key].node.defaultChild as CfnElement);

beforeAll(() => {
  // As `npx cdk deploy GoLive -c configFile=examples/…` builds it (the ALB one behind an internal
  // load balancer: -c vpcId -c subnetIds), with cdk-nag; not bundled: this is about resources and IAM.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  alb = new GoLiveStack(app, 'AlbExample', {
    configFile: ALB_EXAMPLE,
    network: { vpcId: 'vpc-0123456789abcdef0', subnetIds: SUBNETS },
  });
  lambdaAlias = new GoLiveStack(app, 'LambdaAliasExample', { configFile: LAMBDA_EXAMPLE });
  demo = new GoLiveStack(app, 'Demo');
  // Throws on any unacknowledged cdk-nag finding.
  const assembly = app.synth();
  iam = {
    alb: new DeployedIam(assembly.getStackByName('AlbExample').template as CfnTemplate),
    lambdaAlias: new DeployedIam(assembly.getStackByName('LambdaAliasExample').template as CfnTemplate),
  };
});

describe.each([
  ['alb-service', ALB_EXAMPLE],
  ['lambda-alias-service', LAMBDA_EXAMPLE],
])('examples/%s.golive.config.yaml', (_name, file) => {
  let config: GoLiveConfig;
  beforeAll(() => {
    config = loadConfig(file);
  });

  it('passes the config schema and describes only services that can go live on AWS', () => {
    const services = Object.entries(config.services);

    expect(services.length).toBeGreaterThan(0);
    for (const [name, service] of services) {
      expect({ name, traffic: service.traffic.kind }).toEqual({
        name,
        traffic: expect.stringMatching(/^(alb|lambda-alias)$/),
      });
      expect({ name, backup: service.backup.kind }).toEqual({ name, backup: expect.not.stringMatching(/^sqlite$/) });
      // The AWS traffic provider refuses a service without live, blue and green URLs.
      expect(configuredEndpoints(config, name)).toEqual({
        live: expect.stringMatching(/^https:\/\//),
        blue: expect.stringMatching(/^https:\/\//),
        green: expect.stringMatching(/^https:\/\//),
      });
    }
  });

  it('synthesizes without the warning the shipped local-only demo gets', () => {
    const stack = file === ALB_EXAMPLE ? alb : lambdaAlias;
    const localOnly = (s: GoLiveStack) =>
      Annotations.fromStack(s).findWarning('*', Match.stringLikeRegexp('local runtime only'));

    expect(localOnly(stack)).toEqual([]);
    expect(localOnly(demo)).toHaveLength(1);
  });

  it('routes the state changes of every alarm it lists to the alarm handler', () => {
    const stack = file === ALB_EXAMPLE ? alb : lambdaAlias;
    const template = iam[file === ALB_EXAMPLE ? 'alb' : 'lambdaAlias'].template;
    const ruleId = stack.getLogicalId(stack.orchestrator.alarmRule.node.defaultChild as CfnElement);

    const pattern = JSON.stringify(template.Resources[ruleId].Properties?.EventPattern);

    for (const alarm of Object.values(config.services).flatMap((s) => s.alerts.alarms)) {
      expect(pattern).toContain(`"${alarm}"`);
    }
  });
});

describe('the ALB example', () => {
  it('lets the traffic function change the configured listener and no other', async () => {
    const traffic = iam.alb.policies(fnLogicalId(alb, 'traffic'));
    const listener = loadConfig(ALB_EXAMPLE).services.checkout.traffic as { listenerArn: string };

    expect(
      await decide(traffic, { action: 'elasticloadbalancing:ModifyListener', resource: listener.listenerArn }),
    ).toBe('Allowed');
    expect(
      await decide(traffic, {
        action: 'elasticloadbalancing:ModifyListener',
        resource: listener.listenerArn.replace('/checkout/', '/payments/'),
      }),
    ).not.toBe('Allowed');
  });

  it('runs the readiness function in the VPC the internal load balancer is in', () => {
    const readiness = iam.alb.template.Resources[fnLogicalId(alb, 'readiness')].Properties as {
      VpcConfig?: { SubnetIds: string[] };
    };

    expect(readiness.VpcConfig?.SubnetIds).toEqual(SUBNETS);
  });
});

describe('the Lambda alias example', () => {
  it('lets the traffic function move the alias live of orders-api and nothing else', async () => {
    const traffic = iam.lambdaAlias.policies(fnLogicalId(lambdaAlias, 'traffic'));
    const alias = 'arn:aws:lambda:eu-west-1:123456789012:function:orders-api:live';

    expect(await decide(traffic, { action: 'lambda:UpdateAlias', resource: alias })).toBe('Allowed');
    expect(
      await decide(traffic, {
        action: 'lambda:UpdateAlias',
        resource: 'arn:aws:lambda:eu-west-1:123456789012:function:payments-api:live',
      }),
    ).not.toBe('Allowed');
  });

  it('lets ValidateAndLock find the release among the published versions, read-only', async () => {
    const lock = iam.lambdaAlias.policies(fnLogicalId(lambdaAlias, 'lock'));
    const fn = 'arn:aws:lambda:eu-west-1:123456789012:function:orders-api';

    expect(await decide(lock, { action: 'lambda:ListVersionsByFunction', resource: fn })).toBe('Allowed');
    expect(await decide(lock, { action: 'lambda:UpdateAlias', resource: `${fn}:live` })).not.toBe('Allowed');
  });
});
