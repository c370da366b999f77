import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetAliasCommand,
  LambdaClient,
  ListVersionsByFunctionCommand,
  UpdateAliasCommand,
} from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { AlbTraffic, AwsTraffic, LambdaAliasTraffic } from '../../lambdas/providers/aws/traffic';
import { answerPages } from '../support/pages';
import { accessDenied, awsConfig, awsError, throttled } from './helpers';

const elb = mockClient(ElasticLoadBalancingV2Client);
const lambda = mockClient(LambdaClient);
const config = awsConfig();
const traffic = () =>
  new AwsTraffic(
    config,
    new AlbTraffic(new ElasticLoadBalancingV2Client({})),
    new LambdaAliasTraffic(new LambdaClient({})),
  );
const orders = config.services.orders.traffic as {
  listenerArn: string;
  blueTargetGroupArn: string;
  greenTargetGroupArn: string;
};
const ledger = config.services.ledger.traffic as {
  ruleArn: string;
  blueTargetGroupArn: string;
  greenTargetGroupArn: string;
};

const forward = (blue: string, green: string, wb: number, wg: number, stickiness?: object): Action => ({
  Type: 'forward',
  ForwardConfig: {
    TargetGroups: [
      { TargetGroupArn: blue, Weight: wb },
      { TargetGroupArn: green, Weight: wg },
    ],
    ...(stickiness ? { TargetGroupStickinessConfig: stickiness } : {}),
  },
});

beforeEach(() => {
  elb.reset();
  lambda.reset();
});

describe('ALB traffic', () => {
  it('shifts the listener’s weighted forward with ModifyListener, keeps stickiness, and reads it back', async () => {
    const stickiness = { Enabled: true, DurationSeconds: 300 };
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce({
        Listeners: [
          { DefaultActions: [forward(orders.blueTargetGroupArn, orders.greenTargetGroupArn, 100, 0, stickiness)] },
        ],
      })
      .resolves({
        Listeners: [
          { DefaultActions: [forward(orders.blueTargetGroupArn, orders.greenTargetGroupArn, 90, 10, stickiness)] },
        ],
      });
    elb.on(ModifyListenerCommand).resolves({});

    const readBack = await traffic().setWeights('orders', { blue: 90, green: 10 });

    expect(readBack).toEqual({ blue: 90, green: 10 });
    expect(elb.commandCalls(ModifyListenerCommand).map((c) => c.args[0].input)).toEqual([
      {
        ListenerArn: orders.listenerArn,
        DefaultActions: [forward(orders.blueTargetGroupArn, orders.greenTargetGroupArn, 90, 10, stickiness)],
      },
    ]);
    expect(elb.commandCalls(DescribeListenersCommand).map((c) => c.args[0].input)).toEqual([
      { ListenerArns: [orders.listenerArn] },
      { ListenerArns: [orders.listenerArn] },
    ]);
  });

  it('uses ModifyRule and DescribeRules when a rule is configured', async () => {
    elb
      .on(DescribeRulesCommand)
      .resolves({ Rules: [{ Actions: [forward(ledger.blueTargetGroupArn, ledger.greenTargetGroupArn, 0, 100)] }] });
    elb.on(ModifyRuleCommand).resolves({});

    const readBack = await traffic().setWeights('ledger', { blue: 0, green: 100 });

    expect(readBack).toEqual({ blue: 0, green: 100 });
    expect(elb.commandCalls(ModifyRuleCommand)[0].args[0].input).toEqual({
      RuleArn: ledger.ruleArn,
      Actions: [forward(ledger.blueTargetGroupArn, ledger.greenTargetGroupArn, 0, 100)],
    });
    expect(elb.commandCalls(ModifyListenerCommand)).toHaveLength(0);
  });

  it('changes only the forward action, keeping an authentication action before it', async () => {
    const auth: Action = {
      Type: 'authenticate-oidc',
      Order: 1,
      AuthenticateOidcConfig: {
        Issuer: 'https://idp',
        ClientId: 'c',
        AuthorizationEndpoint: 'a',
        TokenEndpoint: 't',
        UserInfoEndpoint: 'u',
      },
    };
    const before = { ...forward(orders.blueTargetGroupArn, orders.greenTargetGroupArn, 100, 0), Order: 2 };
    const after = { ...forward(orders.blueTargetGroupArn, orders.greenTargetGroupArn, 50, 50), Order: 2 };
    elb
      .on(DescribeListenersCommand)
      .resolvesOnce({ Listeners: [{ DefaultActions: [auth, before] }] })
      .resolves({ Listeners: [{ DefaultActions: [auth, after] }] });
    elb.on(ModifyListenerCommand).resolves({});

    await traffic().setWeights('orders', { blue: 50, green: 50 });

    expect(elb.commandCalls(ModifyListenerCommand)[0].args[0].input.DefaultActions).toEqual([
      { ...auth, AuthenticateOidcConfig: { ...auth.AuthenticateOidcConfig, UseExistingClientSecret: true } },
      after,
    ]);
  });

  it('reports a single-target forward as 100% on that target group', async () => {
    elb.on(DescribeListenersCommand).resolves({
      Listeners: [{ DefaultActions: [{ Type: 'forward', TargetGroupArn: orders.greenTargetGroupArn }] }],
    });

    expect(await traffic().readWeights('orders')).toEqual({ blue: 0, green: 100 });
  });

  it('refuses a listener that forwards to a target group golive does not manage', async () => {
    elb.on(DescribeListenersCommand).resolves({
      Listeners: [
        {
          DefaultActions: [
            forward(orders.blueTargetGroupArn, 'arn:aws:elasticloadbalancing:eu-west-1:1:targetgroup/other/9', 50, 50),
          ],
        },
      ],
    });

    await expect(traffic().readWeights('orders')).rejects.toMatchObject({
      name: 'TrafficShiftFailed',
      message: expect.stringContaining('targetgroup/other/9'),
    });
  });

  it.each([
    ['throttling', 'ProviderUnavailable', throttled],
    ['AccessDenied', 'ProviderAccessDenied', accessDenied],
    ['a missing listener', 'ProviderResourceMissing', () => awsError('ListenerNotFoundException', 400)],
  ])('turns %s into %s', async (_what, name, error) => {
    elb.on(DescribeListenersCommand).rejects(error());

    await expect(traffic().readWeights('orders')).rejects.toMatchObject({ name });
  });
});

describe('Lambda alias traffic', () => {
  const target = { FunctionName: 'billing-api', Name: 'live' };

  it('resolves the release to its published version without writing the alias (ValidateAndLock changes no traffic)', async () => {
    const versions = answerPages([
      {
        Versions: [
          { Version: '$LATEST', Description: '2.4.0' },
          { Version: '6', Description: '2.3.0' },
        ],
        NextMarker: 'm',
      },
      { Versions: [{ Version: '7', Description: '2.4.0' }] },
    ]);
    lambda.on(ListVersionsByFunctionCommand).callsFake(versions.answer);
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '6', RevisionId: 'r1' });
    lambda.on(UpdateAliasCommand).resolves({});

    const candidate = await traffic().prepareCandidate('billing', 'green', '2.4.0');

    expect(candidate).toEqual({ version: '2.4.0 (billing-api:7)' });
    expect(versions.sent).toEqual([{ FunctionName: 'billing-api' }, { FunctionName: 'billing-api', Marker: 'm' }]);
    expect(lambda.commandCalls(UpdateAliasCommand)).toEqual([]);
  });

  it('records the release being deployed in the idle slot with the first shift towards it, in one UpdateAlias', async () => {
    lambda.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '7', Description: '2.4.0' }] });
    lambda
      .on(GetAliasCommand)
      .resolvesOnce({ FunctionVersion: '6', Description: 'golive slots: blue=6 green=5' })
      .resolves({
        FunctionVersion: '6',
        Description: 'golive slots: blue=6 green=7',
        RoutingConfig: { AdditionalVersionWeights: { '7': 0.1 } },
      });
    lambda.on(UpdateAliasCommand).resolves({});
    const releases: string[] = [];
    const withLock = new AwsTraffic(config, undefined, new LambdaAliasTraffic(new LambdaClient({})), (service) => {
      releases.push(service);
      return Promise.resolve('2.4.0');
    });

    const readBack = await withLock.setWeights('billing', { blue: 90, green: 10 });

    expect(readBack).toEqual({ blue: 90, green: 10 });
    expect(releases).toEqual(['billing']);
    expect(lambda.commandCalls(UpdateAliasCommand).map((c) => c.args[0].input)).toEqual([
      {
        ...target,
        FunctionVersion: '6',
        RoutingConfig: { AdditionalVersionWeights: { '7': 0.1 } },
        Description: 'golive slots: blue=6 green=7',
      },
    ]);
  });

  it('rolls back after a promotion to the version the blue slot held, whatever the release', async () => {
    lambda.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '7', Description: '2.4.0' }] });
    lambda
      .on(GetAliasCommand)
      .resolvesOnce({ FunctionVersion: '7', Description: 'golive slots: blue=6 green=7' })
      .resolves({ FunctionVersion: '6', Description: 'golive slots: blue=6 green=7' });
    lambda.on(UpdateAliasCommand).resolves({});
    const withLock = new AwsTraffic(config, undefined, new LambdaAliasTraffic(new LambdaClient({})), () =>
      Promise.resolve('2.4.0'),
    );

    await withLock.setWeights('billing', { blue: 100, green: 0 });

    expect(lambda.commandCalls(UpdateAliasCommand)[0].args[0].input).toMatchObject({
      FunctionVersion: '6',
      Description: 'golive slots: blue=6 green=7',
    });
  });

  it('puts the canary share in AdditionalVersionWeights and reads it back', async () => {
    lambda
      .on(GetAliasCommand)
      .resolvesOnce({ FunctionVersion: '6', Description: 'golive slots: blue=6 green=7' })
      .resolves({
        FunctionVersion: '6',
        Description: 'golive slots: blue=6 green=7',
        RoutingConfig: { AdditionalVersionWeights: { '7': 0.1 } },
      });
    lambda.on(UpdateAliasCommand).resolves({});

    const readBack = await traffic().setWeights('billing', { blue: 90, green: 10 });

    expect(readBack).toEqual({ blue: 90, green: 10 });
    expect(lambda.commandCalls(UpdateAliasCommand)[0].args[0].input).toEqual({
      ...target,
      FunctionVersion: '6',
      RoutingConfig: { AdditionalVersionWeights: { '7': 0.1 } },
      Description: 'golive slots: blue=6 green=7',
    });
  });

  it('promotes by making the candidate the primary version with no additional weights', async () => {
    lambda
      .on(GetAliasCommand)
      .resolvesOnce({
        FunctionVersion: '6',
        Description: 'golive slots: blue=6 green=7',
        RoutingConfig: { AdditionalVersionWeights: { '7': 0.5 } },
      })
      .resolves({
        FunctionVersion: '7',
        Description: 'golive slots: blue=6 green=7',
        RoutingConfig: { AdditionalVersionWeights: {} },
      });
    lambda.on(UpdateAliasCommand).resolves({});

    const readBack = await traffic().setWeights('billing', { blue: 0, green: 100 });

    expect(readBack).toEqual({ blue: 0, green: 100 });
    expect(lambda.commandCalls(UpdateAliasCommand)[0].args[0].input).toMatchObject({
      FunctionVersion: '7',
      RoutingConfig: { AdditionalVersionWeights: {} },
    });
  });

  it('treats the primary version of an alias golive never touched as the blue slot at 100%', async () => {
    lambda.on(GetAliasCommand).resolves({ FunctionVersion: '3' });

    expect(await traffic().readWeights('billing')).toEqual({ blue: 100, green: 0 });
  });

  it('names the release that has no published version', async () => {
    lambda.on(ListVersionsByFunctionCommand).resolves({ Versions: [{ Version: '6', Description: '2.3.0' }] });

    await expect(traffic().prepareCandidate('billing', 'green', '9.9.9')).rejects.toMatchObject({
      name: 'ProviderResourceMissing',
      message: expect.stringContaining('no published version described as "9.9.9"'),
    });
  });
});

describe('AwsTraffic', () => {
  it('gives the configured endpoints and refuses the local router kind', async () => {
    const local = awsConfig();
    (local.services.orders as { traffic: unknown }).traffic = { kind: 'local-router' };

    expect(await traffic().endpoints('orders')).toEqual(config.services.orders.endpoints);
    await expect(new AwsTraffic(local).readWeights('orders')).rejects.toMatchObject({ name: 'TrafficShiftFailed' });
  });
});
