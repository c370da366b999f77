import { parseConfig } from '../../lambdas/core/config';
import {
  activeFreezes,
  freezeMessage,
  freezeOccurrences,
  MAX_OCCURRENCES,
  timeLeft,
  type FreezeWindow,
} from '../../lambdas/core/freeze';
import { demoConfigFile } from '../support/fake-deps';

const at = (iso: string) => new Date(iso);
const spans = (occurrences: { name: string; start: string; end: string }[]) =>
  occurrences.map(({ name, start, end }) => `${name} ${start} → ${end}`);

const yearEnd: FreezeWindow = {
  name: 'year-end',
  start: '2026-12-23T00:00:00+01:00',
  end: '2027-01-04T00:00:00Z',
  reason: 'Year-end close',
};
/** Friday 18:00 in Berlin for 62 hours: 17:00Z in winter (CET), 16:00Z in summer (CEST). */
const weekend: FreezeWindow = {
  name: 'weekend',
  cron: '0 18 * * FRI',
  duration: 'PT62H',
  timeZone: 'Europe/Berlin',
};

describe('activeFreezes: a fixed window', () => {
  it.each([
    ['at its start (inclusive), given with an offset', '2026-12-22T23:00:00.000Z'],
    ['inside it', '2026-12-31T12:00:00.000Z'],
    ['1 ms before its end', '2027-01-03T23:59:59.999Z'],
  ])('is in force %s', (_, now) => {
    expect(activeFreezes([yearEnd], 'demo', at(now))).toEqual([
      {
        name: 'year-end',
        start: '2026-12-22T23:00:00.000Z',
        end: '2027-01-04T00:00:00.000Z',
        reason: 'Year-end close',
      },
    ]);
  });

  it.each([
    ['1 ms before its start', '2026-12-22T22:59:59.999Z'],
    ['at its end (exclusive)', '2027-01-04T00:00:00.000Z'],
    ['a month later', '2027-02-04T00:00:00.000Z'],
  ])('is not in force %s', (_, now) => {
    expect(activeFreezes([yearEnd], 'demo', at(now))).toEqual([]);
  });
});

describe('a recurring window in Europe/Berlin', () => {
  it('starts at 17:00Z before the spring DST switch and 16:00Z after it, each lasting exactly 62 h', () => {
    const occurrences = freezeOccurrences([weekend], 'demo', at('2026-03-20T00:00:00Z'), at('2026-04-04T00:00:00Z'));

    expect(spans(occurrences)).toEqual([
      'weekend 2026-03-20T17:00:00.000Z → 2026-03-23T07:00:00.000Z',
      // Clocks go forward on Sunday 29 March: 62 h after 18:00 CET is Monday 09:00 CEST.
      'weekend 2026-03-27T17:00:00.000Z → 2026-03-30T07:00:00.000Z',
      'weekend 2026-04-03T16:00:00.000Z → 2026-04-06T06:00:00.000Z',
    ]);
  });

  it('starts at 16:00Z before the autumn DST switch and 17:00Z after it', () => {
    const occurrences = freezeOccurrences([weekend], 'demo', at('2026-10-20T00:00:00Z'), at('2026-11-01T00:00:00Z'));

    expect(spans(occurrences)).toEqual([
      'weekend 2026-10-23T16:00:00.000Z → 2026-10-26T06:00:00.000Z',
      'weekend 2026-10-30T17:00:00.000Z → 2026-11-02T07:00:00.000Z',
    ]);
  });

  it('counts whole days on the Berlin wall clock: P2DT14H always ends Monday 08:00 local', () => {
    const mondayMorning = { ...weekend, duration: 'P2DT14H' };

    const spring = freezeOccurrences([mondayMorning], 'demo', at('2026-03-27T00:00:00Z'), at('2026-03-28T00:00:00Z'));
    const autumn = freezeOccurrences([mondayMorning], 'demo', at('2026-10-23T00:00:00Z'), at('2026-10-24T00:00:00Z'));

    expect(spans([...spring, ...autumn])).toEqual([
      'weekend 2026-03-27T17:00:00.000Z → 2026-03-30T06:00:00.000Z', // 08:00 CEST
      'weekend 2026-10-23T16:00:00.000Z → 2026-10-26T07:00:00.000Z', // 08:00 CET
    ]);
  });

  it('is in force from its start (inclusive) to its end (exclusive)', () => {
    const names = (now: string) => activeFreezes([weekend], 'demo', at(now)).map((o) => o.start);

    expect(names('2026-03-27T16:59:59.999Z')).toEqual([]);
    expect(names('2026-03-27T17:00:00.000Z')).toEqual(['2026-03-27T17:00:00.000Z']);
    expect(names('2026-03-30T06:59:59.999Z')).toEqual(['2026-03-27T17:00:00.000Z']);
    expect(names('2026-03-30T07:00:00.000Z')).toEqual([]);
  });

  it('lists an occurrence that began before `from` and still runs, and none that ended at `from`', () => {
    const occurrences = freezeOccurrences([weekend], 'demo', at('2026-03-30T06:00:00Z'), at('2026-04-03T16:00:00Z'));

    // The next one starts exactly at `to`: [from, to) leaves it out.
    expect(spans(occurrences)).toEqual(['weekend 2026-03-27T17:00:00.000Z → 2026-03-30T07:00:00.000Z']);
    expect(freezeOccurrences([weekend], 'demo', at('2026-03-30T07:00:00Z'), at('2026-04-03T16:00:00Z'))).toEqual([]);
  });
});

describe('a recurring window longer than its period', () => {
  it('has every occurrence still running in force, the one ending last first', () => {
    const daily: FreezeWindow = { name: 'rolling', cron: '0 0 * * *', duration: 'P3D', timeZone: 'UTC' };

    const active = activeFreezes([daily], 'demo', at('2026-06-10T12:00:00Z'));

    // The one from 7 June ended at 10 June 00:00, before now.
    expect(spans(active)).toEqual([
      'rolling 2026-06-10T00:00:00.000Z → 2026-06-13T00:00:00.000Z',
      'rolling 2026-06-09T00:00:00.000Z → 2026-06-12T00:00:00.000Z',
      'rolling 2026-06-08T00:00:00.000Z → 2026-06-11T00:00:00.000Z',
    ]);
  });

  it('looks back past a whole period: a weekly window of 8 days still running from last week', () => {
    const weekly: FreezeWindow = { ...weekend, name: 'weekly', duration: 'P8D' };

    // Wednesday 1 April: last Friday's (27 March) and the one before (20 March, ending 28 March) — only the former runs.
    expect(spans(activeFreezes([weekly], 'demo', at('2026-04-01T12:00:00Z')))).toEqual([
      'weekly 2026-03-27T17:00:00.000Z → 2026-04-04T16:00:00.000Z',
    ]);
    // Saturday 4 April, 10:00Z: the 3 April one has begun and the 27 March one has not ended yet.
    expect(spans(activeFreezes([weekly], 'demo', at('2026-04-04T10:00:00Z')))).toEqual([
      'weekly 2026-04-03T16:00:00.000Z → 2026-04-11T16:00:00.000Z',
      'weekly 2026-03-27T17:00:00.000Z → 2026-04-04T16:00:00.000Z',
    ]);
  });

  it('never lists more than MAX_OCCURRENCES, keeping the earliest', () => {
    const everyMinute: FreezeWindow = { name: 'busy', cron: '* * * * *', duration: 'PT1H', timeZone: 'UTC' };

    const occurrences = freezeOccurrences(
      [everyMinute],
      'demo',
      at('2026-06-10T12:00:00Z'),
      at('2026-07-10T12:00:00Z'),
    );

    expect(occurrences).toHaveLength(MAX_OCCURRENCES);
    expect(occurrences[0].start).toBe('2026-06-10T11:01:00.000Z');
    expect(occurrences[1].start).toBe('2026-06-10T11:02:00.000Z');
  });
});

describe('service filtering', () => {
  const paymentsOnly: FreezeWindow = { ...yearEnd, name: 'payments-audit', services: ['payments'] };
  const now = at('2026-12-24T09:00:00Z');

  it('applies a window with services only to those services', () => {
    expect(activeFreezes([paymentsOnly], 'demo', now)).toEqual([]);
    expect(activeFreezes([paymentsOnly], 'payments', now).map((o) => [o.name, o.services])).toEqual([
      ['payments-audit', ['payments']],
    ]);
  });

  it('applies a window without services to every service, and lists every window when no service is given', () => {
    expect(activeFreezes([yearEnd, paymentsOnly], 'demo', now).map((o) => o.name)).toEqual(['year-end']);
    expect(
      activeFreezes([yearEnd, paymentsOnly], undefined, now)
        .map((o) => o.name)
        .sort(),
    ).toEqual(['payments-audit', 'year-end']);
  });
});

describe('overlapping windows', () => {
  const now = at('2026-12-26T09:00:00Z'); // Saturday, inside both

  it('are all in force, the one ending last first', () => {
    expect(spans(activeFreezes([weekend, yearEnd], 'demo', now))).toEqual([
      'year-end 2026-12-22T23:00:00.000Z → 2027-01-04T00:00:00.000Z',
      'weekend 2026-12-25T17:00:00.000Z → 2026-12-28T07:00:00.000Z',
    ]);
  });

  it('are listed in start order', () => {
    const occurrences = freezeOccurrences([weekend, yearEnd], 'demo', now, at('2027-01-02T00:00:00Z'));

    expect(spans(occurrences)).toEqual([
      'year-end 2026-12-22T23:00:00.000Z → 2027-01-04T00:00:00.000Z',
      'weekend 2026-12-25T17:00:00.000Z → 2026-12-28T07:00:00.000Z',
      'weekend 2027-01-01T17:00:00.000Z → 2027-01-04T07:00:00.000Z',
    ]);
  });
});

describe('freezeMessage', () => {
  it('names the window, its reason, its end and the time left', () => {
    const [occurrence] = activeFreezes([yearEnd], 'demo', at('2026-12-31T20:00:00Z'));

    expect(freezeMessage(occurrence, at('2026-12-31T20:00:00Z'))).toBe(
      'inside change freeze "year-end" (Year-end close) until 2027-01-04T00:00:00.000Z (in 3 d 4 h)',
    );
  });

  it('leaves out a missing reason and counts hours and minutes near the end', () => {
    const [occurrence] = activeFreezes([weekend], 'demo', at('2026-03-30T02:55:00Z'));

    expect(freezeMessage(occurrence, at('2026-03-30T02:55:00Z'))).toBe(
      'inside change freeze "weekend" until 2026-03-30T07:00:00.000Z (in 4 h 5 min)',
    );
  });
});

describe('timeLeft', () => {
  it.each([
    [0, '0 s'],
    [40_000, '40 s'],
    [40_001, '41 s'],
    [12 * 60_000, '12 min'],
    [4 * 3_600_000, '4 h'],
    [3 * 86_400_000 + 59 * 60_000, '3 d'],
    [-5_000, '0 s'],
  ])('writes %d ms as "%s"', (ms, text) => {
    expect(timeLeft(ms)).toBe(text);
  });
});

describe('freezes in the config', () => {
  const base = demoConfigFile();
  const withFreezes = (freezes: unknown[]) => parseConfig({ ...base, freezes });

  it('accepts fixed and recurring windows, and defaults to none', () => {
    expect(
      withFreezes([yearEnd, weekend, { ...weekend, name: 'demo-nights', services: ['demo'] }]).freezes,
    ).toHaveLength(3);
    const { freezes: _, ...withoutFreezes } = base;
    expect(parseConfig(withoutFreezes).freezes).toEqual([]);
  });

  const INSTANT = 'such as 2026-12-24T00:00:00Z or 2026-12-24T00:00:00+01:00';
  it.each<[string, unknown, string]>([
    [
      'an unknown time zone',
      { ...weekend, timeZone: 'Europe/Berln' },
      'freezes.1.timeZone: "Europe/Berln" is not an IANA time zone such as Europe/Berlin',
    ],
    [
      'a start without a zone',
      { ...yearEnd, name: 'x', start: '2026-12-24T00:00:00' },
      `freezes.1.start: "2026-12-24T00:00:00" is not an ISO 8601 instant with a zone, ${INSTANT}`,
    ],
    [
      'an end that is not a date',
      { ...yearEnd, name: 'x', end: 'new year' },
      `freezes.1.end: "new year" is not an ISO 8601 instant with a zone, ${INSTANT}`,
    ],
    [
      'an end before the start',
      { name: 'x', start: '2026-12-24T00:00:00Z', end: '2026-12-24T00:00:00+01:00' },
      'freezes.1.end: 2026-12-24T00:00:00+01:00 is not after start 2026-12-24T00:00:00Z: the window must end after it starts',
    ],
    [
      'a start without an end',
      { name: 'x', start: '2026-12-24T00:00:00Z' },
      `freezes.1.end: a fixed window needs its end too, an ISO 8601 instant ${INSTANT}`,
    ],
    ['neither form', { name: 'x', reason: 'no dates' }, 'freezes.1: give either start and end (a fixed window, '],
    [
      'both forms',
      { ...yearEnd, name: 'x', cron: '0 18 * * FRI' },
      'freezes.1.cron: cannot be combined with start/end: a window is either fixed (start, end) or recurring (cron, duration, timeZone); remove one of the two',
    ],
    [
      'a 6-field cron',
      { ...weekend, cron: '0 0 18 * * FRI' },
      'freezes.1.cron: "0 0 18 * * FRI" is not a 5-field cron rule (minute hour day-of-month month day-of-week), such as "0 18 * * FRI"',
    ],
    [
      'a cron hour out of range',
      { ...weekend, cron: '0 25 * * FRI' },
      'freezes.1.cron: "0 25 * * FRI" is not a valid cron rule (Constraint error, got value 25 expected range 0-23): write minute hour',
    ],
    [
      'a recurring window without a cron',
      { name: 'x', duration: 'PT62H', timeZone: 'Europe/Berlin' },
      'freezes.1.cron: a recurring window needs a cron rule (minute hour day-of-month month day-of-week), such as "0 18 * * FRI"',
    ],
    [
      'a recurring window without a time zone',
      { name: 'x', cron: '0 18 * * FRI', duration: 'PT62H' },
      'freezes.1.timeZone: a recurring window needs the IANA time zone its cron rule runs in, such as Europe/Berlin (or UTC)',
    ],
    [
      'a recurring window without a duration',
      { name: 'x', cron: '0 18 * * FRI', timeZone: 'UTC' },
      'freezes.1.duration: a recurring window needs a duration, an ISO 8601 duration such as PT62H or P2DT14H',
    ],
    [
      'a duration that is not ISO 8601',
      { ...weekend, duration: '62h' },
      'freezes.1.duration: "62h" is not an ISO 8601 duration in weeks, days, hours, minutes or seconds, such as PT62H or P2DT14H',
    ],
    [
      'a duration in months',
      { ...weekend, duration: 'P1M' },
      'freezes.1.duration: "P1M" is not an ISO 8601 duration in weeks, days, hours, minutes or seconds',
    ],
    [
      'an empty duration',
      { ...weekend, duration: 'PT0H' },
      'freezes.1.duration: "PT0H" is empty: give the window a positive length, such as PT62H',
    ],
    [
      'a duration over 31 days',
      { ...weekend, duration: 'P31DT1H' },
      'freezes.1.duration: "P31DT1H" is longer than 31 days: shorten it, or write the period as a fixed window (start, end)',
    ],
    [
      'an unknown service',
      { ...weekend, services: ['demo', 'payments'] },
      'freezes.1.services.1: "payments" is not a configured service (demo): fix the name or remove it',
    ],
    [
      'a name used twice',
      { ...weekend, name: 'year-end' },
      'freezes.1.name: "year-end" is already the name of freezes.0: give each window its own name',
    ],
  ])('refuses %s, naming the field and the fix', (_, window, message) => {
    expect(() => withFreezes([yearEnd, window])).toThrow(message);
  });

  it('accepts the longest recurring duration, 31 days', () => {
    expect(withFreezes([{ ...weekend, duration: 'P31D' }]).freezes[0].duration).toBe('P31D');
  });
});
