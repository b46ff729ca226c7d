// Glass blur (ALGORITHMS.md §8, §9.2): blur, quantise to bytes by truncation, swap pixels with
// near neighbours while sweeping from the bottom-right corner, blur again.
import type { ImageShape } from './corruption.ts';
import { gaussianBlur, type GaussianBlurOptions } from './gaussianBlur.ts';
import { mapPlanes } from './planes.ts';
import { toU8Truncated, toUnit } from './quantize.ts';
import type { CorruptionRandom } from './random.ts';

export interface GlassBlurParameters {
  sigma: number;
  /** Offsets are drawn from randint(−maxDelta, maxDelta), i.e. −maxDelta … maxDelta − 1. */
  maxDelta: number;
  iterations: number;
  /** MNIST-C swaps each position with probability ½; the CIFAR generators always swap. */
  swapProbability: number;
  blurAxes: GaussianBlurOptions['axes'];
}

export function glassBlur(x: Float64Array, shape: ImageShape, p: GlassBlurParameters, random: CorruptionRandom): Float64Array {
  const blur = (plane: Float64Array) => gaussianBlur(plane, shape.height, shape.width, p.sigma, { axes: p.blurAxes });
  const bytes = toU8Truncated(mapPlanes(x, shape, blur));
  swapNearbyPixels(bytes, shape, p, random);
  return mapPlanes(toUnit(bytes), shape, blur);
}

/** Positions run from size − d down to d + 1 in both axes; a swap moves all channels of the pixel. */
function swapNearbyPixels(bytes: Uint8Array, shape: ImageShape, p: GlassBlurParameters, random: CorruptionRandom): void {
  const { channels, height, width } = shape;
  const d = p.maxDelta;
  for (let iteration = 0; iteration < p.iterations; iteration++)
    for (let h = height - d; h > d; h--)
      for (let w = width - d; w > d; w--) {
        if (!random.bernoulli(p.swapProbability)) continue;
        const dx = random.integer(-d, d);
        const dy = random.integer(-d, d);
        for (let c = 0; c < channels; c++) {
          const [a, b] = [(c * height + h) * width + w, (c * height + h + dy) * width + w + dx];
          [bytes[a], bytes[b]] = [bytes[b]!, bytes[a]!];
        }
      }
}
