import { describe, expect, it } from 'vitest';
import { clippedZoom, zoomBlur, zoomFactors } from '../../../src/data/corruptions/zoomBlur.ts';
import { sum } from './cifarCImages.ts';

describe('zoomFactors', () => {
  it("are NumPy's arange(1, end, 0.01): 7, 12, 16, 21, 26 factors, the end included for 1.06 and 1.11 (ALGORITHMS.md §9.1)", () => {
    const lists = [1.06, 1.11, 1.16, 1.21, 1.26].map(zoomFactors);
    expect(lists.map((l) => l.length)).toEqual([7, 12, 16, 21, 26]);
    // The last factors, to the bit, as NumPy 2.4 prints them with float.hex().
    expect(lists.map((l) => l[l.length - 1])).toEqual([0x10f5c28f5c28f6 / 2 ** 52, 0x11c28f5c28f5c3 / 2 ** 52, 0x12666666666667 / 2 ** 52, 0x13333333333334 / 2 ** 52, 0x14000000000001 / 2 ** 52]);
    expect(lists[4]![4]).toBe(0x10a3d70a3d70a4 / 2 ** 52);
    expect(lists[0]!.slice(0, 2)).toEqual([1, 1.01]);
  });
});

describe('clippedZoom', () => {
  const n = 10;
  const plane = Float64Array.from({ length: n * n }, (_, k) => ((Math.floor(k / n) * 7 + (k % n) * 3) % 10) / 10);

  it('matches the reference clipped_zoom (SciPy 1.17 zoom, order 1) on a 10×10 plane', () => {
    const z125 = clippedZoom(plane, n, n, 1.25);
    expect(sum(z125)).toBeCloseTo(43.74074074074074, 12);
    [0.1777777777777778, 0.3246913580246914, 0.5333333333333333, 0.4703703703703702, 0.09876543209876547].forEach((v, i) => expect(z125[40 + i]).toBeCloseTo(v, 14));
    const z113 = clippedZoom(plane, n, n, 1.13);
    expect(sum(z113)).toBeCloseTo(44.44444444444444, 12);
    expect(z113[40]).toBeCloseTo(0.48888888888888876, 14);
    expect(z113[44]).toBeCloseTo(0.24691358024691362, 14);
  });

  it('is the identity at zoom 1 and keeps a constant plane constant', () => {
    expect(clippedZoom(plane, n, n, 1)).toEqual(plane);
    for (const v of clippedZoom(new Float64Array(n * n).fill(0.3), n, n, 1.7)) expect(v).toBeCloseTo(0.3, 15);
  });

  it('magnifies about the centre: a centred bright square grows by the zoom factor', () => {
    const m = 32;
    const square = Float64Array.from({ length: m * m }, (_, k) => (Math.abs(Math.floor(k / m) - 15.5) < 5 && Math.abs((k % m) - 15.5) < 5 ? 1 : 0));
    const zoomed = clippedZoom(square, m, m, 2);
    expect(sum(zoomed) / sum(square)).toBeCloseTo(4, 0);
    expect(zoomed[0]).toBe(0);
  });

  it('refuses zooms below 1', () => {
    expect(() => clippedZoom(plane, n, n, 0.9)).toThrow(/zoom ≥ 1/);
  });
});

describe('zoomBlur', () => {
  it('averages the plane with its zooms, in float32', () => {
    const n = 8;
    const plane = Float64Array.from({ length: n * n }, (_, k) => (k % 5) / 5);
    const factors = [1, 1.1];
    const f = Math.fround;
    const image = Float32Array.from(plane);
    const zoomed = clippedZoom(Float64Array.from(image), n, n, 1.1);
    // out = zoom(1) + zoom(1.1), accumulated in float32 from 0; then (image + out)/3 in float32.
    const expected = image.map((v, k) => f(f(v + f(f(v) + f(zoomed[k]!))) / 3));
    expect(Array.from(zoomBlur(plane, n, n, factors))).toEqual(Array.from(expected));
    for (const v of zoomBlur(new Float64Array(n * n).fill(0.6), n, n, zoomFactors(1.26))) expect(v).toBeCloseTo(0.6, 6);
  });
});
