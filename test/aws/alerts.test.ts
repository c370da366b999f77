import {
  CloudWatchClient,
  DeleteAlarmMuteRuleCommand,
  DescribeAlarmsCommand,
  DisableAlarmActionsCommand,
  EnableAlarmActionsCommand,
  ListAlarmMuteRulesCommand,
  PutAlarmMuteRuleCommand,
} from '@aws-sdk/client-cloudwatch';
import { mockClient } from 'aws-sdk-client-mock';
import type { MuteRecord } from '../../lambdas/core/ports';
import { muteAlerts, unmuteAlerts } from '../../lambdas/core/steps/alerts';
import { CloudWatchAlerts, isoMinutes, muteWindow } from '../../lambdas/providers/aws/alerts';
import { accessDenied, awsConfig, awsError, serverError, throttled } from './helpers';
import { fakeDeps } from '../support/fake-deps';
import { testPlan } from '../support/payloads';

const cw = mockClient(CloudWatchClient);
const NOW = new Date('2026-11-26T10:07:42.500Z');
const alerts = () => new CloudWatchAlerts(new CloudWatchClient({}), () => NOW);

beforeEach(() => cw.reset());

describe('muteWindow', () => {
  it('starts at the current UTC minute and rounds the duration up so it never ends before expiresAt', () => {
    const expiresAt = new Date(NOW.getTime() + 2 * 3600 * 1000);

    const window = muteWindow(NOW, expiresAt);

    // 10:07:00 → 12:07:42.5 is 120.7 min: 121 whole minutes.
    expect(window).toEqual({ expression: 'at(2026-11-26T10:07)', duration: 'PT2H1M', minutes: 121 });
  });

  it('lasts at least one minute, and refuses more than the 15 days one rule allows', () => {
    expect(muteWindow(NOW, NOW).duration).toBe('PT1M');
    expect(() => muteWindow(NOW, new Date(NOW.getTime() + 16 * 86400 * 1000))).toThrow(/15-day maximum/);
  });

  it('writes ISO 8601 durations with days, hours and minutes', () => {
    expect([1, 60, 61, 1440, 1500, 1441].map(isoMinutes)).toEqual([
      'PT1M',
      'PT1H',
      'PT1H1M',
      'P1D',
      'P1DT1H',
      'P1DT1M',
    ]);
  });
});

describe('CloudWatchAlerts', () => {
  it('mutes with one self-expiring one-time mute rule on exactly the given alarms', async () => {
    cw.on(PutAlarmMuteRuleCommand).resolves({});
    const expiresAt = new Date('2026-11-26T12:00:00.000Z');

    await alerts().mute({ ruleName: 'golive-orders-x', alarms: ['orders-5xx'], mode: 'mute-rule', expiresAt });

    expect(cw.commandCalls(PutAlarmMuteRuleCommand).map((c) => c.args[0].input)).toEqual([
      {
        Name: 'golive-orders-x',
        Description: 'golive: alarms muted during a go-live; ends by itself at 2026-11-26T12:00:00.000Z',
        Rule: { Schedule: { Expression: 'at(2026-11-26T10:07)', Duration: 'PT1H53M', Timezone: 'UTC' } },
        MuteTargets: { AlarmNames: ['orders-5xx'] },
        ExpireDate: expiresAt,
        Tags: [{ Key: 'golive:managed', Value: 'true' }],
      },
    ]);
  });

  it('reports how long each metric alarm needs to fire: period × datapoints to alarm, none for composites', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'p', StateValue: 'OK', Period: 60, EvaluationPeriods: 5, DatapointsToAlarm: 3 },
        { AlarmName: 'q', StateValue: 'OK', Period: 10, EvaluationPeriods: 2 },
        {
          AlarmName: 'math',
          StateValue: 'OK',
          EvaluationPeriods: 1,
          Metrics: [
            { Id: 'm1', MetricStat: { Metric: {}, Period: 300, Stat: 'Sum' } },
            { Id: 'e1', Expression: 'm1' },
          ],
        },
      ],
      CompositeAlarms: [{ AlarmName: 'c', StateValue: 'OK' }],
    });
    cw.on(ListAlarmMuteRulesCommand).resolves({ AlarmMuteRuleSummaries: [] });

    const info = await alerts().describe(['p', 'q', 'math', 'c']);

    expect(info.map((a) => [a.name, a.evaluationSeconds])).toEqual([
      ['p', 180],
      ['q', 20],
      ['math', 300],
      ['c', undefined],
    ]);
  });

  it('unmutes by deleting its rule, and treats a rule already gone as unmuted', async () => {
    cw.on(DeleteAlarmMuteRuleCommand).rejectsOnce(awsError('ResourceNotFoundException', 404)).resolves({});
    const record: MuteRecord = {
      mode: 'mute-rule',
      ruleName: 'golive-orders-x',
      muted: ['orders-5xx'],
      leftAlone: [],
      mutedAt: NOW.toISOString(),
      expiresAt: NOW.toISOString(),
    };

    await alerts().unmute(record);
    await alerts().unmute(record);

    expect(cw.commandCalls(DeleteAlarmMuteRuleCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmMuteRuleName: 'golive-orders-x' },
      { AlarmMuteRuleName: 'golive-orders-x' },
    ]);
  });

  it('reports each alarm’s state, whether its actions are enabled and whether an active mute rule covers it', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'a', StateValue: 'OK', ActionsEnabled: true },
        { AlarmName: 'b', StateValue: 'ALARM', ActionsEnabled: false },
      ],
      CompositeAlarms: [{ AlarmName: 'c', StateValue: 'OK', ActionsEnabled: true }],
    });
    cw.on(ListAlarmMuteRulesCommand).resolves({ AlarmMuteRuleSummaries: [] });
    cw.on(ListAlarmMuteRulesCommand, { AlarmName: 'c' }).resolves({
      AlarmMuteRuleSummaries: [
        { AlarmMuteRuleArn: 'arn:aws:cloudwatch:eu-west-1:1:alarm-mute-rule:maintenance', Status: 'ACTIVE' },
      ],
    });

    const info = await alerts().describe(['a', 'b', 'c']);

    expect(info).toEqual([
      { name: 'a', state: 'OK', actionsEnabled: true, muted: false },
      { name: 'b', state: 'ALARM', actionsEnabled: false, muted: false },
      { name: 'c', state: 'OK', actionsEnabled: true, muted: true },
    ]);
    expect(cw.commandCalls(DescribeAlarmsCommand)[0].args[0].input).toEqual({
      AlarmNames: ['a', 'b', 'c'],
      AlarmTypes: ['MetricAlarm', 'CompositeAlarm'],
    });
    expect(cw.commandCalls(ListAlarmMuteRulesCommand).map((c) => c.args[0].input)).toEqual(
      ['a', 'b', 'c'].map((AlarmName) => ({ AlarmName, Statuses: ['ACTIVE'], MaxRecords: 1 })),
    );
  });

  it('names the alarms CloudWatch does not know (ProviderResourceMissing)', async () => {
    cw.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ AlarmName: 'a', StateValue: 'OK' }] });

    await expect(alerts().describe(['a', 'typo-alarm'])).rejects.toMatchObject({
      name: 'ProviderResourceMissing',
      message: expect.stringContaining('no alarm named typo-alarm'),
    });
  });

  it('uses Disable/EnableAlarmActions on exactly the alarms golive muted in disable-actions mode', async () => {
    cw.on(DisableAlarmActionsCommand).resolves({});
    cw.on(EnableAlarmActionsCommand).resolves({});

    await alerts().mute({ ruleName: 'unused', alarms: ['a'], mode: 'disable-actions', expiresAt: NOW });
    await alerts().unmute({
      mode: 'disable-actions',
      muted: ['a'],
      leftAlone: [{ name: 'b', reason: 'actions already disabled before the go-live' }],
      mutedAt: NOW.toISOString(),
      expiresAt: NOW.toISOString(),
    });

    expect(cw.commandCalls(DisableAlarmActionsCommand).map((c) => c.args[0].input)).toEqual([{ AlarmNames: ['a'] }]);
    expect(cw.commandCalls(EnableAlarmActionsCommand).map((c) => c.args[0].input)).toEqual([{ AlarmNames: ['a'] }]);
    expect(cw.commandCalls(PutAlarmMuteRuleCommand)).toHaveLength(0);
  });

  it.each([
    ['throttling', 'ProviderUnavailable', throttled],
    ['a 5xx', 'ProviderUnavailable', serverError],
    ['AccessDenied', 'ProviderAccessDenied', accessDenied],
  ])('turns %s into %s', async (_what, name, error) => {
    cw.on(PutAlarmMuteRuleCommand).rejects(error());

    await expect(
      alerts().mute({ ruleName: 'r', alarms: ['a'], mode: 'mute-rule', expiresAt: new Date(NOW.getTime() + 60000) }),
    ).rejects.toMatchObject({ name, message: expect.stringContaining('cloudwatch:PutAlarmMuteRule r') });
  });
});

describe('MuteAlerts and UnmuteAlerts on CloudWatch', () => {
  it('leaves alarms already muted or with actions disabled exactly as they were', async () => {
    cw.on(DescribeAlarmsCommand).resolves({
      MetricAlarms: [
        { AlarmName: 'orders-5xx', StateValue: 'OK', ActionsEnabled: true },
        { AlarmName: 'orders-latency', StateValue: 'OK', ActionsEnabled: false },
        { AlarmName: 'orders-saturation', StateValue: 'OK', ActionsEnabled: true },
      ],
    });
    cw.on(ListAlarmMuteRulesCommand).resolves({ AlarmMuteRuleSummaries: [] });
    cw.on(ListAlarmMuteRulesCommand, { AlarmName: 'orders-saturation' }).resolves({
      AlarmMuteRuleSummaries: [{ Status: 'ACTIVE' }],
    });
    cw.on(PutAlarmMuteRuleCommand).resolves({});
    cw.on(DeleteAlarmMuteRuleCommand).resolves({});
    const { deps, close } = fakeDeps({ config: awsConfig(), alerts: alerts(), now: () => NOW });
    const event = {
      executionId: 'arn:aws:states:eu-west-1:1:execution:golive:run-1',
      request: { service: 'orders', version: '2.4.0', strategy: 'canary' as const, requestedBy: 'U_RM' },
      plan: testPlan({ alarms: ['orders-5xx', 'orders-latency', 'orders-saturation'], maxRunSeconds: 7200 }),
    };

    const record = await muteAlerts(deps, { ...event, state: 'MuteAlerts', action: 'mute' });
    await unmuteAlerts(deps, { ...event, state: 'UnmuteAlerts', action: 'unmute', mute: record });

    expect(record.muted).toEqual(['orders-5xx']);
    expect(record.leftAlone.map((a) => a.name)).toEqual(['orders-latency', 'orders-saturation']);
    expect(cw.commandCalls(PutAlarmMuteRuleCommand)[0].args[0].input.MuteTargets).toEqual({
      AlarmNames: ['orders-5xx'],
    });
    expect(cw.commandCalls(DeleteAlarmMuteRuleCommand).map((c) => c.args[0].input)).toEqual([
      { AlarmMuteRuleName: 'golive-orders-run-1' },
    ]);
    // Nothing touched the alarm whose actions were disabled, nor the other team's mute rule.
    expect(cw.commandCalls(EnableAlarmActionsCommand)).toHaveLength(0);
    expect(cw.commandCalls(DisableAlarmActionsCommand)).toHaveLength(0);
    close();
  });
});
