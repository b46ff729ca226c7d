// Deterministic draws for one corrupted image. The Philox counter is (block, imageIndex,
// corruptionIndex, Stream.corruption) (ALGORITHMS.md §3.2), so image i's corruption depends only
// on (seed, corruption, i): never on which images came before it or how they were batched.
// Inside one image the words are consumed in order, like NumPy's generator in the reference code.
import { philox4x32Into, seedKey, Stream, uniform01, uniformOpen01 } from '../../rng/philox.ts';
import { poissonPtrs } from './poissonPtrs.ts';

/** Poisson means above this are refused: inversion from one uniform is only cheap for small means. */
export const POISSON_MAX_MEAN = 30;
/** Inversion stops here; for mean ≤ 30 the tail beyond it is below 1e-22. */
const POISSON_MAX_COUNT = 120;

export class CorruptionRandom {
  private readonly key: [number, number];
  private block = 0;
  // Refilled in place: fog's plasma fractal draws 65,536 values an image.
  private readonly words = new Uint32Array(4);
  private used = 4;
  private spareNormal: number | undefined;

  constructor(seed: number, readonly imageIndex: number, readonly corruptionIndex: number) {
    for (const [name, value] of [['imageIndex', imageIndex], ['corruptionIndex', corruptionIndex]] as const)
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) throw new Error(`${name} must be an integer in [0, 2^32), got ${value}`);
    this.key = seedKey(seed);
  }

  /** The next raw u32 of this image's stream. */
  word(): number {
    if (this.used === 4) {
      philox4x32Into(this.words, this.block++, this.imageIndex, this.corruptionIndex, Stream.corruption, this.key[0], this.key[1]);
      this.used = 0;
    }
    return this.words[this.used++]!;
  }

  /** [0, 1), 24 bits (§3.3). */
  uniform(): number {
    return uniform01(this.word());
  }

  /** U(low, high) the NumPy way: low + (high − low)·u. */
  uniformBetween(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /** [0, 1) with 53 bits, for inversions that need more resolution than 2^-24. */
  uniform53(): number {
    const high = this.word() >>> 5;
    const low = this.word() >>> 6;
    return (high * 2 ** 26 + low) * 2 ** -53;
  }

  /** N(mean, sd²) by Box–Muller (§3.4); the second value of each pair is kept for the next call. */
  normal(mean = 0, sd = 1): number {
    if (this.spareNormal !== undefined) {
      const z = this.spareNormal;
      this.spareNormal = undefined;
      return mean + sd * z;
    }
    const r = Math.sqrt(-2 * Math.log(uniformOpen01(this.word())));
    const theta = 2 * Math.PI * this.uniform() - Math.PI;
    this.spareNormal = r * Math.sin(theta);
    return mean + sd * r * Math.cos(theta);
  }

  /** Uniform integer in [low, high), high excluded (NumPy randint); exact, by rejection. */
  integer(low: number, high: number): number {
    const n = high - low;
    if (!Number.isInteger(low) || !Number.isInteger(n) || n < 1 || n > 0x100000000)
      throw new Error(`integer(low, high) needs integers with 1 ≤ high − low ≤ 2^32, got low=${low} high=${high}`);
    const limit = 0x100000000 - (0x100000000 % n);
    let w = this.word();
    while (w >= limit) w = this.word();
    return low + (w % n);
  }

  /** −1 or +1 with probability ½ each (np.random.choice([-1, 1])). */
  sign(): number {
    return this.integer(0, 2) === 0 ? -1 : 1;
  }

  /** true with probability p. */
  bernoulli(p: number): boolean {
    return this.uniform() < p;
  }

  /**
   * Poisson(mean) by inversion of one 53-bit uniform: the count k with CDF(k−1) ≤ u < CDF(k).
   * Exact up to the float64 rounding of the running CDF (about 1e-16); at most 120 steps.
   */
  poisson(mean: number): number {
    if (!(mean >= 0 && mean <= POISSON_MAX_MEAN)) throw new Error(`poisson mean must be in [0, ${POISSON_MAX_MEAN}], got ${mean}`);
    const u = this.uniform53();
    let k = 0;
    let p = Math.exp(-mean);
    let cdf = p;
    while (u >= cdf && k < POISSON_MAX_COUNT) {
      k++;
      p *= mean / k;
      cdf += p;
    }
    return k;
  }

  /**
   * Poisson(mean) for any finite mean ≥ 0 (CIFAR shot noise needs up to 500): `poisson`, with the
   * same draws, up to 30; above it Hörmann's PTRS rejection (poissonPtrs.ts) on 53-bit uniforms.
   */
  poissonAnyMean(mean: number): number {
    if (mean <= POISSON_MAX_MEAN) return this.poisson(mean);
    return poissonPtrs(mean, () => this.uniform53());
  }
}
