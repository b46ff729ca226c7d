// Gaussian blur as skimage.filters.gaussian computes it (SciPy gaussian_filter underneath):
// a separable sampled Gaussian of radius int(truncate·σ + 0.5), normalised to sum 1, with SciPy's
// order of operations (see correlate.ts for why it matters).
import { correlateAxis, type BorderMode } from './correlate.ts';
import { numpySum } from './numpySum.ts';

export function gaussianKernel(sigma: number, truncate = 4): Float64Array {
  if (!(sigma > 0)) throw new Error(`sigma must be positive, got ${sigma}`);
  const radius = Math.trunc(truncate * sigma + 0.5);
  const factor = -0.5 / (sigma * sigma);
  const weights = Float64Array.from({ length: 2 * radius + 1 }, (_, k) => Math.exp(factor * (k - radius) ** 2));
  const total = numpySum(weights);
  return weights.map((w) => w / total);
}

export interface GaussianBlurOptions {
  /** skimage's default is 'nearest'. */
  mode?: BorderMode;
  /**
   * 'both' blurs the plane; 'vertical' only down the columns. The latter is what skimage's
   * gaussian(x, multichannel=True) does to a 2-D greyscale array: it takes the last axis for channels.
   */
  axes?: 'both' | 'vertical';
  truncate?: number;
  /** Round after each axis, as SciPy does when it filters a float32 array (into a float32 output). */
  float32?: boolean;
}

export function gaussianBlur(plane: Float64Array, height: number, width: number, sigma: number, options: GaussianBlurOptions = {}): Float64Array {
  const { mode = 'nearest', axes = 'both', truncate = 4, float32 = false } = options;
  const weights = gaussianKernel(sigma, truncate);
  const pass = (input: Float64Array, axis: 0 | 1) => {
    const out = correlateAxis(input, height, width, weights, axis, mode);
    return float32 ? out.map(Math.fround) : out;
  };
  const vertical = pass(plane, 0);
  return axes === 'vertical' ? vertical : pass(vertical, 1);
}
