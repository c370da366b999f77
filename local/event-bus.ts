/**
 * A local stand-in for an EventBridge bus: events are published, rules (a predicate and a
 * target) receive them asynchronously. Target failures are reported, never thrown at the
 * publisher, as with EventBridge (which would retry and then dead-letter).
 */
export interface BusEvent {
  'detail-type': string;
  source: string;
  detail: Record<string, unknown>;
  [key: string]: unknown;
}
export interface Rule {
  name: string;
  matches(event: BusEvent): boolean;
  target(event: BusEvent): Promise<unknown>;
}

export class LocalEventBus {
  private readonly rules: Rule[] = [];
  private readonly inFlight = new Set<Promise<unknown>>();

  constructor(private readonly onTargetError: (rule: string, err: unknown) => void = () => {}) {}

  addRule(rule: Rule): void {
    this.rules.push(rule);
  }

  publish(event: BusEvent): void {
    for (const rule of this.rules) {
      if (!rule.matches(event)) continue;
      const delivery = rule
        .target(event)
        .catch((err: unknown) => this.onTargetError(rule.name, err))
        .finally(() => this.inFlight.delete(delivery));
      this.inFlight.add(delivery);
    }
  }

  /** Waits for every delivery in flight (used on shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }
}
