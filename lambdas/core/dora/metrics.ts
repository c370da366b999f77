import type { GoLiveFact } from './facts';

/**
 * The four DORA metrics of a period, per service and overall, from the facts of the go-lives
 * (./facts.ts). Definitions (README: DORA metrics):
 *
 * Period. `[since, until)`. A go-live belongs to the period when it ENDED in it (endedAt ≥ since and
 * < until), wherever it started. The metrics are computed as known at `until`: a go-live that had
 * not ended by then counts as running, and nothing that ended at or after `until` (an undo, a
 * restore) is seen. So the metrics of a past period do not change when computed again later.
 * Running go-lives are excluded from every metric.
 *
 * Deployment frequency. Go-lives (kind go-live) that succeeded in the period: the count, and that
 * count per day and per week of the period's length. Undos (`golive rollback`) are counted apart
 * (`undos`): they restore a version, they do not deliver a change.
 *
 * Change failure rate. Of the go-lives (kind go-live) of the period that reached production
 * (traffic moved to the candidate), the share that failed there: rolled back, rollback failed or
 * aborted after traffic moved, or succeeded and then undone. A success is undone by the first
 * successful undo of its service that started after it ended, when it was the service's last
 * successful go-live or undo before that undo. Refused go-lives and failures before any traffic
 * moved count in neither the numerator nor the denominator. `rate` is null (not 0) when nothing
 * reached production.
 *
 * Time to restore. For each failure counted by the change failure rate: from its end (for an undone
 * go-live, the end of the go-live: the failed version was live from then) to the end of the next
 * successful go-live or undo of that service. `medianMs` is over the restored ones; a failure with
 * no such success before `until` is listed in `open` (open for `until − end`), not in the median.
 *
 * Lead time for changes. For each go-live (kind go-live) that succeeded in the period, from its
 * `commitAt` (the request's commit time) to its end. `medianMs` and `p90Ms` are over those that have
 * a commitAt; the others are counted in `missing`, never guessed. A commitAt later than the end is
 * not a lead time: counted as missing too.
 *
 * Statistics. Median: the middle value, or the mean of the two middle values. p90: nearest rank
 * (the value at rank ⌈0.9 × n⌉ in ascending order). Both null with no value.
 */

export interface DoraPeriod {
  since: string;
  until: string;
  days: number;
}

export interface GoLiveRef {
  executionId: string;
  service: string;
  version: string | null;
  endedAt: string;
}

export interface DeploymentFrequency {
  /** Successful go-lives (kind go-live) that ended in the period. */
  count: number;
  perDay: number;
  perWeek: number;
  /** Successful undos that ended in the period (not deployments). */
  undos: number;
}

export interface ChangeFailure extends GoLiveRef {
  outcome: 'rolled-back' | 'rollback-failed' | 'aborted' | 'undone';
  /** The undo that undid it (outcome `undone`). */
  undoneBy?: string;
}

export interface ChangeFailureRate {
  /** Go-lives of the period that reached production (the denominator). */
  reachedProduction: number;
  /** Those that failed there (the numerator). */
  failed: number;
  /** failed / reachedProduction; null when nothing reached production. */
  rate: number | null;
  failures: ChangeFailure[];
}

export interface Restore {
  failure: GoLiveRef;
  restoredBy: GoLiveRef;
  ms: number;
}
export interface OpenFailure {
  failure: GoLiveRef;
  /** until − the failure's end. */
  openMs: number;
}
export interface TimeToRestore {
  medianMs: number | null;
  restored: Restore[];
  open: OpenFailure[];
}

export interface LeadTime {
  medianMs: number | null;
  p90Ms: number | null;
  /** Successful go-lives with a usable commitAt. */
  count: number;
  /** Successful go-lives without one. */
  missing: number;
}

export interface DoraMetrics {
  deploymentFrequency: DeploymentFrequency;
  changeFailureRate: ChangeFailureRate;
  timeToRestore: TimeToRestore;
  leadTime: LeadTime;
}

export interface DoraReport extends DoraMetrics {
  period: DoraPeriod;
  /** Per service, by name (sorted). */
  services: Record<string, DoraMetrics>;
}

export interface DoraOptions {
  since: Date;
  until: Date;
  /** Only this service (overall = that service). */
  service?: string;
  /** Services shown even without a go-live in the period (e.g. every configured one). */
  services?: readonly string[];
}

const DAY_MS = 86_400_000;
type Ended = GoLiveFact & { endedAt: string };

const ref = (f: Ended): GoLiveRef => ({
  executionId: f.executionId,
  service: f.service,
  version: f.version,
  endedAt: f.endedAt,
});
const endMs = (f: Ended) => Date.parse(f.endedAt);

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest rank: the value at rank ⌈p × n⌉ (1-based) in ascending order. */
export function percentile(values: readonly number[], p: number): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

/** Successful go-lives undone by a later undo: go-live execution id → undo execution id. */
function undoneGoLives(known: Ended[]): Map<string, string> {
  const undone = new Map<string, string>();
  const successes = known.filter((f) => f.outcome === 'succeeded').sort((a, b) => endMs(a) - endMs(b));
  for (const undo of successes.filter((f) => f.kind === 'undo')) {
    const started = Date.parse(undo.startedAt);
    const before = successes.filter((f) => f.service === undo.service && endMs(f) <= started);
    const last = before[before.length - 1];
    if (last && last.kind === 'go-live' && !undone.has(last.executionId))
      undone.set(last.executionId, undo.executionId);
  }
  return undone;
}

/** The metrics of the facts of one service (or of all): `known` ended before `until`, `inPeriod` ⊆ known. */
function metricsOf(known: Ended[], inPeriod: Ended[], period: DoraPeriod, untilMs: number): DoraMetrics {
  const goLives = inPeriod.filter((f) => f.kind === 'go-live');
  const succeeded = goLives.filter((f) => f.outcome === 'succeeded');
  const undone = undoneGoLives(known);

  const failures: ChangeFailure[] = [];
  const inProduction = goLives.filter((f) => f.reachedProduction);
  for (const f of inProduction) {
    const undoneBy = undone.get(f.executionId);
    if (f.outcome === 'succeeded' && undoneBy) failures.push({ ...ref(f), outcome: 'undone', undoneBy });
    else if (f.outcome === 'rolled-back' || f.outcome === 'rollback-failed' || f.outcome === 'aborted')
      failures.push({ ...ref(f), outcome: f.outcome });
  }

  const restores = known.filter((f) => f.outcome === 'succeeded').sort((a, b) => endMs(a) - endMs(b));
  const restored: Restore[] = [];
  const open: OpenFailure[] = [];
  for (const failure of failures) {
    const end = Date.parse(failure.endedAt);
    const by = restores.find((s) => s.service === failure.service && endMs(s) > end);
    const { outcome: _o, undoneBy: _u, ...failed } = failure;
    if (by) restored.push({ failure: failed, restoredBy: ref(by), ms: endMs(by) - end });
    else open.push({ failure: failed, openMs: untilMs - end });
  }

  const leadTimes: number[] = [];
  for (const f of succeeded) {
    const lead = f.commitAt ? endMs(f) - Date.parse(f.commitAt) : NaN;
    if (lead >= 0) leadTimes.push(lead);
  }

  return {
    deploymentFrequency: {
      count: succeeded.length,
      perDay: period.days > 0 ? succeeded.length / period.days : 0,
      perWeek: period.days > 0 ? (succeeded.length / period.days) * 7 : 0,
      undos: inPeriod.filter((f) => f.kind === 'undo' && f.outcome === 'succeeded').length,
    },
    changeFailureRate: {
      reachedProduction: inProduction.length,
      failed: failures.length,
      rate: inProduction.length ? failures.length / inProduction.length : null,
      failures,
    },
    timeToRestore: { medianMs: median(restored.map((r) => r.ms)), restored, open },
    leadTime: {
      medianMs: median(leadTimes),
      p90Ms: percentile(leadTimes, 0.9),
      count: leadTimes.length,
      missing: succeeded.length - leadTimes.length,
    },
  };
}

/** The DORA metrics of `facts` for the period, overall and per service. */
export function doraMetrics(facts: readonly GoLiveFact[], options: DoraOptions): DoraReport {
  const sinceMs = options.since.getTime();
  const untilMs = options.until.getTime();
  if (!(untilMs > sinceMs)) {
    throw new RangeError(
      `the period is empty: until (${options.until.toISOString()}) must be after since (${options.since.toISOString()})`,
    );
  }
  const period: DoraPeriod = {
    since: options.since.toISOString(),
    until: options.until.toISOString(),
    days: (untilMs - sinceMs) / DAY_MS,
  };
  // As known at `until`: what had not ended by then is running, and is left out.
  const known = facts.filter(
    (f): f is Ended =>
      f.outcome !== 'running' &&
      f.endedAt !== null &&
      Date.parse(f.endedAt) < untilMs &&
      (!options.service || f.service === options.service),
  );
  const inPeriod = known.filter((f) => endMs(f) >= sinceMs);
  const names = new Set([...inPeriod.map((f) => f.service), ...(options.service ? [options.service] : [])]);
  if (!options.service) for (const s of options.services ?? []) names.add(s);
  const services: Record<string, DoraMetrics> = {};
  for (const name of [...names].sort()) {
    services[name] = metricsOf(
      known.filter((f) => f.service === name),
      inPeriod.filter((f) => f.service === name),
      period,
      untilMs,
    );
  }
  return { period, ...metricsOf(known, inPeriod, period, untilMs), services };
}
