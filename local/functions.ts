import { functionName } from '../lambdas/catalog';
import { createHandler as alarmHandler } from '../lambdas/alarm-handler';
import { createHandler as alerts } from '../lambdas/alerts';
import { createHandler as approval } from '../lambdas/approval';
import { createHandler as backup } from '../lambdas/backup';
import { createHandler as bake } from '../lambdas/bake';
import type { DepsResolver } from '../lambdas/handler';
import { createHandler as janitor } from '../lambdas/janitor';
import { createHandler as lock } from '../lambdas/lock';
import { createHandler as notify } from '../lambdas/notify';
import { createHandler as readiness } from '../lambdas/readiness';
import { createHandler as smokeTest } from '../lambdas/smoke-test';
import { createHandler as traffic } from '../lambdas/traffic';

export type LambdaHandler = (event: unknown) => Promise<unknown>;

/**
 * The same handler functions the Lambdas run, bound to local providers, keyed by function name
 * (the names the ASL's `${XxxFunctionArn}` substitutions resolve to).
 */
export function localFunctions(deps: DepsResolver): Record<string, LambdaHandler> {
  const factories = {
    lock,
    readiness,
    alerts,
    backup,
    'smoke-test': smokeTest,
    traffic,
    bake,
    approval,
    notify: (resolve: DepsResolver) => notify(resolve, { metrics: false }),
    'alarm-handler': alarmHandler,
    janitor,
  };
  return Object.fromEntries(Object.entries(factories).map(([key, create]) => [functionName(key), create(deps)]));
}
