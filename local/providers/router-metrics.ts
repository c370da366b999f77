import type { SlotMetrics } from '../../lambdas/core/analysis/judge';
import type { MeasureWindow, MetricsProvider, Slot, StepMeasurement } from '../../lambdas/core/ports';
import type { ProxiedResponse, Router } from '../demo/router';

/** Samples older than this are dropped (a bake or a sign-off wait is judged within it). */
const KEEP_MS = 6 * 3600_000;
/** And at most this many per service, newest kept. */
const MAX_SAMPLES = 500_000;

/**
 * Local metrics: every request the weighted router proxied, with its slot, status and latency.
 * Raw samples, so the judgement can test them (Mann-Whitney) instead of comparing aggregates.
 */
export class LocalRouterMetrics implements MetricsProvider {
  private readonly samples = new Map<string, ProxiedResponse[]>();
  private readonly stops: Array<() => void> = [];

  constructor(private readonly now: () => number = () => Date.now()) {}

  /** Starts recording what `router` serves for `service`. */
  track(service: string, router: Pick<Router, 'onResponse'>): void {
    const kept: ProxiedResponse[] = this.samples.get(service) ?? [];
    this.samples.set(service, kept);
    this.stops.push(
      router.onResponse((event) => {
        kept.push(event);
        if (kept.length > MAX_SAMPLES || kept[0].at < this.now() - KEEP_MS) {
          const cutoff = this.now() - KEEP_MS;
          const drop = Math.max(
            kept.length - MAX_SAMPLES,
            kept.findIndex((s) => s.at >= cutoff),
          );
          kept.splice(0, drop < 0 ? kept.length : drop);
        }
      }),
    );
  }

  async measure(window: MeasureWindow): Promise<StepMeasurement> {
    const kept = this.samples.get(window.service);
    if (!kept) throw new Error(`no router is tracked for ${window.service}`);
    const from = window.from.getTime();
    const to = window.to.getTime();
    const inWindow = kept.filter((s) => s.at >= from && s.at <= to);
    const of = (slot: Slot): SlotMetrics => {
      const served = inWindow.filter((s) => s.upstream === slot);
      return {
        requests: served.length,
        errors: served.filter((s) => s.status >= 500).length,
        latencyMs: served.map((s) => Math.round(s.durationMs * 100) / 100),
      };
    };
    return {
      candidate: of(window.candidateSlot),
      baseline: of(window.stableSlot),
      source: `local router samples ${window.from.toISOString()}–${window.to.toISOString()}`,
    };
  }

  stop(): void {
    for (const stop of this.stops.splice(0)) stop();
  }
}
