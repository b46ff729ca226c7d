import { describe, expect, it } from 'vitest';
import { motionBlur, motionBlurKernel, motionBlurOffsets } from '../../../src/data/corruptions/motionBlur.ts';

describe('motionBlurKernel', () => {
  it('has 2·radius + 1 one-sided Gaussian weights summing to 1', () => {
    const k = motionBlurKernel(10, 3);
    expect(k.length).toBe(21);
    expect(k.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    for (let i = 1; i < k.length; i++) {
      expect(k[i]).toBeLessThan(k[i - 1]!);
      expect(k[i]! / k[0]!).toBeCloseTo(Math.exp(-(i * i) / 18), 14);
    }
  });
});

describe('motionBlurOffsets', () => {
  const pairs = (taps: number, angle: number) => motionBlurOffsets(taps, angle).map((o) => [o.dx, o.dy]);

  it('steps straight left at 0° and up-left at 45° (values from the reference code)', () => {
    expect(pairs(4, 0)).toEqual([[0, 0], [-1, 0], [-2, 0], [-3, 0]]);
    expect(pairs(21, 45).slice(0, 6)).toEqual([[0, 0], [-1, -1], [-1, -1], [-2, -2], [-3, -3], [-4, -4]]);
  });

  it('rounds −30° as the reference does, where i·sin θ lands on a half', () => {
    // In exact arithmetic taps 1 and 3 would have dy = 1 and 2; the reference's floats give 0 and 1.
    expect(pairs(21, -30).slice(0, 6)).toEqual([[0, 0], [-1, 0], [-2, 1], [-3, 1], [-3, 2], [-4, 2]]);
  });
});

describe('motionBlur', () => {
  const [h, w] = [9, 28];

  it('keeps a constant image constant', () => {
    const out = motionBlur(new Float64Array(h * w).fill(0.6), h, w, 10, 3, 23);
    expect(out.every((v) => Math.abs(v - 0.6) < 1e-14)).toBe(true);
  });

  it('streaks a point to one side along the angle (0°: to the left), weighted by the kernel', () => {
    const point = new Float64Array(h * w);
    point[4 * w + 20] = 1;
    const out = motionBlur(point, h, w, 10, 3, 0);
    const k = motionBlurKernel(10, 3);
    out.forEach((v, idx) => {
      const [r, c] = [Math.floor(idx / w), idx % w];
      expect(v).toBeCloseTo(r === 4 && c <= 20 ? k[20 - c]! : 0, 15);
    });
  });

  it('repeats edge pixels instead of reading zeros', () => {
    const edge = new Float64Array(h * w);
    for (let r = 0; r < h; r++) edge[r * w + w - 1] = 1; // a bright last column
    const out = motionBlur(edge, h, w, 10, 3, 0);
    expect(out[w - 1]).toBeCloseTo(1, 14); // every tap reads the repeated last column
  });
});
