import {
  paginateGetMetricData,
  type CloudWatchClient,
  type Dimension,
  type MetricDataQuery,
} from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, type LambdaClient } from '@aws-sdk/client-lambda';
import type { SlotMetrics } from '../../core/analysis/judge';
import type { GoLiveConfig } from '../../core/config';
import type { MeasureWindow, MetricsProvider, Slot, StepMeasurement } from '../../core/ports';
import { serviceConfig } from '../../core/roles';
import { awsCall, awsPages } from './errors';
import { aliasSlotVersions } from './traffic';

/** One CloudWatch metric of a slot: what GetMetricData reads and how it becomes a SlotMetrics field. */
interface SlotQuery {
  field: 'requests' | 'errors' | 'p50' | 'p95' | 'p99';
  namespace: string;
  metricName: string;
  stat: string;
  /** Seconds (ALB TargetResponseTime) → ms. */
  scale: number;
}

const ALB_QUERIES: SlotQuery[] = [
  { field: 'requests', namespace: 'AWS/ApplicationELB', metricName: 'RequestCount', stat: 'Sum', scale: 1 },
  { field: 'errors', namespace: 'AWS/ApplicationELB', metricName: 'HTTPCode_Target_5XX_Count', stat: 'Sum', scale: 1 },
  ...(['p50', 'p95', 'p99'] as const).map((p) => ({
    field: p,
    namespace: 'AWS/ApplicationELB',
    metricName: 'TargetResponseTime',
    stat: p,
    scale: 1000,
  })),
];

const LAMBDA_QUERIES: SlotQuery[] = [
  { field: 'requests', namespace: 'AWS/Lambda', metricName: 'Invocations', stat: 'Sum', scale: 1 },
  { field: 'errors', namespace: 'AWS/Lambda', metricName: 'Errors', stat: 'Sum', scale: 1 },
  ...(['p50', 'p95', 'p99'] as const).map((p) => ({
    field: p,
    namespace: 'AWS/Lambda',
    metricName: 'Duration',
    stat: p,
    scale: 1,
  })),
];

/** `app/<name>/<id>` of a listener ARN (`…:listener/app/<name>/<id>/<listener-id>`): the LoadBalancer dimension. */
export function loadBalancerDimension(listenerArn: string): string {
  const match = /:listener\/(app\/[^/]+\/[^/]+)\/[^/]+$/.exec(listenerArn);
  if (!match) throw new Error(`listenerArn ${listenerArn} is not an Application Load Balancer listener ARN`);
  return match[1];
}

/** `targetgroup/<name>/<id>` of a target group ARN: the TargetGroup dimension. */
export function targetGroupDimension(targetGroupArn: string): string {
  const match = /:(targetgroup\/[^/]+\/[^/]+)$/.exec(targetGroupArn);
  if (!match) throw new Error(`target group ARN ${targetGroupArn} is not an ELB target group ARN`);
  return match[1];
}

/**
 * The window as GetMetricData reads it: whole minutes around the window, one period spanning all
 * of it, so each metric has one datapoint (and percentiles are of the whole window, not averaged).
 */
export function metricWindow(from: Date, to: Date): { start: Date; end: Date; period: number } {
  const start = Math.floor(from.getTime() / 60_000) * 60_000;
  const end = Math.max(Math.ceil(to.getTime() / 60_000) * 60_000, start + 60_000);
  return { start: new Date(start), end: new Date(end), period: (end - start) / 1000 };
}

/**
 * Candidate vs baseline from CloudWatch: per ALB target group (RequestCount, HTTPCode_Target_5XX_Count,
 * TargetResponseTime percentiles) or per Lambda alias version (Invocations, Errors, Duration
 * percentiles by ExecutedVersion). One GetMetricData request (paginated) for both slots.
 */
export class AwsMetrics implements MetricsProvider {
  constructor(
    private readonly config: GoLiveConfig,
    private readonly cloudwatch: CloudWatchClient,
    private readonly lambda: LambdaClient,
  ) {}

  private async dimensions(service: string): Promise<{ queries: SlotQuery[]; bySlot: Record<Slot, Dimension[]> }> {
    const svc = serviceConfig(this.config, service);
    if (!svc) throw new Error(`unknown service ${service}`);
    const traffic = svc.traffic;
    if (traffic.kind === 'alb') {
      const lb = { Name: 'LoadBalancer', Value: loadBalancerDimension(traffic.listenerArn) };
      const tg = (arn: string) => [{ Name: 'TargetGroup', Value: targetGroupDimension(arn) }, lb];
      return {
        queries: ALB_QUERIES,
        bySlot: { blue: tg(traffic.blueTargetGroupArn), green: tg(traffic.greenTargetGroupArn) },
      };
    }
    if (traffic.kind === 'lambda-alias') {
      const alias = await awsCall(`lambda:GetAlias ${traffic.functionName}:${traffic.alias}`, () =>
        this.lambda.send(new GetAliasCommand({ FunctionName: traffic.functionName, Name: traffic.alias })),
      );
      const versions = aliasSlotVersions(alias);
      const of = (slot: Slot) => {
        const version = versions[slot];
        if (!version) throw new Error(`no published version is known for the ${slot} slot of ${traffic.functionName}`);
        return [
          { Name: 'FunctionName', Value: traffic.functionName },
          { Name: 'Resource', Value: `${traffic.functionName}:${traffic.alias}` },
          { Name: 'ExecutedVersion', Value: version },
        ];
      };
      return { queries: LAMBDA_QUERIES, bySlot: { blue: of('blue'), green: of('green') } };
    }
    throw new Error(`service ${service} is served by the local router: its metrics come from the local runtime`);
  }

  async measure(window: MeasureWindow): Promise<StepMeasurement> {
    const { queries, bySlot } = await this.dimensions(window.service);
    const { start, end, period } = metricWindow(window.from, window.to);
    const roles = { candidate: window.candidateSlot, baseline: window.stableSlot } as const;
    const metricQueries: MetricDataQuery[] = (['candidate', 'baseline'] as const).flatMap((role) =>
      queries.map((q) => ({
        Id: `${role}_${q.field}`,
        ReturnData: true,
        MetricStat: {
          Metric: { Namespace: q.namespace, MetricName: q.metricName, Dimensions: bySlot[roles[role]] },
          Period: period,
          Stat: q.stat,
        },
      })),
    );
    const values = new Map<string, number[]>();
    const pages = paginateGetMetricData(
      { client: this.cloudwatch },
      { MetricDataQueries: metricQueries, StartTime: start, EndTime: end, ScanBy: 'TimestampAscending' },
    );
    for await (const page of awsPages(`cloudwatch:GetMetricData ${window.service}`, pages)) {
      for (const result of page.MetricDataResults ?? []) {
        values.set(result.Id!, [...(values.get(result.Id!) ?? []), ...(result.Values ?? [])]);
      }
    }
    const slot = (role: 'candidate' | 'baseline'): SlotMetrics => {
      const metrics: SlotMetrics = { requests: 0, errors: 0 };
      for (const q of queries) {
        const points = values.get(`${role}_${q.field}`) ?? [];
        if (q.field === 'requests' || q.field === 'errors') metrics[q.field] = points.reduce((s, v) => s + v, 0);
        // One period spans the window; should CloudWatch still split it, the worst percentile is kept.
        else if (points.length > 0) metrics[q.field] = Math.max(...points) * q.scale;
      }
      return metrics;
    };
    const namespace = queries[0].namespace;
    return {
      candidate: slot('candidate'),
      baseline: slot('baseline'),
      source: `CloudWatch ${namespace} ${start.toISOString()}–${end.toISOString()} (one ${period} s period)`,
    };
  }
}
