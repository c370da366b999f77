#!/usr/bin/env node
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambdas/core/config';
import { DEFAULT_CONFIG_FILE, GoLiveStack } from '../lib/golive-stack';

const app = new App();
// cdk-nag: every finding fails the synth unless acknowledged, with its reason, on the construct causing it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
// `cdk synth -c configFile=...` wins over GOLIVE_CONFIG; a relative path is the caller's, so it
// is resolved against the working directory.
const configured = (app.node.tryGetContext('configFile') as string | undefined) ?? process.env.GOLIVE_CONFIG;
const configFile = configured ? path.resolve(configured) : DEFAULT_CONFIG_FILE;

try {
  new GoLiveStack(app, 'GoLive', {
    configFile,
    description: 'golive: go-live orchestrator (Step Functions workflow, Lambda steps, DynamoDB store)',
  });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // The message already names every bad field; a stack trace would only bury it.
  console.error(err.message);
  process.exit(2);
}
