/**
 * The integration test app for the CDK CLI (test/integ/run.ts deploys it; integ-runner's file name
 * pattern, so a runner that reads this cloud assembly schema can run it too). The service stack's
 * URLs come from `-c golive:integServiceOutputs=<cdk deploy --outputs-file JSON>`; without it the
 * config keeps its placeholders (deploying only the service stack, or synthesizing offline).
 */
import { readFileSync } from 'node:fs';
import { App } from 'aws-cdk-lib';
import { buildIntegApp, SERVICE_OUTPUTS_CONTEXT, STACKS } from './integ-app';
import { SERVICE_OUTPUTS, type ServiceOutputs } from './service-stack';

// Only to read the context the CLI passes; autoSynth off, or its empty assembly would overwrite the real one at exit.
const outputsFile = new App({ autoSynth: false }).node.tryGetContext(SERVICE_OUTPUTS_CONTEXT) as string | undefined;
let serviceOutputs: ServiceOutputs | undefined;
if (outputsFile) {
  const all = JSON.parse(readFileSync(outputsFile, 'utf8')) as Record<string, Record<string, string>>;
  const outputs = all[STACKS.service] ?? {};
  const missing = Object.values(SERVICE_OUTPUTS).filter((key) => !outputs[key]);
  if (missing.length > 0) {
    throw new Error(
      `${outputsFile} lacks ${STACKS.service} outputs ${missing.join(', ')}: deploy ${STACKS.service} first`,
    );
  }
  serviceOutputs = {
    live: outputs[SERVICE_OUTPUTS.live],
    blue: outputs[SERVICE_OUTPUTS.blue],
    green: outputs[SERVICE_OUTPUTS.green],
    slackApi: outputs[SERVICE_OUTPUTS.slackApi],
  };
}

buildIntegApp(serviceOutputs ? { serviceOutputs } : {}).app.synth();
