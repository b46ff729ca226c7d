// Test images for the CIFAR-C / Tiny-ImageNet-C corruptions (planar bytes, like ImageDataset).
import type { ImageShape } from '../../../src/data/corruptions/corruption.ts';

/**
 * (7r² + 13c + 71·channel + 3rc) mod 256: busy and exactly reproducible. The reference values in
 * the tests come from the reference code (NumPy, SciPy, OpenCV, Pillow) run on this same formula.
 */
export function pattern(shape: ImageShape): Uint8Array {
  const { channels, height, width } = shape;
  return Uint8Array.from({ length: channels * height * width }, (_, k) => {
    const [channel, r, c] = [Math.floor(k / (height * width)), Math.floor(k / width) % height, k % width];
    return (7 * r * r + 13 * c + 71 * channel + 3 * r * c) % 256;
  });
}

/** A colour scene: horizontal and vertical ramps, a disk, stripes and a little deterministic texture; `variant` moves them. */
export function scene(size: number, variant = 0): Uint8Array {
  const plane = size * size;
  const out = new Uint8Array(3 * plane);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) {
      const k = r * size + c;
      const [u, v] = [r / (size - 1), c / (size - 1)];
      const disk = (u - 0.45 - 0.05 * variant) ** 2 + (v - 0.55) ** 2 < 0.08 ? 1 : 0;
      const stripes = Math.floor((c + 3 * variant) / Math.max(2, size / 8)) % 2;
      const texture = (((Math.sin((k + 1000 * variant) * 12.9898) * 43758.5453) % 1) + 1) % 1;
      out[k] = Math.round(40 + 150 * v + 50 * disk * (1 - u) + 20 * texture);
      out[plane + k] = Math.round(60 + 120 * u * (1 - disk) + 30 * stripes + 20 * texture);
      out[2 * plane + k] = Math.round(200 - 150 * u * v + 40 * disk + 10 * texture - 30 * stripes);
    }
  return out;
}

export function constant(shape: ImageShape, value: number): Uint8Array {
  return new Uint8Array(shape.channels * shape.height * shape.width).fill(value);
}

export function meanAbsoluteDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let sum = 0;
  for (let k = 0; k < a.length; k++) sum += Math.abs(a[k]! - b[k]!);
  return sum / a.length;
}

export const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);

/** Row `row` of channel `channel`, its first `count` values. */
export function rowOf(image: ArrayLike<number>, shape: ImageShape, channel: number, row: number, count = 16): number[] {
  const start = (channel * shape.height + row) * shape.width;
  return Array.from({ length: count }, (_, i) => image[start + i]!);
}
