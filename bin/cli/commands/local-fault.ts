import {
  FAULTS_PATH,
  InvalidFaultsError,
  MAX_LATENCY_MS,
  parseFaultSettings,
  type FaultSettings,
  type FaultsState,
} from '../../../local/demo/faults';
import { readRuntimeRecord } from '../../../local/providers/readiness';
import { localServices } from '../../../local/runtime';
import { homeDir, readConfig, type GlobalOptions } from '../context';
import { CliError, EXIT, usageError } from '../errors';
import type { Command } from '../main';

type Values = GlobalOptions & Record<string, string | boolean | undefined>;

const USAGE =
  'golive local fault <service> <blue|green> [--error-rate <0..1>] [--latency-ms <ms>] [--health failing|ok] [--clear]';

/** Each fault's flag, and an example that says what it does. */
const FLAGS: Record<keyof FaultSettings, { flag: string; example: string }> = {
  errorRate: { flag: 'error-rate', example: '--error-rate 0.2 answers 20% of /api requests with 500' },
  latencyMs: { flag: 'latency-ms', example: '--latency-ms 300 adds 300 ms to every answer' },
  health: { flag: 'health', example: '--health failing makes /health answer 503' },
};

/** The faults the flags ask for, checked by the demo app's own rules so a refusal names the flag. */
function requestedFaults(v: Values): Partial<FaultSettings> {
  const asNumber = (raw: string | boolean) => (String(raw).trim() === '' ? Number.NaN : Number(raw));
  const requested: Record<string, unknown> = {};
  for (const [field, { flag }] of Object.entries(FLAGS)) {
    const raw = v[flag];
    if (raw !== undefined) requested[field] = field === 'health' ? raw : asNumber(raw);
  }
  if (Object.keys(requested).length === 0) return {};
  try {
    parseFaultSettings(requested);
  } catch (err) {
    if (!(err instanceof InvalidFaultsError) || !(err.field in FLAGS)) throw err;
    const { flag, example } = FLAGS[err.field as keyof FaultSettings];
    throw usageError(`--${flag} ${err.problem}, got "${String(v[flag])}" (e.g. ${example})`);
  }
  return requested as Partial<FaultSettings>;
}

function describe(state: FaultsState): string {
  const { errorRate, latencyMs, health } = state.faults;
  const injected = [
    ...(errorRate > 0
      ? [`error rate ${errorRate} (${+(errorRate * 100).toFixed(2)}% of /api requests answer 500)`]
      : []),
    ...(latencyMs > 0 ? [`latency +${latencyMs} ms on every answer`] : []),
    ...(health === 'failing' ? ['/health failing (503)'] : []),
  ];
  return injected.length > 0 ? `injected: ${injected.join(', ')}` : 'no faults injected';
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export const localFaultCommand: Command = {
  usage: USAGE,
  summary:
    'Inject faults into one slot of the demo service in a running `golive local up` (game days, rehearsals): ' +
    `--error-rate answers that share of /api requests with 500, --latency-ms delays every answer (up to ${MAX_LATENCY_MS}), ` +
    '--health failing makes /health answer 503. Faults add up until --clear removes them all.',
  options: {
    'error-rate': { type: 'string' },
    'latency-ms': { type: 'string' },
    health: { type: 'string' },
    clear: { type: 'boolean' },
  },
  async run({ positionals, values }, io) {
    const v = values as Values;
    const [service, slot, extra] = positionals;
    if (!service) throw usageError(`name the service and the slot\nUsage: ${USAGE}`);
    if (extra) throw usageError(`unexpected argument "${extra}"\nUsage: ${USAGE}`);
    const config = readConfig(v);
    if (!config.services[service]) {
      throw usageError(`unknown service "${service}" (services: ${Object.keys(config.services).join(', ')})`);
    }
    if (!localServices(config).includes(service)) {
      throw usageError(`${service} is not served by the local runtime (its traffic.kind is not local-router)`);
    }
    if (slot !== 'blue' && slot !== 'green') {
      throw usageError(`name the slot: blue or green${slot ? `, not "${slot}"` : ''}\nUsage: ${USAGE}`);
    }
    const faults = requestedFaults(v);
    const clear = v.clear === true;
    if (clear && Object.keys(faults).length > 0) {
      throw usageError(
        '--clear removes every fault of the slot: give it alone, without --error-rate, --latency-ms or --health',
      );
    }
    if (!clear && Object.keys(faults).length === 0) {
      throw usageError(
        `name a fault (${Object.values(FLAGS)
          .map((f) => f.example)
          .join('; ')}), or --clear to remove them`,
      );
    }

    const home = homeDir(v);
    const record = readRuntimeRecord(home, service);
    if (!record) {
      throw new CliError(
        `the local runtime is not running for ${service} (nothing live in ${home}): start it with \`golive local up\` (or pass --home)`,
        EXIT.unreachable,
      );
    }
    const appUrl = record.endpoints[slot];
    if (!LOOPBACK.has(new URL(appUrl).hostname)) {
      throw usageError(
        `faults go only into the local demo apps: ${slot} of ${service} is ${appUrl} (services.${service}.endpoints)`,
      );
    }
    let res: Response;
    try {
      res = await fetch(new URL(FAULTS_PATH, appUrl), {
        method: clear ? 'DELETE' : 'POST',
        headers: { 'content-type': 'application/json' },
        ...(clear ? {} : { body: JSON.stringify(faults) }),
        signal: AbortSignal.timeout(5000),
      });
    } catch {
      throw new CliError(
        `cannot reach the ${slot} app of ${service} at ${appUrl}: is the local runtime still running? Start it with \`golive local up\``,
        EXIT.unreachable,
      );
    }
    const body = (await res.json().catch(() => ({}))) as Partial<FaultsState> & { message?: string };
    if (res.status === 400) throw usageError(body.message ?? `the ${slot} app refused the faults`);
    if (!res.ok || !body.faults) {
      throw new CliError(
        `the ${slot} app of ${service} at ${appUrl} answered ${res.status}${body.message ? ` (${body.message})` : ''}: ` +
          'restart it with `golive local up`',
        EXIT.unreachable,
      );
    }
    const state = body as FaultsState;
    io.out(
      v.json
        ? JSON.stringify({ service, url: appUrl, ...state }, null, 2)
        : `${service} ${slot} (${state.version} at ${appUrl}): ${describe(state)}`,
    );
    return EXIT.ok;
  },
};
