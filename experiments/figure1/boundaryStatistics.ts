// Figure 1's margin numbers: how far the training points sit from a model's 0.5 contour on the
// sampled grid, and how sure the model is near the data. They live apart from the rendering and
// the run because they are what the JSON sidecar reports and what the test checks on hand-made
// maps; the rendering borrows boundaryCells only to draw the same contour it measures from.
// Distances are in the plot's units (src/data/spiral.ts SPIRAL_RANGE), to a grid cell's accuracy.
import { SPIRAL_RANGE, type Points } from '../../src/data/spiral.ts';

/** Grid cells within this radius of the centre count as "near the data" (the arms end at about 1.2). */
export const NEAR_DATA_RADIUS = 1.3;

export interface BoundaryStatistics {
  trainAccuracy: number;
  /** On 1000 points of the same spiral drawn with seed + 1. */
  testAccuracy: number;
  /**
   * Mean over the training points of the distance from the point to the 0.5 contour, positive
   * on the point's own side and negative on the wrong side, in the plot's units. The contour is
   * the boundary cells (boundaryCells), so each distance is within half a cell diagonal. Larger:
   * wider margins; the largest possible is about half the arms' gap less the jitter.
   */
  meanSignedDistance: number;
  /** Median of the same signed distances. */
  medianSignedDistance: number;
  /**
   * Per radius r: the fraction of training points on their own side with the contour at least r
   * away, i.e. classified correctly under any perturbation shorter than r (to a cell's accuracy).
   */
  robustTrainAccuracy: Record<string, number>;
  /** Fraction of the cells near the data (radius ≤ NEAR_DATA_RADIUS) with 0.25 < p1 < 0.75: the pale band's area. */
  uncertainFractionNearData: number;
  /** Mean |2·p1 − 1| over the cells near the data: 1 is sure everywhere; smoothed labels and noise lower it. */
  meanConfidenceNearData: number;
  /** Fraction of the cells near the data predicted class 1 (the two classes' arms have equal area: about ½). */
  classOneFractionNearData: number;
}

/** The radii of robustTrainAccuracy, in the plot's units. */
export const ROBUST_RADII = [0.05, 0.1, 0.15] as const;

/** Rows of the grid from the top (y = hi) down, as gridPoints lays them out. */
function cellCentre(i: number, grid: number): [number, number] {
  const [lo, hi] = SPIRAL_RANGE;
  const h = (hi - lo) / grid;
  return [lo + ((i % grid) + 0.5) * h, hi - (Math.floor(i / grid) + 0.5) * h];
}

/** Cells whose right or lower neighbour lies on the other side of 0.5: the drawn contour. */
export function boundaryCells(p1: Float32Array, grid: number): Uint8Array {
  if (p1.length !== grid * grid) throw new RangeError(`boundaryCells: p1 has ${p1.length} values, a ${grid}×${grid} grid needs ${grid * grid}`);
  const edge = new Uint8Array(p1.length);
  const side = (i: number) => p1[i]! >= 0.5;
  for (let i = 0; i < p1.length; i++) {
    const right = i % grid < grid - 1 && side(i + 1) !== side(i);
    const below = i + grid < p1.length && side(i + grid) !== side(i);
    edge[i] = right || below ? 1 : 0;
  }
  return edge;
}

/**
 * Each point's distance to the nearest boundary cell's centre, negative where the grid puts the
 * point's cell on the other side of its label; Infinity when the grid has no boundary at all.
 */
export function signedDistances(p1: Float32Array, grid: number, { points, labels, count }: Points): number[] {
  const edge = boundaryCells(p1, grid);
  const centres: [number, number][] = [];
  edge.forEach((e, i) => e && centres.push(cellCentre(i, grid)));
  const [lo, hi] = SPIRAL_RANGE;
  const cellOf = (v: number) => Math.min(grid - 1, Math.max(0, Math.floor(((v - lo) / (hi - lo)) * grid)));
  return Array.from({ length: count }, (_, n) => {
    const [x, y] = [points[2 * n]!, points[2 * n + 1]!];
    let nearest = Infinity;
    for (const [cx, cy] of centres) nearest = Math.min(nearest, Math.hypot(x - cx, y - cy));
    const cell = (grid - 1 - cellOf(y)) * grid + cellOf(x);
    return (p1[cell]! >= 0.5 ? 1 : 0) === labels[n] ? nearest : -nearest;
  });
}

export function boundaryStatistics(p1: Float32Array, grid: number, points: Points, accuracy: { trainAccuracy: number; testAccuracy: number }): BoundaryStatistics {
  const distances = signedDistances(p1, grid, points);
  let near = 0;
  let classOne = 0;
  let uncertain = 0;
  let confidence = 0;
  for (let i = 0; i < p1.length; i++) {
    const [x, y] = cellCentre(i, grid);
    if (Math.hypot(x, y) > NEAR_DATA_RADIUS) continue;
    const p = p1[i]!;
    near++;
    if (p >= 0.5) classOne++;
    if (p > 0.25 && p < 0.75) uncertain++;
    confidence += Math.abs(2 * p - 1);
  }
  const sorted = [...distances].sort((a, b) => a - b);
  const robust = (r: number) => distances.filter((d) => d >= r).length / Math.max(1, distances.length);
  return {
    ...accuracy,
    meanSignedDistance: mean(distances),
    medianSignedDistance: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    robustTrainAccuracy: Object.fromEntries(ROBUST_RADII.map((r) => [String(r), robust(r)])),
    uncertainFractionNearData: uncertain / near,
    meanConfidenceNearData: confidence / near,
    classOneFractionNearData: classOne / near,
  };
}

function mean(values: readonly number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : Number.NaN;
}
