// Glass blur as the CIFAR-10-C and Tiny-ImageNet-C generators run it (ALGORITHMS.md §9.2): Gaussian
// blur, truncate to bytes, sweep from the bottom-right corner moving pixels by a random offset, blur.
//
// The sweep does not swap. The reference writes `x[h, w], x[h', w'] = x[h', w'], x[h, w]` on an
// H×W×3 array, where x[h, w] is a NumPy view of the pixel: the first assignment overwrites the pixel
// that the second view reads, so (h, w) takes (h', w')'s value and (h', w') keeps its own. MNIST-C's
// 2-D arrays index scalars and really swap (glassBlur.ts); here every position copies from its
// randomly chosen neighbour, as the released CIFAR-10-C images were made.
import type { ImageShape } from './corruption.ts';
import { gaussianFilter } from './gaussianFilter.ts';
import { mapPlanes } from './planes.ts';
import { toU8Truncated, toUnit } from './quantize.ts';
import type { CorruptionRandom } from './random.ts';

export interface CifarGlassBlurParameters {
  sigma: number;
  /** Offsets dx, dy are drawn from randint(−maxDelta, maxDelta), i.e. −maxDelta … maxDelta − 1. */
  maxDelta: number;
  iterations: number;
}

/** skimage gaussian(multichannel=True): each channel blurred over both axes, border 'nearest'. */
export function cifarGlassBlur(x: Float64Array, shape: ImageShape, p: CifarGlassBlurParameters, random: CorruptionRandom): Float64Array {
  const blur = (plane: Float64Array) => gaussianFilter(plane, shape.height, shape.width, p.sigma);
  const bytes = toU8Truncated(mapPlanes(x, shape, blur));
  copyFromNearbyPixels(bytes, shape, p, random);
  return mapPlanes(toUnit(bytes), shape, blur);
}

/** Positions run from size − d down to d + 1 on both axes; dx is drawn before dy; all channels move together. */
export function copyFromNearbyPixels(bytes: Uint8Array, shape: ImageShape, p: Omit<CifarGlassBlurParameters, 'sigma'>, random: CorruptionRandom): void {
  const { channels, height, width } = shape;
  const d = p.maxDelta;
  const size = height * width;
  for (let iteration = 0; iteration < p.iterations; iteration++)
    for (let h = height - d; h > d; h--)
      for (let w = width - d; w > d; w--) {
        const dx = random.integer(-d, d);
        const dy = random.integer(-d, d);
        const [to, from] = [h * width + w, (h + dy) * width + w + dx];
        for (let c = 0; c < channels; c++) bytes[c * size + to] = bytes[c * size + from]!;
      }
}
