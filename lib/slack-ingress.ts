import * as path from 'node:path';
import { ArnFormat, CfnOutput, Duration, Stack, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import type { GoLiveConfig } from '../lambdas/core/config';
import { ENV } from '../lambdas/providers/aws/env';
import { GoLiveFunction, LAMBDAS_DIR } from './golive-function';
import { acknowledgeFunctionFindings, acknowledgeWildcards } from './nag';

export interface SlackApiThrottling {
  /** Steady requests per second across the API. */
  readonly rateLimit: number;
  /** Requests allowed in a burst. */
  readonly burstLimit: number;
}

export interface SlackIngressProps {
  /** The go-live state machine: the app starts, reads and answers its executions. */
  readonly stateMachine: sfn.StateMachine;
  /** `{"botToken", "signingSecret"}`, read by the function at run time. */
  readonly slackSecret: secretsmanager.ISecret;
  /** The validated config, bundled into the function like every golive function. */
  readonly config: GoLiveConfig;
  /**
   * How long the function's and the access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Throttling of the stage.
   * @default { rateLimit: 10, burstLimit: 20 } - far above what a release channel sends
   */
  readonly throttling?: SlackApiThrottling;
  /**
   * Create the account's API Gateway CloudWatch Logs role (AWS::ApiGateway::Account, one per
   * account and region), which the stage's execution logging needs. Set false when embedding in an
   * account whose API Gateway already has that role, so this stack does not replace it.
   * @default true
   */
  readonly cloudWatchRole?: boolean;
}

/** Where Slack sends slash commands and interactions (Request URL in the Slack app settings). */
export const SLACK_EVENTS_PATH = 'slack/events';

/**
 * The only public ingress: a regional REST API with one `POST /slack/events` route to the Bolt app
 * (lambdas/slack/index.ts, AwsLambdaReceiver). Requests are authenticated by Slack's signature in
 * the function; the stage is throttled, access-logged as JSON and traced. The function answers
 * Slack and hands each request's work to an asynchronous invocation of itself (lambda:InvokeFunction
 * on its own ARN, no retries).
 */
export class SlackIngress extends Construct {
  public readonly function: GoLiveFunction;
  public readonly api: apigw.RestApi;
  public readonly accessLogs: logs.LogGroup;
  /** The Request URL to paste into the Slack app (slash command and interactivity). */
  public readonly requestUrl: string;

  constructor(scope: Construct, id: string, props: SlackIngressProps) {
    super(scope, id);
    const throttling = props.throttling ?? { rateLimit: 10, burstLimit: 20 };
    if (!(throttling.rateLimit > 0) || !(throttling.burstLimit >= 1)) {
      throw new Error('SlackIngress: throttling.rateLimit must be > 0 and throttling.burstLimit >= 1');
    }
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.function = new GoLiveFunction(this, 'Function', {
      name: 'slack',
      description: 'Slack slash commands and buttons (Bolt): start, status, abort, approve, reject',
      // The API Gateway invocation answers within Slack's 3 s and hands the work to an asynchronous
      // invocation of this function, which may page Step Functions (history, status): that one's bound.
      timeout: Duration.seconds(30),
      logRetention: retention,
      config: props.config,
      // Bolt loads its Socket Mode receiver (and undici) even behind API Gateway: left out, ≈ 50 ms off each cold start.
      bundleAliases: { '@slack/socket-mode': path.join(LAMBDAS_DIR, 'slack', 'no-socket-mode.ts') },
      environment: {
        // The one name every golive function reads the Slack secret's ARN from (the ARN only, never the value).
        [ENV.slackSecretArn]: props.slackSecret.secretArn,
        STATE_MACHINE_ARN: props.stateMachine.stateMachineArn,
      },
    });
    props.slackSecret.grantRead(this.function);
    // The work of an answered request runs in an asynchronous invocation of this function, once:
    // a failed work leg has told the person already, and a retry could act twice.
    this.function.configureAsyncInvoke({ retryAttempts: 0, maxEventAge: Duration.minutes(5) });
    // Invoking itself: its own ARN only. A policy of its own, not the role's default one, which the
    // function depends on (the function's ARN in it would be a circular dependency).
    new iam.Policy(this, 'SelfInvoke', {
      roles: [this.function.role!],
      statements: [
        new iam.PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: [this.function.functionArn] }),
      ],
    });
    props.stateMachine.grantStartExecution(this.function);
    // Status and history: this state machine's executions only (their names are known at run time).
    const executions = Stack.of(this).formatArn({
      service: 'states',
      resource: 'execution',
      resourceName: `${props.stateMachine.stateMachineName}:*`,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
    const reads = [
      new iam.PolicyStatement({ actions: ['states:ListExecutions'], resources: [props.stateMachine.stateMachineArn] }),
      // `/golive retry`: RedriveExecution continues a failed go-live (AwaitRetry checks who asked).
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:RedriveExecution'],
        resources: [executions],
      }),
    ];
    for (const statement of reads) this.function.addToRolePolicy(statement);
    acknowledgeWildcards(this.function, reads);
    // Votes resume the sign-off (SendTaskSuccess / SendTaskFailure); aborts fail the waiting task.
    props.stateMachine.grantTaskResponse(this.function);
    acknowledgeFunctionFindings(this.function);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention });
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'golive Slack endpoint (slash commands and interactivity)',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole ?? true,
      deployOptions: {
        stageName: 'prod',
        throttlingRateLimit: throttling.rateLimit,
        throttlingBurstLimit: throttling.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Request bodies carry Slack payloads: never logged.
        dataTraceEnabled: false,
        tracingEnabled: true,
        metricsEnabled: true,
      },
    });
    // Parameters: the Slack signature headers must be present. Body: no model is declared (Slack
    // posts form-encoded payloads the function parses), so body validation accepts any body.
    const validator = this.api.addRequestValidator('SignedRequests', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    this.api.root.resourceForPath(SLACK_EVENTS_PATH).addMethod('POST', new apigw.LambdaIntegration(this.function), {
      requestValidator: validator,
      // Slack signs every request; unsigned ones are refused before the function runs.
      requestParameters: {
        'method.request.header.X-Slack-Signature': true,
        'method.request.header.X-Slack-Request-Timestamp': true,
      },
    });
    this.requestUrl = this.api.urlForPath(`/${SLACK_EVENTS_PATH}`);

    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason:
        'Slack cannot present IAM, Cognito or API keys: every request is authenticated in the function by its HMAC-SHA256 Slack signature (constant-time compare, 5-minute timestamp window); unsigned requests are rejected by the request validator.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason: 'Same as APIG4: Slack requests are authenticated by their signature, not by a Cognito user pool.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'The endpoint takes a few signed requests per go-live; stage throttling bounds abuse and the signature check rejects forgeries. A WAF web ACL can be associated by the deploying account if its policy requires one.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
      reason: 'API Gateway’s account-level logging role needs exactly the AWS-managed push-to-CloudWatch-Logs policy.',
    });

    new CfnOutput(this, 'RequestUrl', {
      value: this.requestUrl,
      description: 'Slack app Request URL (slash command /golive and Interactivity)',
    });
  }
}
