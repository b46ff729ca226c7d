import { describe, expect, it } from 'vitest';
import { logFactorial } from '../../../src/data/corruptions/logFactorial.ts';
import { poissonPtrs } from '../../../src/data/corruptions/poissonPtrs.ts';
import { CorruptionRandom } from '../../../src/data/corruptions/random.ts';

const draws = (n: number, f: () => number) => Array.from({ length: n }, f);
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return mean(xs.map((x) => (x - m) ** 2));
};
const poissonPmf = (lambda: number, k: number) => Math.exp(-lambda + k * Math.log(lambda) - logFactorial(k));

describe('logFactorial', () => {
  it('is ln k! to 1e-14 relative, across the table and the series', () => {
    let exact = 0;
    for (let k = 0; k <= 400; k++) {
      if (k > 1) exact += Math.log(k);
      expect(Math.abs(logFactorial(k) - exact)).toBeLessThanOrEqual(1e-14 * Math.max(exact, 1));
    }
    expect(logFactorial(1e6)).toBeCloseTo(12815518.384658169, 6); // Python math.lgamma(1e6 + 1)
    expect(() => logFactorial(-1)).toThrow(/logFactorial/);
    expect(() => logFactorial(2.5)).toThrow(/logFactorial/);
  });
});

describe('poissonPtrs', () => {
  for (const lambda of [10, 50, 500])
    it(`λ = ${lambda}: mean and variance λ, and the frequencies of the pmf (χ²)`, () => {
      const random = new CorruptionRandom(11, 0, lambda);
      const n = 20000;
      const xs = draws(n, () => poissonPtrs(lambda, () => random.uniform53()));
      expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
      expect(Math.abs(mean(xs) - lambda)).toBeLessThan(5 * Math.sqrt(lambda / n));
      expect(Math.abs(variance(xs) - lambda)).toBeLessThan(5 * Math.sqrt((lambda + 2 * lambda ** 2) / n));
      // χ² over bins of at least 5 expected counts, tails pooled; with ~30–100 degrees of freedom
      // the 1e-4 critical value is below df + 6√(2·df).
      const counts = new Map<number, number>();
      for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
      let [chi2, bins, observedLow, expectedLow] = [0, 0, 0, 0];
      const [lo, hi] = [Math.max(0, Math.floor(lambda - 5 * Math.sqrt(lambda))), Math.ceil(lambda + 5 * Math.sqrt(lambda))];
      for (let k = 0; k < lo; k++) [observedLow, expectedLow] = [observedLow + (counts.get(k) ?? 0), expectedLow + n * poissonPmf(lambda, k)];
      let [observedHigh, expectedHigh] = [n, n - expectedLow];
      observedHigh -= observedLow;
      for (let k = lo; k <= hi; k++) {
        const [o, e] = [counts.get(k) ?? 0, n * poissonPmf(lambda, k)];
        [observedHigh, expectedHigh] = [observedHigh - o, expectedHigh - e];
        if (e < 5) {
          [observedLow, expectedLow] = [observedLow + o, expectedLow + e];
          continue;
        }
        chi2 += (o - e) ** 2 / e;
        bins++;
      }
      for (const [o, e] of [[observedLow, expectedLow], [observedHigh, expectedHigh]] as const)
        if (e > 1) {
          chi2 += (o - e) ** 2 / e;
          bins++;
        }
      const df = bins - 1;
      expect(df).toBeGreaterThan(15);
      expect(chi2).toBeLessThan(df + 6 * Math.sqrt(2 * df));
    });

  it('refuses means below 10 (its constants are fitted from there on) and non-finite ones', () => {
    expect(() => poissonPtrs(9.9, Math.random)).toThrow(/mean ≥ 10/);
    expect(() => poissonPtrs(Infinity, Math.random)).toThrow(/finite/);
  });
});

describe('CorruptionRandom.poissonAnyMean', () => {
  it('is poisson(), draw for draw, up to mean 30', () => {
    const [a, b] = [new CorruptionRandom(5, 1, 2), new CorruptionRandom(5, 1, 2)];
    for (const lambda of [0, 0.3, 4, 17, 30]) expect(draws(50, () => a.poissonAnyMean(lambda))).toEqual(draws(50, () => b.poisson(lambda)));
  });

  it('takes large means (CIFAR shot noise needs up to 500) and refuses negative or NaN ones', () => {
    const random = new CorruptionRandom(5, 1, 3);
    const xs = draws(5000, () => random.poissonAnyMean(250));
    expect(Math.abs(mean(xs) - 250)).toBeLessThan(5 * Math.sqrt(250 / 5000));
    expect(() => random.poissonAnyMean(-1)).toThrow(/poisson mean/);
    expect(() => random.poissonAnyMean(NaN)).toThrow(/mean/);
  });
});
