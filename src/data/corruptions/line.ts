// The anti-aliased line of MNIST-C's line_from_points (ALGORITHMS.md §8): intensity by vertical
// distance to the line through (c0, r0) and (c1, r1), I = clip(ln(1 − d/2.3) + 1, 0, 1), which is
// 1 on the line and 0 from d = 2.3·(1 − 1/e) ≈ 1.454 on; columns outside [floor c0, ceil c1) are 0.

const FALLOFF = 2.3;

export function lineIntensity(c0: number, r0: number, c1: number, r1: number, height: number, width: number): Float64Array {
  const out = new Float64Array(height * width);
  if (c1 === c0) return out;
  const slope = (r1 - r0) / (c1 - c0);
  const first = pythonSliceIndex(Math.floor(c0), width);
  const end = pythonSliceIndex(Math.ceil(c1), width);
  for (let col = first; col < end; col++) {
    const f = slope * (col - c0) + r0;
    for (let row = 0; row < height; row++) {
      const distance = Math.min(Math.abs(row - f), FALLOFF - 1e-10);
      out[row * width + col] = Math.min(Math.max(Math.log(1 - distance / FALLOFF) + 1, 0), 1);
    }
  }
  return out;
}

/** The reference zeroes [:, :l] and [:, r:] with NumPy slices, where a negative bound counts from the end. */
function pythonSliceIndex(i: number, n: number): number {
  return i < 0 ? Math.max(n + i, 0) : Math.min(i, n);
}

/** dotted_line's gaps: columns 0–1, 4–5, 8–9, … (⌊col/2⌋ even) are blanked. */
export function isDottedLineGap(col: number): boolean {
  return Math.floor(col / 2) % 2 === 0;
}
