/**
 * `npm run test:aws`: the integration test against a real AWS account (test/integ/integ-app.ts).
 * Deploys into the account and region of the caller's AWS credentials (AWS_PROFILE / AWS_REGION),
 * which must be bootstrapped (`npx cdk bootstrap`); takes up to about an hour and a half; costs a
 * few cents; destroys what it deployed at the end, pass or fail, unless `--keep`.
 *
 *   1. deploy GoLiveIntegService alone, to learn its function URLs (--outputs-file);
 *   2. deploy golive configured with them and the assertion stack: CloudFormation runs the
 *      assertions while creating it, and the deploy fails when one fails;
 *   3. destroy all three stacks.
 *
 * It drives the project's own CDK CLI: the integ-runner on npm cannot read the cloud assembly
 * aws-cdk-lib writes (schema 55 against its 53). The app is an ordinary integ-tests-alpha app.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { SERVICE_OUTPUTS_CONTEXT, STACKS } from './integ-app';

const REPO_ROOT = path.join(__dirname, '..', '..');
const OUT = path.join(REPO_ROOT, 'test-artifacts', 'integ-aws');
const OUTPUTS_FILE = path.join(OUT, 'service-outputs.json');
const APP = `npx tsx ${path.join('test', 'integ', 'integ.golive.ts')}`;

function cdk(args: string[]): boolean {
  console.log(`\n$ cdk ${args.join(' ')}`);
  const result = spawnSync('npx', ['cdk', ...args, '--app', APP, '--output', path.join(OUT, 'cdk.out')], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
  });
  return result.status === 0;
}

function main(argv: string[]): number {
  const keep = argv.includes('--keep');
  mkdirSync(OUT, { recursive: true });
  // A previous run's outputs would configure golive for URLs that no longer exist.
  rmSync(OUTPUTS_FILE, { force: true });
  console.log(
    'golive integration test: deploys GoLiveIntegService, GoLiveInteg and the assertion stack into the ' +
      'account and region of your AWS credentials, runs two go-lives (about an hour), then destroys them' +
      (keep ? ' (not: --keep)' : '') +
      '.',
  );
  const withOutputs = ['-c', `${SERVICE_OUTPUTS_CONTEXT}=${OUTPUTS_FILE}`];
  let passed: boolean;
  try {
    passed =
      cdk(['deploy', STACKS.service, '--exclusively', '--require-approval', 'never', '--outputs-file', OUTPUTS_FILE]) &&
      cdk(['deploy', '--all', '--require-approval', 'never', ...withOutputs]);
  } finally {
    if (!keep) {
      // The same app as deployed when the service's outputs exist (destroy needs only the stack names).
      const destroyed = cdk(['destroy', '--all', '--force', ...(existsSync(OUTPUTS_FILE) ? withOutputs : [])]);
      if (!destroyed)
        console.error(
          `\ncdk destroy failed: if they exist, delete the stacks GoLiveIntegTest…DeployAssert…, ${STACKS.golive} and ${STACKS.service} by hand`,
        );
    }
  }
  console.log(
    passed
      ? '\nintegration test passed: 2.0.0 went live after its sign-off; 1.0.0 rolled back on the forced alarm'
      : '\nintegration test FAILED: see the cdk output above (no credentials, an account not bootstrapped, or the ' +
          'failing assertion, named in the CloudFormation events of the DeployAssert stack)',
  );
  return passed ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
