#!/usr/bin/env node
import * as path from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { ConfigError } from '../lambdas/core/config';
import { DEFAULT_CONFIG_FILE, GoLiveStack, type GoLiveNetwork } from '../lib/golive-stack';

const app = new App();
// cdk-nag: every finding fails the synth unless acknowledged, with its reason, on the construct causing it.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
// `cdk synth -c configFile=...` wins over GOLIVE_CONFIG; a relative path is the caller's, so it
// is resolved against the working directory.
const configured = (app.node.tryGetContext('configFile') as string | undefined) ?? process.env.GOLIVE_CONFIG;
const configFile = configured ? path.resolve(configured) : DEFAULT_CONFIG_FILE;

/** `-c key=a,b` gives a string; cdk.json or cdk.context.json may give a list. */
function contextList(key: string): string[] | undefined {
  const value = app.node.tryGetContext(key) as string | string[] | undefined;
  if (value === undefined || value === '') return undefined;
  return (Array.isArray(value) ? value : String(value).split(',')).map((v) => String(v).trim()).filter(Boolean);
}

// A service behind an internal load balancer: `-c vpcId=vpc-… -c subnetIds=subnet-…,subnet-…`
// (and optionally `-c securityGroupIds=sg-…`) run the readiness and smoke-test functions in it.
const vpcId = app.node.tryGetContext('vpcId') as string | undefined;
const subnetIds = contextList('subnetIds');
const securityGroupIds = contextList('securityGroupIds');
if (!vpcId && (subnetIds || securityGroupIds)) {
  console.error('-c subnetIds / -c securityGroupIds need -c vpcId=vpc-… (the VPC they belong to)');
  process.exit(2);
}
const network: GoLiveNetwork | undefined = vpcId
  ? { vpcId, subnetIds: subnetIds ?? [], ...(securityGroupIds ? { securityGroupIds } : {}) }
  : undefined;

try {
  new GoLiveStack(app, 'GoLive', {
    configFile,
    ...(network ? { network } : {}),
    description: 'golive: go-live orchestrator (Step Functions workflow, Lambda steps, DynamoDB store)',
  });
} catch (err) {
  if (!(err instanceof ConfigError)) throw err;
  // The message already names every bad field; a stack trace would only bury it.
  console.error(err.message);
  process.exit(2);
}
