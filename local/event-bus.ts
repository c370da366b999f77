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

/**
 * EventBridge's matching for golive's patterns (lambdas/catalog.ts EVENT_ROUTES): every key of the
 * pattern must be in the event; a list matches when the event's value is one of its entries, an
 * object matches field by field.
 */
export function matchesPattern(pattern: object, event: unknown): boolean {
  if (typeof event !== 'object' || event === null) return false;
  const fields = event as Record<string, unknown>;
  return Object.entries(pattern).every(([key, expected]) => {
    if (!Object.prototype.hasOwnProperty.call(fields, key)) return false;
    const value = fields[key];
    // A list in the event (e.g. `resources`) matches when any of its entries does.
    if (Array.isArray(expected)) return (Array.isArray(value) ? value : [value]).some((v) => expected.includes(v));
    return matchesPattern(expected as object, value);
  });
}
