import * as path from 'node:path';
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { loadConfig } from '../../lambdas/core/config-file';
import { GoLiveOrchestrator } from '../../lib/go-live-orchestrator';
import { SlackIngress } from '../../lib/slack-ingress';

const config = loadConfig(path.join(__dirname, 'fixtures', 'golive.config.yaml'));

interface Statement {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
}
type Resources = Record<string, { Type: string; Properties: Record<string, unknown> }>;

/** Every IAM statement attached to `role` (its default policy and policies of their own). */
function statementsOf(resources: Resources, role: string): Statement[] {
  return Object.values(resources)
    .filter(
      (r) => r.Type === 'AWS::IAM::Policy' && JSON.stringify(r.Properties.Roles) === JSON.stringify([{ Ref: role }]),
    )
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

describe('SlackIngress', () => {
  let stack: Stack;
  let ingress: SlackIngress;
  let template: Template;
  const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);

  beforeAll(() => {
    // Assets are not bundled (these tests are about the template); cdk-nag runs as in bin/app.ts.
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    stack = new Stack(app, 'Test');
    const machine = new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Start')),
    });
    Validations.of(machine).acknowledge(
      { id: 'AwsSolutions-SF1', reason: 'a stand-in state machine for this test' },
      { id: 'AwsSolutions-SF2', reason: 'a stand-in state machine for this test' },
    );
    const secret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      'Secret',
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:golive/slack-AbCdEf',
    );
    ingress = new SlackIngress(stack, 'Slack', { stateMachine: machine, slackSecret: secret, config });
    // Throws on any unacknowledged cdk-nag finding.
    app.synth();
    template = Template.fromStack(stack);
  });

  it('lets the function invoke itself, and nothing else, asynchronously and without retries', () => {
    const fn = logicalId(ingress.function);
    const invokes = statementsOf(
      template.toJSON().Resources as Resources,
      logicalId(ingress.function.role as IConstruct),
    ).filter((s) => actions(s).some((a) => a.startsWith('lambda:')));

    expect(invokes).toEqual([
      { Action: 'lambda:InvokeFunction', Effect: 'Allow', Resource: { 'Fn::GetAtt': [fn, 'Arn'] } },
    ]);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: fn },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
    });
  });

  it('names the Slack secret to the function once, by ARN, and gives the work leg time to page', () => {
    const fn = template.toJSON().Resources[logicalId(ingress.function)] as Resources[string];
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

    expect(Object.keys(variables).filter((name) => /SECRET/.test(name))).toEqual(['GOLIVE_SLACK_SECRET_ARN']);
    expect(variables.GOLIVE_SLACK_SECRET_ARN).toBe(
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:golive/slack-AbCdEf',
    );
    expect(fn.Properties.Timeout).toBe(30);
  });
});

describe('SlackIngress inside GoLiveOrchestrator', () => {
  it('still names the Slack secret once: the orchestrator binds it under the same variable', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'GoLive');
    const orchestrator = new GoLiveOrchestrator(stack, 'Orchestrator', { config });
    const template = Template.fromStack(stack);
    const id = stack.getLogicalId(orchestrator.slack.function.node.defaultChild as CfnElement);
    const fn = template.toJSON().Resources[id] as Resources[string];
    const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> }).Variables;

    expect(Object.keys(variables).filter((name) => /SECRET/.test(name))).toEqual(['GOLIVE_SLACK_SECRET_ARN']);
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: [Match.objectLike({ Action: 'lambda:InvokeFunction', Resource: { 'Fn::GetAtt': [id, 'Arn'] } })],
      },
    });
  });
});
