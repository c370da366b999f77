import {
  DescribeListenersCommand,
  DescribeRulesCommand,
  ElasticLoadBalancingV2Client,
  ModifyListenerCommand,
  ModifyRuleCommand,
  type Action,
  type TargetGroupStickinessConfig,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import {
  GetAliasCommand,
  LambdaClient,
  paginateListVersionsByFunction,
  UpdateAliasCommand,
  type AliasConfiguration,
} from '@aws-sdk/client-lambda';
import type { GoLiveConfig, ServiceConfig } from '../../core/config';
import { TrafficShiftFailed } from '../../core/errors';
import type { Endpoints, Slot, TrafficProvider, Weights } from '../../core/ports';
import { awsCall, awsPages, CLIENT_CONFIG, ProviderResourceMissing } from './errors';

type AlbTarget = Extract<ServiceConfig['traffic'], { kind: 'alb' }>;
type AliasTarget = Extract<ServiceConfig['traffic'], { kind: 'lambda-alias' }>;

/** Percentages from relative weights (an ALB takes 0-999 per target group; golive writes percentages). */
function percentages(blue: number, green: number): Weights {
  const total = blue + green;
  if (total === 0) return { blue: 0, green: 0 };
  const bluePct = Math.round((blue / total) * 100);
  return { blue: bluePct, green: 100 - bluePct };
}

/** Endpoints come from the config on AWS: golive cannot guess URLs of a load balancer or function. */
export function configuredEndpoints(config: GoLiveConfig, service: string): Endpoints {
  const { live, blue, green } = config.services[service]?.endpoints ?? {};
  if (!live || !blue || !green) {
    throw new ProviderResourceMissing(
      `services.${service}.endpoints needs live, blue and green URLs on AWS (health checks and smoke tests call them)`,
    );
  }
  return { live, blue, green };
}

/**
 * ALB weighted forward: the listener's default action (or the rule's action when `ruleArn` is
 * set) forwards to the blue and green target groups with percentage weights. Existing target group
 * stickiness is kept. Every change is read back.
 */
export class AlbTraffic {
  constructor(
    private readonly client: ElasticLoadBalancingV2Client = new ElasticLoadBalancingV2Client(CLIENT_CONFIG),
  ) {}

  private async actions(target: AlbTarget): Promise<Action[]> {
    if (target.ruleArn) {
      const ruleArn = target.ruleArn;
      const res = await awsCall(`elasticloadbalancing:DescribeRules ${ruleArn}`, () =>
        this.client.send(new DescribeRulesCommand({ RuleArns: [ruleArn] })),
      );
      const rule = res.Rules?.[0];
      if (!rule) throw new ProviderResourceMissing(`listener rule ${ruleArn} does not exist`);
      return rule.Actions ?? [];
    }
    const res = await awsCall(`elasticloadbalancing:DescribeListeners ${target.listenerArn}`, () =>
      this.client.send(new DescribeListenersCommand({ ListenerArns: [target.listenerArn] })),
    );
    const listener = res.Listeners?.[0];
    if (!listener) throw new ProviderResourceMissing(`listener ${target.listenerArn} does not exist`);
    return listener.DefaultActions ?? [];
  }

  async readWeights(target: AlbTarget): Promise<Weights> {
    const forward = (await this.actions(target)).find((a) => a.Type === 'forward');
    if (!forward) {
      throw new TrafficShiftFailed(
        `${target.ruleArn ?? target.listenerArn} has no forward action: golive shifts traffic between target groups only`,
      );
    }
    const groups = forward.ForwardConfig?.TargetGroups ?? [
      ...(forward.TargetGroupArn ? [{ TargetGroupArn: forward.TargetGroupArn, Weight: 1 }] : []),
    ];
    const weightOf = (arn: string) => groups.find((g) => g.TargetGroupArn === arn)?.Weight ?? 0;
    const unknown = groups.filter(
      (g) => g.TargetGroupArn !== target.blueTargetGroupArn && g.TargetGroupArn !== target.greenTargetGroupArn,
    );
    if (unknown.some((g) => (g.Weight ?? 1) > 0)) {
      throw new TrafficShiftFailed(
        `${target.ruleArn ?? target.listenerArn} forwards to ${unknown.map((g) => g.TargetGroupArn).join(', ')}, which is neither the blue nor the green target group`,
      );
    }
    return percentages(weightOf(target.blueTargetGroupArn), weightOf(target.greenTargetGroupArn));
  }

  async setWeights(target: AlbTarget, weights: Weights): Promise<Weights> {
    const existing = await this.actions(target);
    const current = existing.find((a) => a.Type === 'forward');
    const stickiness: TargetGroupStickinessConfig | undefined = current?.ForwardConfig?.TargetGroupStickinessConfig;
    const forward: Action = {
      Type: 'forward',
      ...(current?.Order === undefined ? {} : { Order: current.Order }),
      ForwardConfig: {
        TargetGroups: [
          { TargetGroupArn: target.blueTargetGroupArn, Weight: weights.blue },
          { TargetGroupArn: target.greenTargetGroupArn, Weight: weights.green },
        ],
        ...(stickiness ? { TargetGroupStickinessConfig: stickiness } : {}),
      },
    };
    // Only the forward action changes: authentication or other actions before it stay as they are
    // (Describe* never returns an OIDC client secret, so the existing one is kept).
    const actions: Action[] = current
      ? existing.map((a) =>
          a === current
            ? forward
            : a.Type === 'authenticate-oidc' && a.AuthenticateOidcConfig
              ? { ...a, AuthenticateOidcConfig: { ...a.AuthenticateOidcConfig, UseExistingClientSecret: true } }
              : a,
        )
      : [forward];
    if (target.ruleArn) {
      const ruleArn = target.ruleArn;
      await awsCall(`elasticloadbalancing:ModifyRule ${ruleArn}`, () =>
        this.client.send(new ModifyRuleCommand({ RuleArn: ruleArn, Actions: actions })),
      );
    } else {
      await awsCall(`elasticloadbalancing:ModifyListener ${target.listenerArn}`, () =>
        this.client.send(new ModifyListenerCommand({ ListenerArn: target.listenerArn, DefaultActions: actions })),
      );
    }
    return this.readWeights(target);
  }
}

/** Where the alias remembers which published version each slot holds (UpdateAlias keeps it atomic). */
const SLOTS_PATTERN = /golive slots: blue=(\S+) green=(\S+)/;
export type SlotVersions = Record<Slot, string | undefined>;

/** The published version each slot of an alias holds (also what the metrics of a slot are read by). */
export function aliasSlotVersions(alias: Pick<AliasConfiguration, 'Description' | 'FunctionVersion'>): SlotVersions {
  const match = SLOTS_PATTERN.exec(alias.Description ?? '');
  // First go-live on this alias: its primary version is the blue slot.
  return match
    ? { blue: match[1], green: match[2] === '-' ? undefined : match[2] }
    : { blue: alias.FunctionVersion, green: undefined };
}

/**
 * Lambda alias weights: the alias's primary version serves the stable slot, the candidate gets
 * `RoutingConfig.AdditionalVersionWeights`. Which published version is blue or green is written in
 * the alias description by the same UpdateAlias call that changes the weights, so it never drifts.
 * A release version maps to the published version whose description equals it (or a version number).
 * Only setWeights writes the alias (the traffic function): preparing a candidate (ValidateAndLock)
 * just finds its published version, and the first shift towards it records it in the idle slot.
 */
export class LambdaAliasTraffic {
  constructor(private readonly client: LambdaClient = new LambdaClient(CLIENT_CONFIG)) {}

  private async alias(target: AliasTarget): Promise<AliasConfiguration> {
    return awsCall(`lambda:GetAlias ${target.functionName}:${target.alias}`, () =>
      this.client.send(new GetAliasCommand({ FunctionName: target.functionName, Name: target.alias })),
    );
  }

  private static slots(alias: AliasConfiguration): SlotVersions {
    return aliasSlotVersions(alias);
  }

  private static describeSlots(slots: SlotVersions): string {
    return `golive slots: blue=${slots.blue ?? '-'} green=${slots.green ?? '-'}`;
  }

  async readWeights(target: AliasTarget): Promise<Weights> {
    const alias = await this.alias(target);
    const slots = LambdaAliasTraffic.slots(alias);
    const extra = alias.RoutingConfig?.AdditionalVersionWeights ?? {};
    const share = (slot: Slot): number => {
      const version = slots[slot];
      if (version === undefined) return 0;
      if (version === alias.FunctionVersion) return 1 - Object.values(extra).reduce((a, b) => a + b, 0);
      return extra[version] ?? 0;
    };
    return percentages(share('blue'), share('green'));
  }

  /** Read-only: fails early when the release has no published version; setWeights records it in a slot. */
  async prepareCandidate(target: AliasTarget, _slot: Slot, version: string): Promise<{ version: string }> {
    const published = await this.resolveVersion(target, version);
    return { version: `${version} (${target.functionName}:${published})` };
  }

  /** A version number as is; otherwise the newest published version whose description is the release version. */
  private async resolveVersion(target: AliasTarget, version: string): Promise<string> {
    if (/^\d+$/.test(version)) return version;
    let found: string | undefined;
    const pages = paginateListVersionsByFunction({ client: this.client }, { FunctionName: target.functionName });
    for await (const page of awsPages(`lambda:ListVersionsByFunction ${target.functionName}`, pages)) {
      for (const v of page.Versions ?? []) {
        if (v.Version !== '$LATEST' && v.Description === version) found = v.Version;
      }
    }
    if (!found) {
      throw new ProviderResourceMissing(
        `${target.functionName} has no published version described as "${version}": publish it (aws lambda publish-version --description ${version}) and start again`,
      );
    }
    return found;
  }

  /**
   * `release` is the version being deployed (the lock's): when traffic goes to the idle slot and
   * the release's published version is in no slot yet, the idle slot takes it, in this UpdateAlias.
   */
  async setWeights(
    target: AliasTarget,
    weights: Weights,
    release?: () => Promise<string | undefined>,
  ): Promise<Weights> {
    const alias = await this.alias(target);
    const slots = LambdaAliasTraffic.slots(alias);
    const live = (['blue', 'green'] as const).find((s) => slots[s] === alias.FunctionVersion) ?? 'blue';
    const idle: Slot = live === 'blue' ? 'green' : 'blue';
    const version = weights[idle] > 0 && release ? await release() : undefined;
    if (version !== undefined) {
      const published = await this.resolveVersion(target, version);
      if (slots.blue !== published && slots.green !== published) slots[idle] = published;
    }
    const full = (['blue', 'green'] as const).find((slot) => weights[slot] === 100);
    const primarySlot = full ?? (['blue', 'green'] as const).find((s) => slots[s] === alias.FunctionVersion) ?? 'blue';
    const otherSlot: Slot = primarySlot === 'blue' ? 'green' : 'blue';
    const primary = slots[primarySlot];
    if (!primary)
      throw new TrafficShiftFailed(
        `no published version is known for the ${primarySlot} slot of ${target.functionName}`,
      );
    const additional: Record<string, number> = {};
    if (!full && weights[otherSlot] > 0) {
      const other = slots[otherSlot];
      if (!other)
        throw new TrafficShiftFailed(
          `no published version is known for the ${otherSlot} slot of ${target.functionName}`,
        );
      additional[other] = weights[otherSlot] / 100;
    }
    await awsCall(`lambda:UpdateAlias ${target.functionName}:${target.alias}`, () =>
      this.client.send(
        new UpdateAliasCommand({
          FunctionName: target.functionName,
          Name: target.alias,
          FunctionVersion: primary,
          RoutingConfig: { AdditionalVersionWeights: additional },
          Description: LambdaAliasTraffic.describeSlots(slots),
        }),
      ),
    );
    return this.readWeights(target);
  }
}

/** Traffic per service, by `services.<name>.traffic.kind`. */
export class AwsTraffic implements TrafficProvider {
  /** `releaseOf`: the version a service is going live with (the lock's), for the Lambda alias slots. */
  constructor(
    private readonly config: GoLiveConfig,
    private readonly alb: AlbTraffic = new AlbTraffic(),
    private readonly lambdaAlias: LambdaAliasTraffic = new LambdaAliasTraffic(),
    private readonly releaseOf: (service: string) => Promise<string | undefined> = () => Promise.resolve(undefined),
  ) {}

  private target(service: string): AlbTarget | AliasTarget {
    const traffic = this.config.services[service]?.traffic;
    if (!traffic || traffic.kind === 'local-router') {
      throw new TrafficShiftFailed(
        `services.${service}.traffic.kind is ${traffic?.kind ?? 'missing'}: on AWS use alb or lambda-alias`,
      );
    }
    return traffic;
  }

  async readWeights(service: string): Promise<Weights> {
    const t = this.target(service);
    return t.kind === 'alb' ? this.alb.readWeights(t) : this.lambdaAlias.readWeights(t);
  }

  async setWeights(service: string, weights: Weights): Promise<Weights> {
    const t = this.target(service);
    return t.kind === 'alb'
      ? this.alb.setWeights(t, weights)
      : this.lambdaAlias.setWeights(t, weights, () => this.releaseOf(service));
  }

  /** ALB: the pipeline deployed the candidate to the idle target group; golive does not deploy. */
  async prepareCandidate(service: string, slot: Slot, version: string): Promise<{ version: string }> {
    const t = this.target(service);
    return t.kind === 'alb' ? { version } : this.lambdaAlias.prepareCandidate(t, slot, version);
  }

  async endpoints(service: string): Promise<Endpoints> {
    return configuredEndpoints(this.config, service);
  }
}
