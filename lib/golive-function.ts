import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Duration } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { LogLevel, NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { GoLiveConfig } from '../lambdas/core/config';

/** Where the handler folders live: `lambdas/<name>/index.ts`, exporting `handler`. */
export const LAMBDAS_DIR = path.join(__dirname, '..', 'lambdas');

export interface GoLiveFunctionProps {
  /** Folder under `lambdas/` whose `index.ts` exports `handler` (e.g. `lock`, `alarm-handler`). */
  readonly name: string;
  /**
   * What the function does, shown in the Lambda console.
   * @default - no description
   */
  readonly description?: string;
  /**
   * Hard limit of one invocation. Keep it at or below the TimeoutSeconds of the Task that invokes
   * the function, so a function never keeps changing things after the workflow moved on.
   * @default Duration.seconds(30)
   */
  readonly timeout?: Duration;
  /**
   * How long the function's logs are kept.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Extra environment variables, merged over the pinned ones.
   * @default - only the pinned variables
   */
  readonly environment?: Record<string, string>;
  /**
   * The validated golive config, bundled into the code as JSON (esbuild `define` of
   * `__GOLIVE_CONFIG__`, read by lambdas/providers/aws/config.ts). Bundling rather than an
   * environment variable: no 4 KB limit, and a config change redeploys the code that reads it.
   * @default - no config: the function must not use the AWS providers
   */
  readonly config?: GoLiveConfig;
  /**
   * Layers the function loads, such as the CloudWatch SDK layer of the functions that mute alarms
   * (lib/cloudwatch-sdk-layer.ts): a package in a layer is found before the runtime's copy.
   * @default - no layers: every `@aws-sdk/*` package comes from the runtime
   */
  readonly layers?: readonly lambda.ILayerVersion[];
  /**
   * Map stack traces to the TypeScript sources at run time (`NODE_OPTIONS=--enable-source-maps`).
   * Off by default: it costs every cold start ≈ 15-50 ms (bench/bundles.ts) and golive's errors
   * are named and carry their evidence. The source maps are shipped either way, so it can also be
   * switched on for one function by setting that variable in the console while investigating.
   * @default false
   */
  readonly enableSourceMaps?: boolean;
  /**
   * Packages replaced in the bundle (esbuild `alias`): package name → absolute path of the module
   * standing in for it, for code a dependency loads but the function never runs.
   * @default - none
   */
  readonly bundleAliases?: Record<string, string>;
  /**
   * The VPC to run in, for a function that must reach addresses only routable inside it (a
   * service behind an internal load balancer). Lambda then adds the network-interface permissions
   * (the AWS-managed AWSLambdaVPCAccessExecutionRole) to the function's role.
   * @default - not in a VPC
   */
  readonly vpc?: ec2.IVpc;
  /**
   * The subnets of `vpc` the function's network interfaces are placed in.
   * @default - the VPC's private subnets with egress
   */
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The security groups of the function's network interfaces in `vpc`.
   * @default - one Lambda creates for the function, all outbound traffic allowed
   */
  readonly securityGroups?: readonly ec2.ISecurityGroup[];
}

/**
 * The one way golive builds a Lambda function, so every function is deployed alike:
 * - Node.js 24 (the current LTS Lambda offers) on ARM64, X-Ray tracing active, 256 MB, its own log group with retention;
 * - bundled by the local esbuild (never Docker): minified, source maps alongside (used at run
 *   time only with `enableSourceMaps`), `@aws-sdk/*` left to the runtime or a layer, and
 *   `keepNames` so class and function names survive minification (error names are the ASL
 *   ErrorEquals keys; stack traces stay readable).
 */
export class GoLiveFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: GoLiveFunctionProps) {
    const entry = path.join(LAMBDAS_DIR, props.name, 'index.ts');
    if (!existsSync(entry)) {
      throw new Error(`GoLiveFunction "${props.name}": no handler at ${entry} (expected lambdas/<name>/index.ts)`);
    }
    // The log group is created before super() runs, so it is a sibling rather than a child.
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
    });
    super(scope, id, {
      entry,
      handler: 'handler',
      ...(props.description === undefined ? {} : { description: props.description }),
      ...(props.layers?.length ? { layers: [...props.layers] } : {}),
      ...(props.vpc ? { vpc: props.vpc } : {}),
      ...(props.vpcSubnets ? { vpcSubnets: props.vpcSubnets } : {}),
      ...(props.securityGroups ? { securityGroups: [...props.securityGroups] } : {}),
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 256,
      timeout: props.timeout ?? Duration.seconds(30),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      environment: {
        ...(props.enableSourceMaps ? { NODE_OPTIONS: '--enable-source-maps' } : {}),
        POWERTOOLS_SERVICE_NAME: 'golive',
        // Read by lambdas/providers/aws/notifier.ts (slackClientOptions) and the Slack function.
        ...(props.config?.slack.apiUrl ? { GOLIVE_SLACK_API_URL: props.config.slack.apiUrl } : {}),
        ...props.environment,
      },
      bundling: {
        minify: true,
        sourceMap: true,
        keepNames: true,
        target: 'node24',
        // From the runtime, or from a layer the function names (never bundled: ≤ 300 KB per function).
        externalModules: ['@aws-sdk/*'],
        ...(props.config ? { define: { __GOLIVE_CONFIG__: JSON.stringify(JSON.stringify(props.config)) } } : {}),
        ...(props.bundleAliases
          ? {
              esbuildArgs: Object.fromEntries(
                Object.entries(props.bundleAliases).map(([pkg, file]) => [`--alias:${pkg}`, file]),
              ),
            }
          : {}),
        // Bundle sizes for 11 functions drown the synth output; warnings and errors still show.
        logLevel: LogLevel.WARNING,
      },
    });
  }
}
