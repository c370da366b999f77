import { createHash } from 'node:crypto';
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import type { GoLiveRequest } from '../core/request';
import { executionName } from '../core/request';
import type { SlackAppContext } from './context';

/** Execution names are `[A-Za-z0-9-_]{1,80}`; the dedupe key makes a Slack retry land on the same one. */
export function slackExecutionName(service: string, version: string, dedupeKey: string): string {
  const key = createHash('sha256').update(dedupeKey).digest('hex').slice(0, 12);
  return `${service}-${version.replace(/[^0-9A-Za-z-]/g, '-')}`.slice(0, 60) + `-slack-${key}`;
}

export function executionArnFor(stateMachineArn: string, nameOrArn: string): string {
  if (nameOrArn.startsWith('arn:')) return nameOrArn;
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${nameOrArn}`;
}

/** No such execution, or a name that cannot be one (what a user typed): both are "not found". */
const isNotFound = (err: unknown) => ['ExecutionDoesNotExist', 'InvalidArn'].includes((err as Error).name);

export async function describe(
  ctx: SlackAppContext,
  executionArn: string,
): Promise<DescribeExecutionCommandOutput | undefined> {
  try {
    return await ctx.sfn.send(new DescribeExecutionCommand({ executionArn }));
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}

/**
 * Starts a go-live once per Slack interaction: the name is derived from the trigger, so a retry
 * (X-Slack-Retry-Num) or a replayed request finds the execution it already started.
 */
export async function startGoLive(
  ctx: SlackAppContext,
  request: GoLiveRequest,
  dedupeKey: string,
): Promise<{ executionArn: string; name: string; duplicate: boolean }> {
  const name = slackExecutionName(request.service, request.version, dedupeKey);
  const executionArn = executionArnFor(ctx.stateMachineArn, name);
  if (await describe(ctx, executionArn)) return { executionArn, name, duplicate: true };
  try {
    const res = await ctx.sfn.send(
      new StartExecutionCommand({ stateMachineArn: ctx.stateMachineArn, name, input: JSON.stringify(request) }),
    );
    return { executionArn: res.executionArn ?? executionArn, name, duplicate: false };
  } catch (err) {
    if ((err as Error).name === 'ExecutionAlreadyExists') return { executionArn, name, duplicate: true };
    throw err;
  }
}

export interface ExecutionSummary {
  name: string;
  executionArn: string;
  status: string;
  service?: string;
  version?: string;
  requestedBy?: string;
  startDate?: Date;
  stopDate?: Date;
  error?: string;
}

/** The newest go-lives of a service (ListExecutions, then each one's input). */
export async function listGoLives(ctx: SlackAppContext, service: string, limit = 10): Promise<ExecutionSummary[]> {
  const { executions = [] } = await ctx.sfn.send(
    new ListExecutionsCommand({ stateMachineArn: ctx.stateMachineArn, maxResults: 100 }),
  );
  const newest = [...executions].sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0));
  const out: ExecutionSummary[] = [];
  for (const e of newest) {
    if (out.length >= limit) break;
    const d = await describe(ctx, e.executionArn ?? '');
    const summary = d && summarise(d);
    if (summary?.service === service) out.push(summary);
  }
  return out;
}

export function summarise(d: DescribeExecutionCommandOutput): ExecutionSummary {
  let input: Partial<GoLiveRequest> = {};
  try {
    input = JSON.parse(d.input ?? '{}') as Partial<GoLiveRequest>;
  } catch {
    // a malformed input ends as InvalidRequest; show what there is
  }
  return {
    name: d.name ?? executionName(d.executionArn ?? ''),
    executionArn: d.executionArn ?? '',
    status: d.status ?? 'UNKNOWN',
    ...(input.service ? { service: input.service } : {}),
    ...(input.version ? { version: input.version } : {}),
    ...(input.requestedBy ? { requestedBy: input.requestedBy } : {}),
    ...(d.startDate ? { startDate: d.startDate } : {}),
    ...(d.stopDate ? { stopDate: d.stopDate } : {}),
    ...(d.error ? { error: d.error } : {}),
  };
}
