import { CronExpressionParser, type CronExpression } from 'cron-parser';

/**
 * Change-freeze calendar (config `freezes`): fixed windows (`start`/`end`) and recurring ones (a
 * cron rule in a time zone, with a duration). A go-live inside a window that applies to its service
 * is refused with FreezeWindow unless it is a break-glass.
 *
 * Occurrences are half-open: a window is in force from its start (inclusive) to its end (exclusive).
 */

/** No call returns more occurrences than this (a `* * * * *` rule would otherwise list thousands). */
export const MAX_OCCURRENCES = 500;

/** The longest a recurring window may last: longer ones are better written as fixed windows. */
export const MAX_RECURRING_DAYS = 31;

export const CRON_EXAMPLE = '"0 18 * * FRI"';
export const CRON_FIELDS = 'minute hour day-of-month month day-of-week';

/**
 * An ISO 8601 duration in weeks, days, hours, minutes and seconds. Years and months are left out:
 * their length varies and no recurring window may exceed 31 days anyway.
 */
const DURATION = /^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?$/;

export interface Duration {
  /** Calendar days (weeks included): added on the window's wall clock, so P3D ends at the same local time. */
  days: number;
  /** Hours, minutes and seconds: exact elapsed time, so PT62H is 62 hours even across a DST switch. */
  ms: number;
}

export function parseDuration(text: string): Duration | undefined {
  const m = DURATION.exec(text);
  if (!m || text === 'P' || text.endsWith('T')) return undefined;
  const [weeks, days, hours, minutes, seconds] = m.slice(1).map((n) => Number(n ?? 0));
  return { days: weeks * 7 + days, ms: ((hours * 60 + minutes) * 60 + seconds) * 1000 };
}

export const nominalMs = (d: Duration) => d.days * 86_400_000 + d.ms;

export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return zone.length > 0;
  } catch {
    return false;
  }
}

/** The rule's problem, or undefined when cron-parser accepts it and it fires at least once. */
export function cronProblem(cron: string, timeZone: string | undefined): string | undefined {
  if (cron.trim().split(/\s+/).length !== 5) {
    return `"${cron}" is not a 5-field cron rule (${CRON_FIELDS}), such as ${CRON_EXAMPLE}`;
  }
  try {
    const tz = timeZone && isTimeZone(timeZone) ? timeZone : 'UTC';
    CronExpressionParser.parse(cron, { tz, currentDate: new Date(0) }).next();
    return undefined;
  } catch (err) {
    return `"${cron}" is not a valid cron rule (${(err as Error).message}): write ${CRON_FIELDS}, such as ${CRON_EXAMPLE}`;
  }
}

/**
 * One window of config `freezes`, as validated by freeze-schema.ts (kept apart so the Lambda bundles
 * that evaluate freezes carry no schema library): fixed (`start`, `end`) or recurring (`cron`,
 * `duration`, `timeZone`).
 */
export interface FreezeWindow {
  name: string;
  start?: string;
  end?: string;
  cron?: string;
  duration?: string;
  timeZone?: string;
  /** The services it applies to; absent = every service. */
  services?: string[];
  reason?: string;
}

/** One occurrence of a window: when it starts and ends (ISO 8601, UTC). */
export interface FreezeOccurrence {
  name: string;
  start: string;
  end: string;
  services?: string[];
  reason?: string;
}

/** The occurrences in force for `service` at `now` (start inclusive, end exclusive), latest end first. */
export function activeFreezes(
  windows: readonly FreezeWindow[],
  service: string | undefined,
  now: Date,
): FreezeOccurrence[] {
  // In force at `now` = overlapping [now, now + 1 ms): started at or before now, ending after it.
  return overlapping(windows, service, now.getTime(), now.getTime() + 1)
    .sort((a, b) => b.endMs - a.endMs || b.startMs - a.startMs || a.window.name.localeCompare(b.window.name))
    .slice(0, MAX_OCCURRENCES)
    .map(toOccurrence);
}

/** Occurrences that overlap [from, to), for `service` (or every service when undefined), by start. */
export function freezeOccurrences(
  windows: readonly FreezeWindow[],
  service: string | undefined,
  from: Date,
  to: Date,
): FreezeOccurrence[] {
  return overlapping(windows, service, from.getTime(), to.getTime())
    .sort((a, b) => a.startMs - b.startMs || a.endMs - b.endMs || a.window.name.localeCompare(b.window.name))
    .slice(0, MAX_OCCURRENCES)
    .map(toOccurrence);
}

/**
 * Why a go-live at `now` is refused, e.g.
 * `inside change freeze "year-end" (reason) until 2027-01-04T00:00:00.000Z (in 3 d 4 h)`.
 */
export function freezeMessage(occurrence: FreezeOccurrence, now: Date): string {
  const reason = occurrence.reason ? ` (${occurrence.reason})` : '';
  return `inside change freeze "${occurrence.name}"${reason} until ${occurrence.end} (in ${timeLeft(Date.parse(occurrence.end) - now.getTime())})`;
}

/** `3 d 4 h`, `4 h 5 min`, `12 min`, `40 s`: precise enough to plan around, short enough for Slack. */
export function timeLeft(ms: number): string {
  const s = Math.max(0, Math.ceil(ms / 1000));
  const [d, h, min] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return h > 0 ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return min > 0 ? `${h} h ${min} min` : `${h} h`;
  return min > 0 ? `${min} min` : `${s} s`;
}

interface Span {
  window: FreezeWindow;
  startMs: number;
  endMs: number;
}

const toOccurrence = ({ window: w, startMs, endMs }: Span): FreezeOccurrence => ({
  name: w.name,
  start: new Date(startMs).toISOString(),
  end: new Date(endMs).toISOString(),
  ...(w.services ? { services: [...w.services] } : {}),
  ...(w.reason !== undefined ? { reason: w.reason } : {}),
});

const appliesTo = (w: FreezeWindow, service: string | undefined) =>
  service === undefined || !w.services || w.services.includes(service);

/** Every occurrence overlapping [from, to) (start < to, end > from), at most MAX_OCCURRENCES per window. */
function overlapping(windows: readonly FreezeWindow[], service: string | undefined, from: number, to: number): Span[] {
  const spans: Span[] = [];
  for (const window of windows) {
    if (!appliesTo(window, service)) continue;
    if (window.start !== undefined && window.end !== undefined) {
      const [startMs, endMs] = [Date.parse(window.start), Date.parse(window.end)];
      if (startMs < to && endMs > from) spans.push({ window, startMs, endMs });
    } else spans.push(...recurring(window, from, to));
  }
  return spans;
}

function recurring(window: FreezeWindow, from: number, to: number): Span[] {
  const { cron, duration: text, timeZone } = window;
  const duration = cron && text && timeZone ? parseDuration(text) : undefined;
  if (!cron || !timeZone || !duration) throw new Error(`freeze window "${window.name}" was not validated`);
  const span = (startMs: number): Span => ({ window, startMs, endMs: addDuration(startMs, duration, timeZone) });
  const spans: Span[] = [];
  // Backwards from `from`: occurrences that started before it and still run (a window longer than
  // its period has several). Ends grow with starts, so the first one over by `from` ends the walk.
  const back = rule(cron, timeZone, from + 1000);
  while (spans.length < MAX_OCCURRENCES) {
    const s = span(back.prev().getTime());
    if (s.endMs <= from) break;
    if (s.startMs <= from) spans.push(s);
  }
  const ahead = rule(cron, timeZone, from);
  while (spans.length < 2 * MAX_OCCURRENCES) {
    const s = span(ahead.next().getTime());
    if (s.startMs >= to) break;
    if (s.startMs > from) spans.push(s); // the walk back counted `from` itself
  }
  return spans;
}

const rule = (cron: string, tz: string, at: number): CronExpression =>
  CronExpressionParser.parse(cron, { tz, currentDate: new Date(at) });

/** `startMs` plus the duration: its days on the wall clock of `zone`, then its hours as elapsed time. */
function addDuration(startMs: number, duration: Duration, zone: string): number {
  if (duration.days === 0) return startMs + duration.ms;
  const wall = startMs + offsetMs(startMs, zone) + duration.days * 86_400_000;
  return instantAt(wall, zone) + duration.ms;
}

/**
 * The instant a wall-clock time of `zone` names (as ms since the epoch read as UTC). Of two (the
 * hour repeated when clocks go back) the earlier; a time skipped when clocks go forward moves
 * forward by the gap, as RFC 5545 and Temporal's "compatible" disambiguation do.
 */
function instantAt(wall: number, zone: string): number {
  const before = offsetMs(wall - 86_400_000, zone);
  const after = offsetMs(wall + 86_400_000, zone);
  const fits = [wall - before, wall - after].filter((t) => t + offsetMs(t, zone) === wall);
  return fits.length > 0 ? Math.min(...fits) : wall - before;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** How far `zone`'s wall clock is ahead of UTC at `at` (ms). */
function offsetMs(at: number, zone: string): number {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(zone, format);
  }
  const part = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, Number(p.value)]));
  const wall = Date.UTC(part.year, part.month - 1, part.day, part.hour, part.minute, part.second);
  return wall - (at - (((at % 1000) + 1000) % 1000));
}
