/**
 * golive's metric of a failed rollback: emitted by the notify function (lambdas/notify/index.ts,
 * as an EMF log line) and watched by an alarm (lib/self-monitoring.ts). Free of imports, so the
 * CDK app reads the same names without loading Powertools.
 */
export const ROLLBACK_FAILED_METRIC = {
  namespace: 'golive',
  metricName: 'RollbackFailed',
  /**
   * The `service` dimension: golive itself, so one alarm covers every service going live (which
   * one is in the EMF line's metadata, `goliveService`, not a dimension).
   */
  service: 'golive',
} as const;
