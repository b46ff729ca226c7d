// Pixelate (ALGORITHMS.md §9.2): PIL's resize with the BOX filter down to int(n·factor) pixels and back.
//
// PIL's BOX is not an area-weighted average: its filter is 1 on (−½, ½] and 0 elsewhere, sampled at
// input pixel centres, so shrinking averages the input pixels whose centres fall in each output
// pixel's span (equal weights), and enlarging picks the nearest pixel. Weights are 22-bit fixed point
// and each pass (horizontal first, then vertical) rounds to bytes, as ImagingResample does.
import type { ImageShape } from './corruption.ts';

const PRECISION_BITS = 32 - 8 - 2;
const ONE = 2 ** PRECISION_BITS;

interface Span {
  first: number;
  /** Fixed-point weights of input pixels first, first + 1, … */
  weights: number[];
}

/** PIL's precompute_coeffs for the BOX filter (support ½), then normalize_coeffs_8bpc. */
export function boxSpans(inSize: number, outSize: number): Span[] {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 0.5 * filterScale;
  return Array.from({ length: outSize }, (_, o) => {
    const centre = (o + 0.5) * scale;
    const first = Math.max(Math.trunc(centre - support + 0.5), 0);
    const end = Math.min(Math.trunc(centre + support + 0.5), inSize);
    const raw = Array.from({ length: end - first }, (_, i): number => {
      const t = (first + i - centre + 0.5) / filterScale;
      return t > -0.5 && t <= 0.5 ? 1 : 0;
    });
    const total = raw.reduce((a, b) => a + b, 0);
    return { first, weights: raw.map((w) => Math.trunc(0.5 + (total !== 0 ? w / total : w) * ONE)) };
  });
}

/** One pass along rows (axis 1) or columns (axis 0), rounding to bytes like clip8. */
function resamplePass(plane: Uint8Array, height: number, width: number, spans: Span[], axis: 0 | 1): Uint8Array {
  const [outHeight, outWidth] = axis === 1 ? [height, spans.length] : [spans.length, width];
  const out = new Uint8Array(outHeight * outWidth);
  for (let r = 0; r < outHeight; r++)
    for (let c = 0; c < outWidth; c++) {
      const { first, weights } = spans[axis === 1 ? c : r]!;
      let sum = ONE / 2;
      for (let i = 0; i < weights.length; i++) sum += weights[i]! * (axis === 1 ? plane[r * width + first + i]! : plane[(first + i) * width + c]!);
      out[r * outWidth + c] = Math.min(Math.max(Math.floor(sum / ONE), 0), 255);
    }
  return out;
}

export function resizeBox(plane: Uint8Array, height: number, width: number, outHeight: number, outWidth: number): Uint8Array {
  const horizontal = outWidth === width ? plane : resamplePass(plane, height, width, boxSpans(width, outWidth), 1);
  return outHeight === height ? horizontal : resamplePass(horizontal, height, outWidth, boxSpans(height, outHeight), 0);
}

/** The reference's int(32·factor) (int(64·factor) for Tiny-ImageNet), taken per axis of the image. */
export function pixelateSize(n: number, factor: number): number {
  return Math.max(Math.trunc(n * factor), 1);
}

export function pixelate(image: Uint8Array, shape: ImageShape, factor: number): Uint8Array {
  const { channels, height, width } = shape;
  const [smallHeight, smallWidth] = [pixelateSize(height, factor), pixelateSize(width, factor)];
  const size = height * width;
  const out = new Uint8Array(image.length);
  for (let c = 0; c < channels; c++) {
    const small = resizeBox(image.subarray(c * size, (c + 1) * size), height, width, smallHeight, smallWidth);
    out.set(resizeBox(small, smallHeight, smallWidth, height, width), c * size);
  }
  return out;
}
