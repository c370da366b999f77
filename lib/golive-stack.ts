import * as path from 'node:path';
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { GoLiveConfig } from '../lambdas/core/config';
import { loadConfig } from '../lambdas/core/config-file';
import { ControlApi } from './control-api';
import { GoLiveOrchestrator } from './go-live-orchestrator';

/** The config file at the repository root, used when no other is given. */
export const DEFAULT_CONFIG_FILE = path.join(__dirname, '..', 'golive.config.yaml');

export interface GoLiveStackProps extends StackProps {
  /**
   * golive.config.yaml to validate and deploy; the same file the local runtime reads.
   * @default DEFAULT_CONFIG_FILE (golive.config.yaml at the repository root)
   */
  readonly configFile?: string;
}

/** The default deployment: the config validated at synth, and one GoLiveOrchestrator for it. */
export class GoLiveStack extends Stack {
  public readonly config: GoLiveConfig;
  public readonly orchestrator: GoLiveOrchestrator;
  /** The IAM-authorized API the CLI acts through (`golive --api <ControlApiUrl>`). */
  public readonly control: ControlApi;

  constructor(scope: Construct, id: string, props: GoLiveStackProps = {}) {
    super(scope, id, props);
    // Throws ConfigError naming every bad field, so an invalid config never deploys.
    this.config = loadConfig(props.configFile ?? DEFAULT_CONFIG_FILE);
    this.orchestrator = new GoLiveOrchestrator(this, 'Orchestrator', { config: this.config });
    this.control = new ControlApi(this, 'Control', {
      stateMachine: this.orchestrator.stateMachine,
      table: this.orchestrator.table,
      config: this.config,
    });
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
  }
}
