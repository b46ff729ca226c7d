// OpenCV's default border, BORDER_REFLECT_101 (gfedcb|abcdefgh|gfedcba): the edge pixel is not
// repeated. SciPy calls it 'mirror'; correlate.ts's 'reflect' is the other one, which repeats it.

export function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n - 2;
  const m = ((i % period) + period) % period;
  return m < n ? m : period - m;
}
