/**
 * The statistics of the canary judgement, written here (about 150 lines) rather than taken from a
 * library: simple-statistics and jStat have no Mann-Whitney U with an exact small-sample
 * distribution and a tie correction, and @stdlib's would add megabytes to the bake function. Each
 * function is tested against published reference values (test/core/analysis/stats.test.ts).
 */

/** erfc(x), W. J. Cody's rational Chebyshev approximation via Numerical Recipes' erfcc (relative error < 1.2e-7). */
function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z ≤ z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** The p-th percentile (0–100) of the samples, by linear interpolation between closest ranks (R's type 7). */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
}

export interface MannWhitney {
  /** U of the first sample: how many (a, b) pairs have a > b, ties counting ½ (R's W). */
  u: number;
  /** P(U ≥ u) under the null: small when the first sample tends to be larger. */
  pGreater: number;
  pTwoSided: number;
  method: 'exact' | 'normal';
}

/** Exact null distribution of U for sizes m and n (no ties): counts of each U value, by recurrence. */
function exactUCounts(m: number, n: number): number[] {
  // f(m, n, u) = f(m-1, n, u-n) + f(m, n-1, u), built up over n for each m.
  let prev: number[][] = Array.from({ length: n + 1 }, () => [1]); // m = 0: U = 0 only
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [[1]]; // n = 0
    for (let j = 1; j <= n; j++) {
      const size = i * j + 1;
      const counts = new Array<number>(size).fill(0);
      const a = prev[j]; // f(i-1, j, ·), shifted by j
      const b = cur[j - 1]; // f(i, j-1, ·)
      for (let u = 0; u < size; u++) counts[u] = (u - j >= 0 ? (a[u - j] ?? 0) : 0) + (b[u] ?? 0);
      cur.push(counts);
    }
    prev = cur;
  }
  return prev[n];
}

/**
 * Mann-Whitney U test of `a` against `b`. Exact when both samples are small (≤ 50) and untied, as
 * R's wilcox.test does; otherwise the normal approximation with tie and continuity corrections.
 */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): MannWhitney {
  const m = a.length;
  const n = b.length;
  if (m === 0 || n === 0) throw new RangeError('mannWhitneyU needs two non-empty samples');
  const all = [...a.map((v) => ({ v, first: true })), ...b.map((v) => ({ v, first: false }))].sort((x, y) => x.v - y.v);
  // Mid-ranks, and the tie groups for the variance correction.
  const ranks = new Array<number>(all.length);
  let tieTerm = 0;
  for (let i = 0; i < all.length;) {
    let j = i;
    while (j + 1 < all.length && all[j + 1].v === all[i].v) j++;
    const t = j - i + 1;
    for (let k = i; k <= j; k++) ranks[k] = (i + j) / 2 + 1;
    tieTerm += t ** 3 - t;
    i = j + 1;
  }
  const rankSumA = all.reduce((sum, x, i) => (x.first ? sum + ranks[i] : sum), 0);
  const u = rankSumA - (m * (m + 1)) / 2;
  if (m <= 50 && n <= 50 && tieTerm === 0) {
    const counts = exactUCounts(m, n);
    const total = counts.reduce((s, c) => s + c, 0);
    const atLeast = counts.slice(Math.ceil(u)).reduce((s, c) => s + c, 0) / total;
    const atMost = counts.slice(0, Math.floor(u) + 1).reduce((s, c) => s + c, 0) / total;
    return { u, pGreater: atLeast, pTwoSided: Math.min(1, 2 * Math.min(atLeast, atMost)), method: 'exact' };
  }
  const mean = (m * n) / 2;
  const variance = ((m * n) / 12) * (m + n + 1 - tieTerm / ((m + n) * (m + n - 1)));
  if (variance <= 0) return { u, pGreater: 1, pTwoSided: 1, method: 'normal' };
  const sd = Math.sqrt(variance);
  const zGreater = (u - mean - 0.5) / sd;
  const zTwo = (Math.abs(u - mean) - 0.5) / sd;
  return {
    u,
    pGreater: 1 - normalCdf(zGreater),
    pTwoSided: Math.min(1, 2 * (1 - normalCdf(zTwo))),
    method: 'normal',
  };
}

export interface TwoProportions {
  /** (p1 − p2) / standard error under the pooled null. */
  z: number;
  /** P(Z ≥ z): small when the first proportion is larger. */
  pGreater: number;
  pTwoSided: number;
}

/** Two-proportion z-test (pooled, no continuity correction) of x1/n1 against x2/n2. */
export function twoProportionZ(x1: number, n1: number, x2: number, n2: number): TwoProportions {
  if (n1 <= 0 || n2 <= 0) throw new RangeError('twoProportionZ needs two non-empty samples');
  const pooled = (x1 + x2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { z: 0, pGreater: x1 / n1 > x2 / n2 ? 0 : 1, pTwoSided: x1 / n1 === x2 / n2 ? 1 : 0 };
  const z = (x1 / n1 - x2 / n2) / se;
  return { z, pGreater: 1 - normalCdf(z), pTwoSided: 2 * (1 - normalCdf(Math.abs(z))) };
}
