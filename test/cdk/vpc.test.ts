/**
 * Services behind an internal load balancer: the functions that call the service's URLs (readiness,
 * smoke-test) run in the VPC when one is given, every other function stays out of it, and the
 * stack stays cdk-nag clean with one precise acknowledgement on exactly those functions.
 */
import * as path from 'node:path';
import { App, CfnElement, Stack, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { loadConfig } from '../../lambdas/core/config-file';
import { GoLiveOrchestrator, SERVICE_REACHING_FUNCTIONS, type GoLiveFunctionKey } from '../../lib/go-live-orchestrator';
import { GoLiveStack } from '../../lib/golive-stack';

const FIXTURE_CONFIG = path.join(__dirname, 'fixtures', 'golive.config.yaml');
const SUBNETS = ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'];
const VPC_POLICY = 'service-role/AWSLambdaVPCAccessExecutionRole';
const VPC_ACK =
  'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]';

interface Resource {
  Type: string;
  Properties?: Record<string, unknown>;
  Metadata?: { cdk_nag?: { rules_to_suppress: { id: string; reason: string }[] } };
}

let plain: GoLiveStack;
let inVpc: GoLiveStack;
let embedded: Stack;
let embeddedGoLive: GoLiveOrchestrator;
let clientSecurityGroup: ec2.SecurityGroup;
let templates: Record<'plain' | 'inVpc' | 'embedded', Template>;

const logicalId = (stack: Stack, construct: IConstruct) =>
  stack.getLogicalId(construct.node.defaultChild as CfnElement);
const resources = (template: Template) => template.toJSON().Resources as Record<string, Resource>;
/** Logical id of each Lambda function (golive's and the Slack and control functions) → its VpcConfig. */
const vpcConfigs = (template: Template) =>
  Object.fromEntries(
    Object.entries(resources(template))
      .filter(([, r]) => r.Type === 'AWS::Lambda::Function')
      .map(([id, r]) => [id, r.Properties?.VpcConfig]),
  );
const rolesWithVpcPolicy = (template: Template) =>
  Object.entries(resources(template))
    .filter(
      ([, r]) =>
        r.Type === 'AWS::IAM::Role' && JSON.stringify(r.Properties?.ManagedPolicyArns ?? []).includes(VPC_POLICY),
    )
    .map(([id]) => id)
    .sort();
const fnId = (stack: GoLiveStack | Stack, golive: GoLiveOrchestrator, key: GoLiveFunctionKey) =>
  logicalId(stack, golive.functions[key]);
const roleId = (stack: GoLiveStack | Stack, golive: GoLiveOrchestrator, key: GoLiveFunctionKey) =>
  logicalId(stack, golive.functions[key].role as IConstruct);
/** Logical ids of every CloudFormation resource inside a construct. */
const idsUnder = (stack: Stack, construct: IConstruct) =>
  construct.node
    .findAll()
    .filter((c): c is CfnElement => CfnElement.isCfnElement(c))
    .map((e) => stack.getLogicalId(e));

beforeAll(() => {
  // Not bundled (these tests read resources, not code); cdk-nag on, as in bin/app.ts, with the
  // acknowledgements written into the templates so the tests can see where each one sits.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { writeSuppressionsToCloudFormation: true }));
  plain = new GoLiveStack(app, 'Plain', { configFile: FIXTURE_CONFIG });
  // The default stack, given a VPC by id as `cdk deploy -c vpcId=… -c subnetIds=…` does.
  inVpc = new GoLiveStack(app, 'InVpc', {
    configFile: FIXTURE_CONFIG,
    network: { vpcId: 'vpc-0123456789abcdef0', subnetIds: SUBNETS },
  });
  // The construct embedded next to an existing VPC object and the security group of its choice.
  embedded = new Stack(app, 'Embedded');
  const vpc = ec2.Vpc.fromVpcAttributes(embedded, 'Vpc', {
    vpcId: 'vpc-0fedcba9876543210',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0ccccccccccccccc3', 'subnet-0ddddddddddddddd4'],
    publicSubnetIds: ['subnet-0eeeeeeeeeeeeeee5', 'subnet-0fffffffffffffff6'],
  });
  clientSecurityGroup = new ec2.SecurityGroup(embedded, 'LoadBalancerClients', {
    vpc,
    description: 'allowed into the internal load balancer',
  });
  embeddedGoLive = new GoLiveOrchestrator(embedded, 'GoLive', {
    config: loadConfig(FIXTURE_CONFIG),
    vpc,
    securityGroups: [clientSecurityGroup],
  });
  // Throws on any unacknowledged cdk-nag finding: every test below runs on nag-clean templates.
  app.synth();
  templates = {
    plain: Template.fromStack(plain),
    inVpc: Template.fromStack(inVpc),
    embedded: Template.fromStack(embedded),
  };
});

describe('without a VPC', () => {
  it('runs no function in a VPC, creates no security group and grants no network-interface permissions', () => {
    const configs = vpcConfigs(templates.plain);

    expect(Object.keys(configs).length).toBeGreaterThan(10);
    expect(Object.values(configs).filter((c) => c !== undefined)).toEqual([]);
    templates.plain.resourceCountIs('AWS::EC2::SecurityGroup', 0);
    expect(rolesWithVpcPolicy(templates.plain)).toEqual([]);
    expect(plain.orchestrator.vpcConnections).toBeUndefined();
  });
});

describe('with a VPC given by id (GoLiveStack network)', () => {
  it('runs readiness and smoke-test in the given subnets with the security group golive creates', () => {
    const sg = { 'Fn::GetAtt': [logicalId(inVpc, inVpc.orchestrator.serviceReachSecurityGroup!), 'GroupId'] };
    const configs = vpcConfigs(templates.inVpc);

    for (const key of ['readiness', 'smoke-test'] as const) {
      expect({ key, config: configs[fnId(inVpc, inVpc.orchestrator, key)] }).toEqual({
        key,
        config: { SubnetIds: SUBNETS, SecurityGroupIds: [sg] },
      });
    }
  });

  it('keeps every other function out of the VPC: the Slack, control, workflow and event functions', () => {
    const reaching = SERVICE_REACHING_FUNCTIONS.map((key) => fnId(inVpc, inVpc.orchestrator, key)).sort();
    const configs = vpcConfigs(templates.inVpc);

    const inside = Object.keys(configs).filter((id) => configs[id] !== undefined);

    expect(inside.sort()).toEqual(reaching);
    expect(configs[logicalId(inVpc, inVpc.orchestrator.slack.function)]).toBeUndefined();
    expect(configs[logicalId(inVpc, inVpc.control.function)]).toBeUndefined();
  });

  it('gives the network-interface permissions (AWSLambdaVPCAccessExecutionRole) to those two roles only', () => {
    const expected = SERVICE_REACHING_FUNCTIONS.map((key) => roleId(inVpc, inVpc.orchestrator, key)).sort();

    expect(rolesWithVpcPolicy(templates.inVpc)).toEqual(expected);
  });

  it('lets everything out of its security group and nothing in, and names it in an output', () => {
    const group = resources(templates.inVpc)[logicalId(inVpc, inVpc.orchestrator.serviceReachSecurityGroup!)];

    expect(group.Properties).toMatchObject({
      VpcId: 'vpc-0123456789abcdef0',
      SecurityGroupEgress: [{ CidrIp: '0.0.0.0/0', IpProtocol: '-1' }],
    });
    expect(group.Properties?.SecurityGroupIngress).toBeUndefined();
    expect(templates.inVpc.toJSON().Outputs.ServiceReachSecurityGroupId.Value).toEqual({
      'Fn::GetAtt': [logicalId(inVpc, inVpc.orchestrator.serviceReachSecurityGroup!), 'GroupId'],
    });
  });

  it('acknowledges the managed VPC policy on those two functions only, with its reason', () => {
    const acknowledged = Object.entries(resources(templates.inVpc))
      .filter(([, r]) => (r.Metadata?.cdk_nag?.rules_to_suppress ?? []).some((s) => s.id === VPC_ACK))
      .map(([id]) => id)
      .sort();
    const reasons = Object.values(resources(templates.inVpc))
      .flatMap((r) => r.Metadata?.cdk_nag?.rules_to_suppress ?? [])
      .filter((s) => s.id === VPC_ACK)
      .map((s) => s.reason);

    const reaching = SERVICE_REACHING_FUNCTIONS.flatMap((key) => idsUnder(inVpc, inVpc.orchestrator.functions[key]));

    // On each function, so its role (which carries the policy) inherits it; nowhere else.
    expect(acknowledged).toEqual(
      expect.arrayContaining(SERVICE_REACHING_FUNCTIONS.map((key) => roleId(inVpc, inVpc.orchestrator, key))),
    );
    expect(acknowledged.filter((id) => !reaching.includes(id))).toEqual([]);
    expect(reasons.every((r) => r.includes('ec2:CreateNetworkInterface'))).toBe(true);
  });

  it('acknowledges nothing about VPCs when no VPC is given', () => {
    const ids = Object.values(resources(templates.plain)).flatMap((r) =>
      (r.Metadata?.cdk_nag?.rules_to_suppress ?? []).map((s) => s.id),
    );

    expect(ids).not.toContain(VPC_ACK);
  });
});

describe('with a VPC object (the construct embedded)', () => {
  it('places the functions in the private subnets by default, with the given security group only', () => {
    const configs = vpcConfigs(templates.embedded);
    const sg = { 'Fn::GetAtt': [logicalId(embedded, clientSecurityGroup), 'GroupId'] };

    for (const key of SERVICE_REACHING_FUNCTIONS) {
      expect(configs[fnId(embedded, embeddedGoLive, key)]).toEqual({
        SubnetIds: ['subnet-0ccccccccccccccc3', 'subnet-0ddddddddddddddd4'],
        SecurityGroupIds: [sg],
      });
    }
    // Only the group of the caller's choice: golive created none.
    templates.embedded.resourceCountIs('AWS::EC2::SecurityGroup', 1);
    expect(embeddedGoLive.serviceReachSecurityGroup).toBeUndefined();
    expect(embeddedGoLive.vpcConnections?.securityGroups).toEqual([clientSecurityGroup]);
  });
});

describe('VPC props that cannot work', () => {
  const config = loadConfig(FIXTURE_CONFIG);
  const scope = () => new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Bad');

  it('refuses subnets or security groups without a VPC, naming the prop', () => {
    const build = () =>
      new GoLiveOrchestrator(scope(), 'GoLive', {
        config,
        vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_ISOLATED },
      });

    expect(build).toThrow(/vpcSubnets: given without vpc/);
  });

  it('refuses an empty list of security groups, saying how to get one', () => {
    const build = () => {
      const stack = scope();
      const vpc = ec2.Vpc.fromVpcAttributes(stack, 'Vpc', { vpcId: 'vpc-0123456789abcdef0', availabilityZones: ['a'] });
      new GoLiveOrchestrator(stack, 'GoLive', { config, vpc, securityGroups: [] });
    };

    expect(build).toThrow(/securityGroups: empty: list at least one, or leave it out and golive creates one/);
  });

  it('refuses ids that are not a VPC, subnet or security group id, naming the CLI context key', () => {
    const build = () =>
      new GoLiveStack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'BadNetwork', {
        configFile: FIXTURE_CONFIG,
        network: { vpcId: 'my-vpc', subnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'sn-2'], securityGroupIds: ['default'] },
      });

    expect(build).toThrow(/network\.vpcId: "my-vpc" is not a VPC id .*-c vpcId=/);
    expect(build).toThrow(/network\.subnetIds\[1\]: "sn-2" is not a subnet id/);
    expect(build).toThrow(/network\.securityGroupIds\[0\]: "default" is not a security group id/);
  });
});
