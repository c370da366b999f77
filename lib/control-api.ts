import { Duration, Validations } from 'aws-cdk-lib';
import * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { API_FUNCTIONS } from '../lambdas/catalog';
import type { GoLiveConfig } from '../lambdas/core/config';
import { CONTROL_ROUTES } from '../lambdas/control/api';
import { executionsArn } from './audit-archive';
import { GoLiveFunction } from './golive-function';
import { acknowledgeFunctionFindings, acknowledgeWildcards } from './nag';
import { FUNCTION_STORE_OPERATIONS, storeStatements } from './store-access';

/** Environment variables of the control function (read by lambdas/control/index.ts). */
export const CONTROL_ENV = { table: 'GOLIVE_TABLE', stateMachineArn: 'GOLIVE_STATE_MACHINE_ARN' } as const;

export interface ControlApiThrottling {
  /** Steady requests per second across the API. */
  readonly rateLimit: number;
  /** Requests allowed in a burst. */
  readonly burstLimit: number;
}

export interface ControlApiProps {
  /** The go-live state machine the API starts, reads and answers. */
  readonly stateMachine: sfn.StateMachine;
  /** The store (locks, approvals, votes, audit trail) votes and aborts are recorded in; `GOLIVE_TABLE`. */
  readonly table: dynamodb.ITable;
  /** The validated config, bundled into the function: roles and the `identities` IAM principals map to. */
  readonly config: GoLiveConfig;
  /**
   * How long the function's and the access logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Throttling of the stage.
   * @default { rateLimit: 5, burstLimit: 10 } - people at a terminal, a few requests per go-live
   */
  readonly throttling?: ControlApiThrottling;
  /**
   * Create the account's API Gateway CloudWatch Logs role (AWS::ApiGateway::Account, one per account
   * and region), which the stage's logging needs. Off by default: in the GoLive stack the Slack
   * ingress creates it, and a second one would replace it.
   * @default false
   */
  readonly cloudWatchRole?: boolean;
}

/**
 * The control API the CLI talks to on AWS: a regional REST API whose every method requires IAM
 * authorization (SigV4 with the caller's AWS credentials), proxied to one function
 * (lambdas/control) that maps the verified principal to a golive user (`identities` in the config)
 * and acts through GoLiveClient. Throttled, access-logged as JSON, traced.
 */
export class ControlApi extends Construct {
  public readonly function: GoLiveFunction;
  public readonly api: apigw.RestApi;
  public readonly accessLogs: logs.LogGroup;
  /** The base URL to give the CLI (`golive --api <url>` or GOLIVE_API). */
  public readonly url: string;

  constructor(scope: Construct, id: string, props: ControlApiProps) {
    super(scope, id);
    const throttling = props.throttling ?? { rateLimit: 5, burstLimit: 10 };
    if (!(throttling.rateLimit > 0) || !(throttling.burstLimit >= 1)) {
      throw new Error('ControlApi: throttling.rateLimit must be > 0 and throttling.burstLimit >= 1');
    }
    const retention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

    this.function = new GoLiveFunction(this, 'Function', {
      name: 'control',
      description: API_FUNCTIONS.control.description,
      // Under API Gateway's 29 s integration limit; a list examines a bounded number of executions.
      timeout: Duration.seconds(25),
      logRetention: retention,
      config: props.config,
      environment: {
        [CONTROL_ENV.table]: props.table.tableName,
        [CONTROL_ENV.stateMachineArn]: props.stateMachine.stateMachineArn,
      },
    });
    const executions = executionsArn(this, props.stateMachine);
    const statements = [
      new iam.PolicyStatement({
        actions: ['states:StartExecution', 'states:ListExecutions'],
        resources: [props.stateMachine.stateMachineArn],
      }),
      // golive retry: RedriveExecution continues a failed go-live (AwaitRetry checks who asked).
      new iam.PolicyStatement({
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory', 'states:RedriveExecution'],
        resources: [executions],
      }),
      // Votes resume the sign-off, aborts fail the waiting task (task tokens are scoped to the state machine).
      new iam.PolicyStatement({
        actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
        resources: [props.stateMachine.stateMachineArn],
      }),
      // The Store methods GoLiveClient calls (castVote, requestAbort, reads), on their partitions only; audit write-once.
      ...storeStatements(props.table.tableArn, FUNCTION_STORE_OPERATIONS.control),
    ];
    for (const statement of statements) this.function.addToRolePolicy(statement);
    acknowledgeWildcards(this.function, statements);
    acknowledgeFunctionFindings(this.function);

    this.accessLogs = new logs.LogGroup(this, 'AccessLogs', { retention });
    this.api = new apigw.RestApi(this, 'Api', {
      description: 'golive control API (IAM-authorized): start, list, vote on and abort go-lives',
      endpointTypes: [apigw.EndpointType.REGIONAL],
      cloudWatchRole: props.cloudWatchRole ?? false,
      defaultMethodOptions: { authorizationType: apigw.AuthorizationType.IAM },
      deployOptions: {
        stageName: 'prod',
        throttlingRateLimit: throttling.rateLimit,
        throttlingBurstLimit: throttling.burstLimit,
        accessLogDestination: new apigw.LogGroupLogDestination(this.accessLogs),
        accessLogFormat: apigw.AccessLogFormat.jsonWithStandardFields(),
        loggingLevel: apigw.MethodLoggingLevel.ERROR,
        // Bodies carry rejection reasons and notes: never logged by API Gateway.
        dataTraceEnabled: false,
        tracingEnabled: true,
        metricsEnabled: true,
      },
    });
    // The function validates every field and answers 400 naming it; the validator refuses what never reaches it.
    const validator = this.api.addRequestValidator('Requests', {
      validateRequestParameters: true,
      validateRequestBody: true,
    });
    const integration = new apigw.LambdaIntegration(this.function);
    for (const route of CONTROL_ROUTES) {
      this.api.root.resourceForPath(route.path).addMethod(route.method, integration, { requestValidator: validator });
    }
    this.url = this.api.url;

    if (props.cloudWatchRole) {
      Validations.of(this.api).acknowledge({
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
        reason:
          'API Gateway’s account-level logging role needs exactly the AWS-managed push-to-CloudWatch-Logs policy.',
      });
    }
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-COG4',
      reason:
        'Every method uses IAM authorization (SigV4 with the caller’s AWS credentials): the caller is an IAM principal mapped to a golive user in the config, not a Cognito user.',
    });
    Validations.of(this.api).acknowledge({
      id: 'AwsSolutions-APIG3',
      reason:
        'Only SigV4-signed requests of IAM principals reach the API; stage throttling bounds abuse. A WAF web ACL can be associated by the deploying account if its policy requires one.',
    });
  }
}
