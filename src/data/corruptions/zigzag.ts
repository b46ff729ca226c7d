// The vertices of MNIST-C's zigzag (ALGORITHMS.md §8): teeth of length a and height b along a
// straight line from (c0, r0) to (c1, r1), rotated onto it. The last vertex reproduces the
// reference's quirk, (d, r_last / (2(d − m))) with m = 2a·⌊d/2a⌋, rather than ending on the line.

export interface Point {
  col: number;
  row: number;
}

export function zigzagVertices(c0: number, r0: number, c1: number, r1: number, a = 2, b = 2): Point[] {
  const theta = Math.atan((r1 - r0) / (c1 - c0));
  const d = (c1 - c0) / Math.cos(theta);
  const local: Point[] = [{ col: 0, row: 0 }];
  const teeth = Math.floor((d - a) / (2 * a)) + 1;
  for (let i = 0; i < teeth; i++) local.push({ col: (2 * i + 1) * a, row: (i % 2 === 0 ? 1 : -1) * b });
  const lastRow = local[local.length - 1]!.row;
  const whole = 2 * a * Math.floor(d / (2 * a));
  if (d !== whole) local.push({ col: d, row: lastRow / (2 * (d - whole)) });
  const [cos, sin] = [Math.cos(theta), Math.sin(theta)];
  return local.map(({ col, row }) => ({ col: cos * col - sin * row + c0, row: sin * col + cos * row + r0 }));
}
