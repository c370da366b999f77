import { App, Duration, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { AUDIT_BUCKET_ENV, AUDIT_CONTEXT, AuditArchive, type AuditArchiveProps } from '../../lib/audit-archive';

/**
 * A stack with the archive wired to a stand-in state machine, function and table (no bundling);
 * props may be built in the stack (a queue).
 */
function archiveStack(
  props: Partial<AuditArchiveProps> | ((stack: Stack) => Partial<AuditArchiveProps>) = {},
  context: Record<string, unknown> = {},
): { stack: Stack; archive: AuditArchive; template: Template; fn: lambda.Function } {
  const stack = new Stack(new App({ context }), 'Audit');
  const stateMachine = new sfn.StateMachine(stack, 'Machine', {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
  });
  const fn = new lambda.Function(stack, 'Export', {
    runtime: lambda.Runtime.NODEJS_22_X,
    handler: 'index.handler',
    code: lambda.Code.fromInline('exports.handler = async () => ({})'),
  });
  const table = new dynamodb.Table(stack, 'Store', {
    partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
  });
  const archive = new AuditArchive(stack, 'AuditArchive', {
    stateMachine,
    exportFunction: fn,
    table,
    ...(typeof props === 'function' ? props(stack) : props),
  });
  return { stack, archive, template: Template.fromStack(stack), fn };
}

const ref = (stack: Stack, construct: { node: { defaultChild?: unknown } }) =>
  stack.getLogicalId(construct.node.defaultChild as never);

type Statement = { Action: string | string[]; Effect: string; Resource: unknown };
const actionsOf = (statements: Statement[]) => statements.flatMap((s) => [s.Action].flat());

describe('AuditArchive bucket', () => {
  it('locks every record in GOVERNANCE mode for 365 days by default, versioned', () => {
    const { template } = archiveStack();

    template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockEnabled: true,
      ObjectLockConfiguration: {
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 365 } },
      },
      VersioningConfiguration: { Status: 'Enabled' },
    });
  });

  it('takes COMPLIANCE mode and a multi-year retention from props, or from cdk context', () => {
    const fromProps = archiveStack({ objectLockMode: 'COMPLIANCE', retention: Duration.days(2555) });
    const fromContext = archiveStack({}, { [AUDIT_CONTEXT.mode]: 'compliance', [AUDIT_CONTEXT.days]: '3650' });

    fromProps.template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 2555 } } },
    });
    fromContext.template.hasResourceProperties('AWS::S3::Bucket', {
      ObjectLockConfiguration: { Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 3650 } } },
    });
    expect(fromContext.archive).toMatchObject({ objectLockMode: 'COMPLIANCE', retentionDays: 3650 });
  });

  it('refuses an unknown lock mode and a retention that is not whole days, naming both', () => {
    expect(() => archiveStack({ objectLockMode: 'LEGAL' as never, retention: Duration.hours(36) })).toThrow(
      /objectLockMode: "LEGAL" is not GOVERNANCE or COMPLIANCE[\s\S]*retention: 1.5 days/,
    );
  });

  it('is encrypted, blocks every public access, logs access and is retained on stack deletion', () => {
    const { stack, archive, template } = archiveStack();

    template.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        ObjectLockEnabled: true,
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
        },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        LoggingConfiguration: { DestinationBucketName: { Ref: ref(stack, archive.accessLogsBucket) } },
      }),
    });
  });

  it('denies every request that does not use TLS', () => {
    const { stack, archive, template } = archiveStack();

    template.hasResourceProperties('AWS::S3::BucketPolicy', {
      Bucket: { Ref: ref(stack, archive.bucket) },
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 's3:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});

describe('AuditArchive export', () => {
  it('sends every ended execution of the state machine to the export function', () => {
    const { stack, fn, template } = archiveStack();

    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: { status: ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT'], stateMachineArn: [Match.anyValue()] },
      },
      Targets: [Match.objectLike({ Arn: { 'Fn::GetAtt': [ref(stack, fn), 'Arn'] }, RetryPolicy: Match.anyValue() })],
    });
  });

  it('parks exports it could not deliver, and exports that failed after Lambda retries, in the dead-letter queue given', () => {
    let queue: sqs.Queue | undefined;
    const { stack, archive, fn, template } = archiveStack((s) => ({
      deadLetterQueue: (queue = new sqs.Queue(s, 'Parked')),
    }));
    const dlq = { 'Fn::GetAtt': [ref(stack, queue!), 'Arn'] };

    expect(template.toJSON().Resources[ref(stack, archive.exportRule)].Properties.Targets).toEqual([
      expect.objectContaining({ Arn: { 'Fn::GetAtt': [ref(stack, fn), 'Arn'] }, DeadLetterConfig: { Arn: dlq } }),
    ]);
    template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: ref(stack, fn) },
      MaximumRetryAttempts: 2,
      DestinationConfig: { OnFailure: { Destination: dlq } },
    });
  });

  it('leaves the export function’s asynchronous retries as Lambda’s default without a dead-letter queue', () => {
    const { template } = archiveStack();

    template.resourceCountIs('AWS::Lambda::EventInvokeConfig', 0);
  });

  it('lets the export function only add objects under audit/ and read the history', () => {
    const { stack, archive, fn, template } = archiveStack();
    const role = stack.getLogicalId(fn.role!.node.defaultChild as never);

    const [policy] = Object.values(
      template.findResources('AWS::IAM::Policy', { Properties: { Roles: [{ Ref: role }] } }),
    );
    const statements = policy.Properties.PolicyDocument.Statement as Statement[];

    expect(actionsOf(statements).sort()).toEqual([
      's3:PutObject',
      'states:DescribeExecution',
      'states:GetExecutionHistory',
    ]);
    expect(statements.find((s) => s.Action === 's3:PutObject')?.Resource).toEqual({
      'Fn::Join': ['', [{ 'Fn::GetAtt': [ref(stack, archive.bucket), 'Arn'] }, '/audit/*']],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { [AUDIT_BUCKET_ENV]: { Ref: ref(stack, archive.bucket) } } },
    });
  });
});

describe('AuditArchive auditor access', () => {
  it('is a read-only managed policy over the archive, the executions and the store', () => {
    const { stack, archive, template } = archiveStack();

    const policy = template.toJSON().Resources[ref(stack, archive.auditorPolicy)];
    const statements = policy.Properties.PolicyDocument.Statement as Statement[];
    const actions = actionsOf(statements);

    expect(policy.Type).toBe('AWS::IAM::ManagedPolicy');
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true);
    expect(actions.filter((a) => !/^(s3|states|dynamodb):(Get|List|Describe|Query|BatchGet)/.test(a))).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining(['s3:GetObject', 's3:GetObjectVersion', 's3:ListBucketVersions']));
    expect(actions).toEqual(expect.arrayContaining(['states:GetExecutionHistory', 'dynamodb:Query']));
    expect(JSON.stringify(statements)).not.toMatch(/"\*"/);
  });

  it('is carried by a role for this account, and the stack outputs the role, the policy and the bucket', () => {
    const { stack, archive, template } = archiveStack();

    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ Ref: ref(stack, archive.auditorPolicy) }],
      AssumeRolePolicyDocument: {
        Statement: [Match.objectLike({ Principal: { AWS: Match.anyValue() }, Action: 'sts:AssumeRole' })],
      },
    });
    const outputs = Object.entries(template.toJSON().Outputs as Record<string, { Value: unknown }>);
    const output = (name: string) => outputs.find(([id]) => id.includes(name))?.[1].Value;
    expect(output('AuditorRoleArn')).toEqual({ 'Fn::GetAtt': [ref(stack, archive.auditorRole), 'Arn'] });
    expect(output('AuditorPolicyArn')).toEqual({ Ref: ref(stack, archive.auditorPolicy) });
    expect(output('AuditBucketName')).toEqual({ Ref: ref(stack, archive.bucket) });
  });
});

describe('AuditArchive under cdk-nag', () => {
  it('has no unacknowledged AwsSolutions finding of its own', () => {
    const app = new App();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    const stack = new Stack(app, 'Nag');
    // Stand-ins for the orchestrator's resources, whose own hardening is tested with the stack.
    const stateMachine = new sfn.StateMachine(stack, 'Machine', {
      definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, 'Nothing')),
    });
    const fn = new lambda.Function(stack, 'Export', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => ({})'),
    });
    for (const id of ['AwsSolutions::AwsSolutions-SF1', 'AwsSolutions::AwsSolutions-SF2']) {
      Validations.of(stateMachine).acknowledge({ id, reason: 'stand-in state machine' });
    }
    for (const id of [
      'AwsSolutions::AwsSolutions-L1',
      'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    ]) {
      Validations.of(fn).acknowledge({ id, reason: 'stand-in function' });
    }

    new AuditArchive(stack, 'AuditArchive', { stateMachine, exportFunction: fn });

    expect(() => Template.fromStack(stack)).not.toThrow();
  });
});
