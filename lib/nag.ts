import { Stack, Token, Validations } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';

/**
 * cdk-nag acknowledgements shared by golive's constructs, each with its reason next to it.
 * Findings are acknowledged on the construct that causes them, never for the whole stack.
 */

/** Findings every golive Lambda function (GoLiveFunction) raises by design. */
export function acknowledgeFunctionFindings(fn: lambda.Function): void {
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      'The AWS-managed basic execution policy only lets the function write its own CloudWatch Logs; replacing it with a copy adds nothing.',
  });
  Validations.of(fn).acknowledge({
    id: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray PutTraceSegments/PutTelemetryRecords (active tracing) have no resource-level permissions; any other Resource::* statement is one of the Describe/List APIs listed in lib/provider-grants.ts that have none either.',
  });
}

/**
 * Acknowledges the wildcard resources the provider grants contain (scratch targets, golive's own
 * mute rules, snapshots and recovery points chosen at run time), naming each as cdk-nag does.
 */
export function acknowledgeWildcards(scope: IConstruct, statements: iam.PolicyStatement[]): void {
  const stack = Stack.of(scope);
  const wildcards = new Set<string>();
  for (const statement of statements) {
    for (const resource of statement.resources) {
      if (resource !== '*' && resource.includes('*')) wildcards.add(nagResourceName(stack, resource));
    }
  }
  for (const name of wildcards) {
    Validations.of(scope).acknowledge({
      id: `AwsSolutions-IAM5[Resource::${name}]`,
      reason: wildcardReason(name),
    });
  }
}

function wildcardReason(resource: string): string {
  if (resource.includes('golive-scratch-')) {
    return 'Scratch restore targets are created per go-live with a golive-scratch- prefix (name unknown until run time), validated and deleted by golive.';
  }
  if (resource.includes('alarm-mute-rule:golive-')) {
    return 'golive creates one mute rule per go-live (golive-<service>-<execution>) and deletes only its own.';
  }
  if (resource.includes(':alarm:') && resource.endsWith('*')) {
    return 'The readiness check lists the service’s alarms by name prefix (readiness.resources.alarmNamePrefix), read-only.';
  }
  if (resource.includes(':log-group:') || resource.includes(':secret:')) {
    return 'Log group and secret ARNs end in a suffix AWS adds (log streams, random secret suffix); read-only Describe on the declared names.';
  }
  if (resource.includes(':execution:')) {
    return 'Executions are named at run time; golive reads them (describe; the Slack app: history too) only for this state machine.';
  }
  if (resource.includes('alarm-mute-rule:*')) {
    return 'Listing mute rules of an alarm must see rules created by anyone, so alarms already muted before the go-live are left as they were.';
  }
  return 'The recovery point, snapshot, subnet or parameter group restored is chosen at run time (the latest within RPO); restores can only target golive-scratch-* resources.';
}

/** The resource as cdk-nag prints it in IAM5 finding ids (tokens as <AWS::Region>, <Logical.Attr>). */
function nagResourceName(stack: Stack, resource: string): string {
  if (!Token.isUnresolved(resource)) return resource;
  const resolved = stack.resolve(resource) as unknown;
  const join = (resolved as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join) return String(resource);
  return join[1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const { Ref: ref, 'Fn::GetAtt': getAtt } = part as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
      if (ref) return `<${ref}>`;
      if (getAtt) return `<${getAtt[0]}.${getAtt[1]}>`;
      return JSON.stringify(part);
    })
    .join(join[0]);
}
