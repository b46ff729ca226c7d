// np.sum of a float64 array, with NumPy's pairwise summation order (8 accumulators per block of
// up to 128, halves above that), so that normalised kernels round exactly as in the reference.

const BLOCK = 128;

export function numpySum(values: ArrayLike<number>, start = 0, n = values.length): number {
  if (n < 8) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += values[start + i]!;
    return sum;
  }
  if (n <= BLOCK) {
    const r = Array.from({ length: 8 }, (_, j) => values[start + j]!);
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += values[start + i + j]!;
    let sum = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) sum += values[start + i]!;
    return sum;
  }
  let half = Math.floor(n / 2);
  half -= half % 8;
  return numpySum(values, start, half) + numpySum(values, start + half, n - half);
}
