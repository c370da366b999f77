import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { notify } from '../core/steps/notify';
import { taskHandler, type DepsResolver } from '../handler';
import { awsDeps } from '../providers/aws';
import { ROLLBACK_FAILED_METRIC } from './metric';

const { namespace, metricName, service } = ROLLBACK_FAILED_METRIC;

/** EMF on stdout: CloudWatch Logs turns the line into the metric, with no API call that could fail too. */
const metrics = new Metrics({ namespace, serviceName: service });

/**
 * `metrics: false` for the local runtime, where no CloudWatch reads the EMF line (it tells a failed
 * rollback on stderr instead).
 */
export const createHandler = (resolveDeps: DepsResolver, options: { metrics?: boolean } = {}) =>
  taskHandler('notify', (deps, event) => {
    // Counted before the step runs: the alarm must fire even when Slack or the store is down and the step throws.
    if (event.state === 'NotifyRollbackFailed' && (options.metrics ?? true)) {
      metrics.addMetadata('executionId', event.executionId);
      metrics.addMetadata('goliveService', String(event.request.service ?? 'unknown'));
      metrics.addMetric(metricName, MetricUnit.Count, 1);
      metrics.publishStoredMetrics();
    }
    return notify(deps, event);
  })(resolveDeps);
export const handler = createHandler(awsDeps);
