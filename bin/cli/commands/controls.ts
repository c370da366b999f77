import { apiTarget, apiUrl, ControlApi } from '../api';
import { readConfig, type GlobalOptions } from '../context';
import { EXIT, usageError } from '../errors';
import { localActor } from './executions';
import type { Command } from '../main';
import { rolesFor } from '../../../lambdas/core/roles';

/**
 * Release controls: steer a running go-live (pause, resume, promote), retry a failed one, undo the
 * last one (rollback), the break-glass votes and the reviews they open. All through the control
 * API, as the caller (--as locally, IAM on AWS); the workflow checks again where it acts.
 */

type Values = GlobalOptions & Record<string, string | boolean | string[] | undefined>;

const str = (v: Values, key: string): string | undefined => {
  const value = v[key];
  return typeof value === 'string' ? value : undefined;
};

const actor = localActor;

function oneExecution(positionals: string[], usage: string): string {
  const [ref, extra] = positionals;
  if (!ref) throw usageError(`name the execution\nUsage: ${usage}`);
  if (extra) throw usageError(`unexpected argument "${extra}"\nUsage: ${usage}`);
  return ref;
}

function controlCommand(action: 'pause' | 'resume' | 'promote'): Command {
  const usage = `golive ${action} <execution> [--as <release-manager>] [--reason <text>]`;
  const summary = {
    pause:
      'Hold a running go-live at its next step boundary (before a traffic change or promotion); alarms stay watched and ' +
      'still roll back. A hold longer than controls.maxHoldSeconds rolls back.',
    resume: 'Let a paused go-live go on.',
    promote:
      'Skip the remaining canary steps at the next step boundary, straight to the sign-off (still required). ' +
      'Resumes a paused go-live.',
  }[action];
  return {
    usage,
    summary: `${summary} Release managers only; audited. Exit 1 when it changes nothing.`,
    options: { as: { type: 'string' }, reason: { type: 'string' } },
    async run({ positionals, values }, io) {
      const v = values as Values;
      const ref = oneExecution(positionals, usage);
      const done = await ControlApi.of(v, actor(v, 'a release manager')).control(ref, action, str(v, 'reason'));
      io.out(v.json ? JSON.stringify(done) : done.message);
      return EXIT.ok;
    },
  };
}

export const pauseCommand = controlCommand('pause');
export const resumeCommand = controlCommand('resume');
export const promoteCommand = controlCommand('promote');

export const retryCommand: Command = {
  usage: 'golive retry <execution> [--as <release-manager>] [--reason <text>]',
  summary:
    'Retry a failed go-live from the phase that failed (Step Functions RedriveExecution), when its failure can be cured ' +
    'by another attempt (a provider outage, a smoke test, a backup proof or a traffic shift failing on the environment), ' +
    'within controls.retryWithinSeconds, outside a freeze and with the service free. Exit 1 when refused, saying why.',
  options: { as: { type: 'string' }, reason: { type: 'string' } },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const ref = oneExecution(positionals, retryCommand.usage);
    const retried = await ControlApi.of(v, actor(v, 'a release manager')).retry(ref, str(v, 'reason'));
    io.out(v.json ? JSON.stringify(retried) : `${retried.message}\n  follow it: golive watch ${retried.name}`);
    return EXIT.ok;
  },
};

export const rollbackCommand: Command = {
  usage: 'golive rollback <service> [--as <release-manager>] [--reason <text>]',
  summary:
    'Undo: take the version that was live before the current one back, through the fast path (pre-traffic smoke tests, ' +
    'all traffic at once, alarms watched, audited; sign-off per controls.undoSignOff). Release managers only.',
  options: { as: { type: 'string' }, reason: { type: 'string' } },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const [service, extra] = positionals;
    if (!service) throw usageError(`name the service\nUsage: ${rollbackCommand.usage}`);
    if (extra) throw usageError(`unexpected argument "${extra}"\nUsage: ${rollbackCommand.usage}`);
    const target = apiTarget(apiUrl(v));
    const as = target.local
      ? (str(v, 'as') ?? process.env.GOLIVE_USER ?? rolesFor(readConfig(v), service).releaseManagers[0])
      : str(v, 'as');
    const started = await ControlApi.of(v, as).rollback(service, str(v, 'reason'));
    io.out(
      v.json
        ? JSON.stringify({ executionArn: started.executionArn, name: started.name, input: started.request })
        : `undo started: ${started.name} takes ${service} back to ${started.request.version}\n  follow it: golive watch ${started.name}`,
    );
    return EXIT.ok;
  },
};

export function breakGlassCommand(decision: 'approve' | 'reject'): Command {
  const usage = `golive break-glass ${decision} <execution> [--as <emergency-approver>]${decision === 'reject' ? ' --reason <text>' : ' [--reason <text>]'}`;
  return {
    usage,
    summary:
      decision === 'approve'
        ? 'Approve a break-glass go-live inside a change freeze (the emergency role; never its requester).'
        : 'Reject a break-glass go-live (with a reason): it ends having changed nothing.',
    options: { as: { type: 'string' }, reason: { type: 'string' } },
    async run({ positionals, values }, io) {
      const v = values as Values;
      const ref = oneExecution(positionals, usage);
      const reason = str(v, 'reason');
      if (decision === 'reject' && !reason?.trim()) throw usageError(`a rejection needs --reason\nUsage: ${usage}`);
      const voted = await ControlApi.of(v, actor(v, 'an emergency approver')).breakGlassVote(ref, {
        decision,
        ...(reason ? { reason } : {}),
      });
      io.out(v.json ? JSON.stringify(voted) : voted.message);
      return EXIT.ok;
    },
  };
}

export const reviewListCommand: Command = {
  usage: 'golive review list [--status open|closed|all]',
  summary: 'Reviews of break-glass go-lives: open ones by default, each with its reason and who approved it.',
  options: { status: { type: 'string' } },
  async run({ positionals, values }, io) {
    const v = values as Values;
    if (positionals.length)
      throw usageError(`unexpected argument "${positionals[0]}"\nUsage: ${reviewListCommand.usage}`);
    const status = str(v, 'status') ?? 'open';
    if (status !== 'open' && status !== 'closed' && status !== 'all')
      throw usageError(`--status must be open, closed or all, got "${status}"`);
    const { reviews } = await ControlApi.of(v).reviews(status);
    if (v.json) io.out(JSON.stringify(reviews));
    else if (reviews.length === 0) io.out(`no ${status === 'all' ? '' : `${status} `}review`);
    else
      for (const r of reviews)
        io.out(
          `${r.status.padEnd(6)} ${r.name}  ${r.service} ${r.version} by ${r.requestedBy}: ${r.reason}; approved by ${r.approvedBy.join(', ')} at ${r.openedAt}` +
            (r.closed ? `; closed by ${r.closed.by} at ${r.closed.at}: ${r.closed.note}` : ''),
        );
    return EXIT.ok;
  },
};

export const reviewCloseCommand: Command = {
  usage: 'golive review close <execution> --note <text> [--as <release-manager|auditor>]',
  summary: 'Close the review of a break-glass go-live with what was found (release managers and auditors).',
  options: { as: { type: 'string' }, note: { type: 'string' } },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const ref = oneExecution(positionals, reviewCloseCommand.usage);
    const note = str(v, 'note');
    if (!note?.trim()) throw usageError(`a review is closed with --note\nUsage: ${reviewCloseCommand.usage}`);
    const closed = await ControlApi.of(v, actor(v, 'a release manager or auditor')).closeReview(ref, note);
    io.out(v.json ? JSON.stringify(closed) : `review of ${closed.name} closed by ${closed.closed?.by}: ${note}`);
    return EXIT.ok;
  },
};
