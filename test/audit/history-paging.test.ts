import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { main, type Io } from '../../bin/cli/main';
import type { AuditReport } from '../../lambdas/core/report/report';
import { executionHistory } from '../../lambdas/providers/sfn-history';
import { SqliteStore } from '../../local/providers/sqlite-store';
import { LocalEngine } from '../../local/engine/engine';
import { startSfnEndpoint, type SfnEndpoint } from '../../local/engine/sfn-endpoint';

/** 400 turns of a Pass/Choice loop: 4 events a turn, cheap to run, well past one 1000-event page. */
const LOOPS = 400;
const loop = JSON.stringify({
  StartAt: 'Start',
  States: {
    Start: { Type: 'Pass', Parameters: { i: 0 }, Next: 'Count' },
    Count: { Type: 'Pass', Parameters: { 'i.$': 'States.MathAdd($.i, 1)' }, Next: 'More?' },
    'More?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.i', NumericLessThan: LOOPS, Next: 'Count' }],
      Default: 'Done',
    },
    Done: { Type: 'Succeed' },
  },
});

describe('execution history paging through the local endpoint', () => {
  const home = mkdtempSync(join(tmpdir(), 'golive-paging-'));
  let engine: LocalEngine;
  let endpoint: SfnEndpoint;
  let sfn: SFNClient;
  let executionArn: string;

  beforeAll(async () => {
    engine = new LocalEngine({ dbFile: join(home, 'executions.sqlite'), functions: {} });
    endpoint = await startSfnEndpoint(engine, { port: 0 });
    sfn = new SFNClient({
      endpoint: endpoint.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { stateMachineArn } = engine.createStateMachine({ name: 'long-history', definition: loop });
    ({ executionArn } = (await sfn.send(new StartExecutionCommand({ stateMachineArn, name: 'long' }))) as {
      executionArn: string;
    });
    await engine.waitForExecution(executionArn);
    new SqliteStore(join(home, 'store.sqlite')).close();
  });
  afterAll(async () => {
    sfn.destroy();
    await endpoint.close();
    await engine.close();
    rmSync(home, { recursive: true, force: true });
  });

  it('reads every page of a history longer than 1000 events, each event once and in order', async () => {
    const requests: { maxResults?: number; nextToken?: string }[] = [];
    const pageSizes: number[] = [];
    sfn.middlewareStack.add(
      (next) => async (args) => {
        const { maxResults, nextToken } = args.input as { maxResults?: number; nextToken?: string };
        requests.push({ maxResults, nextToken });
        const result = await next(args);
        pageSizes.push((result.output as { events?: unknown[] }).events?.length ?? 0);
        return result;
      },
      { step: 'initialize', name: 'recordPages' },
    );

    const events = await executionHistory(sfn, executionArn).finally(() => sfn.middlewareStack.remove('recordPages'));

    expect(events.length).toBeGreaterThan(4 * LOOPS);
    expect(requests.length).toBeGreaterThan(1);
    expect(requests.every((r) => r.maxResults === 1000)).toBe(true);
    expect(requests.map((r) => r.nextToken === undefined)).toEqual(requests.map((_, i) => i === 0));
    expect(pageSizes.slice(0, -1).every((n) => n === 1000)).toBe(true);
    expect(events.map((e) => e.id)).toEqual(events.map((_, i) => i + 1));
    expect(events.at(-1)?.type).toBe('ExecutionSucceeded');
  });

  it('gives golive audit the whole history through the endpoint', async () => {
    const out: string[] = [];
    const io: Io = { out: (l) => out.push(l), err: (l) => out.push(l), isTTY: false };

    const code = await main(['audit', 'show', executionArn, '--json', '--endpoint', endpoint.url, '--home', home], io);
    const report = JSON.parse(out.join('\n')) as AuditReport;

    expect(code).toBe(0);
    expect(report.sources.historyEvents).toBe(engineEventCount());
    expect(report.sources.historyEvents).toBeGreaterThan(1000);
    expect(report.execution).toMatchObject({ name: 'long', status: 'SUCCEEDED' });
  });

  /** Every event, counted straight from the engine (no endpoint, no SDK). */
  function engineEventCount(): number {
    let n = 0;
    let nextToken: string | undefined;
    do {
      const page = engine.getExecutionHistory({ executionArn, maxResults: 1000, ...(nextToken ? { nextToken } : {}) });
      n += page.events.length;
      nextToken = page.nextToken;
    } while (nextToken);
    return n;
  }
});
