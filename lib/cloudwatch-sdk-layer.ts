import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { AssetHashType, DockerImage } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';

/** The package the layer carries: the project's own, as pinned by package-lock.json. */
export const CLOUDWATCH_SDK_PACKAGE = '@aws-sdk/client-cloudwatch';
const PACKAGE_DIR = path.dirname(require.resolve(`${CLOUDWATCH_SDK_PACKAGE}/package.json`));
/** Its version, as installed (the lock file's). */
export const CLOUDWATCH_SDK_VERSION = (
  JSON.parse(readFileSync(path.join(PACKAGE_DIR, 'package.json'), 'utf8')) as { version: string }
).version;

/**
 * The CloudWatch client golive was built and tested with, as a Lambda layer for the functions
 * that mute alarms. Alarm mute rules (PutAlarmMuteRule, ListAlarmMuteRules, DeleteAlarmMuteRule)
 * are newer than the SDK some Lambda runtimes ship, so those functions cannot rely on the
 * runtime's copy; bundling the client into each of them tripled their size (≈ 650 KB each).
 * The layer holds it once, as one minified file at `nodejs/node_modules/@aws-sdk/client-cloudwatch`,
 * which Lambda's module path finds before the runtime's copy. The functions leave the package
 * external and resolve it at run time.
 */
export class CloudWatchSdkLayer extends Construct {
  public readonly layer: lambda.LayerVersion;
  /** Version of the client in the layer. */
  public readonly sdkVersion: string;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.sdkVersion = CLOUDWATCH_SDK_VERSION;
    this.layer = new lambda.LayerVersion(this, 'Layer', {
      description: `${CLOUDWATCH_SDK_PACKAGE} ${this.sdkVersion} (alarm mute rules) for golive's alerting functions`,
      compatibleRuntimes: [lambda.Runtime.NODEJS_24_X],
      compatibleArchitectures: [lambda.Architecture.ARM_64, lambda.Architecture.X86_64],
      code: lambda.Code.fromAsset(PACKAGE_DIR, {
        // Hashed by what was built (the client, its dependencies as locked, esbuild and this build's
        // options all show in the output): a changed layer is always a new asset and a new version.
        assetHashType: AssetHashType.OUTPUT,
        bundling: {
          // Never Docker: built by the project's esbuild (as NodejsFunction bundles), locally and offline.
          image: DockerImage.fromRegistry('unused-local-bundling-only'),
          local: { tryBundle: (outputDir) => (buildCloudWatchSdkLayer(outputDir), true) },
        },
      }),
    });
  }
}

/** Writes the layer's content into `outputDir`: `nodejs/node_modules/@aws-sdk/client-cloudwatch/`. */
export function buildCloudWatchSdkLayer(outputDir: string): void {
  const dir = path.join(outputDir, 'nodejs', 'node_modules', ...CLOUDWATCH_SDK_PACKAGE.split('/'));
  mkdirSync(dir, { recursive: true });
  let esbuild: typeof import('esbuild');
  try {
    // Loaded here, not at import: an app that only reads the construct's types needs no esbuild.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    esbuild = require('esbuild') as typeof import('esbuild');
  } catch {
    throw new Error(
      'CloudWatchSdkLayer: esbuild is needed to build the layer (as for the functions): npm install --save-dev esbuild',
    );
  }
  esbuild.buildSync({
    // Re-exported from an ES module entry, so the package's ES build is the one bundled.
    stdin: { contents: `export * from '${CLOUDWATCH_SDK_PACKAGE}';`, resolveDir: PACKAGE_DIR, loader: 'js' },
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    minify: true,
    // The ES module builds let esbuild drop what the client never reaches.
    mainFields: ['module', 'main'],
    outfile: path.join(dir, 'index.js'),
    logLevel: 'warning',
    legalComments: 'none',
  });
  writeFileSync(
    path.join(dir, 'package.json'),
    `${JSON.stringify({ name: CLOUDWATCH_SDK_PACKAGE, version: CLOUDWATCH_SDK_VERSION, main: 'index.js', license: 'Apache-2.0' }, null, 2)}\n`,
  );
  if (existsSync(path.join(PACKAGE_DIR, 'LICENSE')))
    copyFileSync(path.join(PACKAGE_DIR, 'LICENSE'), path.join(dir, 'LICENSE'));
}
