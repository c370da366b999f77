import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  paginateListExecutions,
  StartExecutionCommand,
  type ExecutionListItem,
} from '@aws-sdk/client-sfn';
import { InvalidRequest } from '../../../lambdas/core/errors';
import { finalHashFromHistory, finalHashFromOutput } from '../../../lambdas/core/report/history';
import { requestAbort } from '../../../lambdas/core/steps/abort';
import { castVote } from '../../../lambdas/core/steps/approval';
import { validateRequest } from '../../../lambdas/core/request';
import { SqliteStore } from '../../../local/providers/sqlite-store';
import { SfnTaskCallbacks } from '../../../lambdas/providers/sfn-callbacks';
import { endpointUrl, homeDir, readConfig, Remote, type GlobalOptions } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import type { Command, Io } from '../main';
import { followExecution, formatDuration, formatLine, ProgressTracker, type ExecutionEnd } from '../progress';

type Values = GlobalOptions & Record<string, string | boolean | undefined>;

export function executionNameFor(service: string, version: string, at = new Date()): string {
  const stamp = at
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  return `${service}-${version.replace(/[^0-9A-Za-z.-]/g, '-')}-${stamp}`.slice(0, 80);
}

/**
 * A rollback that failed is told on stderr too, whatever else is down: it comes from the execution
 * itself (its Fail state's cause), not from the store or Slack.
 */
export function rollbackFailedBanner(end: ExecutionEnd, what: string): string | undefined {
  if (end.error !== 'RollbackFailed') return undefined;
  return `🚨 ROLLBACK FAILED for ${what}: ${end.cause ?? 'see the execution history'}`;
}

export function exitCodeFor(end: ExecutionEnd): number {
  if (end.status === 'SUCCEEDED') return EXIT.ok;
  return end.error === 'RollbackFailed' ? EXIT.rollbackFailed : EXIT.failed;
}

/** Prints one line per step until the execution ends; returns the exit code. */
export async function watchExecution(remote: Remote, executionArn: string, io: Io, json = false): Promise<number> {
  const tracker = new ProgressTracker(
    (line) => io.out(json ? JSON.stringify({ type: 'step', ...line }) : formatLine(line)),
    (step) => {
      if (json) io.out(JSON.stringify({ type: 'waiting', step }));
      else if (step === 'SignOff')
        io.out(`  … SignOff: waiting for approval — golive approve ${executionArn.split(':').pop()} --as <approver>`);
      else io.out(`  … ${step}: baking, watching alarms`);
    },
  );
  const end = await remote.call(() => followExecution(remote.sfn, executionArn, (e) => tracker.handle(e)));
  if (json) io.out(JSON.stringify({ type: 'end', ...end }));
  else {
    const took = end.durationMs === undefined ? '' : ` after ${formatDuration(end.durationMs)}`;
    io.out(`\n${end.status}${took}${end.error ? `: ${end.error}` : ''}${end.cause ? ` — ${end.cause}` : ''}`);
  }
  const banner = rollbackFailedBanner(end, executionArn.split(':').pop() ?? executionArn);
  if (banner) io.err(banner);
  return exitCodeFor(end);
}

export const startCommand: Command = {
  usage:
    'golive start <service> <version> [--strategy all-at-once|blue-green|canary] [--as <user>] [--notes <text>] [--watch]',
  summary: 'Start a go-live on the running runtime (or AWS with --endpoint).',
  options: {
    strategy: { type: 'string' },
    as: { type: 'string' },
    notes: { type: 'string' },
    watch: { type: 'boolean' },
  },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const [service, version, extra] = positionals;
    if (extra) throw usageError(`unexpected argument "${extra}"\nUsage: ${startCommand.usage}`);
    const config = readConfig(v);
    const input = {
      service,
      version,
      requestedBy: (v.as as string | undefined) ?? process.env.GOLIVE_USER ?? config.slack.releaseManagers[0],
      ...(v.strategy ? { strategy: v.strategy } : {}),
      ...(v.notes ? { notes: v.notes } : {}),
    };
    try {
      validateRequest(input, config);
    } catch (err) {
      if (err instanceof InvalidRequest) throw usageError(`${err.message}\nUsage: ${startCommand.usage}`);
      throw err;
    }
    const remote = new Remote(endpointUrl(v));
    try {
      const stateMachineArn = await remote.stateMachineArn();
      const { executionArn } = await remote.call(() =>
        remote.sfn.send(
          new StartExecutionCommand({
            stateMachineArn,
            name: executionNameFor(service, version),
            input: JSON.stringify(input),
          }),
        ),
      );
      if (!executionArn) throw new CliError('StartExecution returned no executionArn', EXIT.failed);
      if (v.json && !v.watch) io.out(JSON.stringify({ executionArn, input }));
      else
        io.out(
          `started ${executionArn.split(':').pop()} (${service} ${version})\n  follow it: golive watch ${executionArn.split(':').pop()}`,
        );
      return v.watch ? await watchExecution(remote, executionArn, io, Boolean(v.json)) : EXIT.ok;
    } finally {
      remote.close();
    }
  },
};

export const watchCommand: Command = {
  usage: 'golive watch <execution>',
  summary: 'Follow a go-live live: one line per step with its state and duration.',
  options: {},
  async run({ positionals, values }, io) {
    const remote = new Remote(endpointUrl(values as Values));
    try {
      const arn = await remote.executionArn(positionals[0]);
      return await watchExecution(remote, arn, io, Boolean(values.json));
    } finally {
      remote.close();
    }
  },
};

export const statusCommand: Command = {
  usage: 'golive status [<execution>]',
  summary: 'Status of one go-live (current step, result), or of all running ones.',
  options: {},
  async run({ positionals, values }, io) {
    const v = values as Values;
    const remote = new Remote(endpointUrl(v));
    try {
      if (!positionals[0]) {
        const stateMachineArn = await remote.stateMachineArn();
        const { executions = [] } = await remote.call(() =>
          remote.sfn.send(new ListExecutionsCommand({ stateMachineArn, statusFilter: 'RUNNING' })),
        );
        if (v.json) io.out(JSON.stringify(executions));
        else if (executions.length === 0) io.out('no go-live is running');
        else for (const e of executions) io.out(`${e.name}  RUNNING since ${e.startDate?.toISOString()}`);
        return EXIT.ok;
      }
      const executionArn = await remote.executionArn(positionals[0]);
      const exec = await remote.call(() => remote.sfn.send(new DescribeExecutionCommand({ executionArn })));
      const history = await remote.call(() =>
        remote.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 50 })),
      );
      const lastState = history.events?.find((e) => e.type?.endsWith('StateEntered'))?.stateEnteredEventDetails?.name;
      const input = JSON.parse(exec.input ?? '{}') as Record<string, string>;
      const summary = {
        execution: exec.name,
        status: exec.status,
        service: input.service,
        version: input.version,
        strategy: input.strategy,
        requestedBy: input.requestedBy,
        currentStep: exec.status === 'RUNNING' ? lastState : undefined,
        startDate: exec.startDate?.toISOString(),
        stopDate: exec.stopDate?.toISOString(),
        error: exec.error,
        cause: exec.cause,
        // The audit chain's final hash, as the execution's last step recorded it (FAILED ones too).
        auditHash: finalHashFromOutput(exec.output) ?? finalHashFromHistory(history.events ?? [])?.finalHash,
      };
      if (v.json) io.out(JSON.stringify(summary));
      else
        io.out(
          Object.entries(summary)
            .filter(([, value]) => value !== undefined)
            .map(([k, value]) => `${k.padEnd(12)} ${value}`)
            .join('\n'),
        );
      return exec.status === 'FAILED' ? (exec.error === 'RollbackFailed' ? EXIT.rollbackFailed : EXIT.failed) : EXIT.ok;
    } finally {
      remote.close();
    }
  },
};

/** Votes and aborts need the store; locally it is the runtime's SQLite file. */
function openStore(v: Values): SqliteStore {
  const file = join(homeDir(v), 'store.sqlite');
  if (!existsSync(file)) {
    throw new CliError(
      `no local runtime state in ${homeDir(v)}: start it with \`golive local up\` (or pass --home)`,
      EXIT.unreachable,
    );
  }
  return new SqliteStore(file);
}

export function approveCommand(decision: 'approve' | 'reject'): Command {
  return {
    usage: `golive ${decision} <execution> --as <user-id>${
      decision === 'reject' ? ' --reason <text>' : ' [--attest <item>]... [--waive <item>]... [--reason <text>]'
    }`,
    summary:
      decision === 'approve'
        ? 'Approve a go-live waiting for sign-off; --attest confirms checklist items, --waive waives them (with --reason).'
        : 'Reject a go-live (needs a reason): it rolls back.',
    options: {
      as: { type: 'string' },
      reason: { type: 'string' },
      ...(decision === 'approve'
        ? { attest: { type: 'string', multiple: true }, waive: { type: 'string', multiple: true } }
        : {}),
    },
    async run({ positionals, values }, io) {
      const v = values as Values;
      if (!positionals[0]) throw usageError(`name the execution\nUsage: golive ${decision} <execution> --as <user-id>`);
      if (!v.as) throw usageError(`say who you are with --as <user-id> (one of the approvers in golive.config.yaml)`);
      if (decision === 'reject' && !(v.reason as string | undefined)?.trim()) {
        throw usageError('a rejection needs a reason: --reason "what is wrong"');
      }
      const attest = (values.attest as unknown as string[] | undefined) ?? [];
      const waive = (values.waive as unknown as string[] | undefined) ?? [];
      const reason = (v.reason as string | undefined)?.trim();
      if (waive.length > 0 && !reason) throw usageError('a waiver needs a reason: --reason "why it is acceptable"');
      const remote = new Remote(endpointUrl(v));
      const store = openStore(v);
      try {
        const executionId = await remote.executionArn(positionals[0]);
        const outcome = await remote.call(() =>
          castVote(
            { store, callbacks: new SfnTaskCallbacks(remote.sfn), now: () => new Date() },
            { executionId },
            {
              voter: v.as as string,
              decision,
              ...(reason ? { reason } : {}),
              ...(attest.length ? { attest } : {}),
              ...(waive.length ? { waive: waive.map((item) => ({ item, reason: reason as string })) } : {}),
            },
          ),
        );
        io.out(v.json ? JSON.stringify({ kind: outcome.kind, message: outcome.message }) : outcome.message);
        return outcome.kind === 'refused' ? EXIT.failed : EXIT.ok;
      } finally {
        store.close();
        remote.close();
      }
    },
  };
}

export const abortCommand: Command = {
  usage: 'golive abort <execution> --as <release-manager> [--reason <text>]',
  summary: 'Abort a running go-live: it rolls back like any failure.',
  options: { as: { type: 'string' }, reason: { type: 'string' } },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const config = readConfig(v);
    if (!positionals[0]) throw usageError(`name the execution\nUsage: ${abortCommand.usage}`);
    const by = (v.as as string | undefined) ?? process.env.GOLIVE_USER;
    if (!by) throw usageError('say who you are with --as <user-id> (a release manager)');
    if (!config.slack.releaseManagers.includes(by)) {
      io.err(`${by} is not a release manager (release managers: ${config.slack.releaseManagers.join(', ')})`);
      return EXIT.failed;
    }
    const remote = new Remote(endpointUrl(v));
    const store = openStore(v);
    try {
      const executionArn = await remote.executionArn(positionals[0]);
      const exec = await remote.call(() => remote.sfn.send(new DescribeExecutionCommand({ executionArn })));
      if (exec.status !== 'RUNNING')
        throw usageError(`${exec.name} is not running (it is ${exec.status}): nothing to abort`);
      const { signalledTasks } = await remote.call(() =>
        requestAbort(
          { store, callbacks: new SfnTaskCallbacks(remote.sfn), now: () => new Date() },
          executionArn,
          by,
          (v.reason as string) ?? 'aborted',
        ),
      );
      io.out(
        `abort requested for ${exec.name}: ${signalledTasks ? 'the waiting step was failed; ' : ''}it rolls back now`,
      );
      return EXIT.ok;
    } finally {
      store.close();
      remote.close();
    }
  },
};

export const historyCommand: Command = {
  usage: 'golive history [<service>] [--limit <n>]',
  summary: 'Past go-lives, newest first.',
  options: { limit: { type: 'string' } },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const limit = v.limit === undefined ? 20 : Number(v.limit);
    if (!Number.isInteger(limit) || limit < 1)
      throw usageError(`--limit must be a positive whole number, got "${v.limit}"`);
    const service = positionals[0];
    if (service) {
      const config = readConfig(v);
      if (!config.services[service]) {
        throw usageError(
          `unknown service "${service}": golive.config.yaml describes ${Object.keys(config.services).join(', ')}`,
        );
      }
    }
    const remote = new Remote(endpointUrl(v));
    try {
      const stateMachineArn = await remote.stateMachineArn();
      const rows: (ExecutionListItem & { input: Record<string, string> })[] = [];
      const pages = paginateListExecutions({ client: remote.sfn, pageSize: 100 }, { stateMachineArn });
      for await (const page of remote.pages(pages)) {
        for (const e of page.executions ?? []) {
          const described = await remote.call(() =>
            remote.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn })),
          );
          const input = JSON.parse(described.input ?? '{}') as Record<string, string>;
          if (!service || input.service === service) rows.push({ ...e, input });
          if (rows.length >= limit) break;
        }
        if (rows.length >= limit) break;
      }
      if (v.json) {
        io.out(
          JSON.stringify(
            rows.map((r) => ({
              name: r.name,
              status: r.status,
              ...r.input,
              startDate: r.startDate,
              stopDate: r.stopDate,
            })),
          ),
        );
      } else if (rows.length === 0) {
        io.out(service ? `no go-live of ${service} yet` : 'no go-live yet');
      } else {
        for (const r of rows) {
          const took =
            r.stopDate && r.startDate ? formatDuration(r.stopDate.getTime() - r.startDate.getTime()) : 'running';
          io.out(
            `${(r.status ?? '').padEnd(9)} ${r.name}  ${r.input.service} ${r.input.version} by ${r.input.requestedBy}  ${took}`,
          );
        }
      }
      return EXIT.ok;
    } finally {
      remote.close();
    }
  },
};
