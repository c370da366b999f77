import { App, Duration, RemovalPolicy, Stack, type CfnElement } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { IConstruct } from 'constructs';
import { GoLiveOrchestrator, type GoLiveOrchestratorProps } from '../../lib/go-live-orchestrator';
import { GoLiveFunction } from '../../lib/golive-function';

/** A stack whose assets are not bundled: these tests are about props, not code. */
function unbundledStack(): Stack {
  return new Stack(new App({ context: { 'aws:cdk:bundling-stacks': [] } }), 'Test');
}

function build(props: GoLiveOrchestratorProps): { stack: Stack; create: () => GoLiveOrchestrator } {
  const stack = unbundledStack();
  return { stack, create: () => new GoLiveOrchestrator(stack, 'Orchestrator', props) };
}

describe('GoLiveOrchestrator props validation', () => {
  it('rejects an empty alarm list before creating anything, naming the prop', () => {
    const { stack, create } = build({ alarmNames: [] });

    expect(create).toThrow(/alarmNames: list at least one alarm/);
    expect(stack.node.findAll().filter((c) => c instanceof GoLiveFunction)).toHaveLength(0);
  });

  it('rejects an alarm name CloudWatch would not accept', () => {
    const { create } = build({ alarmNames: ['ok', ''] });

    expect(create).toThrow(/alarmNames\[1\]: "" is not a CloudWatch alarm name/);
  });

  it('rejects a function timeout longer than the Task that invokes it', () => {
    const { create } = build({ alarmNames: ['a'], functionTimeouts: { lock: Duration.seconds(45) } });

    expect(create).toThrow(/functionTimeouts\.lock: 45 s exceeds TimeoutSeconds 30 of Task ValidateAndLock/);
  });

  it('rejects a timeout beyond the Lambda maximum and an unknown function, listing both', () => {
    const { create } = build({
      alarmNames: ['a'],
      functionTimeouts: { janitor: Duration.minutes(20), ...{ lokc: Duration.seconds(5) } },
    });

    expect(create).toThrow(
      /functionTimeouts\.lokc: unknown function[\s\S]*functionTimeouts\.janitor: 1200 s is outside/,
    );
  });
});

describe('GoLiveOrchestrator props', () => {
  it('applies timeout overrides, log retention and the store removal policy', () => {
    const stack = unbundledStack();

    new GoLiveOrchestrator(stack, 'Orchestrator', {
      alarmNames: ['a', 'a', 'b'],
      functionTimeouts: { backup: Duration.minutes(15), 'smoke-test': Duration.minutes(5) },
      logRetention: logs.RetentionDays.ONE_WEEK,
      storeRemovalPolicy: RemovalPolicy.DESTROY,
    });
    const template = Template.fromStack(stack);

    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('backup'),
      Timeout: 900,
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('smoke'),
      Timeout: 300,
    });
    expect(
      Object.values(template.findResources('AWS::Logs::LogGroup')).map((g) => g.Properties.RetentionInDays),
    ).toEqual(Array(12).fill(7));
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
    // Duplicates across services are listed once in the event pattern.
    template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: Match.objectLike({ detail: { alarmName: ['a', 'b'], state: { value: ['ALARM'] } } }),
    });
  });

  it('binds another function to the store read-only: table env var and read actions only', () => {
    const stack = unbundledStack();
    const orchestrator = new GoLiveOrchestrator(stack, 'Orchestrator', { alarmNames: ['a'] });
    const reader = new lambda.Function(stack, 'Reader', {
      runtime: lambda.Runtime.NODEJS_22_X,
      handler: 'index.handler',
      code: lambda.Code.fromInline('exports.handler = async () => {}'),
    });

    orchestrator.bindStore(reader, 'read');
    const template = Template.fromStack(stack);

    const logicalId = (c: IConstruct) => stack.getLogicalId(c.node.defaultChild as CfnElement);
    const readerId = logicalId(reader);
    const tableId = logicalId(orchestrator.table);
    expect(template.toJSON().Resources[readerId].Properties.Environment).toEqual({
      Variables: { GOLIVE_TABLE: { Ref: tableId } },
    });
    const actions = Object.values(
      template.findResources('AWS::IAM::Policy', {
        Properties: { Roles: [{ Ref: logicalId(reader.role as IConstruct) }] },
      }),
    ).flatMap((p) => (p.Properties.PolicyDocument.Statement as { Action: string[] }[]).flatMap((s) => s.Action));
    expect(actions).toEqual(expect.arrayContaining(['dynamodb:GetItem', 'dynamodb:Query']));
    expect(actions.filter((a) => /Put|Update|Delete|Write/.test(a))).toEqual([]);
  });
});
