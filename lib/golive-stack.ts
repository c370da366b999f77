import * as path from 'node:path';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import type { Construct } from 'constructs';
import { ConfigError, parseConfig, type GoLiveConfig } from '../lambdas/core/config';
import { loadConfig } from '../lambdas/core/config-file';
import { ControlApi } from './control-api';
import { GoLiveOrchestrator, type GoLiveOrchestratorProps } from './go-live-orchestrator';

/** The config file at the repository root, used when no other is given. */
export const DEFAULT_CONFIG_FILE = path.join(__dirname, '..', 'golive.config.yaml');

/**
 * An existing VPC the service's endpoints are reachable from, by id: nothing is looked up, so
 * synth stays offline. From the CLI: `-c vpcId=vpc-… -c subnetIds=subnet-…,subnet-…`
 * (`-c securityGroupIds=sg-…` optional).
 */
export interface GoLiveNetwork {
  /** `vpc-…` */
  readonly vpcId: string;
  /** The subnets the readiness and smoke-test functions are placed in (private, with a NAT gateway or VPC endpoints). */
  readonly subnetIds: readonly string[];
  /**
   * Security groups for those functions (allowed into the service's load balancer).
   * @default - one golive creates, all outbound traffic allowed (output ServiceReachSecurityGroupId)
   */
  readonly securityGroupIds?: readonly string[];
}

export interface GoLiveStackProps extends StackProps {
  /**
   * golive.config.yaml to validate and deploy; the same file the local runtime reads.
   * @default DEFAULT_CONFIG_FILE (golive.config.yaml at the repository root), unless `config` is given
   */
  readonly configFile?: string;
  /**
   * The config itself, instead of a file (validated here like a file): for an app that writes it,
   * such as the integration test filling in URLs known only after another stack deployed.
   * @default - read from `configFile`
   */
  readonly config?: GoLiveConfig;
  /**
   * Run the functions that call the service's URLs (readiness, smoke-test) in this VPC.
   * @default - no VPC
   */
  readonly network?: GoLiveNetwork;
  /**
   * Further GoLiveOrchestrator props (`config` comes from `configFile` or `config`; a VPC from
   * `network` or here, not both).
   * @default - the orchestrator's defaults
   */
  readonly orchestrator?: Omit<GoLiveOrchestratorProps, 'config'>;
}

/** The default deployment: the config validated at synth, and one GoLiveOrchestrator for it. */
export class GoLiveStack extends Stack {
  public readonly config: GoLiveConfig;
  public readonly orchestrator: GoLiveOrchestrator;
  /** The IAM-authorized API the CLI acts through (`golive --api <ControlApiUrl>`). */
  public readonly control: ControlApi;

  constructor(scope: Construct, id: string, props: GoLiveStackProps = {}) {
    super(scope, id, props);
    if (props.config && props.configFile) {
      throw new Error('GoLiveStack: give configFile or config, not both');
    }
    // Throws ConfigError naming every bad field, so an invalid config never deploys.
    this.config = props.config
      ? parseConfig(props.config, 'GoLiveStack props.config')
      : loadConfig(props.configFile ?? DEFAULT_CONFIG_FILE);
    this.orchestrator = new GoLiveOrchestrator(this, 'Orchestrator', {
      ...props.orchestrator,
      ...(props.network ? importNetwork(this, props.network, props.orchestrator) : {}),
      config: this.config,
    });
    this.control = new ControlApi(this, 'Control', {
      stateMachine: this.orchestrator.stateMachine,
      table: this.orchestrator.table,
      config: this.config,
    });
    // Watched like every other golive function: errors and throttles page through the alarm topic.
    this.orchestrator.monitoring.watchFunction('control', this.control.function);
    // Its stage logs through the account's API Gateway role, which the Slack ingress creates.
    this.control.api.deploymentStage.node.addDependency(this.orchestrator.slack.api);

    new CfnOutput(this, 'StateMachineArn', {
      value: this.orchestrator.stateMachine.stateMachineArn,
      description: 'Start go-lives here (golive start, the Slack app)',
    });
    new CfnOutput(this, 'ControlApiUrl', {
      value: this.control.url,
      description: 'The CLI acts here on AWS: golive --api <this URL> (requests signed with your AWS credentials)',
    });
    new CfnOutput(this, 'StoreTableName', {
      value: this.orchestrator.table.tableName,
      description: 'Locks, approvals and the audit trail',
    });
    new CfnOutput(this, 'SlackSecretArn', {
      value: this.orchestrator.slackSecret.secretArn,
      description: 'Put the Slack bot token and signing secret here (JSON botToken, signingSecret)',
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.orchestrator.alarmTopic.topicArn,
      description: 'golive alarms on its own failures here: subscribe the operators (email, chat, paging)',
    });
    if (this.orchestrator.serviceReachSecurityGroup) {
      new CfnOutput(this, 'ServiceReachSecurityGroupId', {
        value: this.orchestrator.serviceReachSecurityGroup.securityGroupId,
        description: 'The readiness and smoke-test functions: allow this security group into the service load balancer',
      });
    }
  }
}

const VPC_ID = /^vpc-[0-9a-f]{8,17}$/;
const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/** The VPC, subnets and security groups of `network`, imported by id (no lookup), as orchestrator props. */
function importNetwork(
  scope: Construct,
  network: GoLiveNetwork,
  orchestrator: GoLiveStackProps['orchestrator'],
): Pick<GoLiveOrchestratorProps, 'vpc' | 'vpcSubnets' | 'securityGroups'> {
  const problems: string[] = [];
  if (orchestrator?.vpc || orchestrator?.vpcSubnets || orchestrator?.securityGroups) {
    problems.push('network: a VPC is also given in orchestrator props: give it one way only');
  }
  if (!VPC_ID.test(network.vpcId ?? '')) {
    problems.push(
      `network.vpcId: ${JSON.stringify(network.vpcId)} is not a VPC id such as vpc-0123456789abcdef0 (-c vpcId=…)`,
    );
  }
  if (!network.subnetIds?.length) {
    problems.push('network.subnetIds: list the subnets for the functions (-c subnetIds=subnet-…,subnet-…)');
  }
  (network.subnetIds ?? []).forEach((id, i) => {
    if (!SUBNET_ID.test(id))
      problems.push(
        `network.subnetIds[${i}]: ${JSON.stringify(id)} is not a subnet id such as subnet-0123456789abcdef0`,
      );
  });
  (network.securityGroupIds ?? []).forEach((id, i) => {
    if (!SECURITY_GROUP_ID.test(id)) {
      problems.push(
        `network.securityGroupIds[${i}]: ${JSON.stringify(id)} is not a security group id such as sg-0123456789abcdef0`,
      );
    }
  });
  // ConfigError, like a bad config file: bin/app.ts prints it without a stack trace.
  if (problems.length > 0) {
    throw new ConfigError(`GoLiveStack: invalid network:\n  - ${problems.join('\n  - ')}`, problems);
  }
  const stack = Stack.of(scope);
  // The subnets are given, so the VPC's own subnet lists are never read: only its id matters.
  const vpc = ec2.Vpc.fromVpcAttributes(scope, 'ServiceVpc', {
    vpcId: network.vpcId,
    availabilityZones: stack.availabilityZones,
  });
  const subnets = network.subnetIds.map((id) => ec2.Subnet.fromSubnetId(scope, `ServiceSubnet-${id}`, id));
  const securityGroups = network.securityGroupIds?.length
    ? network.securityGroupIds.map((id) => ec2.SecurityGroup.fromSecurityGroupId(scope, `ServiceReach-${id}`, id))
    : undefined;
  return { vpc, vpcSubnets: { subnets }, ...(securityGroups ? { securityGroups } : {}) };
}
