// Snow (ALGORITHMS.md §9.2): a thresholded, zoomed Gaussian "flake" layer, streaked by motion blur
// and added twice (as drawn and turned by 180°) to an image lifted towards white.
import type { ImageShape } from './corruption.ts';
import { motionBlur } from './motionBlur.ts';
import type { CorruptionRandom } from './random.ts';
import { clippedZoom } from './zoomBlur.ts';

export interface SnowParameters {
  mean: number;
  sd: number;
  zoom: number;
  threshold: number;
  blurRadius: number;
  blurSigma: number;
  /** Weight of the image itself against its lifted version max(x, 1.5·grey + 0.5). */
  blend: number;
}

/**
 * One H×W layer for all channels. The reference round-trips it through 8-bit PNGs around
 * ImageMagick's motion blur: truncated to bytes before the blur, rounded to bytes after it.
 */
export function snowLayer(height: number, width: number, p: SnowParameters, random: CorruptionRandom): Float64Array {
  const field = Float64Array.from({ length: height * width }, () => random.normal(p.mean, p.sd));
  const flakes = clippedZoom(field, height, width, p.zoom).map((v) => (v < p.threshold ? 0 : Math.trunc(Math.min(v, 1) * 255)));
  const angle = random.uniformBetween(-135, -45);
  return motionBlur(flakes, height, width, p.blurRadius, p.blurSigma, angle).map((v) => Math.round(v) / 255);
}

/** cv2 RGB2GRAY weights; a one-channel image is its own grey. */
function grey(x: Float64Array, shape: ImageShape): Float64Array {
  const size = shape.height * shape.width;
  if (shape.channels === 1) return x;
  if (shape.channels !== 3) throw new Error(`snow needs 1 or 3 channels, got ${shape.channels}`);
  return Float64Array.from({ length: size }, (_, k) => 0.299 * x[k]! + 0.587 * x[size + k]! + 0.114 * x[2 * size + k]!);
}

export function snow(x: Float64Array, shape: ImageShape, p: SnowParameters, random: CorruptionRandom): Float64Array {
  const size = shape.height * shape.width;
  const layer = snowLayer(shape.height, shape.width, p, random);
  const luma = grey(x, shape);
  return x.map((v, k) => {
    const pixel = k % size;
    const lifted = p.blend * v + (1 - p.blend) * Math.max(v, luma[pixel]! * 1.5 + 0.5);
    return lifted + layer[pixel]! + layer[size - 1 - pixel]!;
  });
}
