import { describe, expect, it } from 'vitest';
import { isDottedLineGap, lineIntensity } from '../../../src/data/corruptions/line.ts';

const [h, w] = [28, 28];
const at = (map: Float64Array, row: number, col: number) => map[row * w + col]!;

describe('lineIntensity', () => {
  it('is 1 on the line, ln(1 − d/2.3) + 1 near it and 0 from 1.454 px vertically', () => {
    const line = lineIntensity(0, 10, 27, 10, h, w);
    for (let col = 0; col < 27; col++) {
      expect(at(line, 10, col)).toBe(1);
      expect(at(line, 9, col)).toBeCloseTo(Math.log(1 - 1 / 2.3) + 1, 15);
      expect(at(line, 11, col)).toBeCloseTo(0.42946, 5);
      for (const row of [0, 8, 12, 27]) expect(at(line, row, col)).toBe(0);
    }
  });

  it('reaches 0 between 1.45 and 1.46 px', () => {
    const near = lineIntensity(0, 10 + 1.45, 27, 10 + 1.45, h, w);
    const beyond = lineIntensity(0, 10 + 1.46, 27, 10 + 1.46, h, w);
    expect(at(near, 10, 5)).toBeGreaterThan(0);
    expect(at(beyond, 10, 5)).toBe(0);
    expect(2.3 * (1 - 1 / Math.E)).toBeCloseTo(1.454, 3);
  });

  it('zeroes columns before floor(c0) and from ceil(c1) on, and is empty when c1 = c0', () => {
    const line = lineIntensity(3.5, 12, 19.9, 2.2, h, w);
    for (let row = 0; row < h; row++) {
      for (const col of [0, 1, 2, 20, 27]) expect(at(line, row, col)).toBe(0);
    }
    expect(Math.max(...Array.from({ length: h }, (_, r) => at(line, r, 3)))).toBeGreaterThan(0);
    expect(Math.max(...Array.from({ length: h }, (_, r) => at(line, r, 19)))).toBeGreaterThan(0);
    expect(lineIntensity(4.2, 10, 4.2, 3, h, w).every((v) => v === 0)).toBe(true);
  });

  it('follows the slope measured vertically', () => {
    const line = lineIntensity(0, 0, 20, 10, h, w); // row = col / 2
    expect(at(line, 5, 10)).toBe(1);
    expect(at(line, 6, 12)).toBe(1);
    expect(at(line, 6, 11)).toBeCloseTo(Math.log(1 - 0.5 / 2.3) + 1, 15);
  });
});

describe('isDottedLineGap', () => {
  it('blanks columns 0–1, 4–5, … 24–25 and keeps 2–3, … 26–27', () => {
    const gaps = Array.from({ length: 28 }, (_, c) => c).filter(isDottedLineGap);
    expect(gaps).toEqual([0, 1, 4, 5, 8, 9, 12, 13, 16, 17, 20, 21, 24, 25]);
  });
});
