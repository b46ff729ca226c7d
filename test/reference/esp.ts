// Float64 references for ESP: the sort-based clipping-aware rescaling of Rauber & Bethge
// (ALGORITHMS.md §2.2, a different algorithm from the kernel's Newton iteration, so agreement
// means something) and the whole per-sample step of §1.2 given the same direction draws.

/** η ≥ 0 with ‖clip(x + η·δ, lo, hi) − x‖₂ = epsilon, or the saturating η when unreachable. */
export function clipAwareScale(x: ArrayLike<number>, delta: ArrayLike<number>, epsilon: number, lo = 0, hi = 1): number {
  const n = x.length;
  const d2 = Array.from({ length: n }, (_, i) => delta[i]! ** 2);
  const r = Array.from({ length: n }, (_, i) => (delta[i]! >= 0 ? hi - x[i]! : x[i]! - lo));
  const order = Array.from({ length: n }, (_, i) => i);
  const breakpoint = order.map((i) => r[i]! ** 2 / Math.max(d2[i]!, 1e-20));
  order.sort((a, b) => breakpoint[a]! - breakpoint[b]!);
  // Slope on segment k: the squared deltas of the coordinates not yet saturated.
  const slope = new Array<number>(n + 1).fill(0);
  for (let k = n - 1; k >= 0; k--) slope[k] = slope[k + 1]! + d2[order[k]!]!;
  const target = epsilon * epsilon;
  let previous = 0;
  let value = 0;
  for (let k = 0; k < n; k++) {
    const b = breakpoint[order[k]!]!;
    const next = value + slope[k]! * (b - previous);
    if (next >= target) return Math.sqrt(b - (next - target) / slope[k]!);
    value = next;
    previous = b;
  }
  return Math.sqrt(previous);
}

export function clip(v: number, lo: number, hi: number): number {
  return Math.min(Math.max(v, lo), hi);
}

export function l2Distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(s);
}

export interface EspSampleReference {
  /** The perturbed image before normalisation. */
  perturbed: Float64Array;
  /** After (x − mean_c) / std_c. */
  normalised: Float64Array;
  targets: Float64Array;
  eta: number;
}

/**
 * One sample of the fused kernel: u = v/‖v‖, x' = clip(x + η·u) at distance k (k ≤ 0: x' = x),
 * normalised per channel; the soft label puts s on `label` and (1 − s)/(C − 1) elsewhere.
 */
export function espSample(
  x: ArrayLike<number>, v: ArrayLike<number>, k: number, s: number, label: number, classes: number,
  options: { range?: [number, number]; mean?: number[]; std?: number[]; planeSize?: number } = {},
): EspSampleReference {
  const [lo, hi] = options.range ?? [0, 1];
  const norm = Math.hypot(...Array.from(v));
  const u = Array.from(v, (value) => value / norm);
  const eta = k > 0 ? clipAwareScale(x, u, k, lo, hi) : 0;
  const perturbed = Float64Array.from(x, (xi, i) => (eta > 0 ? clip(xi + eta * u[i]!, lo, hi) : xi));
  const planeSize = options.planeSize ?? x.length;
  const normalised = perturbed.map((value, i) => {
    const c = Math.floor(i / planeSize);
    return (value - (options.mean?.[c] ?? 0)) / (options.std?.[c] ?? 1);
  });
  const targets = Float64Array.from({ length: classes }, (_, j) => (j === label ? s : (1 - s) / (classes - 1)));
  return { perturbed, normalised, targets, eta };
}
