import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  SFNClient,
  type ListExecutionsCommandOutput,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { main, type Io } from '../../bin/cli/main';
import { STATE_MACHINE_NAME } from '../../local/runtime';
import { answerPages } from '../support/pages';

const sfn = mockClient(SFNClient);
const MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:golive';
const execution = (name: string) => ({
  name,
  executionArn: `arn:aws:states:us-east-1:123456789012:execution:golive:${name}`,
  status: 'SUCCEEDED' as const,
  stateMachineArn: MACHINE,
  startDate: new Date('2026-11-26T10:00:00.000Z'),
});

beforeEach(() => {
  sfn.reset();
  sfn.on(ListStateMachinesCommand).resolves({
    stateMachines: [{ name: STATE_MACHINE_NAME, stateMachineArn: MACHINE, type: 'STANDARD', creationDate: new Date() }],
  });
  sfn.on(DescribeExecutionCommand).resolves({ input: JSON.stringify({ service: 'orders', version: '2.4.0' }) });
});

describe('golive history --limit', () => {
  it('reads pages of 100 executions and stops paging once it has the limit', async () => {
    const pages = answerPages<object, Partial<ListExecutionsCommandOutput>>([
      { executions: [execution('a')], nextToken: 't1' },
      { executions: [execution('b'), execution('c')], nextToken: 't2' },
      { executions: [execution('d')] },
    ]);
    sfn.on(ListExecutionsCommand).callsFake(pages.answer);
    const out: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: (l) => out.push(l), isTTY: false };

    const code = await main(['history', '--limit', '2', '--json', '--endpoint', 'http://127.0.0.1:9'], io);

    expect(code).toBe(0);
    expect((JSON.parse(out.join('\n')) as { name: string }[]).map((r) => r.name)).toEqual(['a', 'b']);
    expect(pages.sent).toEqual([
      { stateMachineArn: MACHINE, maxResults: 100 },
      { stateMachineArn: MACHINE, maxResults: 100, nextToken: 't1' },
    ]);
  });
});
