import { mannWhitneyU, normalCdf, percentile, twoProportionZ } from '../../../lambdas/core/analysis/stats';

describe('normalCdf', () => {
  it.each([
    // Standard normal table values.
    [0, 0.5],
    [1, 0.841345],
    [-1, 0.158655],
    [1.644854, 0.95],
    [1.959964, 0.975],
    [2.575829, 0.995],
    [-3.090232, 0.001],
  ])('Φ(%d) = %d', (z, expected) => {
    expect(normalCdf(z)).toBeCloseTo(expected, 6);
  });
});

describe('percentile (R type 7)', () => {
  it('interpolates between closest ranks', () => {
    // R: quantile(c(1, 2, 3, 4, 10), c(.5, .95, .99)) → 3, 8.8, 9.76
    expect(percentile([10, 1, 3, 2, 4], 50)).toBe(3);
    expect(percentile([10, 1, 3, 2, 4], 95)).toBeCloseTo(8.8, 10);
    expect(percentile([10, 1, 3, 2, 4], 99)).toBeCloseTo(9.76, 10);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('mannWhitneyU', () => {
  // R's ?wilcox.test example: wilcox.test(x, y, alternative = "g") → W = 35, p-value = 0.1272.
  const x = [0.8, 0.83, 1.89, 1.04, 1.45, 1.38, 1.91, 1.64, 0.73, 1.46];
  const y = [1.15, 0.88, 0.9, 0.74, 1.21];

  it('matches R: exact distribution for small untied samples', () => {
    const result = mannWhitneyU(x, y);

    expect(result.u).toBe(35);
    expect(result.method).toBe('exact');
    expect(result.pGreater).toBeCloseTo(0.1272, 4);
    expect(result.pTwoSided).toBeCloseTo(0.2544, 4);
  });

  it('is symmetric: U of b against a is m·n − U', () => {
    const reverse = mannWhitneyU(y, x);
    expect(reverse.u).toBe(50 - 35);
    expect(reverse.pTwoSided).toBeCloseTo(0.2544, 4);
  });

  it('uses the normal approximation with tie and continuity corrections when values tie', () => {
    // a = [1, 2, 2, 3], b = [2, 3, 4, 5]: mid-ranks 1, 3, 3, 5.5 | 3, 5.5, 7, 8 → R1 = 12.5, U = 2.5;
    // ties: {2,2,2} (t = 3) and {3,3} (t = 2) → Σ(t³ − t) = 24 + 6 = 30;
    // var = 16/12 · (9 − 30/56) = 11.2857; z = (2.5 − 8 + 0.5)/3.3594 = −1.4884 (two-sided).
    const result = mannWhitneyU([1, 2, 2, 3], [2, 3, 4, 5]);

    expect(result).toMatchObject({ u: 2.5, method: 'normal' });
    expect(result.pTwoSided).toBeCloseTo(2 * normalCdf(-(5.5 - 0.5) / Math.sqrt((16 / 12) * (9 - 30 / 56))), 10);
    expect(result.pTwoSided).toBeCloseTo(0.1366, 3);
  });

  it('finds a clearly slower sample significant, and identical samples not', () => {
    const fast = Array.from({ length: 200 }, (_, i) => 20 + (i % 10));
    const slow = fast.map((v) => v * 3);
    expect(mannWhitneyU(slow, fast).pGreater).toBeLessThan(1e-6);
    expect(mannWhitneyU(fast, fast).pGreater).toBeGreaterThan(0.4);
  });

  it('refuses an empty sample', () => {
    expect(() => mannWhitneyU([], [1])).toThrow(RangeError);
  });
});

describe('twoProportionZ', () => {
  it('matches the textbook pooled z: 35/50 vs 25/50 → z = 2.0412, two-sided p = 0.0412', () => {
    const result = twoProportionZ(35, 50, 25, 50);

    expect(result.z).toBeCloseTo(2.0412, 4);
    expect(result.pTwoSided).toBeCloseTo(0.0412, 4);
    expect(result.pGreater).toBeCloseTo(0.0206, 4);
  });

  it('says nothing is different when neither has errors', () => {
    expect(twoProportionZ(0, 100, 0, 100)).toEqual({ z: 0, pGreater: 1, pTwoSided: 1 });
  });
});
