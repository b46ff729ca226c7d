import { beforeAll, describe, expect, it } from 'vitest';
import { philoxDump } from '../../src/kernels/philoxDump.ts';
import { normals, philox4x32, seedKey, Stream, uniform01, uniforms } from '../../src/rng/philox.ts';
import { loadRng, type Rng, type TruncatedNormalSizeOptions } from '../../src/rng/wasm.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { ksCritical, ksStatistic, normalCdf, sampleMoments, truncatedNormal } from '../helpers/statistics.ts';
import { KAT1_CLOSED_OPEN, PHILOX_KATS } from '../reference/philox.ts';

let rng: Rng;
beforeAll(async () => {
  rng = await loadRng();
});

const hex = (words: ArrayLike<number>) => Array.from(words, (w) => w.toString(16).padStart(8, '0')).join(' ');

/** Half random pairs, half a sequential counter under one key, as kernels use Philox. */
function testPairs(pairs: number, seed: number): { counters: Uint32Array; keys: Uint32Array } {
  const random = new TestRandom(seed);
  const u32 = () => Math.floor(random.next() * 2 ** 32);
  const counters = new Uint32Array(4 * pairs);
  const keys = new Uint32Array(2 * pairs);
  for (let i = 0; i < pairs; i++) {
    counters.set(i % 2 ? [u32(), u32(), u32(), u32()] : [i, 3, 7, Stream.espDirection], 4 * i);
    keys.set(i % 2 ? [u32(), u32()] : [0x1234, 0xffffffff], 2 * i);
  }
  return { counters, keys };
}

describe('rng.wasm Philox4x32-10 and its floats', () => {
  it('reproduces the three known-answer vectors of §3.1', () => {
    const words = rng.philoxWords(
      PHILOX_KATS.flatMap((k) => [...k.counter]),
      PHILOX_KATS.flatMap((k) => [...k.key]),
    );
    PHILOX_KATS.forEach((kat, row) => expect(hex(words.subarray(4 * row, 4 * row + 4)), `row ${row + 1}`).toBe(hex(kat.output)));
  });

  it('gives the §3.3 uniforms and §3.4 Box–Muller pair of KAT row 1 (seed 0, id 0, stream 0)', () => {
    expect(Array.from(rng.uniforms(0, 0, 0, 4))).toEqual(KAT1_CLOSED_OPEN);
    const [z0, z1] = rng.normals(0, 0, 0, 2);
    expect(z0).toBeCloseTo(-0.9911374751458972, 15);
    expect(z1).toBeCloseTo(0.9246627803544331, 15);
  });

  it('10,000 words equal src/rng/philox.ts bit for bit', () => {
    const { counters, keys } = testPairs(2500, 7);
    const words = rng.philoxWords(counters, keys);
    const expected = new Uint32Array(words.length);
    for (let i = 0; i < 2500; i++) {
      const counter = Array.from(counters.subarray(4 * i, 4 * i + 4)) as [number, number, number, number];
      expected.set(philox4x32(counter, [keys[2 * i]!, keys[2 * i + 1]!]), 4 * i);
    }
    const mismatch = words.findIndex((w, i) => w !== expected[i]);
    expect(mismatch, mismatch >= 0 ? `word ${mismatch}: ${words[mismatch]} vs ${expected[mismatch]}` : '').toBe(-1);
  });

  it('draws the uniforms and normals of src/rng/philox.ts', () => {
    const seed = 2 ** 40 + 99;
    expect(Array.from(rng.uniforms(seed, 5, Stream.augmix, 1001, 9))).toEqual(Array.from(uniforms(seed, 5, Stream.augmix, 1001, 9)));
    // Same words and same float operations; only the libm's log/cos/sin differ (musl in WASM, V8's
    // in JS), by an ulp or two.
    const wasm = rng.normals(seed, 5, Stream.espDirection, 1001);
    const js = normals(seed, 5, Stream.espDirection, 1001);
    expect(wasm.length).toBe(1001);
    const worst = Math.max(...wasm.map((z, i) => Math.abs(z - js[i]!) / Math.max(1, Math.abs(js[i]!))));
    expect(worst).toBeLessThanOrEqual(1e-15);
  });

  it('rejects bad counters, keys and draw arguments, naming them', () => {
    expect(() => rng.philoxWords([1, 2, 3], [0, 0])).toThrow(/philoxWords: counters must hold 4 u32 words per pair, got 3 words/);
    expect(() => rng.philoxWords([1, 2, 3, 4], [0, 0, 0, 0])).toThrow(/keys must hold 2 words for each of the 1 counters, got 4/);
    expect(() => rng.philoxWords([1, 2, -3, 4], [0, 0])).toThrow(/counters\[2\] must be an integer in \[0, 2\^32\), got -3/);
    expect(() => rng.normals(-1, 0, 0, 4)).toThrow(/normals: seed must be a non-negative safe integer, got -1/);
    expect(() => rng.normals(1, 0, 0, 2.5)).toThrow(/normals: count must be an integer in \[0, 2\^32\), got 2.5/);
    expect(() => rng.uniforms(1, 2 ** 32, 0, 4)).toThrow(/uniforms: id must be an integer/);
  });
});

describe('rng.wasm Φ and Φ⁻¹', () => {
  // Quantiles of the doubles nearest these p, and Φ values, from mpmath at 40 digits.
  const QUANTILES: [number, number][] = [
    [0.5, 0],
    [0.975, 1.9599639845400538556],
    [0.9, 1.2815515655446005935],
    [0.999999, 4.7534243088170877657],
    [0.001, -3.0902323061678135354],
    [1e-10, -6.3613409024040561991],
    [1e-300, -37.047096299361199237],
  ];
  const CDF: [number, number][] = [
    [-2, 0.0227501319481792072],
    [1, 0.84134474606854294859],
    [-5, 2.8665157187919391167e-7],
    [-10, 7.619853024160526066e-24],
  ];

  it('Φ⁻¹ is accurate to double precision (Acklam plus one Halley step)', () => {
    // Plain Acklam is only good to 1.15e-9 relative: this bound fails without the Halley step.
    for (const [p, x] of QUANTILES) expect(Math.abs(rng.phiInverse(p) - x), `Φ⁻¹(${p})`).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(x)));
    expect(rng.phiInverse(0)).toBe(-Infinity);
    expect(rng.phiInverse(1)).toBe(Infinity);
    expect(rng.phiInverse(1.5)).toBeNaN();
  });

  it('Φ is accurate to a few ulps, tails included', () => {
    for (const [x, p] of CDF) expect(Math.abs(rng.phi(x) - p) / p, `Φ(${x})`).toBeLessThanOrEqual(1e-14);
    expect(rng.phi(0)).toBe(0.5);
  });
});

// ---------------------------------------------------------------------------------------------
// Truncated normal sizes

const N = 20_000;
// At α = 0.01: 1.6276/√n = 0.01151.
const KS_CRITICAL = ksCritical(N);

// ESP's own setting (σ = τ/2, bounds ε ± τ, so α = −2, β = 2), and one wholly above the mean.
const ESP: TruncatedNormalSizeOptions = { seed: 2024, step: 3, batch: N, mu: 1.5, sigma: 0.75, lo: 0, hi: 3 };
const ABOVE_MEAN: TruncatedNormalSizeOptions = { seed: 77, step: 0, batch: N, mu: 1, sigma: 0.5, lo: 1.25, hi: 3 };

describe('rng.wasm truncatedNormalSizes', () => {
  for (const [name, options] of [['α = −2, β = 2', ESP], ['α = 0.5, β = 4', ABOVE_MEAN]] as const) {
    it(`matches the truncated normal's range, moments and CDF (${name}, n = ${N})`, () => {
      const sizes = rng.truncatedNormalSizes(options);
      const { mu, sigma, lo, hi } = options;
      expect(sizes.every((k) => k >= lo && k <= hi)).toBe(true);
      const exact = truncatedNormal(mu, sigma, lo, hi);
      const sample = sampleMoments(sizes);
      expect(Math.abs(sample.mean - exact.mean), 'mean').toBeLessThanOrEqual(4 * sample.meanError);
      expect(Math.abs(sample.variance - exact.variance), 'variance').toBeLessThanOrEqual(4 * sample.varianceError);
      expect(ksStatistic(sizes, exact.cdf)).toBeLessThan(KS_CRITICAL);
    });
  }

  it('the KS test has power: the same sizes fail against the untruncated normal and against σ doubled', () => {
    const sizes = rng.truncatedNormalSizes(ESP);
    const untruncated = (k: number) => normalCdf((k - ESP.mu) / ESP.sigma);
    const sigmaDoubled = truncatedNormal(ESP.mu, 2 * ESP.sigma, ESP.lo, ESP.hi).cdf;
    expect(ksStatistic(sizes, untruncated)).toBeGreaterThan(KS_CRITICAL);
    expect(ksStatistic(sizes, sigmaDoubled)).toBeGreaterThan(KS_CRITICAL);
  });

  it('each size is the inverse truncated CDF of word 0 of Philox at (0, sample, step, Stream.espSize)', () => {
    const options = { ...ESP, seed: 2 ** 40 + 12345, step: 7, firstSample: 1000, batch: 64 };
    const sizes = rng.truncatedNormalSizes(options);
    const { cdf } = truncatedNormal(options.mu, options.sigma, options.lo, options.hi);
    sizes.forEach((k, i) => {
      const u = uniform01(philox4x32([0, options.firstSample + i, options.step, Stream.espSize], seedKey(options.seed))[0]!);
      expect(Math.abs(cdf(k) - u), `sample ${i}`).toBeLessThanOrEqual(1e-13);
    });
  });

  it('depends only on (seed, step, sample index), never on the batch', () => {
    const hundred = rng.truncatedNormalSizes({ ...ESP, batch: 100, firstSample: 0 });
    expect(Array.from(rng.truncatedNormalSizes({ ...ESP, batch: 10 }))).toEqual(Array.from(hundred.subarray(0, 10)));
    expect(Array.from(rng.truncatedNormalSizes({ ...ESP, batch: 20, firstSample: 37 }))).toEqual(Array.from(hundred.subarray(37, 57)));
    expect(rng.truncatedNormalSizes({ ...ESP, batch: 0 })).toHaveLength(0);
    const otherStep = rng.truncatedNormalSizes({ ...ESP, batch: 100, step: ESP.step + 1 });
    const otherSeed = rng.truncatedNormalSizes({ ...ESP, batch: 100, seed: ESP.seed + 2 ** 32 });
    expect(otherStep.some((k, i) => k !== hundred[i])).toBe(true);
    expect(otherSeed.some((k, i) => k !== hundred[i])).toBe(true);
  });

  it('stays exact far in the upper tail, where Φ(α) and Φ(β) lie within a few ulps of 1', () => {
    // N(0, 1) on [8, 9]: mean 8.12118899297979712, variance 0.0141485427827481110 (mpmath).
    const sizes = rng.truncatedNormalSizes({ seed: 5, step: 0, batch: 4000, mu: 0, sigma: 1, lo: 8, hi: 9 });
    expect(sizes.every((k) => k >= 8 && k <= 9)).toBe(true);
    const sample = sampleMoments(sizes);
    expect(Math.abs(sample.mean - 8.121188992979797)).toBeLessThanOrEqual(4 * sample.meanError);
    expect(Math.abs(sample.variance - 0.014148542782748111)).toBeLessThanOrEqual(4 * sample.varianceError);
  });

  it('rejects bad arguments, naming them', () => {
    const bad = (change: Partial<TruncatedNormalSizeOptions>) => () => rng.truncatedNormalSizes({ ...ESP, batch: 4, ...change });
    expect(bad({ sigma: 0 })).toThrow(/truncatedNormalSizes: sigma must be a finite number > 0, got 0/);
    expect(bad({ sigma: -1 })).toThrow(/sigma must be a finite number > 0, got -1/);
    expect(bad({ lo: 3, hi: 3 })).toThrow(/lo must be below hi, got lo = 3, hi = 3/);
    expect(bad({ hi: Infinity })).toThrow(/hi must be a finite number, got Infinity/);
    expect(bad({ mu: NaN })).toThrow(/mu must be a finite number, got NaN/);
    expect(bad({ seed: 1.5 })).toThrow(/truncatedNormalSizes: seed must be a non-negative safe integer, got 1.5/);
    expect(bad({ seed: 2 ** 53 })).toThrow(/seed must be a non-negative safe integer/);
    expect(bad({ step: -1 })).toThrow(/step must be an integer in \[0, 2\^32\), got -1/);
    expect(bad({ batch: 2.5 })).toThrow(/batch must be an integer in \[0, 2\^32\), got 2.5/);
    expect(bad({ firstSample: 2 ** 32 - 2 })).toThrow(/sample indices must stay below 2\^32/);
    expect(bad({ mu: 0, sigma: 1, lo: 50, hi: 60 })).toThrow(/\[lo, hi\] = \[50, 60\] holds no probability of N\(mu = 0, sigma = 1\)/);
  });
});

describe('rng.wasm perturbation probability and fixed sizes', () => {
  // Word 1 of the size block decides; the expected set is recomputed from Philox here.
  const perturbedByWord1 = (seed: number, step: number, batch: number, probability: number) =>
    Array.from({ length: batch }, (_, i) => uniform01(philox4x32([0, i, step, Stream.espSize], seedKey(seed))[1]!) < probability);

  it('probability p zeroes the sizes of exactly the samples whose word 1 is not below p, leaving the rest as drawn', () => {
    const all = rng.truncatedNormalSizes({ ...ESP, batch: 2000 });
    const some = rng.truncatedNormalSizes({ ...ESP, batch: 2000, probability: 0.3 });
    const expected = perturbedByWord1(ESP.seed, ESP.step, 2000, 0.3);
    some.forEach((k, i) => expect(k, `sample ${i}`).toBe(expected[i] ? all[i] : 0));
    // Binomial(2000, 0.3): mean 600, sd 20.5.
    const count = expected.filter(Boolean).length;
    expect(Math.abs(count - 600)).toBeLessThan(4 * 20.5);
    expect(rng.truncatedNormalSizes({ ...ESP, batch: 50, probability: 0 }).every((k) => k === 0)).toBe(true);
  });

  it('fixedSizes gives the radius to the same samples and 0 to the others', () => {
    const sizes = rng.fixedSizes({ seed: 9, step: 4, batch: 500, size: 1.25, probability: 0.5 });
    const expected = perturbedByWord1(9, 4, 500, 0.5);
    sizes.forEach((k, i) => expect(k, `sample ${i}`).toBe(expected[i] ? 1.25 : 0));
    expect(Array.from(rng.fixedSizes({ seed: 9, step: 4, batch: 3, size: 2 }))).toEqual([2, 2, 2]);
  });

  it('rejects a probability outside [0, 1] and a negative size', () => {
    expect(() => rng.truncatedNormalSizes({ ...ESP, batch: 2, probability: 1.5 })).toThrow(/truncatedNormalSizes: probability must be in \[0, 1\], got 1.5/);
    expect(() => rng.fixedSizes({ seed: 1, step: 0, batch: 2, size: -1 })).toThrow(/fixedSizes: size must be a finite number ≥ 0, got -1/);
  });
});

describe('rng.wasm against the GPU', () => {
  const gpu = useGpu();

  it('Philox words equal philox.wgsl bit for bit', async () => {
    const pairs = 1024;
    const { counters, keys } = testPairs(pairs, 11);
    const c = gpu().upload(counters, [pairs, 4], 'u32');
    const k = gpu().upload(keys, [pairs, 2], 'u32');
    const out = await philoxDump(gpu(), c, k);
    const gpuWords = await gpu().readU32(out);
    gpu().release(c, k, out);
    const words = rng.philoxWords(counters, keys);
    const mismatch = words.findIndex((w, i) => w !== gpuWords[i]);
    expect(mismatch, mismatch >= 0 ? `word ${mismatch}: ${words[mismatch]} vs GPU ${gpuWords[mismatch]}` : '').toBe(-1);
  });
});
