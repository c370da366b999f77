import {
  CloudWatchClient,
  DeleteAlarmMuteRuleCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  ListAlarmMuteRulesCommand,
  paginateDescribeAlarms,
  PutAlarmMuteRuleCommand,
  type MetricAlarm,
} from '@aws-sdk/client-cloudwatch';
import type { AlarmInfo, AlertsProvider, MuteMode, MuteRecord } from '../../core/ports';
import { awsCall, awsPages, CLIENT_CONFIG, ProviderResourceMissing } from './errors';

/** CloudWatch limits: 100 alarm names per DescribeAlarms / mute rule / Enable-DisableAlarmActions call. */
const BATCH = 100;
/** A mute rule lasts at most 15 days (Schedule.Duration P15D). */
const MAX_MUTE_MINUTES = 15 * 24 * 60;

const chunks = <T>(items: T[], size: number): T[][] =>
  Array.from({ length: Math.ceil(items.length / size) }, (_, i) => items.slice(i * size, (i + 1) * size));

/** ISO 8601 duration of whole minutes: 90 → `PT1H30M`, 1500 → `P1DT1H`. */
export function isoMinutes(total: number): string {
  const days = Math.floor(total / 1440);
  const hours = Math.floor((total % 1440) / 60);
  const minutes = total % 60;
  const time = `${hours ? `${hours}H` : ''}${minutes ? `${minutes}M` : ''}`;
  if (!days && !time) return 'PT0M';
  return `P${days ? `${days}D` : ''}${time ? `T${time}` : ''}`;
}

/**
 * The one-time mute window: `at(...)` takes minutes (UTC), so the window starts at the current
 * minute and its Duration is rounded up so it never ends before `expiresAt`.
 */
export function muteWindow(now: Date, expiresAt: Date): { expression: string; duration: string; minutes: number } {
  const start = new Date(now);
  start.setUTCSeconds(0, 0);
  const minutes = Math.max(1, Math.ceil((expiresAt.getTime() - start.getTime()) / 60000));
  if (minutes > MAX_MUTE_MINUTES) {
    throw new RangeError(`a mute of ${minutes} min exceeds CloudWatch's 15-day maximum for one mute rule`);
  }
  return { expression: `at(${start.toISOString().slice(0, 16)})`, duration: isoMinutes(minutes), minutes };
}

/**
 * Period × datapoints to alarm (N of M alarms need N periods), from the alarm itself or, for a
 * metric-math alarm, from the longest period among its queries.
 */
function evaluationSeconds(alarm: MetricAlarm): number | undefined {
  const period =
    alarm.Period ?? Math.max(0, ...(alarm.Metrics ?? []).map((m) => m.MetricStat?.Period ?? m.Period ?? 0));
  const datapoints = alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods ?? 1;
  return period > 0 ? period * datapoints : undefined;
}

/**
 * Alerts on CloudWatch. `mute-rule` mode creates one self-expiring alarm mute rule per go-live (a
 * dead workflow cannot leave alerts muted: the rule ends by itself) and deletes it on unmute;
 * `disable-actions` mode uses Disable/EnableAlarmActions on exactly the alarms golive muted. Alarms
 * already muted or with actions disabled are reported as such, so core leaves them alone.
 */
export class CloudWatchAlerts implements AlertsProvider {
  constructor(
    private readonly client: CloudWatchClient = new CloudWatchClient(CLIENT_CONFIG),
    private readonly now: () => Date = () => new Date(),
  ) {}

  async describe(alarmNames: string[]): Promise<AlarmInfo[]> {
    const found = new Map<string, Omit<AlarmInfo, 'name' | 'muted'>>();
    for (const batch of chunks([...new Set(alarmNames)], BATCH)) {
      const pages = paginateDescribeAlarms(
        { client: this.client },
        { AlarmNames: batch, AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] },
      );
      for await (const page of awsPages('cloudwatch:DescribeAlarms', pages)) {
        for (const alarm of page.MetricAlarms ?? []) {
          const seconds = evaluationSeconds(alarm);
          found.set(alarm.AlarmName!, {
            state: (alarm.StateValue ?? 'INSUFFICIENT_DATA') as AlarmInfo['state'],
            actionsEnabled: alarm.ActionsEnabled ?? true,
            ...(seconds === undefined ? {} : { evaluationSeconds: seconds }),
          });
        }
        for (const alarm of page.CompositeAlarms ?? []) {
          found.set(alarm.AlarmName!, {
            state: (alarm.StateValue ?? 'INSUFFICIENT_DATA') as AlarmInfo['state'],
            actionsEnabled: alarm.ActionsEnabled ?? true,
          });
        }
      }
    }
    const missing = alarmNames.filter((name) => !found.has(name));
    if (missing.length > 0) {
      throw new ProviderResourceMissing(
        `CloudWatch has no alarm named ${missing.join(', ')}: fix services.*.alerts.alarms in golive.config.yaml`,
      );
    }
    const result: AlarmInfo[] = [];
    for (const name of alarmNames) {
      result.push({ name, ...found.get(name)!, muted: await this.hasActiveMuteRule(name) });
    }
    return result;
  }

  /** An ACTIVE mute rule targets the alarm (whoever created it). */
  private async hasActiveMuteRule(alarmName: string): Promise<boolean> {
    const page = await awsCall(`cloudwatch:ListAlarmMuteRules for ${alarmName}`, () =>
      this.client.send(new ListAlarmMuteRulesCommand({ AlarmName: alarmName, Statuses: ['ACTIVE'], MaxRecords: 1 })),
    );
    return (page.AlarmMuteRuleSummaries ?? []).length > 0;
  }

  async mute(request: { ruleName: string; alarms: string[]; mode: MuteMode; expiresAt: Date }): Promise<void> {
    if (request.mode === 'disable-actions') {
      for (const batch of chunks(request.alarms, BATCH)) {
        await awsCall('cloudwatch:DisableAlarmActions', () =>
          this.client.send(new DisableAlarmActionsCommand({ AlarmNames: batch })),
        );
      }
      return;
    }
    if (request.alarms.length > BATCH) {
      throw new RangeError(
        `one mute rule targets at most ${BATCH} alarms; this service lists ${request.alarms.length}`,
      );
    }
    const window = muteWindow(this.now(), request.expiresAt);
    await awsCall(`cloudwatch:PutAlarmMuteRule ${request.ruleName}`, () =>
      this.client.send(
        new PutAlarmMuteRuleCommand({
          Name: request.ruleName,
          Description: `golive: alarms muted during a go-live; ends by itself at ${request.expiresAt.toISOString()}`,
          Rule: { Schedule: { Expression: window.expression, Duration: window.duration, Timezone: 'UTC' } },
          MuteTargets: { AlarmNames: request.alarms },
          ExpireDate: request.expiresAt,
          Tags: [{ Key: 'golive:managed', Value: 'true' }],
        }),
      ),
    );
  }

  async unmute(record: MuteRecord): Promise<void> {
    if (record.mode === 'disable-actions') {
      for (const batch of chunks(record.muted, BATCH)) {
        await awsCall('cloudwatch:EnableAlarmActions', () =>
          this.client.send(new EnableAlarmActionsCommand({ AlarmNames: batch })),
        );
      }
      return;
    }
    if (!record.ruleName || record.muted.length === 0) return;
    try {
      await awsCall(`cloudwatch:DeleteAlarmMuteRule ${record.ruleName}`, () =>
        this.client.send(new DeleteAlarmMuteRuleCommand({ AlarmMuteRuleName: record.ruleName })),
      );
    } catch (err) {
      // Already gone (expired and cleaned up, or a retried unmute): the alarms are unmuted either way.
      if (!(err instanceof ProviderResourceMissing)) throw err;
    }
  }
}
