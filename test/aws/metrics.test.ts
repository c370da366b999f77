import { CloudWatchClient, GetMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AwsMetrics,
  loadBalancerDimension,
  metricWindow,
  targetGroupDimension,
} from '../../lambdas/providers/aws/metrics';
import { awsConfig } from './helpers';

const cw = mockClient(CloudWatchClient);
const lambda = mockClient(LambdaClient);
const metrics = () => new AwsMetrics(awsConfig(), new CloudWatchClient({}), new LambdaClient({}));
const from = new Date('2026-11-26T10:00:20Z');
const to = new Date('2026-11-26T10:02:05Z');

beforeEach(() => {
  cw.reset();
  lambda.reset();
});

describe('metricWindow', () => {
  it('covers the window with whole minutes in one period', () => {
    expect(metricWindow(from, to)).toEqual({
      start: new Date('2026-11-26T10:00:00Z'),
      end: new Date('2026-11-26T10:03:00Z'),
      period: 180,
    });
    expect(metricWindow(from, from).period).toBe(60);
  });
});

describe('dimensions', () => {
  it('takes the LoadBalancer and TargetGroup dimensions from the ARNs', () => {
    expect(
      loadBalancerDimension('arn:aws:elasticloadbalancing:eu-west-1:123456789012:listener/app/orders/abc/def'),
    ).toBe('app/orders/abc');
    expect(targetGroupDimension('arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/orders-green/2')).toBe(
      'targetgroup/orders-green/2',
    );
    expect(() => loadBalancerDimension('arn:aws:elasticloadbalancing:eu-west-1:1:loadbalancer/app/x/y')).toThrow(
      /not an Application Load Balancer listener ARN/,
    );
  });
});

describe('AwsMetrics.measure', () => {
  it('reads an ALB service per target group: counts summed, TargetResponseTime percentiles in ms', async () => {
    cw.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'candidate_requests', Values: [120] },
        { Id: 'candidate_errors', Values: [3] },
        { Id: 'candidate_p50', Values: [0.031] },
        { Id: 'candidate_p95', Values: [0.09] },
        { Id: 'candidate_p99', Values: [0.2] },
        { Id: 'baseline_requests', Values: [1080] },
        { Id: 'baseline_errors', Values: [] },
        { Id: 'baseline_p50', Values: [0.03] },
        { Id: 'baseline_p95', Values: [0.08] },
        { Id: 'baseline_p99', Values: [0.15] },
      ],
    });

    const m = await metrics().measure({ service: 'orders', from, to, candidateSlot: 'green', stableSlot: 'blue' });

    expect(m.candidate).toEqual({ requests: 120, errors: 3, p50: 31, p95: 90, p99: 200 });
    expect(m.baseline).toEqual({ requests: 1080, errors: 0, p50: 30, p95: 80, p99: 150 });
    expect(m.source).toBe(
      'CloudWatch AWS/ApplicationELB 2026-11-26T10:00:00.000Z–2026-11-26T10:03:00.000Z (one 180 s period)',
    );
    const [call] = cw.commandCalls(GetMetricDataCommand);
    const input = call.args[0].input;
    expect(input).toMatchObject({
      StartTime: new Date('2026-11-26T10:00:00Z'),
      EndTime: new Date('2026-11-26T10:03:00Z'),
      ScanBy: 'TimestampAscending',
    });
    const green = [
      { Name: 'TargetGroup', Value: 'targetgroup/orders-green/2' },
      { Name: 'LoadBalancer', Value: 'app/orders/abc' },
    ];
    expect(input.MetricDataQueries).toHaveLength(10);
    expect(input.MetricDataQueries!.slice(0, 5)).toEqual([
      {
        Id: 'candidate_requests',
        ReturnData: true,
        MetricStat: {
          Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'RequestCount', Dimensions: green },
          Period: 180,
          Stat: 'Sum',
        },
      },
      {
        Id: 'candidate_errors',
        ReturnData: true,
        MetricStat: {
          Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'HTTPCode_Target_5XX_Count', Dimensions: green },
          Period: 180,
          Stat: 'Sum',
        },
      },
      ...['p50', 'p95', 'p99'].map((p) => ({
        Id: `candidate_${p}`,
        ReturnData: true,
        MetricStat: {
          Metric: { Namespace: 'AWS/ApplicationELB', MetricName: 'TargetResponseTime', Dimensions: green },
          Period: 180,
          Stat: p,
        },
      })),
    ]);
    expect(input.MetricDataQueries![5].MetricStat!.Metric!.Dimensions).toEqual([
      { Name: 'TargetGroup', Value: 'targetgroup/orders-blue/1' },
      { Name: 'LoadBalancer', Value: 'app/orders/abc' },
    ]);
  });

  it('reads a Lambda alias per published version of each slot (ExecutedVersion), following pages', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '7', Description: 'golive slots: blue=7 green=8' });
    cw.on(GetMetricDataCommand)
      .resolvesOnce({
        MetricDataResults: [{ Id: 'candidate_requests', Values: [40] }],
        NextToken: 'page-2',
      })
      .resolvesOnce({
        MetricDataResults: [
          { Id: 'candidate_requests', Values: [10] },
          { Id: 'candidate_errors', Values: [1] },
          { Id: 'candidate_p99', Values: [850] },
          { Id: 'baseline_requests', Values: [450] },
        ],
      });

    const m = await metrics().measure({ service: 'billing', from, to, candidateSlot: 'green', stableSlot: 'blue' });

    expect(m.candidate).toEqual({ requests: 50, errors: 1, p99: 850 });
    expect(m.baseline).toEqual({ requests: 450, errors: 0 });
    expect(lambda.commandCalls(GetAliasCommand)[0].args[0].input).toEqual({
      FunctionName: 'billing-api',
      Name: 'live',
    });
    const calls = cw.commandCalls(GetMetricDataCommand);
    expect(calls).toHaveLength(2);
    expect(calls[1].args[0].input.NextToken).toBe('page-2');
    const queries = calls[0].args[0].input.MetricDataQueries!;
    expect(queries.find((q) => q.Id === 'candidate_errors')!.MetricStat).toEqual({
      Metric: {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [
          { Name: 'FunctionName', Value: 'billing-api' },
          { Name: 'Resource', Value: 'billing-api:live' },
          { Name: 'ExecutedVersion', Value: '8' },
        ],
      },
      Period: 180,
      Stat: 'Sum',
    });
    expect(queries.find((q) => q.Id === 'baseline_p50')!.MetricStat!.Metric!.Dimensions![2]).toEqual({
      Name: 'ExecutedVersion',
      Value: '7',
    });
  });

  it('refuses a service the local router serves', async () => {
    const local = new AwsMetrics(
      { ...awsConfig(), services: { demo: { ...awsConfig().services.orders, traffic: { kind: 'local-router' } } } },
      new CloudWatchClient({}),
      new LambdaClient({}),
    );
    await expect(
      local.measure({ service: 'demo', from, to, candidateSlot: 'green', stableSlot: 'blue' }),
    ).rejects.toThrow(/served by the local router/);
  });
});
