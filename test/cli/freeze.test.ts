import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { runCli as run } from '../support/cli';
import { REPO_ROOT } from '../support/harness';

const FREEZES = [
  { name: 'year-end', start: '2026-12-23T00:00:00+01:00', end: '2027-01-04T00:00:00Z', reason: 'Year-end close' },
  { name: 'weekend', cron: '0 18 * * FRI', duration: 'PT62H', timeZone: 'Europe/Berlin' },
  { name: 'payments-audit', start: '2027-01-10T00:00:00Z', end: '2027-01-12T00:00:00Z', services: ['payments'] },
];

describe('golive freeze list', () => {
  let dir: string;
  let config: string;
  const list = (...args: string[]) => run(['freeze', 'list', '--config', config, ...args]);

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'golive-freeze-'));
    // The demo config with a second service and three windows.
    const raw = parse(readFileSync(join(REPO_ROOT, 'golive.config.yaml'), 'utf8')) as {
      services: Record<string, unknown>;
    };
    raw.services.payments = raw.services.demo;
    config = join(dir, 'golive.config.yaml');
    writeFileSync(config, stringify({ ...raw, freezes: FREEZES }));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('prints the windows in force (latest end first) and those starting in the next --days', async () => {
    const result = await list('--at', '2026-12-26T09:00:00Z', '--days', '20');

    expect(result).toMatchObject({ code: 0, err: '' });
    // 20 days end on 15 January 09:00Z, before that Friday's weekend freeze.
    expect(result.out.split('\n')).toEqual([
      'Change freezes for every service at 2026-12-26T09:00:00.000Z',
      '',
      'In force now:',
      '  year-end        until 2027-01-04T00:00:00.000Z (in 8 d 15 h) — Year-end close',
      '  weekend         until 2026-12-28T07:00:00.000Z (in 1 d 22 h)',
      '',
      'Next 20 days:',
      '  weekend         2027-01-01T17:00:00.000Z → 2027-01-04T07:00:00.000Z (starts in 6 d 8 h)',
      '  weekend         2027-01-08T17:00:00.000Z → 2027-01-11T07:00:00.000Z (starts in 13 d 8 h)',
      '  payments-audit  2027-01-10T00:00:00.000Z → 2027-01-12T00:00:00.000Z (starts in 14 d 15 h) [payments]',
    ]);
  });

  it('lists 30 days by default, and only the windows of --service', async () => {
    const demo = await list('--at', '2027-01-05T00:00:00Z', '--service', 'demo');
    const payments = await list('--at', '2027-01-05T00:00:00Z', '--service', 'payments');

    expect(demo.code).toBe(0);
    expect(demo.out).toContain('In force now: none — go-lives of demo are allowed.');
    expect(demo.out).toContain('Next 30 days:');
    // 30 days from 5 January reach the Friday of 29 January, not the one of 5 February.
    expect(demo.out).toContain('  weekend  2027-01-29T17:00:00.000Z → 2027-02-01T07:00:00.000Z');
    expect(demo.out).not.toContain('2027-02-05');
    expect(demo.out).not.toContain('payments-audit');
    expect(payments.out).toContain('payments-audit  2027-01-10T00:00:00.000Z → 2027-01-12T00:00:00.000Z');
    // Filtered to one service, the services list says nothing new.
    expect(payments.out).not.toContain('[payments]');
  });

  it('prints { now, active, upcoming } with --json', async () => {
    const result = await list('--at', '2026-12-26T09:00:00+01:00', '--days', '7', '--service', 'demo', '--json');

    expect(result.code).toBe(0);
    expect(JSON.parse(result.out)).toEqual({
      now: '2026-12-26T08:00:00.000Z',
      active: [
        {
          name: 'year-end',
          start: '2026-12-22T23:00:00.000Z',
          end: '2027-01-04T00:00:00.000Z',
          reason: 'Year-end close',
        },
        { name: 'weekend', start: '2026-12-25T17:00:00.000Z', end: '2026-12-28T07:00:00.000Z' },
      ],
      upcoming: [{ name: 'weekend', start: '2027-01-01T17:00:00.000Z', end: '2027-01-04T07:00:00.000Z' }],
    });
  });

  it('says when no freeze starts in the period', async () => {
    const result = await list('--at', '2027-01-04T08:00:00Z', '--days', '1', '--service', 'demo');

    expect(result.code).toBe(0);
    expect(result.out).toContain('In force now: none — go-lives of demo are allowed.');
    expect(result.out).toContain('Next 1 days: no freeze starts.');
  });

  it.each([
    [['--days', 'soon'], '--days "soon" is not a whole number of days from 1 to 366, such as 30'],
    [['--days', '0'], '--days "0" is not a whole number of days from 1 to 366'],
    [['--days', '367'], '--days "367" is not a whole number of days from 1 to 366'],
    [['--at', '2026-12-24'], '--at "2026-12-24" is not an ISO 8601 instant with a zone, such as 2026-12-24T09:00:00Z'],
    [['--service', 'billing'], 'unknown service "billing" (services: demo, payments)'],
    [['--bogus'], "Unknown option '--bogus'"],
    [['everything'], 'unexpected argument "everything"'],
  ])('refuses `golive freeze list %j` with exit 2 and a usage message', async (args, message) => {
    const result = await list(...args);

    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(result.out).toBe('');
  });

  it('names `golive freeze list` when the subcommand is missing or unknown', async () => {
    for (const args of [['freeze'], ['freeze', 'show']]) {
      const result = await run(args);

      expect(result.code).toBe(2);
      expect(result.err).toContain('freeze commands are `golive freeze list`');
    }
  });

  it('refuses a config with an invalid window, naming the field, with exit 2', async () => {
    const bad = join(dir, 'bad.yaml');
    const raw = parse(readFileSync(config, 'utf8')) as Record<string, unknown>;
    writeFileSync(bad, stringify({ ...raw, freezes: [{ ...FREEZES[1], timeZone: 'Europe/Berln' }] }));

    const result = await run(['freeze', 'list', '--config', bad, '--at', '2026-12-26T09:00:00Z']);

    expect(result.code).toBe(2);
    expect(result.err).toContain('freezes.0.timeZone: "Europe/Berln" is not an IANA time zone such as Europe/Berlin');
  });
});
