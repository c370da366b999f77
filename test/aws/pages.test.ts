import { CloudWatchClient, DescribeAlarmsCommand, paginateDescribeAlarms } from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import { awsPages } from '../../lambdas/providers/aws/errors';
import { answerPages } from '../support/pages';
import { throttled } from './helpers';

const cloudwatch = mockClient(CloudWatchClient);
const input = { AlarmNamePrefix: 'orders-' };

beforeEach(() => cloudwatch.reset());

describe('awsPages', () => {
  it('classifies the failure of a later page like a single call', async () => {
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [{ AlarmName: 'orders-cpu' }], NextToken: 'p2' })
      .rejectsOnce(throttled());
    const names: string[] = [];

    const read = async () => {
      const pages = paginateDescribeAlarms({ client: new CloudWatchClient({}) }, { ...input });
      for await (const page of awsPages('cloudwatch:DescribeAlarms', pages)) {
        names.push(...(page.MetricAlarms ?? []).map((a) => a.AlarmName!));
      }
    };

    await expect(read()).rejects.toMatchObject({
      name: 'ProviderUnavailable',
      message: expect.stringMatching(/^cloudwatch:DescribeAlarms: Throttling/),
    });
    expect(names).toEqual(['orders-cpu']);
  });

  it('requests no further page once the loop breaks', async () => {
    const pages = answerPages([{ NextToken: 'p2' }, { NextToken: 'p3' }, {}]);
    cloudwatch.on(DescribeAlarmsCommand).callsFake(pages.answer);
    let read = 0;

    const all = paginateDescribeAlarms({ client: new CloudWatchClient({}) }, { ...input });
    for await (const _page of awsPages('cloudwatch:DescribeAlarms', all)) {
      if (++read === 2) break;
    }

    expect(pages.sent).toEqual([input, { ...input, NextToken: 'p2' }]);
  });
});
