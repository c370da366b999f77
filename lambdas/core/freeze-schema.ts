import { z } from 'zod';
import {
  CRON_EXAMPLE,
  CRON_FIELDS,
  cronProblem,
  isTimeZone,
  MAX_RECURRING_DAYS,
  nominalMs,
  parseDuration,
  type FreezeWindow,
} from './freeze';

/**
 * The zod schema of config `freezes` (validated at start and at synth). Apart from freeze.ts, whose
 * evaluation the Lambda functions bundle: they receive the validated config and need no schema.
 */

const INSTANT_EXAMPLE = 'such as 2026-12-24T00:00:00Z or 2026-12-24T00:00:00+01:00';
const instantWithZone = z.iso.datetime({ offset: true });

/** An ISO 8601 instant with its zone (Z or ±hh:mm), as fixed windows and `golive freeze list --at` take. */
export const isZonedInstant = (text: string | undefined): boolean => instantWithZone.safeParse(text).success;

export const freezeWindowSchema = z
  .object({
    name: z.string().min(1, 'give the window a name, such as year-end: refusals and `golive freeze list` show it'),
    /** Fixed window: ISO 8601 instants with a zone (Z or ±hh:mm). */
    start: z.string().optional(),
    end: z.string().optional(),
    /** Recurring window: a 5-field cron rule evaluated in `timeZone`, each occurrence lasting `duration`. */
    cron: z.string().optional(),
    /** ISO 8601 duration such as PT62H (exact hours) or P2DT14H (days on the zone's wall clock); at most 31 days. */
    duration: z.string().optional(),
    /** IANA time zone such as Europe/Berlin: the cron rule follows its DST changes. */
    timeZone: z.string().optional(),
    /** The services it applies to; absent = every service. */
    services: z.array(z.string()).min(1, 'name at least one service, or leave services out for all').optional(),
    reason: z.string().optional(),
  })
  .strict()
  .superRefine((w, ctx) => {
    const problem = (field: 'start' | 'end' | 'cron' | 'duration' | 'timeZone' | undefined, message: string) =>
      ctx.addIssue({ code: 'custom', path: field ? [field] : [], message });
    const fixed = w.start !== undefined || w.end !== undefined;
    const recurring = w.cron !== undefined || w.duration !== undefined || w.timeZone !== undefined;
    if (fixed && recurring) {
      const extra = (['cron', 'duration', 'timeZone'] as const).find((f) => w[f] !== undefined)!;
      problem(
        extra,
        'cannot be combined with start/end: a window is either fixed (start, end) or recurring (cron, duration, timeZone); remove one of the two',
      );
      return;
    }
    if (!fixed && !recurring) {
      problem(
        undefined,
        `give either start and end (a fixed window, ${INSTANT_EXAMPLE}) or cron, duration and timeZone (a recurring one, such as ${CRON_EXAMPLE}, PT62H, Europe/Berlin)`,
      );
      return;
    }
    if (fixed) {
      for (const field of ['start', 'end'] as const) {
        const value = w[field];
        if (value === undefined)
          problem(field, `a fixed window needs its ${field} too, an ISO 8601 instant ${INSTANT_EXAMPLE}`);
        else if (!isZonedInstant(value))
          problem(field, `"${value}" is not an ISO 8601 instant with a zone, ${INSTANT_EXAMPLE}`);
      }
      const [start, end] = [Date.parse(w.start ?? ''), Date.parse(w.end ?? '')];
      if (isZonedInstant(w.start) && isZonedInstant(w.end) && end <= start) {
        problem('end', `${w.end} is not after start ${w.start}: the window must end after it starts`);
      }
      return;
    }
    if (w.timeZone === undefined) {
      problem(
        'timeZone',
        'a recurring window needs the IANA time zone its cron rule runs in, such as Europe/Berlin (or UTC)',
      );
    } else if (!isTimeZone(w.timeZone)) {
      problem('timeZone', `"${w.timeZone}" is not an IANA time zone such as Europe/Berlin`);
    }
    if (w.cron === undefined) {
      problem('cron', `a recurring window needs a cron rule (${CRON_FIELDS}), such as ${CRON_EXAMPLE}`);
    } else {
      const cron = cronProblem(w.cron, w.timeZone);
      if (cron) problem('cron', cron);
    }
    if (w.duration === undefined) {
      problem('duration', 'a recurring window needs a duration, an ISO 8601 duration such as PT62H or P2DT14H');
      return;
    }
    const duration = parseDuration(w.duration);
    if (!duration) {
      problem(
        'duration',
        `"${w.duration}" is not an ISO 8601 duration in weeks, days, hours, minutes or seconds, such as PT62H or P2DT14H`,
      );
    } else if (nominalMs(duration) === 0) {
      problem('duration', `"${w.duration}" is empty: give the window a positive length, such as PT62H`);
    } else if (nominalMs(duration) > MAX_RECURRING_DAYS * 86_400_000) {
      problem(
        'duration',
        `"${w.duration}" is longer than ${MAX_RECURRING_DAYS} days: shorten it, or write the period as a fixed window (start, end)`,
      );
    }
  });

export const freezesSchema = z.array(freezeWindowSchema).superRefine((windows, ctx) => {
  const first = new Map<string, number>();
  for (const [i, { name }] of windows.entries()) {
    const earlier = first.get(name);
    if (earlier === undefined) first.set(name, i);
    else
      ctx.addIssue({
        code: 'custom',
        path: [i, 'name'],
        message: `"${name}" is already the name of freezes.${earlier}: give each window its own name`,
      });
  }
});

/** What the schema yields is the window freeze.ts evaluates: a compile error when they drift apart. */
export const asFreezeWindow = (window: z.infer<typeof freezeWindowSchema>): FreezeWindow => window;
