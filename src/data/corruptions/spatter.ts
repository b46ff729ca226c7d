// Mud spatter (ALGORITHMS.md §8; MNIST-C spatter at severity 4): a blurred Gaussian "liquid" layer,
// thresholded into blobs, blurred again and kept where it is dense; mud replaces the image there.
import type { ImageShape } from './corruption.ts';
import { gaussianBlur } from './gaussianBlur.ts';
import { mapPlanes } from './planes.ts';
import type { CorruptionRandom } from './random.ts';

export interface MudSpatterParameters {
  mean: number;
  sd: number;
  liquidSigma: number;
  threshold: number;
  maskSigma: number;
}

const MUD = 63 / 255;
/** The reference's fixed cut on the blurred mask. */
const MASK_CUT = 0.8;

/**
 * Each channel gets its own liquid layer, as the reference draws one the shape of the image.
 * The reference blends in float32 (its image and mask are float32 arrays); Math.fround keeps that,
 * so the 0.8 cut and the final rounding see the same values.
 */
export function mudSpatter(x: Float64Array, shape: ImageShape, p: MudSpatterParameters, random: CorruptionRandom): Float64Array {
  const { height, width } = shape;
  const f = Math.fround;
  return mapPlanes(x, shape, (plane) => {
    const liquid = gaussianBlur(plane.map(() => random.normal(p.mean, p.sd)), height, width, p.liquidSigma);
    const blobs = liquid.map((v) => (v > p.threshold ? 1 : 0));
    const mask = gaussianBlur(blobs, height, width, p.maskSigma, { float32: true }).map((m) => (m < MASK_CUT ? 0 : m));
    return plane.map((v, k) => f(f(f(v) * f(1 - mask[k]!)) + f(f(MUD) * mask[k]!)));
  });
}
