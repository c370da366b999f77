import { EVENT_ROUTES, localIntervalMs, routePattern } from '../../lambdas/catalog';
import { matchesPattern } from '../../local/event-bus';

const SM = 'arn:aws:states:us-east-1:000000000000:stateMachine:golive-go-live';
const deployment = { alarmNames: ['demo-5xx-rate'], stateMachineArn: SM };

const alarmEvent = (alarmName: string, value: string) => ({
  'detail-type': 'CloudWatch Alarm State Change',
  source: 'aws.cloudwatch',
  detail: { alarmName, state: { value, reason: 'threshold crossed' } },
});
const statusEvent = (status: string, stateMachineArn = SM) => ({
  'detail-type': 'Step Functions Execution Status Change',
  source: 'aws.states',
  detail: { executionArn: `${SM}:run-1`, stateMachineArn, status },
});

describe('EVENT_ROUTES on the local event bus (EventBridge matching)', () => {
  it('sends a watched alarm going to ALARM to the alarm handler, and nothing else', () => {
    const pattern = routePattern(EVENT_ROUTES.alarmStateChange, deployment);

    expect(matchesPattern(pattern, alarmEvent('demo-5xx-rate', 'ALARM'))).toBe(true);
    expect(matchesPattern(pattern, alarmEvent('demo-5xx-rate', 'OK'))).toBe(false);
    expect(matchesPattern(pattern, alarmEvent('someone-elses-alarm', 'ALARM'))).toBe(false);
  });

  it('sends only this state machine’s aborted, timed-out or failed executions to the janitor', () => {
    const pattern = routePattern(EVENT_ROUTES.executionEnded, deployment);

    expect(matchesPattern(pattern, statusEvent('ABORTED'))).toBe(true);
    expect(matchesPattern(pattern, statusEvent('TIMED_OUT'))).toBe(true);
    expect(matchesPattern(pattern, statusEvent('FAILED'))).toBe(true);
    expect(matchesPattern(pattern, statusEvent('SUCCEEDED'))).toBe(false);
    expect(matchesPattern(pattern, statusEvent('RUNNING'))).toBe(false);
    expect(matchesPattern(pattern, statusEvent('ABORTED', `${SM}-other`))).toBe(false);
  });

  it('archives every ended execution of this state machine, never a running one', () => {
    const pattern = routePattern(EVENT_ROUTES.auditExport, deployment);

    for (const status of ['SUCCEEDED', 'FAILED', 'ABORTED', 'TIMED_OUT']) {
      expect(matchesPattern(pattern, statusEvent(status))).toBe(true);
    }
    expect(matchesPattern(pattern, statusEvent('RUNNING'))).toBe(false);
  });

  it('asks the janitor to reconcile every 5 minutes on AWS and every minute locally', () => {
    const route = EVENT_ROUTES.reconcile;

    expect(route).toMatchObject({ target: 'janitor', local: true, every: { minutes: 5 }, input: { reconcile: true } });
    expect(localIntervalMs(route)).toBe(60_000);
    expect(localIntervalMs(EVENT_ROUTES.scratchSweep)).toBe(15 * 60_000);
  });

  it('matches a list in the event when any entry matches (a scheduled event’s resources)', () => {
    const pattern = { source: ['aws.events'], resources: ['golive-scratchSweep'] };

    expect(matchesPattern(pattern, { source: 'aws.events', resources: ['other', 'golive-scratchSweep'] })).toBe(true);
    expect(matchesPattern(pattern, { source: 'aws.events', resources: ['other'] })).toBe(false);
    expect(matchesPattern(pattern, { source: 'aws.events' })).toBe(false);
  });
});
