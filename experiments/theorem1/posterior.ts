// What Theorem 1 (the paper's §3.3) predicts, in closed form: the Bayes-optimal label of a point
// x of the plane when every training point is moved by ESP's perturbation δ = k·u (k from the
// truncated normal, u uniform on the circle), with hard labels (the theorem's X_δ: ESP without
// smoothing) or with ESP's smoothed label mass s(k) (its X_E).
//
// A point c moved by k·u lands on the circle of radius k around c, so the moved point's density
// at x is f(r) / (2π r) with r = ‖x − c‖ and f the size's density. The expected second-class
// label at x is then the f(r)/r-weighted mean of each training point's second-class mass there:
// its label when labels are hard; s(r) or 1 − s(r) when they are smoothed (k = r at x).

import { sizeDensity, trueLabelMass, type EspSettings } from '../../src/augment/espSettings.ts';

export type Vec2 = readonly [number, number];

/** Training points sharing a label and a position: `count` of them at `centre`. */
export interface Cluster {
  centre: Vec2;
  count: number;
  label: 0 | 1;
}

/**
 * Density (up to the same constant, and 1/2π) of a point moved from `centre` to land at x:
 * infinite at the centre itself when a zero size is possible (ε − τ ≤ 0).
 */
export function landingDensity(settings: EspSettings, centre: Vec2, x: Vec2): number {
  const r = Math.hypot(x[0] - centre[0], x[1] - centre[1]);
  // The normalising constant of the size's density cancels in every ratio here.
  const f = sizeDensity(settings, r);
  return r > 0 ? f / r : f > 0 ? Number.POSITIVE_INFINITY : 0;
}

/** The mass on label 1 that a point of `label` moved by a distance r carries. */
function secondLabelMass(settings: EspSettings, label: 0 | 1, r: number): number {
  const s = trueLabelMass(settings, r);
  return label === 1 ? s : 1 - s;
}

/**
 * E[y₂ | X = x]: the optimal prediction of label 1 at x. `settings.smoothing` false gives the
 * hard-label arm (λ = 0, s ≡ 1). NaN where no perturbed point can land.
 */
export function secondLabelPosterior(settings: EspSettings, clusters: readonly Cluster[], x: Vec2): number {
  // On a training point itself its own density is infinite: the limit is its own label mass.
  const onPoint = clusters.filter(({ centre }) => landingDensity(settings, centre, x) === Number.POSITIVE_INFINITY);
  let mass = 0;
  let density = 0;
  for (const { centre, count, label } of onPoint.length ? onPoint : clusters) {
    const p = count * (onPoint.length ? 1 : landingDensity(settings, centre, x));
    density += p;
    mass += p * secondLabelMass(settings, label, Math.hypot(x[0] - centre[0], x[1] - centre[1]));
  }
  return density > 0 ? mass / density : Number.NaN;
}

/**
 * The theorem's n' (hard labels) or n (smoothed): the smallest imbalance N = b/a from which x is
 * labelled 2, when a points sit at `minority` (label 0) and N·a at `majority` (label 1) with no
 * spread (the theorem's ε_i → 0). From a·p₁·(s₁ − ½) = N·a·p₂·(s₂ − ½), since s > ½ always for
 * two classes. Infinity where no majority point can land; 0 where no minority point can.
 */
export function flipImbalance(settings: EspSettings, minority: Vec2, majority: Vec2, x: Vec2): number {
  const p1 = landingDensity(settings, minority, x);
  const p2 = landingDensity(settings, majority, x);
  if (p2 === 0) return Number.POSITIVE_INFINITY;
  const margin = (centre: Vec2) => trueLabelMass(settings, Math.hypot(x[0] - centre[0], x[1] - centre[1])) - 0.5;
  return (p1 * margin(minority)) / (p2 * margin(majority));
}

/**
 * Where `values` (sampled at increasing `positions`) first rises through ½, by linear
 * interpolation; NaN if it never does. Values that are NaN (nothing lands there) are skipped.
 */
export function firstCrossing(positions: readonly number[], values: readonly number[]): number {
  let previous = -1;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    if (previous >= 0 && values[previous]! < 0.5 && v >= 0.5) {
      const [t0, t1, v0] = [positions[previous]!, positions[i]!, values[previous]!];
      return t0 + ((0.5 - v0) / (v - v0)) * (t1 - t0);
    }
    if (previous < 0 && v >= 0.5) return positions[i]!;
    previous = i;
  }
  return Number.NaN;
}
