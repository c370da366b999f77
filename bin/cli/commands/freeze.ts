import { activeFreezes, freezeOccurrences, timeLeft, type FreezeOccurrence } from '../../../lambdas/core/freeze';
import { isZonedInstant } from '../../../lambdas/core/freeze-schema';
import { readConfig, type GlobalOptions } from '../context';
import { EXIT, usageError } from '../errors';
import type { Command } from '../main';

const USAGE = 'golive freeze list [--service <name>] [--days <n>] [--at <instant>] [--json]';
const MAX_DAYS = 366;

type Values = GlobalOptions & { service?: string; days?: string; at?: string };

export const freezeListCommand: Command = {
  usage: USAGE,
  summary:
    'List the change freezes of the config: those in force now (with when they end) and those starting in the next ' +
    '--days (default 30), for one --service or all. --at shows the calendar as of another instant (ISO 8601 with a zone).',
  options: { service: { type: 'string' }, days: { type: 'string' }, at: { type: 'string' } },
  async run({ positionals, values }, io) {
    const v = values as Values;
    if (positionals.length > 0) throw usageError(`unexpected argument "${positionals[0]}"\nUsage: ${USAGE}`);
    const days = v.days === undefined ? 30 : Number(v.days);
    if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
      throw usageError(
        `--days "${v.days}" is not a whole number of days from 1 to ${MAX_DAYS}, such as 30\nUsage: ${USAGE}`,
      );
    }
    if (v.at !== undefined && !isZonedInstant(v.at)) {
      throw usageError(
        `--at "${v.at}" is not an ISO 8601 instant with a zone, such as 2026-12-24T09:00:00Z\nUsage: ${USAGE}`,
      );
    }
    const config = readConfig(v);
    if (v.service !== undefined && !Object.hasOwn(config.services, v.service)) {
      throw usageError(`unknown service "${v.service}" (services: ${Object.keys(config.services).join(', ')})`);
    }

    const now = v.at === undefined ? new Date() : new Date(v.at);
    const until = new Date(now.getTime() + days * 86_400_000);
    const active = activeFreezes(config.freezes, v.service, now);
    // Those already in force are listed once, under "in force now".
    const upcoming = freezeOccurrences(config.freezes, v.service, now, until).filter(
      (o) => Date.parse(o.start) > now.getTime(),
    );

    if (v.json) {
      io.out(JSON.stringify({ now: now.toISOString(), active, upcoming }, null, 2));
      return EXIT.ok;
    }
    const width = Math.max(0, ...[...active, ...upcoming].map((o) => o.name.length));
    const notes = (o: FreezeOccurrence) =>
      `${o.reason ? ` — ${o.reason}` : ''}${o.services && !v.service ? ` [${o.services.join(', ')}]` : ''}`;
    const at = (iso: string) => timeLeft(Date.parse(iso) - now.getTime());
    const whose = v.service ?? 'every service';

    io.out(`Change freezes for ${whose} at ${now.toISOString()}`);
    io.out('');
    if (active.length === 0) io.out(`In force now: none — go-lives of ${whose} are allowed.`);
    else {
      io.out('In force now:');
      for (const o of active) io.out(`  ${o.name.padEnd(width)}  until ${o.end} (in ${at(o.end)})${notes(o)}`);
    }
    io.out('');
    if (upcoming.length === 0) io.out(`Next ${days} days: no freeze starts.`);
    else {
      io.out(`Next ${days} days:`);
      for (const o of upcoming) {
        io.out(`  ${o.name.padEnd(width)}  ${o.start} → ${o.end} (starts in ${at(o.start)})${notes(o)}`);
      }
    }
    return EXIT.ok;
  },
};
