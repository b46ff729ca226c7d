import { describe, expect, it } from 'vitest';
import { zigzagVertices } from '../../../src/data/corruptions/zigzag.ts';

describe('zigzagVertices', () => {
  it('level: teeth every 4 columns, ±2 rows, then the reference quirk (d, r_last / 2(d − m))', () => {
    // d = 23, m = 20: six teeth at columns 1, 5, …, 21 of the local frame, then (23, −2/6).
    const v = zigzagVertices(2, 10, 25, 10);
    expect(v.map((p) => p.col)).toEqual([2, 4, 8, 12, 16, 20, 24, 25]);
    const rows = v.map((p) => p.row);
    expect(rows.slice(0, 7)).toEqual([10, 12, 8, 12, 8, 12, 8]);
    expect(rows[7]).toBeCloseTo(10 - 1 / 3, 14);
  });

  it('rotates the teeth onto the slope from (c0, r0)', () => {
    const [r0, r1] = [5, 9];
    const theta = Math.atan((r1 - r0) / 23);
    const v = zigzagVertices(2, r0, 25, r1);
    expect(v[0]).toEqual({ col: 2, row: 5 });
    expect(v.length).toBe(8);
    // The first tooth is local (2, 2).
    expect(v[1]!.col).toBeCloseTo(2 + 2 * Math.cos(theta) - 2 * Math.sin(theta), 14);
    expect(v[1]!.row).toBeCloseTo(5 + 2 * Math.sin(theta) + 2 * Math.cos(theta), 14);
    // The last vertex lies a third of a row below the end of the line, rotated.
    const d = 23 / Math.cos(theta);
    const tail = -2 / (2 * (d - 20));
    expect(v[7]!.col).toBeCloseTo(2 + d * Math.cos(theta) - tail * Math.sin(theta), 12);
    expect(v[7]!.row).toBeCloseTo(r0 + d * Math.sin(theta) + tail * Math.cos(theta), 12);
  });
});
