import type * as events from 'aws-cdk-lib/aws-events';
import { routePattern, type EventPattern, type EventRoute } from '../lambdas/catalog';

/** An EventBridge rule's pattern for a route of lambdas/catalog.ts, narrowed to this deployment. */
export function ruleEventPattern(
  route: Extract<EventRoute, { pattern: EventPattern }>,
  deployment: { alarmNames: readonly string[]; stateMachineArn: string },
): events.EventPattern {
  const pattern = routePattern(route, deployment);
  return { source: [...pattern.source], detailType: [...pattern['detail-type']], detail: { ...pattern.detail } };
}
