import type { DoraMetrics } from './metrics';

/** A duration people read at a glance: `45s`, `12m`, `3h 20m`, `2d 4h`; `—` for none. */
export function durationText(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h}h${m % 60 ? ` ${m % 60}m` : ''}`;
  const d = Math.floor(h / 24);
  return `${d}d${h % 24 ? ` ${h % 24}h` : ''}`;
}

/** Up to two decimals, trailing zeros dropped (`0.33`, `1.5`, `2`). */
const num = (v: number) => String(Math.round(v * 100) / 100);

/** The four numbers of a service (or of all), one short phrase each. */
export function metricTexts(m: DoraMetrics): {
  deploymentFrequency: string;
  changeFailureRate: string;
  timeToRestore: string;
  leadTime: string;
} {
  const df = m.deploymentFrequency;
  const cfr = m.changeFailureRate;
  const ttr = m.timeToRestore;
  const lt = m.leadTime;
  return {
    deploymentFrequency:
      `${df.count} (${num(df.perDay)}/day, ${num(df.perWeek)}/week)` + (df.undos ? `, ${df.undos} undo(s)` : ''),
    changeFailureRate:
      cfr.rate === null
        ? 'n/a (nothing reached production)'
        : `${Math.round(cfr.rate * 100)}% (${cfr.failed} of ${cfr.reachedProduction})`,
    timeToRestore:
      (ttr.restored.length ? `median ${durationText(ttr.medianMs)} (${ttr.restored.length} restored)` : 'n/a') +
      (ttr.open.length ? `, ${ttr.open.length} open` : ''),
    leadTime:
      (lt.count ? `median ${durationText(lt.medianMs)}, p90 ${durationText(lt.p90Ms)} (${lt.count})` : 'n/a') +
      (lt.missing ? `, ${lt.missing} without commit time` : ''),
  };
}
