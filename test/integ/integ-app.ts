/**
 * The integration test for a real AWS account (`npm run test:aws`, test/integ/run.ts): the test
 * service (service-stack.ts), golive's default stack configured for it, and the assertions that
 * drive two go-lives through golive's control function:
 *   1. 2.0.0, canary: the sign-off is approved → the execution SUCCEEDS and `live` serves 2.0.0;
 *   2. 1.0.0, canary: once its first bake waits, the alarm is forced to ALARM (SetAlarmState) →
 *      the execution FAILS with AlarmTriggered and `live` still serves 2.0.0 alone.
 * Built by integ.golive.ts for the CDK CLI and by integ-app.test.ts offline.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { App, Duration, RemovalPolicy } from 'aws-cdk-lib';
import { AwsApiCall, ExpectedResult, IntegTest, type IApiCall } from '@aws-cdk/integ-tests-alpha';
import type { GoLiveConfig } from '../../lambdas/core/config';
import { loadConfig } from '../../lambdas/core/config-file';
import { GoLiveStack } from '../../lib/golive-stack';
import { INTEG_SERVICE, IntegServiceStack, type ServiceOutputs } from './service-stack';

const REPO_ROOT = path.join(__dirname, '..', '..');
export const INTEG_CONFIG_FILE = path.join(__dirname, 'golive.integ.config.yaml');
export const STACKS = { service: 'GoLiveIntegService', golive: 'GoLiveInteg' } as const;
/** Context key naming the `cdk deploy --outputs-file` JSON of the service stack (set by run.ts). */
export const SERVICE_OUTPUTS_CONTEXT = 'golive:integServiceOutputs';

/** The IAM principals the config maps to the release manager and the approver. */
const RELEASE_MANAGER = 'arn:aws:iam::000000000000:role/golive-integ-release-manager';
const APPROVER = 'arn:aws:iam::000000000000:role/golive-integ-approver';

/** Long enough for readiness, the DynamoDB restore proof and the bakes; within CloudFormation's hour. */
const WAIT = { totalTimeout: Duration.minutes(55), interval: Duration.seconds(30), backoffRate: 1 };

/** The integ config with the deployed service's URLs, or its placeholders when there are none yet. */
export function integConfig(outputs?: ServiceOutputs): GoLiveConfig {
  const config = structuredClone(loadConfig(INTEG_CONFIG_FILE));
  if (outputs) {
    config.slack.apiUrl = outputs.slackApi;
    config.services[INTEG_SERVICE.service].endpoints = {
      live: outputs.live,
      blue: outputs.blue,
      green: outputs.green,
    };
  }
  return config;
}

/**
 * An API Gateway proxy event as the control API's IAM authorization hands it to the control
 * function: the caller's principal in requestContext. The assertions invoke the function with it
 * directly, so this skips API Gateway's SigV4 check (tested offline in test/cdk/control-api.test.ts)
 * and exercises everything after it: identity mapping, GoLiveClient, the store, Step Functions.
 */
function controlRequest(principal: string, httpMethod: string, requestPath: string, body?: object): string {
  return JSON.stringify({
    httpMethod,
    path: requestPath,
    body: body ? JSON.stringify(body) : null,
    requestContext: { requestId: 'golive-integ', identity: { userArn: principal } },
  });
}

export interface IntegApp {
  app: App;
  service: IntegServiceStack;
  golive: GoLiveStack;
  integ: IntegTest;
}

export interface IntegAppOptions {
  outdir?: string;
  /** The deployed service stack's URLs; without them the config keeps its placeholders. */
  serviceOutputs?: ServiceOutputs;
  /** Context on top of cdk.json's (tests: `aws:cdk:bundling-stacks`). */
  context?: Record<string, unknown>;
}

export function buildIntegApp(options: IntegAppOptions = {}): IntegApp {
  const { context } = JSON.parse(readFileSync(path.join(REPO_ROOT, 'cdk.json'), 'utf8')) as { context: object };
  const app = new App({
    ...(options.outdir ? { outdir: options.outdir } : {}),
    context: {
      ...context,
      // Audit records of a test run: governance mode, kept one day (the archive bucket is retained).
      'golive:auditObjectLockMode': 'GOVERNANCE',
      'golive:auditRetentionDays': 1,
      // The assertions read the service stack's versions and golive's control function: plain exports.
      '@aws-cdk/core:defaultCrossStackReferences': 'strong',
      ...options.context,
    },
  });
  const service = new IntegServiceStack(app, STACKS.service, {
    description: 'golive integration test: the service (Lambda alias, alarm, DynamoDB PITR, Slack stand-in)',
  });
  const golive = new GoLiveStack(app, STACKS.golive, {
    config: integConfig(options.serviceOutputs),
    description: 'golive integration test: golive configured for GoLiveIntegService',
    // The test's store goes with the stack; the audit archive (Object Lock) is retained as always.
    orchestrator: { storeRemovalPolicy: RemovalPolicy.DESTROY },
  });
  // No cdk-nag here: a validation plugin checks the whole app, and the test service and the
  // assertion providers are test scaffolding. integ-app.test.ts checks golive's stack for this config.

  const integ = new IntegTest(app, 'GoLiveIntegTest', {
    testCases: [service, golive],
    diffAssets: false,
    stackUpdateWorkflow: false,
  });
  const control = golive.control.function;
  const call = (principal: string, method: string, requestPath: string, body?: object) =>
    integ.assertions.invokeFunction({
      functionName: control.functionName,
      payload: controlRequest(principal, method, requestPath, body),
    });
  /** Polls until the assertion holds (the waiter's role may invoke the control function too). */
  const waitFor = (apiCall: IApiCall): IApiCall => {
    const waiting = apiCall.waitForAssertions(WAIT) as AwsApiCall;
    waiting.waiterProvider?.addToRolePolicy({
      Effect: 'Allow',
      Action: ['lambda:InvokeFunction', 'states:DescribeExecution'],
      Resource: ['*'],
    });
    return waiting;
  };
  const describeExecution = (executionArn: string) =>
    integ.assertions.awsApiCall('StepFunctions', 'describeExecution', { executionArn });
  const liveVersion = () =>
    integ.assertions
      .awsApiCall('Lambda', 'getAlias', { FunctionName: INTEG_SERVICE.functionName, Name: INTEG_SERVICE.alias })
      .assertAtPath('FunctionVersion', ExpectedResult.exact(service.versions['2.0.0']));
  const ended = ExpectedResult.stringLikeRegexp('^(SUCCEEDED|FAILED|TIMED_OUT|ABORTED)$');

  // 1. 2.0.0 goes live: started by the release manager, approved by the approver.
  const start = call(RELEASE_MANAGER, 'POST', '/go-lives', {
    service: INTEG_SERVICE.service,
    version: '2.0.0',
    strategy: 'canary',
    notes: 'golive integration test: expected to succeed',
  }).assertAtPath('Payload.statusCode', ExpectedResult.exact(201));
  const first = { name: start.getAttString('Payload.body.name'), arn: start.getAttString('Payload.body.executionArn') };
  const firstDone = start
    .next(
      waitFor(
        call(RELEASE_MANAGER, 'GET', `/go-lives/${first.name}`).assertAtPath(
          'Payload.body.signOff.status',
          ExpectedResult.exact('pending'),
        ),
      ),
    )
    .next(
      call(APPROVER, 'POST', `/go-lives/${first.name}/votes`, { decision: 'approve' }).assertAtPath(
        'Payload.body.status',
        ExpectedResult.exact('approved'),
      ),
    )
    .next(waitFor(describeExecution(first.arn).assertAtPath('status', ended)))
    .next(describeExecution(first.arn).assertAtPath('status', ExpectedResult.exact('SUCCEEDED')))
    .next(liveVersion());

  // 2. 1.0.0 goes live but its alarm fires during the first bake: rolled back, 2.0.0 stays live.
  const restart = call(RELEASE_MANAGER, 'POST', '/go-lives', {
    service: INTEG_SERVICE.service,
    version: '1.0.0',
    strategy: 'canary',
    notes: 'golive integration test: expected to roll back (the test forces the alarm)',
  }).assertAtPath('Payload.statusCode', ExpectedResult.exact(201));
  const second = {
    name: restart.getAttString('Payload.body.name'),
    arn: restart.getAttString('Payload.body.executionArn'),
  };
  firstDone
    .next(restart)
    .next(
      waitFor(
        call(RELEASE_MANAGER, 'GET', `/go-lives/${second.name}`).assertAtPath(
          'Payload.body.currentStep',
          ExpectedResult.exact('Bake'),
        ),
      ),
    )
    .next(
      integ.assertions.awsApiCall('CloudWatch', 'setAlarmState', {
        AlarmName: INTEG_SERVICE.alarmName,
        StateValue: 'ALARM',
        StateReason: 'golive integration test: forced during the canary bake to make the go-live roll back',
      }),
    )
    .next(waitFor(describeExecution(second.arn).assertAtPath('status', ended)))
    .next(describeExecution(second.arn).assertAtPath('error', ExpectedResult.exact('AlarmTriggered')))
    .next(liveVersion());

  return { app, service, golive, integ };
}
