// The toy problem of the paper's Figure 1: two interleaved spirals in the plane, one class
// each, as [N, 1, 1, 2] points (the fused ESP kernel treats a point as a 1×2 image). Drawn
// from a small seeded generator, so a seed always gives the same points.

/** The box every point lies in: the value range the perturbations stay inside. */
export const SPIRAL_RANGE = [-1.5, 1.5] as const;

export interface Points {
  /** f32 [N, 2] (x, y), i.e. [N, 1, 1, 2]. */
  points: Float32Array;
  labels: Uint8Array;
  count: number;
}

export interface SpiralOptions {
  /** Turns of each arm (default 1.25). */
  turns?: number;
  /** Standard deviation of the Gaussian jitter (default 0.05). */
  noise?: number;
}

/** `count` points, alternating classes; arm c is the other rotated by π. */
export function twoSpirals(count: number, seed: number, { turns = 1.25, noise = 0.05 }: SpiralOptions = {}): Points {
  const random = seededRandom(seed);
  const points = new Float32Array(2 * count);
  const labels = new Uint8Array(count);
  const [lo, hi] = SPIRAL_RANGE;
  for (let i = 0; i < count; i++) {
    const label = i % 2;
    // sqrt spreads points evenly along the arm's length rather than its angle.
    const t = Math.sqrt(random.uniform());
    const radius = 0.15 + 1.05 * t;
    const angle = 2 * Math.PI * turns * t + Math.PI * label;
    const x = radius * Math.cos(angle) + noise * random.normal();
    const y = radius * Math.sin(angle) + noise * random.normal();
    points[2 * i] = Math.min(hi, Math.max(lo, x));
    points[2 * i + 1] = Math.min(hi, Math.max(lo, y));
    labels[i] = label;
  }
  return { points, labels, count };
}

/** size × size points covering the range, row by row from the top (y = hi) down: pixel centres of a canvas. */
export function gridPoints(size: number): Float32Array {
  const [lo, hi] = SPIRAL_RANGE;
  const out = new Float32Array(2 * size * size);
  for (let row = 0; row < size; row++) {
    for (let col = 0; col < size; col++) {
      const i = row * size + col;
      out[2 * i] = lo + ((col + 0.5) / size) * (hi - lo);
      out[2 * i + 1] = hi - ((row + 0.5) / size) * (hi - lo);
    }
  }
  return out;
}

/** Fraction of points whose larger probability (or logit) is on their label: rows of 2 values. */
export function twoClassAccuracy(scores: Float32Array, labels: Uint8Array): number {
  let correct = 0;
  labels.forEach((label, i) => {
    if ((scores[2 * i + 1]! > scores[2 * i]! ? 1 : 0) === label) correct++;
  });
  return labels.length ? correct / labels.length : 0;
}

/** xorshift32 with Box–Muller normals: toy data needs reproducibility, not Philox's streams. */
export function seededRandom(seed: number) {
  let state = (seed >>> 0) ^ 0x9e3779b9 || 1;
  const uniform = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
  return {
    uniform,
    normal: () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform()),
  };
}
