// Per-element noise on [0, 1] images; the caller clips. Elements are visited in planar order.
import type { CorruptionRandom } from './random.ts';

/** Poisson photon noise: Poisson(c·x)/c, so the mean is kept and the variance is x/c. */
export function shotNoise(x: Float64Array, c: number, random: CorruptionRandom): Float64Array {
  return x.map((v) => random.poisson(c * v) / c);
}

/** Salt and pepper (skimage random_noise 's&p'): with probability `amount` an element becomes 1 or 0, ½ each. */
export function impulseNoise(x: Float64Array, amount: number, random: CorruptionRandom): Float64Array {
  return x.map((v) => (random.bernoulli(amount) ? (random.bernoulli(0.5) ? 1 : 0) : v));
}
