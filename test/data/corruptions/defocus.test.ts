import { describe, expect, it } from 'vitest';
import { defocusKernel, filter2dReflect101 } from '../../../src/data/corruptions/defocus.ts';
import { reflect101 } from '../../../src/data/corruptions/reflect101.ts';
import { sum } from './cifarCImages.ts';

describe('reflect101', () => {
  it("mirrors about the edge pixel without repeating it (OpenCV's BORDER_REFLECT_101)", () => {
    expect([-4, -3, -2, -1, 0, 4, 5, 6, 7, 8, 9, 13].map((i) => reflect101(i, 5))).toEqual([4, 3, 2, 1, 0, 4, 3, 2, 1, 0, 1, 3]);
    expect(reflect101(-7, 1)).toBe(0);
  });
});

describe('defocusKernel', () => {
  const TABLE = [[0.3, 0.4], [0.4, 0.5], [0.5, 0.6], [1, 0.2], [1.5, 0.1], [1, 0.1], [2.5, 0.01], [3, 0.1]] as const;

  it('sums to 1 (to float32 precision), is symmetric both ways, and is no larger than its support', () => {
    for (const [radius, sigma] of TABLE) {
      const { size, weights } = defocusKernel(radius, sigma);
      expect(Math.abs(sum(weights) - 1), `r=${radius}`).toBeLessThan(1e-7);
      for (let r = 0; r < size; r++)
        for (let c = 0; c < size; c++) {
          expect(weights[r * size + c]).toBe(weights[(size - 1 - r) * size + c]);
          expect(weights[r * size + c]).toBe(weights[c * size + r]);
        }
      const reach = (size - 1) / 2;
      // The disk, plus one pixel of anti-alias all round unless σ is so small that exp(−1/2σ²) is 0.
      expect(size).toBe(2 * Math.floor(radius) + (Math.exp(-0.5 / sigma ** 2) > 0 ? 3 : 1));
      expect(weights[reach]).toBeGreaterThan(0); // the top row is not all zero
    }
  });

  it('is the plain disk when the anti-alias σ is negligible: radius 1 gives the 5-point plus of 1/5 each', () => {
    const { size, weights } = defocusKernel(1, 0.01);
    const plus = [0, 1, 0, 1, 1, 1, 0, 1, 0].map((v) => Math.fround(v / 5));
    expect(size).toBe(3);
    expect(Array.from(weights)).toEqual(plus);
  });

  it('grows with the radius: the centre weight falls', () => {
    const centres = [0.5, 1, 1.5, 2.5, 3].map((r) => {
      const { size, weights } = defocusKernel(r, 0.1);
      return weights[(size * size - 1) / 2]!;
    });
    for (let i = 1; i < centres.length; i++) expect(centres[i]).toBeLessThan(centres[i - 1]!);
  });

  it('refuses radii outside the 17×17 grid and non-positive σ', () => {
    expect(() => defocusKernel(8.5, 0.1)).toThrow(/radius/);
    expect(() => defocusKernel(1, 0)).toThrow(/sigma/);
  });
});

describe('filter2dReflect101', () => {
  const [h, w] = [5, 6];
  const plane = Float64Array.from({ length: h * w }, (_, k) => (k * 37) % 11);

  it('correlates (no kernel flip) and reads reflect-101 outside the plane', () => {
    // Weight 1 at (row 1, col 0) of a 3×3 kernel: out(y, x) = in(y, x − 1).
    const left = { size: 3, weights: Float64Array.of(0, 0, 0, 1, 0, 0, 0, 0, 0) };
    const out = filter2dReflect101(plane, h, w, left);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++) expect(out[y * w + x]).toBe(plane[y * w + reflect101(x - 1, w)]);
    expect(out[0]).toBe(plane[1]);
  });

  it('keeps a constant plane constant up to the kernel sum', () => {
    const kernel = defocusKernel(1.5, 0.1);
    const out = filter2dReflect101(new Float64Array(h * w).fill(0.7), h, w, kernel);
    for (const v of out) expect(v).toBeCloseTo(0.7 * sum(kernel.weights), 15);
  });
});
