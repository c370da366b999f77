import * as path from 'node:path';
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { EVENT_FUNCTIONS, FUNCTIONS } from '../../lambdas/catalog';
import { GoLiveStack } from '../../lib/golive-stack';
import { SelfMonitoring } from '../../lib/self-monitoring';

const FIXTURE_CONFIG = path.join(__dirname, 'fixtures', 'golive.config.yaml');
/** Every golive function: the catalog's, and the Slack function. */
const FUNCTION_KEYS = [...Object.keys(FUNCTIONS), ...Object.keys(EVENT_FUNCTIONS)];

let stack: GoLiveStack;
let template: Template;

const logicalId = (construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const topicRef = () => ({ Ref: logicalId(stack.orchestrator.alarmTopic) });

beforeAll(() => {
  // Unbundled (these tests are about alarms, not code), under cdk-nag as in bin/app.ts.
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  stack = new GoLiveStack(app, 'GoLive', { configFile: FIXTURE_CONFIG });
  // Throws on any unacknowledged cdk-nag finding: the topic, its key and the alarms are nag-clean.
  app.synth();
  template = Template.fromStack(stack);
});

/** The alarm that watches `metricName` (with these dimensions), asserting the shape every golive alarm has. */
function expectAlarm(metric: { MetricName: string; Namespace: string; Dimensions: unknown[]; Statistic: string }) {
  template.hasResourceProperties('AWS::CloudWatch::Alarm', {
    ...metric,
    Period: 300,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
    TreatMissingData: 'notBreaching',
    AlarmActions: [topicRef()],
    AlarmDescription: Match.stringLikeRegexp('^golive: .{80,}'),
  });
}

describe('SelfMonitoring: the alarm topic', () => {
  it('is encrypted with a rotated customer managed key CloudWatch may use', () => {
    const [topic] = Object.values(template.findResources('AWS::SNS::Topic'));
    const keyId = (topic.Properties.KmsMasterKeyId as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
    const key = template.toJSON().Resources[keyId];

    expect(key.Type).toBe('AWS::KMS::Key');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    expect(key.Properties.KeyPolicy.Statement).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          Effect: 'Allow',
          Principal: { Service: 'cloudwatch.amazonaws.com' },
          Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        }),
      ]),
    );
  });

  it('refuses requests without TLS and lets only this account’s alarms publish', () => {
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [topicRef()],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          Match.objectLike({
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Condition: Match.objectLike({ StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } }),
          }),
        ]),
      },
    });
  });

  it('is a stack output operators subscribe to', () => {
    const outputs = Object.entries(template.toJSON().Outputs as Record<string, { Value: unknown }>);

    expect(outputs.find(([id]) => id === 'AlarmTopicArn')?.[1].Value).toEqual(topicRef());
  });
});

describe('SelfMonitoring: the alarms', () => {
  const stateMachineDimension = () => [
    { Name: 'StateMachineArn', Value: { Ref: logicalId(stack.orchestrator.stateMachine) } },
  ];

  it.each(['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted'])(
    'alarms on the state machine’s %s (sum ≥ 1 in 5 min)',
    (MetricName) => {
      expectAlarm({ MetricName, Namespace: 'AWS/States', Dimensions: stateMachineDimension(), Statistic: 'Sum' });
    },
  );

  it('alarms on any message in the event dead-letter queue', () => {
    expectAlarm({
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Namespace: 'AWS/SQS',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [logicalId(stack.orchestrator.eventDeadLetterQueue), 'QueueName'] },
        },
      ],
      Statistic: 'Maximum',
    });
  });

  it.each([...FUNCTION_KEYS, 'slack', 'control'])('alarms on the %s function’s Errors and Throttles', (key) => {
    const fn =
      key === 'slack'
        ? stack.orchestrator.slack.function
        : key === 'control'
          ? stack.control.function
          : stack.orchestrator.functions[key as never];
    const Dimensions = [{ Name: 'FunctionName', Value: { Ref: logicalId(fn) } }];

    expectAlarm({ MetricName: 'Errors', Namespace: 'AWS/Lambda', Dimensions, Statistic: 'Sum' });
    expectAlarm({ MetricName: 'Throttles', Namespace: 'AWS/Lambda', Dimensions, Statistic: 'Sum' });
  });

  it('alarms on the RollbackFailed metric the notify function emits', () => {
    expectAlarm({
      MetricName: 'RollbackFailed',
      Namespace: 'golive',
      Dimensions: [{ Name: 'service', Value: 'golive' }],
      Statistic: 'Sum',
    });
  });

  it('has no other alarm, and every alarm publishes to the topic only', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));

    // 3 execution outcomes, 1 dead-letter queue, 2 per function (the Slack and control ones too), RollbackFailed.
    expect(alarms).toHaveLength(3 + 1 + 2 * (FUNCTION_KEYS.length + 2) + 1);
    expect(alarms.filter((a) => JSON.stringify(a.Properties.AlarmActions) !== JSON.stringify([topicRef()]))).toEqual(
      [],
    );
    expect(stack.orchestrator.monitoring.alarms).toHaveLength(alarms.length);
  });
});

describe('SelfMonitoring on its own', () => {
  it('subscribes what it is given, with no unacknowledged cdk-nag finding of its own', () => {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const own = new Stack(app, 'Nag');
    // Stand-ins: the orchestrator's resources, whose own hardening is tested with the stack.
    const stateMachine = sfn.StateMachine.fromStateMachineName(own, 'Machine', 'golive');
    const fn = lambda.Function.fromFunctionName(own, 'Fn', 'golive-lock');
    const queue = sqs.Queue.fromQueueArn(own, 'Dlq', 'arn:aws:sqs:eu-west-1:123456789012:golive-dlq');

    new SelfMonitoring(own, 'Monitoring', {
      stateMachine,
      functions: { lock: fn },
      deadLetterQueues: { Dlq: queue },
      subscriptions: [new subscriptions.EmailSubscription('ops@example.com')],
    });
    // app.synth() runs the validation plugins (Template.fromStack does not): throws on any finding.
    app.synth();
    const synthesised = Template.fromStack(own);

    synthesised.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com' });
    synthesised.resourceCountIs('AWS::CloudWatch::Alarm', 3 + 1 + 2 + 1);
  });
});
