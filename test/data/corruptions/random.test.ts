import { describe, expect, it } from 'vitest';
import { CorruptionRandom } from '../../../src/data/corruptions/random.ts';
import { philox4x32, seedKey, Stream } from '../../../src/rng/philox.ts';

const draw = (r: CorruptionRandom, n: number, f: (r: CorruptionRandom) => number) => Array.from({ length: n }, () => f(r));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const variance = (xs: number[]) => {
  const m = mean(xs);
  return mean(xs.map((x) => (x - m) ** 2));
};

describe('CorruptionRandom', () => {
  it('reads Philox blocks (block, imageIndex, corruptionIndex, Stream.corruption) in order', () => {
    const r = new CorruptionRandom(2 ** 33 + 5, 1234, 7);
    const expected = [0, 1].flatMap((block) => Array.from(philox4x32([block, 1234, 7, Stream.corruption], seedKey(2 ** 33 + 5))));
    expect(draw(r, 8, (x) => x.word())).toEqual(expected);
  });

  it('depends only on (seed, image, corruption)', () => {
    const words = (seed: number, image: number, corruption: number) => draw(new CorruptionRandom(seed, image, corruption), 6, (r) => r.word());
    expect(words(1, 2, 3)).toEqual(words(1, 2, 3));
    for (const other of [words(2, 2, 3), words(1, 3, 3), words(1, 2, 4)]) expect(other).not.toEqual(words(1, 2, 3));
  });

  it('rejects indices outside u32', () => {
    expect(() => new CorruptionRandom(1, -1, 0)).toThrow(/imageIndex/);
    expect(() => new CorruptionRandom(1, 0, 2 ** 32)).toThrow(/corruptionIndex/);
    expect(() => new CorruptionRandom(1, 0.5, 0)).toThrow(/imageIndex/);
  });

  it('integer(a, b) covers [a, b) uniformly and never returns b', () => {
    const xs = draw(new CorruptionRandom(3, 0, 0), 20000, (r) => r.integer(-5, 5));
    const counts = new Map<number, number>();
    for (const x of xs) counts.set(x, (counts.get(x) ?? 0) + 1);
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-5, -4, -3, -2, -1, 0, 1, 2, 3, 4]);
    // Each count is Binomial(20000, 0.1): sd ≈ 42, so ±250 is a 6-sigma band.
    for (const c of counts.values()) expect(Math.abs(c - 2000)).toBeLessThan(250);
    expect(() => new CorruptionRandom(3, 0, 0).integer(2, 2)).toThrow(/high − low/);
  });

  it('sign is ±1 with probability ½', () => {
    const xs = draw(new CorruptionRandom(4, 0, 0), 10000, (r) => r.sign());
    expect(new Set(xs)).toEqual(new Set([-1, 1]));
    expect(Math.abs(mean(xs))).toBeLessThan(0.06); // sd of the mean is 0.01
  });

  it('uniformBetween and uniform53 stay in [low, high) and [0, 1)', () => {
    const r = new CorruptionRandom(5, 0, 0);
    const u = draw(r, 5000, (x) => x.uniformBetween(-45, 45));
    expect(Math.min(...u)).toBeGreaterThanOrEqual(-45);
    expect(Math.max(...u)).toBeLessThan(45);
    const v = draw(r, 5000, (x) => x.uniform53());
    expect(Math.min(...v)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...v)).toBeLessThan(1);
    expect(Math.abs(mean(v) - 0.5)).toBeLessThan(0.03);
  });

  it('normal has the requested mean and sd', () => {
    const xs = draw(new CorruptionRandom(6, 0, 0), 20000, (r) => r.normal(0.65, 0.3));
    // sd of the mean is 0.3/√20000 ≈ 0.0021; of the sd about 0.0015.
    expect(Math.abs(mean(xs) - 0.65)).toBeLessThan(0.011);
    expect(Math.abs(Math.sqrt(variance(xs)) - 0.3)).toBeLessThan(0.008);
  });

  it('poisson has mean = variance = λ and P(0) = e^-λ', () => {
    for (const lambda of [0.4, 3]) {
      const xs = draw(new CorruptionRandom(7, 1, 2), 20000, (r) => r.poisson(lambda));
      expect(xs.every((x) => Number.isInteger(x) && x >= 0)).toBe(true);
      // 5 sd of the sample mean (λ/n) and of the sample variance ((λ + 2λ²)/n for a Poisson).
      expect(Math.abs(mean(xs) - lambda)).toBeLessThan(5 * Math.sqrt(lambda / 20000));
      expect(Math.abs(variance(xs) - lambda)).toBeLessThan(5 * Math.sqrt((lambda + 2 * lambda ** 2) / 20000));
      const p0 = xs.filter((x) => x === 0).length / xs.length;
      expect(Math.abs(p0 - Math.exp(-lambda))).toBeLessThan(5 * Math.sqrt(Math.exp(-lambda) / 20000));
    }
  });

  it('poisson(0) is 0 and means outside [0, 30] are refused', () => {
    const r = new CorruptionRandom(8, 0, 0);
    expect(draw(r, 100, (x) => x.poisson(0)).every((x) => x === 0)).toBe(true);
    expect(() => r.poisson(31)).toThrow(/poisson mean/);
    expect(() => r.poisson(-0.1)).toThrow(/poisson mean/);
  });
});
