import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { ROLLBACK_FAILED_METRIC } from '../lambdas/notify/metric';

/** Every alarm looks at one 5-minute window: one occurrence is already worth a human's look. */
export const ALARM_PERIOD = Duration.minutes(5);

export interface SelfMonitoringProps {
  /** The go-live state machine: failed, timed-out and aborted executions. */
  readonly stateMachine: sfn.IStateMachine;
  /** golive's functions by name (used in alarm ids and descriptions): errors and throttles. */
  readonly functions: Readonly<Record<string, lambda.IFunction>>;
  /** Dead-letter queues by name: any message parked there. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /**
   * Subscribed to the alarm topic (e.g. `new subscriptions.EmailSubscription('ops@example.com')`).
   * @default - none: subscribe to the `AlarmTopicArn` output after deploying
   */
  readonly subscriptions?: readonly sns.ITopicSubscription[];
}

/**
 * golive watches itself: an encrypted, SSL-only SNS topic and one alarm per way golive can fail
 * on its own (executions that fail, time out or are aborted; events parked in a dead-letter
 * queue; function errors and throttles; a failed rollback), each publishing to the topic and
 * saying in its description what to do.
 */
export class SelfMonitoring extends Construct {
  /** Where every alarm publishes: subscribe operators here. */
  public readonly topic: sns.Topic;
  /** Every alarm, in creation order. */
  public readonly alarms: cloudwatch.Alarm[] = [];
  private readonly action: actions.SnsAction;

  constructor(scope: Construct, id: string, props: SelfMonitoringProps) {
    super(scope, id);
    this.topic = createAlarmTopic(this);
    for (const subscription of props.subscriptions ?? []) this.topic.addSubscription(subscription);
    this.action = new actions.SnsAction(this.topic);

    const { stateMachine } = props;
    const open = 'Open the execution in the Step Functions console (its history names the state and the error)';
    this.alarm(
      'ExecutionsFailed',
      stateMachine.metricFailed({ period: ALARM_PERIOD, statistic: 'Sum' }),
      `golive: a go-live execution ended FAILED. A go-live that rolled back ends FAILED too and the release channel was told; otherwise a step broke outside the rollback path (the janitor then rolls back, unmutes and releases the lock). ${open} and check the service's traffic, alarms and lock.`,
    );
    this.alarm(
      'ExecutionsTimedOut',
      stateMachine.metricTimedOut({ period: ALARM_PERIOD, statistic: 'Sum' }),
      `golive: a go-live execution timed out. The janitor rolls traffic back, unmutes alarms and releases the lock; ${open}, check the janitor's log, and that the service's traffic, alarms and lock are as they were before the go-live.`,
    );
    this.alarm(
      'ExecutionsAborted',
      stateMachine.metricAborted({ period: ALARM_PERIOD, statistic: 'Sum' }),
      `golive: a go-live execution was stopped (StopExecution, not golive abort, which rolls back). The janitor rolls traffic back, unmutes alarms and releases the lock; ${open}, check the janitor's log and who stopped it (CloudTrail StopExecution).`,
    );
    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.alarm(
        `${name}Messages`,
        queue.metricApproximateNumberOfMessagesVisible({ period: ALARM_PERIOD, statistic: 'Maximum' }),
        `golive: ${name} holds events golive could not process after retries (alarm state changes, ended executions, audit exports). Read the messages (the event and the error), fix the cause, handle each event by hand or send it again, then delete it.`,
      );
    }
    for (const [name, fn] of Object.entries(props.functions)) this.watchFunction(name, fn);
    this.alarm(
      'RollbackFailed',
      new cloudwatch.Metric({
        namespace: ROLLBACK_FAILED_METRIC.namespace,
        metricName: ROLLBACK_FAILED_METRIC.metricName,
        dimensionsMap: { service: ROLLBACK_FAILED_METRIC.service },
        period: ALARM_PERIOD,
        statistic: 'Sum',
      }),
      `golive: a rollback FAILED: traffic, alarm mutes or the lock may be half-way and need a human now. The notify function's log line (goliveService, executionId) and the release channel name the service and both errors; ${open}, put traffic back on the stable slot, unmute the alarms, then release the lock.`,
    );
  }

  /** Errors and throttles of one of golive's functions (also those created after this construct, such as the control API's). */
  watchFunction(name: string, fn: lambda.IFunction): void {
    this.alarm(
      `${name}Errors`,
      fn.metricErrors({ period: ALARM_PERIOD, statistic: 'Sum' }),
      `golive: the ${name} function failed an invocation. Workflow steps fail by design when a gate refuses (LockHeld, ReadinessCheckFailed, SmokeTestFailed, AlarmTriggered…) and the go-live rolls back; anything else (ProviderAccessDenied, ProviderResourceMissing, a crash, a timeout) is golive's own fault. Read the function's log group for the error and fix the config, IAM or code.`,
    );
    this.alarm(
      `${name}Throttles`,
      fn.metricThrottles({ period: ALARM_PERIOD, statistic: 'Sum' }),
      `golive: Lambda throttled the ${name} function (account or regional concurrency exhausted); workflow steps are retried, events may end in the dead-letter queue. Check the account's concurrent executions and raise the quota or reserve concurrency for golive.`,
    );
  }

  /** Sum (or maximum) ≥ 1 in one period → ALARM, published to the topic; no data is not a failure. */
  private alarm(id: string, metric: cloudwatch.IMetric, description: string): cloudwatch.Alarm {
    const alarm = new cloudwatch.Alarm(this, id, {
      metric,
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    });
    alarm.addAlarmAction(this.action);
    this.alarms.push(alarm);
    return alarm;
  }
}

/**
 * CloudWatch can publish only to a topic whose key lets it encrypt: a customer managed key (the
 * AWS managed alias/aws/sns cannot grant it), rotated yearly.
 */
function createAlarmTopic(scope: Construct): sns.Topic {
  const masterKey = new kms.Key(scope, 'AlarmTopicKey', {
    description: 'golive: encrypts the alarm topic; CloudWatch alarms may use it to publish',
    enableKeyRotation: true,
  });
  masterKey.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
    }),
  );
  const topic = new sns.Topic(scope, 'AlarmTopic', {
    displayName: 'golive alarms',
    masterKey,
    enforceSSL: true,
  });
  // enforceSSL gives the topic a policy, which replaces SNS's default one: allow this account's alarms back in.
  const { account, partition, region } = Stack.of(scope);
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: {
        StringEquals: { 'aws:SourceAccount': account },
        ArnLike: { 'aws:SourceArn': `arn:${partition}:cloudwatch:${region}:${account}:alarm:*` },
      },
    }),
  );
  return topic;
}
