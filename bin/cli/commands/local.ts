import { DEFAULT_CONTROL_PORT } from '../../../local/control-server';
import { DEFAULT_PORTS, startLocalRuntime } from '../../../local/runtime';
import { DEFAULT_SLACK_PORT } from '../../../local/slack-emulator/local-slack';
import { homeDir, readConfig, type GlobalOptions } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import type { Command } from '../main';

export const PORT_OPTIONS = {
  'sfn-port': { type: 'string' as const },
  'router-port': { type: 'string' as const },
  'blue-port': { type: 'string' as const },
  'green-port': { type: 'string' as const },
  'slack-port': { type: 'string' as const },
  'control-port': { type: 'string' as const },
};

function portFlag(
  values: Record<string, unknown>,
  flag: 'slack-port' | 'control-port',
  fallback: number,
): { port: number; explicit: boolean } {
  const raw = values[flag];
  if (raw === undefined) return { port: fallback, explicit: false };
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw usageError(`--${flag} must be a port number (0-65535), got "${String(raw)}"`);
  return { port, explicit: true };
}

/** --slack-port: the Slack emulator and the golive Slack app (default 3000). */
export function slackPortFrom(values: Record<string, unknown>): { port: number; explicit: boolean } {
  return portFlag(values, 'slack-port', DEFAULT_SLACK_PORT);
}

/** --control-port: the control API the CLI acts through (default 8084). */
export function controlPortFrom(values: Record<string, unknown>): { port: number; explicit: boolean } {
  return portFlag(values, 'control-port', DEFAULT_CONTROL_PORT);
}

export function portsFrom(values: Record<string, unknown>): {
  sfn: number;
  router: number;
  blue: number;
  green: number;
} {
  const pick = (flag: keyof typeof PORT_OPTIONS, fallback: number) => {
    const raw = values[flag];
    if (raw === undefined) return fallback;
    const port = Number(raw);
    if (!Number.isInteger(port) || port < 0 || port > 65535)
      throw usageError(`--${flag} must be a port number (0-65535), got "${String(raw)}"`);
    return port;
  };
  return {
    sfn: pick('sfn-port', DEFAULT_PORTS.sfn),
    router: pick('router-port', DEFAULT_PORTS.router),
    blue: pick('blue-port', DEFAULT_PORTS.blue),
    green: pick('green-port', DEFAULT_PORTS.green),
  };
}

export const localUpCommand: Command = {
  usage:
    'golive local up [--sfn-port 8083] [--control-port 8084] [--router-port 8080] [--blue-port 8081] [--green-port 8082] [--slack-port 3000] [--traffic <requests/s>]',
  summary:
    'Keep the local runtime running (Step Functions endpoint, control API, demo service, router, alarms) until Ctrl-C.',
  options: { ...PORT_OPTIONS, traffic: { type: 'string' } },
  async run({ values }, io) {
    const v = values as GlobalOptions & Record<string, string | boolean | undefined>;
    const traffic = v.traffic === undefined ? 5 : Number(v.traffic);
    if (!Number.isFinite(traffic) || traffic < 0)
      throw usageError(`--traffic must be requests per second (0 to turn it off), got "${v.traffic}"`);
    const config = readConfig(v);
    const rt = await startLocalRuntime({
      home: homeDir(v),
      config,
      ports: portsFrom(v),
      trafficPerSecond: traffic,
      slack: { port: slackPortFrom(v).port },
      control: { port: controlPortFrom(v).port },
      log: io.out,
      alert: io.err,
    }).catch((err: Error) => {
      throw new CliError(err.message, EXIT.unreachable);
    });
    for (const [service, t] of rt.targets) {
      io.out(
        `${service}: router ${t.router.url}  blue ${t.blue.url} (${t.blue.version})  green ${t.green.url} (${t.green.version})`,
      );
    }
    if (rt.slack) io.out(`Slack emulator: open ${rt.slack.url} and type /golive demo 2.0.0 as the release manager`);
    io.out(`state in ${rt.home}. Try: golive start demo 2.0.0 --watch   (Ctrl-C stops the runtime)`);
    rt.notifier.on('notification', (n) => io.out(`[notify] ${n.text}`));
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    io.out('stopping…');
    await rt.close();
    return EXIT.ok;
  },
};
