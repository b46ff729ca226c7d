// Elastic transform (ALGORITHMS.md §9.2, the reference's elastic_transform): a random affine warp
// (cv2.warpAffine, border reflect-101), then a smooth random displacement field of strength α and
// smoothness σ, resampled bilinearly with SciPy's 'reflect' border. All channels move alike.
import { borderIndex } from './correlate.ts';
import type { ImageShape } from './corruption.ts';
import { gaussianFilter } from './gaussianFilter.ts';
import { mapPlanes } from './planes.ts';
import { roundHalfEven } from './quantize.ts';
import type { CorruptionRandom } from './random.ts';
import { reflect101 } from './reflect101.ts';

/** All in pixels. */
export interface ElasticParameters {
  alpha: number;
  sigma: number;
  /** Each corner of the affine triangle moves by U(−affine, affine) per coordinate. */
  affine: number;
}

type Point = readonly [x: number, y: number];
/** [m00, m01, m02, m10, m11, m12]: x' = m00·x + m01·y + m02, y' = m10·x + m11·y + m12. */
export type AffineMatrix = readonly [number, number, number, number, number, number];

/** cv2.getAffineTransform: the affine map taking the three `from` points onto the `to` points. */
export function affineFromTriangles(from: readonly Point[], to: readonly Point[]): AffineMatrix {
  const [[x0, y0], [x1, y1], [x2, y2]] = from as [Point, Point, Point];
  const det = x0 * (y1 - y2) + x1 * (y2 - y0) + x2 * (y0 - y1);
  if (det === 0) throw new Error('affineFromTriangles: the source points are collinear');
  // Cramer's rule for [x y 1]·(a, b, c) = target, once for x' and once for y'.
  const solve = (t0: number, t1: number, t2: number): [number, number, number] => [
    (t0 * (y1 - y2) + t1 * (y2 - y0) + t2 * (y0 - y1)) / det,
    (x0 * (t1 - t2) + x1 * (t2 - t0) + x2 * (t0 - t1)) / det,
    (x0 * (y1 * t2 - y2 * t1) + x1 * (y2 * t0 - y0 * t2) + x2 * (y0 * t1 - y1 * t0)) / det,
  ];
  const [tx, ty] = [to.map((p) => p[0]), to.map((p) => p[1])];
  return [...solve(tx[0]!, tx[1]!, tx[2]!), ...solve(ty[0]!, ty[1]!, ty[2]!)];
}

/** cv2.invertAffineTransform. */
export function invertAffine(m: AffineMatrix): AffineMatrix {
  const [a, b, c, d, e, f] = m;
  const det = a * e - b * d;
  const inv = det !== 0 ? 1 / det : 0;
  const [a11, a12, a21, a22] = [e * inv, -b * inv, -d * inv, a * inv];
  return [a11, a12, -a11 * c - a12 * f, a21, a22, -a21 * c - a22 * f];
}

/** OpenCV's warp coordinates are fixed point: 10 fractional bits, then 5 for the bilinear weights. */
const AB_SCALE = 1024;
const INTER_BITS = 5;
const INTER_TAB = 1 << INTER_BITS;

/**
 * cv2.warpAffine(plane, forward, INTER_LINEAR, BORDER_REFLECT_101): output (x, y) reads the input at
 * forward⁻¹(x, y), with the sub-pixel position rounded to 1/32 as OpenCV does.
 */
export function warpAffineReflect101(plane: Float64Array, height: number, width: number, forward: AffineMatrix): Float64Array {
  const [a, b, c, d, e, f] = invertAffine(forward);
  const shift = Math.log2(AB_SCALE) - INTER_BITS;
  const rowDelta = Array.from({ length: width }, (_, x) => [roundHalfEven(a * x * AB_SCALE), roundHalfEven(d * x * AB_SCALE)] as const);
  const roundDelta = AB_SCALE / INTER_TAB / 2;
  const at = (row: number, col: number) => plane[reflect101(row, height) * width + reflect101(col, width)]!;
  const out = new Float64Array(height * width);
  for (let y = 0; y < height; y++) {
    const x0 = roundHalfEven((b * y + c) * AB_SCALE) + roundDelta;
    const y0 = roundHalfEven((e * y + f) * AB_SCALE) + roundDelta;
    for (let x = 0; x < width; x++) {
      const [dx, dy] = rowDelta[x]!;
      const [fixedX, fixedY] = [(x0 + dx) >> shift, (y0 + dy) >> shift];
      const [col, row] = [fixedX >> INTER_BITS, fixedY >> INTER_BITS];
      const [fx, fy] = [(fixedX & (INTER_TAB - 1)) / INTER_TAB, (fixedY & (INTER_TAB - 1)) / INTER_TAB];
      const top = (1 - fx) * at(row, col) + fx * at(row, col + 1);
      const bottom = (1 - fx) * at(row + 1, col) + fx * at(row + 1, col + 1);
      out[y * width + x] = (1 - fy) * top + fy * bottom;
    }
  }
  return out;
}

/**
 * The reference's triangle: centre (h//2, w//2) taken as (x, y), half-side min(h, w)//3; corners
 * (c + s, c + s), (c + s, c − s), (c − s, c − s), each coordinate jittered in float32 as it does.
 */
function randomAffine(shape: ImageShape, jitter: number, random: CorruptionRandom): AffineMatrix {
  const [cx, cy] = [Math.floor(shape.height / 2), Math.floor(shape.width / 2)];
  const s = Math.floor(Math.min(shape.height, shape.width) / 3);
  const from: Point[] = [[cx + s, cy + s], [cx + s, cy - s], [cx - s, cy - s]];
  const moved = (v: number) => Math.fround(v + Math.fround(random.uniformBetween(-jitter, jitter)));
  const to = from.map(([x, y]): Point => [moved(x), moved(y)]);
  return affineFromTriangles(from, to);
}

/** α·gaussian(U(−1, 1)^{H×W}, σ, mode='reflect', truncate=3), in float32 as the reference keeps it; σ = 0 leaves the noise as is. */
function displacementField(height: number, width: number, alpha: number, sigma: number, random: CorruptionRandom): Float64Array {
  const noise = Float64Array.from({ length: height * width }, () => random.uniformBetween(-1, 1));
  const smooth = sigma > 0 ? gaussianFilter(noise, height, width, sigma, 'reflect', 3) : noise;
  return smooth.map((v) => Math.fround(v * alpha));
}

/** scipy.ndimage.map_coordinates(order=1, mode='reflect'): linear interpolation of the half-sample mirror extension. */
export function bilinearReflect(plane: Float64Array, height: number, width: number, row: number, col: number): number {
  const [r0, c0] = [Math.floor(row), Math.floor(col)];
  const [fr, fc] = [row - r0, col - c0];
  const [ra, rb] = [borderIndex(r0, height, 'reflect') * width, borderIndex(r0 + 1, height, 'reflect') * width];
  const [ca, cb] = [borderIndex(c0, width, 'reflect'), borderIndex(c0 + 1, width, 'reflect')];
  const top = (1 - fc) * plane[ra + ca]! + fc * plane[ra + cb]!;
  const bottom = (1 - fc) * plane[rb + ca]! + fc * plane[rb + cb]!;
  return (1 - fr) * top + fr * bottom;
}

/** Draws: six affine jitters, then the H×W noise for dx, then for dy (row-major). */
export function elasticTransform(x: Float64Array, shape: ImageShape, p: ElasticParameters, random: CorruptionRandom): Float64Array {
  const { height, width } = shape;
  const affine = randomAffine(shape, p.affine, random);
  const dx = displacementField(height, width, p.alpha, p.sigma, random);
  const dy = displacementField(height, width, p.alpha, p.sigma, random);
  return mapPlanes(x, shape, (plane) => {
    const warped = warpAffineReflect101(plane, height, width, affine);
    return warped.map((_, k) => bilinearReflect(warped, height, width, Math.floor(k / width) + dy[k]!, (k % width) + dx[k]!));
  });
}
