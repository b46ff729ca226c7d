// Brightness as the CIFAR-10-C and Tiny-ImageNet-C generators do it (ALGORITHMS.md §9.2): skimage's
// rgb2hsv, V = clip(V + ΔV, 0, 1), hsv2rgb, with skimage's float operations in its order. In exact
// arithmetic this is every channel scaled by V'/V (brightness.ts, used for MNIST-C); the round trip
// differs from that by an ulp here and there, which truncation to bytes turns into one level on
// about 1% of the pixels.
import type { ImageShape } from './corruption.ts';

type Triple = [number, number, number];

/** Python's float % 1: the result takes the sign of the divisor. */
function modOne(a: number): number {
  const m = a % 1;
  return m < 0 ? m + 1 : m === 0 ? 0 : m;
}

/** skimage.color.rgb2hsv for one pixel; where channels tie for the maximum, the later one decides the hue. */
export function rgbToHsv(r: number, g: number, b: number): Triple {
  const v = Math.max(r, g, b);
  const delta = v - Math.min(r, g, b);
  if (delta === 0) return [0, 0, v];
  let h = 0;
  if (r === v) h = (g - b) / delta;
  if (g === v) h = 2 + (b - r) / delta;
  if (b === v) h = 4 + (r - g) / delta;
  return [modOne(h / 6), delta / v, v];
}

/** skimage.color.hsv2rgb for one pixel. */
export function hsvToRgb(h: number, s: number, v: number): Triple {
  const sector = Math.floor(h * 6);
  const f = h * 6 - sector;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const choices: Triple[] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]];
  return choices[((sector % 6) + 6) % 6]!;
}

/** For one channel the round trip (grey in, s = 0) is min(x + ΔV, 1). */
export function hsvBrightness(x: Float64Array, shape: ImageShape, delta: number): Float64Array {
  if (shape.channels === 1) return x.map((v) => Math.min(Math.max(v + delta, 0), 1));
  if (shape.channels !== 3) throw new Error(`brightness needs 1 or 3 channels, got ${shape.channels}`);
  const size = shape.height * shape.width;
  const out = new Float64Array(x.length);
  for (let k = 0; k < size; k++) {
    const [h, s, v] = rgbToHsv(x[k]!, x[size + k]!, x[2 * size + k]!);
    const rgb = hsvToRgb(h, s, Math.min(Math.max(v + delta, 0), 1));
    for (let c = 0; c < 3; c++) out[c * size + k] = rgb[c]!;
  }
  return out;
}
