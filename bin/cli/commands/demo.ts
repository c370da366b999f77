import { join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { HistoryEvent } from '@aws-sdk/client-sfn';
import { GoLiveClientError, goLiveStatus, type Actor } from '../../../lambdas/core/client';
import { STRATEGIES } from '../../../lambdas/core/config';
import { SEMVER } from '../../../lambdas/core/request';
import { renderHtml } from '../../../lambdas/core/report/html';
import { startLocalRuntime, type LocalRuntime } from '../../../local/runtime';
import { readSealLog, sealLogPath } from '../../../local/seal-log';
import { homeDir, readConfig, Remote, type GlobalOptions } from '../context';
import { CliError, EXIT, EXIT_FOR_CODE, usageError } from '../errors';
import type { Command, Io } from '../main';
import { followExecution, formatDuration, formatLine, ProgressTracker } from '../progress';
import { verifiedReportFor, writeReport } from './audit';
import { exitCodeFor, rollbackFailedBanner } from './executions';
import { controlPortFrom, PORT_OPTIONS, portsFrom, slackPortFrom } from './local';

/**
 * The slot a go-live deploys to: the one without the traffic (green on a fresh home, blue once a
 * go-live put the live version on green), as ValidateAndLock chooses it.
 */
function candidate(rt: LocalRuntime, service: string) {
  const target = rt.targets.get(service);
  return target?.router.weights().green === 100 ? target.blue : target?.green;
}

/** Faults `--fail-at` can inject into the demo, each a real fault of the demo target. */
export const DEMO_FAULTS: Record<
  string,
  {
    what: string;
    apply: (rt: LocalRuntime, service: string) => void;
    /** The fault fires during a canary bake: strategies without canary steps cannot show it. */
    canaryOnly?: boolean;
  }
> = {
  readiness: {
    what: "the candidate slot's /health answers 503",
    apply: (rt, s) => candidate(rt, s)?.setFaults({ healthFailing: true }),
  },
  backup: {
    what: 'the latest backup is damaged (a row is missing after restore)',
    apply: (rt) => (rt.backup.corrupt = true),
  },
  'smoke-tests': {
    what: 'the candidate slot answers 500 on /api',
    apply: (rt, s) => candidate(rt, s)?.setFaults({ errorRate: 1 }),
  },
  canary: {
    canaryOnly: true,
    what: 'the candidate slot starts failing once it takes canary traffic: the 5xx alarm fires during the bake',
    apply: (rt, s) => {
      const slot = candidate(rt, s);
      rt.onTask('Bake', () => slot?.setFaults({ errorRate: 1 }));
    },
  },
  latency: {
    canaryOnly: true,
    what: 'the candidate slot answers 200 ms slower, without errors: the canary analysis, not the 5xx alarm, rolls it back',
    apply: (rt, s) => {
      const slot = candidate(rt, s);
      rt.onTask('ShiftTraffic', () => slot?.setFaults({ latencyMs: 200 }));
    },
  },
  approval: { what: 'the approver rejects the sign-off', apply: () => {} },
  promote: {
    what: "the router's admin API is down during promotion (retried, then rolled back once it is back)",
    apply: (rt, s) => {
      rt.onTask('Promote', () => rt.targets.get(s)?.router.setAdminFault(true));
      rt.onTask('Rollback', () => rt.targets.get(s)?.router.setAdminFault(false));
    },
  },
  'post-smoke': {
    what: 'the candidate slot breaks right after promotion: post-promotion smoke tests fail',
    apply: (rt, s) => {
      const slot = candidate(rt, s);
      rt.onTask('PostPromotionSmokeTests', () => slot?.setFaults({ errorRate: 1 }));
    },
  },
  rollback: {
    canaryOnly: true,
    what: "the worst case: the canary fails its bake and the router's admin API dies, so the rollback itself fails",
    apply: (rt, s) => {
      const slot = candidate(rt, s);
      rt.onTask('Bake', () => slot?.setFaults({ errorRate: 1 }));
      rt.onTask('Rollback', () => rt.targets.get(s)?.router.setAdminFault(true));
    },
  },
};

/** Asks in the terminal; `signal` ends the question when the sign-off is decided elsewhere (the Slack emulator). */
async function askApproval(
  io: Io,
  signal: AbortSignal,
): Promise<{ decision: 'approve' | 'reject'; reason?: string } | undefined> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    const answer = (await rl.question('  Sign off this go-live? [a]pprove / [r]eject: ', { signal }))
      .trim()
      .toLowerCase();
    if (answer.startsWith('r')) {
      const reason = (await rl.question('  Reason for rejecting: ', { signal })).trim() || 'rejected in the demo';
      return { decision: 'reject', reason };
    }
    if (!answer.startsWith('a') && !answer.startsWith('y')) io.out('  (taking that as approve)');
    return { decision: 'approve' };
  } catch (err) {
    if (signal.aborted) return undefined;
    throw err;
  } finally {
    rl.close();
  }
}

export const demoCommand: Command = {
  usage: `golive demo [--yes] [--fail-at <${Object.keys(DEMO_FAULTS).join('|')}>] [--strategy <${STRATEGIES.join('|')}>] [--version <semver>]`,
  summary: 'Boot the embedded local runtime and run one complete go-live of the bundled demo service (npm start).',
  options: {
    yes: { type: 'boolean', short: 'y' },
    'fail-at': { type: 'string' },
    strategy: { type: 'string' },
    version: { type: 'string' },
    ...PORT_OPTIONS,
  },
  async run({ values }, io) {
    const v = values as GlobalOptions & Record<string, string | boolean | undefined>;
    const failAt = v['fail-at'] as string | undefined;
    if (failAt && !DEMO_FAULTS[failAt]) {
      throw usageError(`unknown step "${failAt}" for --fail-at: use one of ${Object.keys(DEMO_FAULTS).join(', ')}`);
    }
    const strategy = (v.strategy as string | undefined) ?? 'canary';
    if (!(STRATEGIES as readonly string[]).includes(strategy))
      throw usageError(`unknown strategy "${strategy}": use one of ${STRATEGIES.join(', ')}`);
    if (failAt && DEMO_FAULTS[failAt].canaryOnly && strategy !== 'canary') {
      throw usageError(
        `--fail-at ${failAt} cannot fire with --strategy ${strategy}: it happens during a canary bake, and ${strategy} ` +
          'has no canary steps. Use --strategy canary, or a fault every strategy reaches (smoke-tests, promote, post-smoke).',
      );
    }
    const version = (v.version as string | undefined) ?? '2.0.0';
    if (!SEMVER.test(version))
      throw usageError(`version "${version}" is not semantic: use MAJOR.MINOR.PATCH, e.g. 2.0.0`);
    const config = readConfig(v);
    const service = 'demo';
    if (!config.services[service])
      throw usageError('the config has no "demo" service: run the demo with the bundled golive.config.yaml');
    const approver = config.slack.approvers[0];
    const requester = config.slack.releaseManagers[0];

    io.out('golive demo — booting the embedded local runtime (real HTTP services, weighted router, SQLite)…');
    const slackPort = slackPortFrom(v);
    const controlPort = controlPortFrom(v);
    const rt = await startLocalRuntime({
      home: homeDir(v),
      config,
      ports: portsFrom(v),
      // Enough requests in a 5 s bake for the canary analysis to judge even the 10 % step.
      trafficPerSecond: 40,
      slack: { port: slackPort.port, fallbackToFreePort: !slackPort.explicit },
      control: { port: controlPort.port, fallbackToFreePort: !controlPort.explicit },
      log: (line) => {
        if (/already in use/.test(line)) io.out(`  ${line}`);
      },
    }).catch((err: Error) => {
      throw new CliError(err.message, EXIT.unreachable);
    });
    const remote = new Remote(rt.endpointUrl);
    try {
      const target = rt.targets.get(service);
      if (!target) throw new CliError('the demo service did not start', EXIT.failed);
      io.out(
        `  router ${target.router.url}  blue ${target.blue.url} (${target.blue.version})  green ${target.green.url} (${target.green.version})`,
      );
      io.out(`  Step Functions endpoint ${rt.endpointUrl}  control API ${rt.control.url}  state ${rt.home}`);
      if (rt.slack)
        io.out(`  Slack emulator ${rt.slack.url}  (open it to watch the status card and approve the sign-off)`);
      if (failAt) {
        DEMO_FAULTS[failAt].apply(rt, service);
        io.out(`  fault injected at ${failAt}: ${DEMO_FAULTS[failAt].what}`);
      }
      // The demo acts through the runtime's GoLiveClient, as `golive start` does through the control API.
      const asLocal = (user: string): Actor => ({ user, verifiedBy: 'local' });
      const started = Date.now();
      const { executionArn, name } = await rt.client
        .start(asLocal(requester), { service, version, strategy, notes: 'golive demo' })
        .catch((err: unknown) => {
          if (err instanceof GoLiveClientError) throw new CliError(err.message, EXIT_FOR_CODE[err.code]);
          throw err;
        });
      io.out(`\n${service} ${version} going live (${strategy}) as ${name}, requested by ${requester}\n`);

      const tracker = new ProgressTracker(
        (line) => io.out(formatLine(line)),
        (step) => {
          if (step !== 'SignOff') {
            io.out(`  … ${step}: ${rt.config.services[service].strategy.bakeSeconds}s bake, watching alarms`);
            return;
          }
          void signOff(executionArn).catch((err: Error) => io.err(`  sign-off failed: ${err.message}`));
        },
      );
      const signOff = async (arn: string) => {
        let decision: { decision: 'approve' | 'reject'; reason?: string };
        if (failAt === 'approval') decision = { decision: 'reject', reason: 'demo: error budget exhausted, not today' };
        else if (v.yes) decision = { decision: 'approve' };
        else if (io.isTTY) {
          io.out(`  … SignOff: waiting for ${approver} (or run: golive approve ${name} --as ${approver} --attest all)`);
          if (rt.slack) io.out(`    or approve it in the browser: ${rt.slack.url} (choose ${approver})`);
          // A decision taken in the Slack emulator moves the execution on: stop asking then.
          const decidedElsewhere = new AbortController();
          const onHistory = (eventArn: string, e: HistoryEvent) => {
            if (
              eventArn === arn &&
              e.type !== 'TaskSubmitted' &&
              e.type !== 'TaskScheduled' &&
              e.type !== 'TaskStarted'
            )
              decidedElsewhere.abort();
          };
          rt.engine.on('history', onHistory);
          const answer = await askApproval(io, decidedElsewhere.signal).finally(() =>
            rt.engine.off('history', onHistory),
          );
          if (!answer) return;
          decision = answer;
        } else {
          io.out(`  … SignOff: no terminal to ask and no --yes: approving as the demo approver ${approver}`);
          decision = { decision: 'approve' };
        }
        // The demo approver vouches for every item they are named for; a real approver ticks each one.
        const attest = decision.decision === 'approve' ? { attest: ['all'] } : {};
        const outcome = await rt.client
          .vote(asLocal(approver), arn, { ...decision, ...attest })
          .catch((err: unknown) => {
            if (err instanceof GoLiveClientError) return { message: err.message };
            throw err;
          });
        io.out(`  ✎ ${approver}: ${outcome.message}`);
      };
      const end = await remote.call(() =>
        followExecution(remote.sfn, executionArn, (e: HistoryEvent) => tracker.handle(e)),
      );
      const took = formatDuration(Date.now() - started);
      const banner = rollbackFailedBanner(end, `${service} ${version}`);
      if (end.status === 'SUCCEEDED') io.out(`\n✅ SUCCEEDED in ${took}: ${service} ${version} is live.`);
      else if (banner) io.err(`\n${banner} (${took})`);
      else
        io.out(
          `\n↩️  ${goLiveStatus(end.status, end.error)}: ${end.error ?? ''} — ${end.cause ?? ''}\n   Everything was rolled back (${took}).`,
        );

      const stats = target.router.stats();
      const weights = target.router.weights();
      io.out(
        `\nrouter now: blue ${weights.blue}% / green ${weights.green}%; requests served: blue ${stats.blue.requests}, green ${stats.green.requests}`,
      );
      const mutes = rt.alerts.muteRules();
      io.out(
        `alerts: ${mutes.length === 0 ? 'no golive mute rule left' : `${mutes.length} mute rule(s) active`}; lock: ${(await rt.store.getLock(service)) ? 'HELD' : 'released'}`,
      );
      const report = await verifiedReportFor({ home: rt.home, endpoint: rt.endpointUrl }, rt.store, executionArn);
      const chain = report.chain;
      io.out(
        `audit: ${report.records.length} records, chain ${chain.intact ? `intact, final hash ${chain.finalHash}` : `BROKEN at record ${chain.badSeq}: ${chain.reason}`}`,
      );
      // The seal outside the store: keep this line, and a rewritten store still shows.
      const sealLog = readSealLog(sealLogPath(rt.home));
      const seal =
        sealLog.state === 'found' ? sealLog.seals.filter((x) => x.executionId === executionArn).at(-1) : undefined;
      if (seal) io.out(`audit seal (appended to ${sealLogPath(rt.home)}): ${JSON.stringify(seal)}`);
      const reportPath = writeReport(join(rt.home, 'reports', `${name}.html`), renderHtml(report));
      io.out(`audit report (HTML, opens offline): ${reportPath}`);
      io.out(
        `state kept in ${rt.home}; replay it with: golive audit show ${name} (or golive local up, then golive status ${name})`,
      );
      return exitCodeFor(end);
    } finally {
      remote.close();
      await rt.close();
    }
  },
};
