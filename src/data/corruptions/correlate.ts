// 1-D correlation along one axis of a plane, with SciPy ndimage's border modes and its order of
// floating-point operations (correlate1d: out[i] = Σ_k w[k]·in[i + k − radius], odd-length weights).
// The order matters where a result is truncated to bytes afterwards (glass blur): a blurred white
// region must stay exactly 1, not 1 − 2^-53.

/** 'nearest' repeats the edge, 'constant' reads 0, 'reflect' mirrors about the edge (d c b a | a b c d). */
export type BorderMode = 'nearest' | 'constant' | 'reflect';

/** The in-range index that SciPy reads for position i of n, or −1 for 'constant' outside. */
export function borderIndex(i: number, n: number, mode: BorderMode): number {
  if (i >= 0 && i < n) return i;
  if (mode === 'constant') return -1;
  if (mode === 'nearest') return i < 0 ? 0 : n - 1;
  const m = ((i % (2 * n)) + 2 * n) % (2 * n);
  return m < n ? m : 2 * n - 1 - m;
}

/** SciPy pairs the taps of a symmetric (+1) or antisymmetric (−1) kernel before multiplying. */
function symmetry(weights: Float64Array): 1 | -1 | 0 {
  const r = (weights.length - 1) / 2;
  const pairs = Array.from({ length: r }, (_, k) => [weights[r + k + 1]!, weights[r - k - 1]!] as const);
  if (pairs.every(([right, left]) => Math.abs(right - left) <= Number.EPSILON)) return 1;
  if (pairs.every(([right, left]) => Math.abs(right + left) <= Number.EPSILON)) return -1;
  return 0;
}

/** One output value; `at(offset)` reads the input at offset −radius … radius from the centre. */
function correlateAt(at: (offset: number) => number, weights: Float64Array, radius: number, kind: 1 | -1 | 0): number {
  const w = (offset: number) => weights[radius + offset]!;
  if (kind === 0) {
    let sum = at(radius) * w(radius);
    for (let j = -radius; j < radius; j++) sum += at(j) * w(j);
    return sum;
  }
  let sum = at(0) * w(0);
  for (let j = -radius; j < 0; j++) sum += (kind === 1 ? at(j) + at(-j) : at(j) - at(-j)) * w(j);
  return sum;
}

/** axis 0 runs down the rows (within each column), axis 1 along each row. */
export function correlateAxis(
  plane: Float64Array,
  height: number,
  width: number,
  weights: Float64Array,
  axis: 0 | 1,
  mode: BorderMode,
): Float64Array {
  if (weights.length % 2 !== 1) throw new Error(`weights must have odd length, got ${weights.length}`);
  const radius = (weights.length - 1) / 2;
  const kind = symmetry(weights);
  const [n, stride] = axis === 0 ? [height, width] : [width, 1];
  const out = new Float64Array(plane.length);
  for (let row = 0; row < height; row++)
    for (let col = 0; col < width; col++) {
      const i = axis === 0 ? row : col;
      const base = row * width + col - i * stride;
      const at = (offset: number) => {
        const j = borderIndex(i + offset, n, mode);
        return j < 0 ? 0 : plane[base + j * stride]!;
      };
      out[row * width + col] = correlateAt(at, weights, radius, kind);
    }
  return out;
}
