import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  SFNClient,
  type ListExecutionsCommandInput,
  type ListExecutionsCommandOutput,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { MOCKED_MACHINE, startMockedControl } from '../support/control';
import { runCli } from '../support/cli';

const sfn = mockClient(SFNClient);
const MACHINE = MOCKED_MACHINE;
const execution = (name: string) => ({
  name,
  executionArn: `arn:aws:states:us-east-1:123456789012:execution:golive:${name}`,
  status: 'SUCCEEDED' as const,
  stateMachineArn: MACHINE,
  startDate: new Date('2026-11-26T10:00:00.000Z'),
});

let control: Awaited<ReturnType<typeof startMockedControl>>;

beforeEach(async () => {
  sfn.reset();
  sfn.on(DescribeExecutionCommand).resolves({
    input: JSON.stringify({ service: 'demo', version: '2.4.0', requestedBy: 'U_RELEASE_MANAGER' }),
  });
  control = await startMockedControl();
});
afterEach(() => control.close());

describe('golive history --limit', () => {
  it('reads pages of 100 executions and stops paging once it has the limit', async () => {
    const byToken: Record<string, Partial<ListExecutionsCommandOutput>> = {
      '': { executions: [execution('a')], nextToken: 't1' },
      t1: { executions: [execution('b'), execution('c')], nextToken: 't2' },
      t2: { executions: [execution('d')] },
    };
    const sent: ListExecutionsCommandInput[] = [];
    sfn.on(ListExecutionsCommand).callsFake((input: ListExecutionsCommandInput) => {
      sent.push(structuredClone(input));
      return byToken[input.nextToken ?? ''];
    });

    const result = await runCli(['history', '--limit', '2', '--json', '--api', control.server.url]);

    expect(result.code).toBe(0);
    expect((JSON.parse(result.out) as { name: string }[]).map((r) => r.name)).toEqual(['a', 'b']);
    expect(sent).toEqual([
      { stateMachineArn: MACHINE, maxResults: 100 },
      { stateMachineArn: MACHINE, maxResults: 100, nextToken: 't1' },
    ]);
  });

  it('pages through the control API beyond its largest page, each page going on where the last stopped', async () => {
    const many = Array.from({ length: 150 }, (_, i) => execution(`e${i}`));
    sfn
      .on(ListExecutionsCommand)
      .callsFake((input: ListExecutionsCommandInput) =>
        input.nextToken ? { executions: many.slice(100) } : { executions: many.slice(0, 100), nextToken: 'p2' },
      );

    const result = await runCli(['history', '--limit', '120', '--json', '--api', control.server.url]);

    expect(result.code).toBe(0);
    expect((JSON.parse(result.out) as { name: string }[]).map((r) => r.name)).toEqual(
      many.slice(0, 120).map((e) => e.name),
    );
  });
});
