// Defocus blur (ALGORITHMS.md §9.2, the reference's disk()): a disk X² + Y² ≤ r² on the 17×17 grid
// −8…8, normalised to sum 1, anti-aliased by OpenCV's 3×3 Gaussian of the given σ, then correlated
// with each channel as cv2.filter2D does (anchor at the centre, border reflect-101).
//
// The kernel is built in float32, as the reference builds it (dtype=np.float32), because its sum
// decides bytes after truncation: for Tiny-ImageNet-C's severity 5 (r = 3, σ = 0.1) it is
// 1 − 3.7e-9, and a constant image comes out one level darker, in the reference and here.
import { reflect101 } from './reflect101.ts';

/** The reference's grid for every radius ≤ 8 (all of the tables' radii). */
const GRID_RADIUS = 8;

export interface SquareKernel {
  /** Odd side length; weights are row-major. */
  size: number;
  weights: Float64Array;
}

/** cv2.getGaussianKernel(3, σ, CV_32F): exp(−x²/2σ²) at x = −1, 0, 1, normalised in float64, stored in float32. */
function gaussian3(sigma: number): [number, number, number] {
  const side = Math.exp(-0.5 / (sigma * sigma));
  const total = side + 1 + side;
  const f = Math.fround;
  return [f(side / total), f(1 / total), f(side / total)];
}

function disk(radius: number): Float64Array {
  const size = 2 * GRID_RADIUS + 1;
  const inside = Float64Array.from({ length: size * size }, (_, k) => {
    const [y, x] = [Math.floor(k / size) - GRID_RADIUS, (k % size) - GRID_RADIUS];
    return x * x + y * y <= radius * radius ? 1 : 0;
  });
  const count = inside.reduce((a, b) => a + b, 0);
  return inside.map((v) => Math.fround(v / count));
}

/** The 17×17 kernel cropped to its non-zero square, which keeps the blur cheap (9×9 at most for r ≤ 3). */
export function defocusKernel(radius: number, aliasSigma: number): SquareKernel {
  if (!(radius >= 0 && radius <= GRID_RADIUS)) throw new Error(`defocus radius must be in [0, ${GRID_RADIUS}], got ${radius}`);
  if (!(aliasSigma > 0)) throw new Error(`defocus alias sigma must be positive, got ${aliasSigma}`);
  const size = 2 * GRID_RADIUS + 1;
  const g = gaussian3(aliasSigma);
  const smoothRows = separablePass(disk(radius), size, g, 1);
  const smooth = separablePass(smoothRows, size, g, 0);
  return cropToSupport(smooth, size);
}

/** One 3-tap pass of cv2.GaussianBlur over the size×size float32 kernel image (reflect-101 at its edges). */
function separablePass(image: Float64Array, size: number, g: readonly number[], axis: 0 | 1): Float64Array {
  const out = new Float64Array(image.length);
  for (let r = 0; r < size; r++)
    for (let c = 0; c < size; c++) {
      let sum = 0;
      for (let t = -1; t <= 1; t++) {
        const [rr, cc] = axis === 0 ? [reflect101(r + t, size), c] : [r, reflect101(c + t, size)];
        sum = Math.fround(sum + Math.fround(g[t + 1]! * image[rr * size + cc]!));
      }
      out[r * size + c] = sum;
    }
  return out;
}

function cropToSupport(weights: Float64Array, size: number): SquareKernel {
  const centre = (size - 1) / 2;
  let reach = 0;
  weights.forEach((w, k) => {
    if (w !== 0) reach = Math.max(reach, Math.abs(Math.floor(k / size) - centre), Math.abs((k % size) - centre));
  });
  const side = 2 * reach + 1;
  const cropped = Float64Array.from({ length: side * side }, (_, k) => weights[(Math.floor(k / side) + centre - reach) * size + (k % side) + centre - reach]!);
  return { size: side, weights: cropped };
}

/** cv2.filter2D(plane, −1, kernel): out(y, x) = Σ K(i, j)·in(y + i − a, x + j − a), reflect-101 outside. */
export function filter2dReflect101(plane: Float64Array, height: number, width: number, kernel: SquareKernel): Float64Array {
  const a = (kernel.size - 1) / 2;
  const rows = Array.from({ length: height + 2 * a }, (_, r) => reflect101(r - a, height));
  const cols = Array.from({ length: width + 2 * a }, (_, c) => reflect101(c - a, width));
  const out = new Float64Array(height * width);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) {
      let sum = 0;
      for (let i = 0; i < kernel.size; i++) {
        const row = rows[y + i]! * width;
        const k = i * kernel.size;
        for (let j = 0; j < kernel.size; j++) sum += kernel.weights[k + j]! * plane[row + cols[x + j]!]!;
      }
      out[y * width + x] = sum;
    }
  return out;
}
