import { describe, expect, it } from 'vitest';
import { gaussianBlur, gaussianKernel } from '../../../src/data/corruptions/gaussianBlur.ts';

const sum = (xs: ArrayLike<number>) => Array.from(xs).reduce((a, b) => a + b, 0);

describe('gaussianKernel', () => {
  it('has radius int(4σ + 0.5), sums to 1 and is symmetric', () => {
    for (const [sigma, radius] of [[0.7, 3], [1, 4], [1.5, 6], [3, 12]] as const) {
      const k = gaussianKernel(sigma);
      expect(k.length).toBe(2 * radius + 1);
      expect(sum(k)).toBeCloseTo(1, 14);
      expect(Array.from(k)).toEqual(Array.from(k).reverse());
      expect(k[radius + 1]! / k[radius]!).toBeCloseTo(Math.exp(-0.5 / sigma ** 2), 14);
    }
    expect(() => gaussianKernel(0)).toThrow(/sigma/);
  });
});

describe('gaussianBlur', () => {
  const [h, w] = [9, 11];

  it('keeps a constant image constant, to the bit where it must stay white', () => {
    for (const mode of ['nearest', 'reflect'] as const)
      for (const sigma of [0.7, 1, 1.5]) {
        const out = gaussianBlur(new Float64Array(h * w).fill(1), h, w, sigma, { mode });
        expect(out.every((v) => Math.abs(v - 1) < 1e-15)).toBe(true);
        // Truncating the glass-blur intermediate to bytes must give 255 back.
        expect(out.every((v) => Math.trunc(v * 255) === 255)).toBe(true);
      }
  });

  it('conserves the mass of a point away from the border and spreads it as the kernel', () => {
    const point = new Float64Array(h * w);
    point[4 * w + 5] = 1;
    const out = gaussianBlur(point, h, w, 1);
    expect(sum(out)).toBeCloseTo(1, 12);
    const k = gaussianKernel(1);
    expect(out[4 * w + 5]).toBeCloseTo(k[4]! * k[4]!, 15);
    expect(out[3 * w + 7]).toBeCloseTo(k[3]! * k[6]!, 15);
  });

  it("'vertical' blurs down the columns only (skimage multichannel=True on a 2-D array)", () => {
    const point = new Float64Array(h * w);
    point[4 * w + 5] = 1;
    const out = gaussianBlur(point, h, w, 0.7, { axes: 'vertical' });
    const column = out.filter((_, k) => k % w === 5);
    expect(out.filter((_, k) => k % w !== 5).every((v) => v === 0)).toBe(true);
    expect(Array.from(column.slice(1, 8)).every((v) => v > 0)).toBe(true); // radius int(4·0.7 + 0.5) = 3
    expect(sum(column)).toBeCloseTo(1, 14);
  });

  it("'constant' mode reads zeros beyond the edge, so a white image darkens at its border", () => {
    const out = gaussianBlur(new Float64Array(h * w).fill(1), h, w, 1, { mode: 'constant' });
    expect(out[0]).toBeLessThan(0.5);
    expect(out[1 * w + 5]).toBeLessThan(0.99); // the kernel (radius 4) reaches past row 0
    expect(out[4 * w + 5]).toBeCloseTo(1, 14); // it fits between rows 0 and 8
  });

  it('float32 rounds every pass', () => {
    const x = Float64Array.from({ length: h * w }, (_, k) => (k % 7) / 7);
    const out = gaussianBlur(x, h, w, 1.5, { float32: true });
    expect(out.every((v) => Math.fround(v) === v)).toBe(true);
  });
});
