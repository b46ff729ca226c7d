// Canny edges as skimage.feature.canny(image) computes them (skimage 0.14–0.18, with no mask):
// Gaussian smoothing normalised at the border, Sobel gradients, non-maximum suppression by
// interpolating the magnitude between the two neighbours along the gradient, then hysteresis
// (8-connected groups of weak edges are kept when they hold a strong one). Returns 0/1 per pixel.
import { correlateAxis } from './correlate.ts';
import { gaussianBlur } from './gaussianBlur.ts';

export interface CannyOptions {
  sigma?: number;
  low?: number;
  high?: number;
}

interface Gradient {
  di: Float64Array; // d/drow (ndimage.sobel axis 0)
  dj: Float64Array; // d/dcol (ndimage.sobel axis 1)
  magnitude: Float64Array;
}

export function canny(plane: Float64Array, height: number, width: number, options: CannyOptions = {}): Float64Array {
  const { sigma = 1, low = 0.1, high = 0.2 } = options;
  const gradient = sobelGradient(smoothedWithBorderNormalisation(plane, height, width, sigma), height, width);
  const maxima = localMaxima(gradient, height, width);
  const strong = maxima.map((m, i) => (m && gradient.magnitude[i]! >= high ? 1 : 0));
  const weak = maxima.map((m, i) => (m && gradient.magnitude[i]! >= low ? 1 : 0));
  return Float64Array.from(hysteresis(strong, weak, height, width));
}

/** gaussian(x, mode='constant') divided by the same blur of an all-ones mask (smooth_with_function_and_mask). */
function smoothedWithBorderNormalisation(plane: Float64Array, height: number, width: number, sigma: number): Float64Array {
  const blurred = gaussianBlur(plane, height, width, sigma, { mode: 'constant' });
  const bleed = gaussianBlur(new Float64Array(plane.length).fill(1), height, width, sigma, { mode: 'constant' });
  return blurred.map((v, i) => v / (bleed[i]! + Number.EPSILON));
}

function sobelGradient(plane: Float64Array, height: number, width: number): Gradient {
  const derivative = Float64Array.of(-1, 0, 1);
  const smoothing = Float64Array.of(1, 2, 1);
  const di = correlateAxis(correlateAxis(plane, height, width, derivative, 0, 'reflect'), height, width, smoothing, 1, 'reflect');
  const dj = correlateAxis(correlateAxis(plane, height, width, derivative, 1, 'reflect'), height, width, smoothing, 0, 'reflect');
  return { di, dj, magnitude: di.map((v, i) => Math.hypot(v, dj[i]!)) };
}

/**
 * skimage sorts each gradient into four sectors and, for a pixel of sector s, compares its magnitude
 * with the magnitudes interpolated towards `along` (weight 1 − w) and `diagonal` (weight w) on both sides.
 * The sectors overlap on their boundaries, where both give the same answer (w is 0 or 1 there);
 * like skimage, the later one decides.
 */
const sameSign = (i: number, j: number) => (i >= 0 && j >= 0) || (i <= 0 && j <= 0);
const oppositeSign = (i: number, j: number) => (i <= 0 && j >= 0) || (i >= 0 && j <= 0);
const SECTORS: { applies: (i: number, j: number) => boolean; wByRow: boolean; along: [number, number]; diagonal: [number, number] }[] = [
  { applies: (i, j) => sameSign(i, j) && Math.abs(i) >= Math.abs(j), wByRow: false, along: [1, 0], diagonal: [1, 1] },
  { applies: (i, j) => sameSign(i, j) && Math.abs(i) <= Math.abs(j), wByRow: true, along: [0, 1], diagonal: [1, 1] },
  { applies: (i, j) => oppositeSign(i, j) && Math.abs(i) <= Math.abs(j), wByRow: true, along: [0, 1], diagonal: [-1, 1] },
  { applies: (i, j) => oppositeSign(i, j) && Math.abs(i) >= Math.abs(j), wByRow: false, along: [-1, 0], diagonal: [-1, 1] },
];

function lastSector(i: number, j: number): (typeof SECTORS)[number] | undefined {
  for (let s = SECTORS.length - 1; s >= 0; s--) if (SECTORS[s]!.applies(i, j)) return SECTORS[s];
  return undefined;
}

function localMaxima({ di, dj, magnitude }: Gradient, height: number, width: number): Uint8Array {
  const out = new Uint8Array(height * width);
  const m = (row: number, col: number) => magnitude[row * width + col]!;
  // The border ring is never an edge (skimage erodes the mask with border_value=0).
  for (let row = 1; row < height - 1; row++)
    for (let col = 1; col < width - 1; col++) {
      const k = row * width + col;
      if (!(magnitude[k]! > 0)) continue;
      const [i, j] = [di[k]!, dj[k]!];
      const sector = lastSector(i, j);
      if (!sector) continue;
      const w = sector.wByRow ? Math.abs(i) / Math.abs(j) : Math.abs(j) / Math.abs(i);
      const [ar, ac] = sector.along;
      const [dr, dc] = sector.diagonal;
      const plus = m(row + dr, col + dc) * w + m(row + ar, col + ac) * (1 - w) <= magnitude[k]!;
      const minus = m(row - dr, col - dc) * w + m(row - ar, col - ac) * (1 - w) <= magnitude[k]!;
      out[k] = plus && minus ? 1 : 0;
    }
  return out;
}

/** Keeps the 8-connected groups of weak pixels that contain a strong pixel (flood fill from the strong ones). */
function hysteresis(strong: Uint8Array, weak: Uint8Array, height: number, width: number): Uint8Array {
  const out = new Uint8Array(height * width);
  const stack: number[] = [];
  strong.forEach((s, k) => {
    if (s) {
      out[k] = 1;
      stack.push(k);
    }
  });
  while (stack.length > 0) {
    const k = stack.pop()!;
    const [row, col] = [Math.floor(k / width), k % width];
    for (let r = Math.max(row - 1, 0); r <= Math.min(row + 1, height - 1); r++)
      for (let c = Math.max(col - 1, 0); c <= Math.min(col + 1, width - 1); c++) {
        const n = r * width + c;
        if (weak[n] && !out[n]) {
          out[n] = 1;
          stack.push(n);
        }
      }
  }
  return out;
}
