import { goLiveStatus, type GoLiveDetail, type GoLiveSummary } from '../../../lambdas/core/client';
import { rolesFor } from '../../../lambdas/core/roles';
import { apiTarget, apiUrl, ControlApi } from '../api';
import { endpointUrl, readConfig, Remote, type GlobalOptions } from '../context';
import { EXIT, usageError } from '../errors';
import type { Command, Io } from '../main';
import { followExecution, formatDuration, formatLine, ProgressTracker, type ExecutionEnd } from '../progress';
import { regionOfApiUrl } from '../sigv4';

export { executionNameFor } from '../../../lambdas/core/client';

type Values = GlobalOptions & Record<string, string | boolean | string[] | undefined>;

const str = (v: Values, key: string): string | undefined => {
  const value = v[key];
  return typeof value === 'string' ? value : undefined;
};
const list = (v: Values, key: string): string[] => {
  const value = v[key];
  return Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
};

/**
 * A rollback that failed is told on stderr too, whatever else is down: it comes from the execution
 * itself (its Fail state's cause), not from the store or Slack.
 */
export function rollbackFailedBanner(end: ExecutionEnd, what: string): string | undefined {
  if (end.error !== 'RollbackFailed') return undefined;
  return `🚨 ROLLBACK FAILED for ${what}: ${end.cause ?? 'see the execution history'}`;
}

/** Errors with which a go-live ends before it changed anything (ValidateAndLock refused it). */
const REFUSED_AT_START = new Set(['LockHeld', 'FreezeWindow']);

/**
 * How a go-live's state ends a command: 0 succeeded (or still running, for status), 4 its rollback
 * failed, 5 refused before anything changed, 1 otherwise (rolled back, aborted, timed out).
 */
export function exitCodeFor(end: { status: string; error?: string }): number {
  if (end.status === 'SUCCEEDED' || end.status === 'RUNNING') return EXIT.ok;
  if (end.error === 'RollbackFailed') return EXIT.rollbackFailed;
  if (end.error && REFUSED_AT_START.has(end.error)) return EXIT.refused;
  return EXIT.failed;
}

/**
 * The Step Functions endpoint `watch` follows: --endpoint / GOLIVE_ENDPOINT; pointed at the control
 * API on AWS, that region's Step Functions; else the local runtime's (127.0.0.1:8083).
 */
function watchEndpoint(v: Values): string {
  if (v.endpoint || process.env.GOLIVE_ENDPOINT) return endpointUrl(v);
  const target = apiTarget(apiUrl(v));
  const region = target.local ? undefined : (regionOfApiUrl(target.base) ?? process.env.AWS_REGION);
  return region ? `https://states.${region}.amazonaws.com` : endpointUrl(v);
}

/** Prints one line per step until the execution ends; returns the exit code. */
export async function watchExecution(remote: Remote, executionArn: string, io: Io, json = false): Promise<number> {
  const name = executionArn.split(':').pop() ?? executionArn;
  const tracker = new ProgressTracker(
    (line) => io.out(json ? JSON.stringify({ type: 'step', ...line }) : formatLine(line)),
    (step) => {
      if (json) io.out(JSON.stringify({ type: 'waiting', step }));
      else if (step === 'SignOff')
        io.out(`  … SignOff: waiting for approval — golive approve ${name} --as <approver> --attest all`);
      else io.out(`  … ${step}: baking, watching alarms`);
    },
  );
  const end = await remote.call(() => followExecution(remote.sfn, executionArn, (e) => tracker.handle(e)));
  const status = goLiveStatus(end.status, end.error);
  if (json) io.out(JSON.stringify({ type: 'end', ...end, status }));
  else {
    const took = end.durationMs === undefined ? '' : ` after ${formatDuration(end.durationMs)}`;
    io.out(`\n${status}${took}${end.error ? `: ${end.error}` : ''}${end.cause ? ` — ${end.cause}` : ''}`);
  }
  const banner = rollbackFailedBanner(end, name);
  if (banner) io.err(banner);
  return exitCodeFor(end);
}

const verification = (verifiedBy: string | undefined) =>
  verifiedBy === 'local' || verifiedBy === undefined ? 'local, unverified' : verifiedBy === 'iam' ? 'IAM' : verifiedBy;

export const startCommand: Command = {
  usage:
    'golive start <service> <version> [--strategy all-at-once|blue-green|canary] [--as <user>] [--notes <text>] ' +
    '[--commit-time <ISO time>] [--break-glass --reason <text>] [--watch]',
  summary:
    'Start a go-live through the control API (release managers only). Locally --as names you ' +
    '(default: GOLIVE_USER, else the first release manager of the service); on AWS you are your IAM identity. ' +
    'Refused before anything starts (exit 5) while the service is busy, the same version is already starting, or ' +
    'a change freeze is in force (unless --break-glass --reason, approved by the emergency role). ' +
    '--commit-time (git log -1 --format=%cI) feeds the DORA lead time.',
  options: {
    strategy: { type: 'string' },
    as: { type: 'string' },
    notes: { type: 'string' },
    'commit-time': { type: 'string' },
    'break-glass': { type: 'boolean' },
    reason: { type: 'string' },
    watch: { type: 'boolean' },
  },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const [service, version, extra] = positionals;
    if (!service) throw usageError(`name the service and the version\nUsage: ${startCommand.usage}`);
    if (extra) throw usageError(`unexpected argument "${extra}"\nUsage: ${startCommand.usage}`);
    const reason = str(v, 'reason')?.trim();
    if (v['break-glass'] && !reason)
      throw usageError(`--break-glass needs --reason "why it cannot wait"\nUsage: ${startCommand.usage}`);
    if (reason && !v['break-glass']) throw usageError(`--reason goes with --break-glass (use --notes otherwise)`);
    const target = apiTarget(apiUrl(v));
    const as = target.local
      ? (str(v, 'as') ?? process.env.GOLIVE_USER ?? rolesFor(readConfig(v), service).releaseManagers[0])
      : str(v, 'as');
    const api = ControlApi.of(v, as);
    const started = await api.start({
      service,
      version: version ?? '',
      ...(str(v, 'strategy') ? { strategy: str(v, 'strategy') } : {}),
      ...(str(v, 'notes') ? { notes: str(v, 'notes') } : {}),
      ...(str(v, 'commit-time') ? { commitAt: str(v, 'commit-time') } : {}),
      ...(v['break-glass'] && reason ? { breakGlass: { reason } } : {}),
    });
    const { executionArn, name, request } = started;
    if (v.json && !v.watch) io.out(JSON.stringify({ executionArn, name, input: request }));
    else
      io.out(
        `started ${name} (${request.service} ${request.version}, ${request.strategy}) as ${request.requestedBy} (${verification(request.verifiedBy)})\n` +
          `  follow it: golive watch ${name}`,
      );
    if (!v.watch) return EXIT.ok;
    const remote = new Remote(watchEndpoint(v));
    try {
      return await watchExecution(remote, executionArn, io, Boolean(v.json));
    } finally {
      remote.close();
    }
  },
};

export const watchCommand: Command = {
  usage: 'golive watch <execution>',
  summary:
    'Follow a go-live live: one line per step with its state and duration (reads the Step Functions history: --endpoint).',
  options: {},
  async run({ positionals, values }, io) {
    const v = values as Values;
    const remote = new Remote(watchEndpoint(v));
    try {
      const arn = await remote.executionArn(positionals[0]);
      return await watchExecution(remote, arn, io, Boolean(values.json));
    } finally {
      remote.close();
    }
  },
};

function describeLines(detail: GoLiveDetail): string {
  const fields: [string, unknown][] = [
    ['execution', detail.name],
    ['status', detail.status],
    ['service', detail.service],
    ['version', detail.version],
    ['strategy', detail.strategy],
    ['requestedBy', detail.requestedBy && `${detail.requestedBy} (${verification(detail.verifiedBy)})`],
    ['currentStep', detail.currentStep],
    ['startDate', detail.startDate],
    ['stopDate', detail.stopDate],
    ['error', detail.error],
    ['cause', detail.cause],
    ['notes', detail.notes],
    [
      'signOff',
      detail.signOff &&
        `${detail.signOff.status}, ${detail.signOff.votes.filter((x) => x.decision === 'approve').length} of ${detail.signOff.minApprovals} approval(s)` +
          (detail.signOff.votes.length
            ? `: ${detail.signOff.votes.map((x) => `${x.voter} ${x.decision}${x.reason ? ` (${x.reason})` : ''}`).join(', ')}`
            : ''),
    ],
    ['abort', detail.abort && `requested by ${detail.abort.by} at ${detail.abort.at}: ${detail.abort.reason}`],
    [
      'kind',
      detail.kind === 'undo' ? 'undo (golive rollback): the version live before, through the fast path' : undefined,
    ],
    [
      'paused',
      detail.paused
        ? `yes, by ${detail.pause?.by} at ${detail.pause?.at}${detail.pause?.reason ? `: ${detail.pause.reason}` : ''}${detail.held ? ' (holding now)' : ' (holds at the next step boundary)'}`
        : detail.held
          ? 'holding at a step boundary (a change freeze before promotion)'
          : undefined,
    ],
    ['promoted', detail.promote && `by ${detail.promote.by} at ${detail.promote.at}: remaining canary steps skipped`],
    [
      'breakGlass',
      detail.breakGlass &&
        `${detail.breakGlass.reason}; ${detail.breakGlass.decision ? `${detail.breakGlass.decision.status} by ${detail.breakGlass.decision.by.join(', ')}` : `waiting for ${detail.breakGlass.approvers.join(', ')} until ${detail.breakGlass.expiresAt}`}`,
    ],
    [
      'retryable',
      detail.retryable &&
        `yes: golive retry ${detail.name} resumes at ${detail.retryable.resumeAt} (failed at ${detail.retryable.failedAt})`,
    ],
    ['auditHash', detail.auditHash],
  ];
  const lines = fields
    .filter(([, value]) => value !== undefined && value !== '')
    .map(([key, value]) => `${key.padEnd(12)} ${String(value)}`);
  const pct = (v: number | null) => (v === null ? '–' : `${Math.round(v * 10000) / 100}%`);
  const ms = (v: number | null) => (v === null ? '–' : `${v} ms`);
  if (detail.traffic) {
    const side = (s: { slot: string; version?: string; weight: number }) =>
      `${s.weight}% ${s.slot}${s.version ? ` (${s.version})` : ''}`;
    lines.push(`traffic      ${side(detail.traffic.stable)} stable · ${side(detail.traffic.candidate)} candidate`);
  }
  if (detail.analysis?.length) {
    lines.push(
      'analysis     weight  verdict (score)     requests cand/base  5xx cand/base    p99 cand/base  (* the sign-off wait)',
    );
    for (const c of detail.analysis) {
      lines.push(
        `             ${`${c.weight}%${c.phase === 'sign-off wait' ? '*' : ''}`.padEnd(7)} ${`${c.verdict}${c.score === null ? '' : ` (${c.score})`}${c.flagged ? ' FLAGGED' : ''}`.padEnd(19)} ` +
          `${`${c.requests.candidate}/${c.requests.baseline}`.padEnd(19)} ${`${pct(c.errorRate.candidate)}/${pct(c.errorRate.baseline)}`.padEnd(16)} ` +
          `${ms(c.p99Ms.candidate)}/${ms(c.p99Ms.baseline)}`,
      );
    }
  }
  if (detail.checklist?.length) {
    const open = detail.checklist.filter((i) => i.status === 'to-attest' || i.status === 'fail');
    const answered = detail.checklist.filter((i) => i.by);
    lines.push(
      `checklist    ${detail.checklist.length} items: ${detail.checklist.filter((i) => ['pass', 'attested', 'n/a'].includes(i.status)).length} passed or attested, ` +
        `${detail.checklist.filter((i) => i.status === 'waived').length} waived, ${open.length} open`,
    );
    for (const i of answered)
      lines.push(`             ${i.status.padEnd(9)} ${i.id} by ${i.by} at ${i.at}${i.reason ? `: ${i.reason}` : ''}`);
    for (const i of open) lines.push(`             ${i.status.padEnd(9)} ${i.id} (${i.level})`);
  }
  return lines.join('\n');
}

export const statusCommand: Command = {
  usage: 'golive status [<execution>]',
  summary:
    'Status of one go-live (current step, sign-off, result), or of all running ones. Exit 0 running or succeeded, ' +
    '1 rolled back or ABORTED, 4 rollback failed, 5 refused at start, 2 no such go-live.',
  options: {},
  async run({ positionals, values }, io) {
    const v = values as Values;
    const api = ControlApi.of(v);
    if (!positionals[0]) {
      const { goLives } = await api.list({ status: 'RUNNING', limit: 100 });
      if (v.json) io.out(JSON.stringify(goLives));
      else if (goLives.length === 0) io.out('no go-live is running');
      else for (const g of goLives) io.out(`${g.name}  RUNNING since ${g.startDate ?? '?'}  ${g.service} ${g.version}`);
      return EXIT.ok;
    }
    const detail = await api.describe(positionals[0]);
    io.out(v.json ? JSON.stringify(detail) : describeLines(detail));
    return exitCodeFor(detail);
  },
};

/** The local actor: --as, else GOLIVE_USER; nobody on AWS (the API knows the caller). */
export function localActor(v: Values, role: string): string | undefined {
  const target = apiTarget(apiUrl(v));
  const as = str(v, 'as') ?? (target.local ? process.env.GOLIVE_USER : undefined);
  if (target.local && !as) throw usageError(`say who you are with --as <user-id> (${role} in golive.config.yaml)`);
  return as;
}

export function approveCommand(decision: 'approve' | 'reject'): Command {
  const usage = `golive ${decision} <execution> [--as <user-id>]${
    decision === 'reject' ? ' --reason <text>' : ' [--attest <item>|all]... [--waive <item>]... [--reason <text>]'
  }`;
  return {
    usage,
    summary:
      decision === 'approve'
        ? 'Approve a go-live waiting for its sign-off. An approval attests only the checklist items named with --attest ' +
          '(--attest all: every open item you are named for); it is refused while a required item stays unattested. ' +
          '--waive waives an item (with --reason). A vote that changes nothing (already decided, voted) exits 1 saying why.'
        : 'Reject a go-live waiting for its sign-off (needs a reason): it rolls back. A vote that changes nothing exits 1.',
    options: {
      as: { type: 'string' },
      reason: { type: 'string' },
      ...(decision === 'approve'
        ? { attest: { type: 'string', multiple: true }, waive: { type: 'string', multiple: true } }
        : {}),
    },
    async run({ positionals, values }, io) {
      const v = values as Values;
      const [ref, extra] = positionals;
      if (!ref) throw usageError(`name the execution\nUsage: ${usage}`);
      if (extra) throw usageError(`unexpected argument "${extra}"\nUsage: ${usage}`);
      const reason = str(v, 'reason')?.trim();
      if (decision === 'reject' && !reason) throw usageError('a rejection needs a reason: --reason "what is wrong"');
      const attest = list(v, 'attest');
      const waive = list(v, 'waive');
      if (waive.length > 0 && !reason) throw usageError('a waiver needs a reason: --reason "why it is acceptable"');
      const api = ControlApi.of(v, localActor(v, 'one of the approvers'));
      const voted = await api.vote(ref, {
        decision,
        ...(reason ? { reason } : {}),
        ...(attest.length ? { attest } : {}),
        ...(waive.length ? { waive: waive.map((item) => ({ item, reason: reason! })) } : {}),
      });
      io.out(v.json ? JSON.stringify(voted) : voted.message);
      return EXIT.ok;
    },
  };
}

export const attestCommand: Command = {
  usage: 'golive attest <execution> [--as <user-id>] [--attest <item>|all]... [--waive <item>]... [--reason <text>]',
  summary:
    'During a sign-off, attest (or waive, with --reason) checklist items you are named for, without voting: ' +
    'for attesters who are not approvers. When this completes a sign-off that has its approvals, it decides.',
  options: {
    as: { type: 'string' },
    reason: { type: 'string' },
    attest: { type: 'string', multiple: true },
    waive: { type: 'string', multiple: true },
  },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const [ref, extra] = positionals;
    if (!ref) throw usageError(`name the execution\nUsage: ${attestCommand.usage}`);
    if (extra) throw usageError(`unexpected argument "${extra}"\nUsage: ${attestCommand.usage}`);
    const attest = list(v, 'attest');
    const waive = list(v, 'waive');
    const reason = str(v, 'reason')?.trim();
    if (attest.length === 0 && waive.length === 0)
      throw usageError(
        `name the items: --attest <item> (or all) and/or --waive <item> --reason "why"\nUsage: ${attestCommand.usage}`,
      );
    if (waive.length > 0 && !reason) throw usageError('a waiver needs a reason: --reason "why it is acceptable"');
    const api = ControlApi.of(v, localActor(v, 'a member of the role the item names'));
    const answered = await api.answerChecklist(ref, {
      ...(attest.length ? { attest } : {}),
      ...(waive.length ? { waive: waive.map((item) => ({ item, reason: reason! })) } : {}),
    });
    io.out(v.json ? JSON.stringify(answered) : answered.message);
    return EXIT.ok;
  },
};

export const abortCommand: Command = {
  usage: 'golive abort <execution> [--as <release-manager>] [--reason <text>]',
  summary:
    'Abort a running go-live (release managers only): it rolls back like any failure and ends ABORTED. ' +
    'Aborting one that is not running exits 1 saying so.',
  options: { as: { type: 'string' }, reason: { type: 'string' } },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const [ref, extra] = positionals;
    if (!ref) throw usageError(`name the execution\nUsage: ${abortCommand.usage}`);
    if (extra) throw usageError(`unexpected argument "${extra}"\nUsage: ${abortCommand.usage}`);
    const api = ControlApi.of(v, localActor(v, 'a release manager'));
    const aborted = await api.abort(ref, str(v, 'reason')?.trim());
    io.out(v.json ? JSON.stringify(aborted) : aborted.message);
    return EXIT.ok;
  },
};

const HISTORY_PAGE = 100;

export const historyCommand: Command = {
  usage: 'golive history [<service>] [--status <RUNNING|SUCCEEDED|FAILED|ABORTED|TIMED_OUT>] [--limit <n>]',
  summary: 'Past go-lives, newest first (aborted ones as ABORTED).',
  options: { limit: { type: 'string' }, status: { type: 'string' } },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const raw = str(v, 'limit');
    const limit = raw === undefined ? 20 : Number(raw);
    if (!Number.isInteger(limit) || limit < 1)
      throw usageError(`--limit must be a positive whole number, got "${raw}"`);
    const [service, extra] = positionals;
    if (extra) throw usageError(`unexpected argument "${extra}"\nUsage: ${historyCommand.usage}`);
    const status = str(v, 'status')?.toUpperCase();
    const api = ControlApi.of(v);
    const rows: GoLiveSummary[] = [];
    let nextToken: string | undefined;
    do {
      const page = await api.list({
        ...(service ? { service } : {}),
        ...(status ? { status } : {}),
        limit: Math.min(HISTORY_PAGE, limit - rows.length),
        ...(nextToken ? { nextToken } : {}),
      });
      rows.push(...page.goLives);
      nextToken = page.nextToken;
    } while (nextToken && rows.length < limit);
    if (v.json) io.out(JSON.stringify(rows));
    else if (rows.length === 0) io.out(service ? `no go-live of ${service} yet` : 'no go-live yet');
    else
      for (const r of rows) {
        const took =
          r.stopDate && r.startDate ? formatDuration(Date.parse(r.stopDate) - Date.parse(r.startDate)) : 'running';
        io.out(
          `${r.status.padEnd(9)} ${r.name}  ${r.service ?? '?'} ${r.version ?? '?'} by ${r.requestedBy ?? '?'}  ${took}${r.error && r.status !== 'ABORTED' ? `  ${r.error}` : ''}`,
        );
      }
    return EXIT.ok;
  },
};
