/**
 * The service the integration test goes live with, as small as a real one can be: a Lambda
 * function with two published versions (1.0.0 and 2.0.0) behind the alias `live`, an alarm on the
 * alias, a DynamoDB table with point-in-time recovery (the restore proof), and a stand-in for
 * Slack's Web API so the sign-off and status messages have somewhere to go. Test-only: public
 * function URLs with no authentication, no cdk-nag; deleted with the stack.
 */
import { CfnOutput, CustomResource, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { Construct } from 'constructs';

/** Fixed names: the golive config (bundled at synth) must know them before anything is deployed. */
export const INTEG_SERVICE = {
  service: 'orders',
  functionName: 'golive-integ-orders',
  alias: 'live',
  alarmName: 'golive-integ-orders-errors',
  tableName: 'golive-integ-orders',
  releases: ['1.0.0', '2.0.0'],
} as const;

/** The stack outputs the golive config needs; known only once this stack is deployed. */
export const SERVICE_OUTPUTS = {
  live: 'LiveUrl',
  blue: 'BlueUrl',
  green: 'GreenUrl',
  slackApi: 'SlackApiUrl',
} as const;
export type ServiceOutputs = Record<keyof typeof SERVICE_OUTPUTS, string>;

/** The service: answers every path with its release, `/health` included. */
const SERVICE_CODE = `
exports.handler = async (event) => ({
  statusCode: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ status: 'ok', release: process.env.RELEASE || 'unpublished', path: event.rawPath }),
});
`;

/**
 * Publishes one version per release, in order: sets RELEASE, waits for the update, publishes
 * with the release as description (how golive finds a release's published version).
 * CloudFormation cannot: a function resource is written once per deploy.
 */
const PUBLISHER_CODE = `
const { LambdaClient, UpdateFunctionConfigurationCommand, PublishVersionCommand, waitUntilFunctionUpdatedV2 } = require('@aws-sdk/client-lambda');
const client = new LambdaClient({});
exports.handler = async (event) => {
  if (event.RequestType === 'Delete') return { PhysicalResourceId: event.PhysicalResourceId };
  const { FunctionName, Releases } = event.ResourceProperties;
  const Data = {};
  for (const release of Releases) {
    await waitUntilFunctionUpdatedV2({ client, maxWaitTime: 300 }, { FunctionName });
    await client.send(new UpdateFunctionConfigurationCommand({ FunctionName, Environment: { Variables: { RELEASE: release } } }));
    await waitUntilFunctionUpdatedV2({ client, maxWaitTime: 300 }, { FunctionName });
    const published = await client.send(new PublishVersionCommand({ FunctionName, Description: release }));
    Data[release] = published.Version;
  }
  return { PhysicalResourceId: FunctionName + '@' + Releases.join(','), Data };
};
`;

/**
 * Slack's Web API as far as golive uses it: every method answers ok (chat.postMessage with a
 * message ts, users.info with a user). Logs the method and message text, never headers (the token).
 */
const SLACK_STUB_CODE = `
exports.handler = async (event) => {
  const method = (event.rawPath || '').split('/').pop();
  const ts = (Date.now() / 1000).toFixed(6);
  const raw = event.body ? (event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body) : '';
  console.log(JSON.stringify({ method, body: raw.slice(0, 4000) }));
  const body = method === 'users.info'
    ? { ok: true, user: { id: 'U_INTEG', name: 'integ', real_name: 'golive integ', profile: { display_name: 'integ' } } }
    : { ok: true, channel: 'CGOLIVEINTEG', ts, message: { ts } };
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
};
`;

export class IntegServiceStack extends Stack {
  /** Published version number of each release, e.g. `{ '1.0.0': '1', '2.0.0': '2' }` (tokens). */
  public readonly versions: Record<string, string>;
  public readonly alarm: cloudwatch.Alarm;
  public readonly table: dynamodb.Table;

  constructor(scope: Construct, id: string, props: StackProps = {}) {
    super(scope, id, props);
    const fn = new lambda.Function(this, 'Service', {
      functionName: INTEG_SERVICE.functionName,
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(SERVICE_CODE),
      logGroup: new logs.LogGroup(this, 'ServiceLogs', {
        retention: logs.RetentionDays.ONE_WEEK,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });

    const publisherFn = new lambda.Function(this, 'PublisherFunction', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(PUBLISHER_CODE),
      timeout: Duration.minutes(10),
    });
    publisherFn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: [
          'lambda:GetFunction',
          'lambda:GetFunctionConfiguration',
          'lambda:UpdateFunctionConfiguration',
          'lambda:PublishVersion',
        ],
        resources: [fn.functionArn],
      }),
    );
    const publisher = new cr.Provider(this, 'Publisher', { onEventHandler: publisherFn });
    const published = new CustomResource(this, 'Releases', {
      serviceToken: publisher.serviceToken,
      properties: { FunctionName: fn.functionName, Releases: [...INTEG_SERVICE.releases] },
    });
    this.versions = Object.fromEntries(INTEG_SERVICE.releases.map((r) => [r, published.getAttString(r)]));
    const version = (release: string, id: string) =>
      lambda.Version.fromVersionAttributes(this, id, { lambda: fn, version: this.versions[release] });

    // `live` is what golive moves; `blue` and `green` hold the version of each slot, so the slots'
    // URLs reach one version whatever the weights (the first go-live puts 2.0.0 in green).
    const live = new lambda.Alias(this, 'Live', { aliasName: INTEG_SERVICE.alias, version: version('1.0.0', 'V1') });
    const blue = new lambda.Alias(this, 'Blue', { aliasName: 'blue', version: version('1.0.0', 'V1Blue') });
    const green = new lambda.Alias(this, 'Green', { aliasName: 'green', version: version('2.0.0', 'V2Green') });
    const urls = {
      live: live.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE }).url,
      blue: blue.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE }).url,
      green: green.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE }).url,
    };

    // Watched during bakes; the test forces it to ALARM (SetAlarmState) to make a go-live roll back.
    this.alarm = new cloudwatch.Alarm(this, 'Errors', {
      alarmName: INTEG_SERVICE.alarmName,
      metric: live.metricErrors({ period: Duration.minutes(1) }),
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    // Empty on purpose: DynamoDB refreshes ItemCount about every six hours, so rows written now
    // would make the restored count differ from the source's stale one.
    this.table = new dynamodb.Table(this, 'Orders', {
      tableName: INTEG_SERVICE.tableName,
      partitionKey: { name: 'id', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });

    const slack = new lambda.Function(this, 'SlackStub', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline(SLACK_STUB_CODE),
      logGroup: new logs.LogGroup(this, 'SlackStubLogs', {
        retention: logs.RetentionDays.ONE_WEEK,
        removalPolicy: RemovalPolicy.DESTROY,
      }),
    });
    const slackUrl = slack.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE }).url;

    new CfnOutput(this, SERVICE_OUTPUTS.live, { value: urls.live });
    new CfnOutput(this, SERVICE_OUTPUTS.blue, { value: urls.blue });
    new CfnOutput(this, SERVICE_OUTPUTS.green, { value: urls.green });
    // Function URLs end in "/": the Web API base golive's slack.apiUrl wants.
    new CfnOutput(this, SERVICE_OUTPUTS.slackApi, { value: `${slackUrl}api/` });
  }
}
