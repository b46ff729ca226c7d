import { describe, expect, it } from 'vitest';
import { aboutCentre, bilinear, rotationMatrix, scaleMatrix, shearMatrix, translationMatrix, warpAffine, type Affine } from '../../../src/data/corruptions/warp.ts';

const apply = (m: Affine, x: number, y: number) => [m[0] * x + m[1] * y + m[2], m[3] * x + m[4] * y + m[5]];

describe('affine matrices', () => {
  it('match skimage ≤ 0.18 AffineTransform', () => {
    expect(shearMatrix(0.4)).toEqual([1, -Math.sin(0.4), 0, 0, Math.cos(0.4), 0]);
    expect(rotationMatrix(0.4)).toEqual([Math.cos(0.4), -Math.sin(0.4), 0, Math.sin(0.4), Math.cos(0.4), 0]);
  });

  it('aboutCentre fixes ((n−1)/2, (n−1)/2) and gives 13.5·(1 − row sum) at 28', () => {
    const m = aboutCentre(rotationMatrix(-0.4), 28, 28);
    expect(m[2]).toBeCloseTo(13.5 * (1 - m[0] - m[1]), 14);
    expect(m[5]).toBeCloseTo(13.5 * (1 - m[3] - m[4]), 14);
    for (const [h, w] of [[28, 28], [29, 29], [32, 20]]) {
      const [x, y] = apply(aboutCentre(shearMatrix(0.4), h!, w!), (w! - 1) / 2, (h! - 1) / 2);
      expect(x).toBeCloseTo((w! - 1) / 2, 12);
      expect(y).toBeCloseTo((h! - 1) / 2, 12);
    }
  });
});

describe('bilinear', () => {
  const plane = Float64Array.of(0, 4, 8, 12); // 2×2
  it('interpolates inside and fades to 0 through neighbours outside', () => {
    expect(bilinear(plane, 2, 2, 0.5, 0.5)).toBe(6);
    expect(bilinear(plane, 2, 2, 1, 1)).toBe(12);
    expect(bilinear(plane, 2, 2, 1, 1.5)).toBe(6);
    expect(bilinear(plane, 2, 2, -1, 0)).toBe(0);
    expect(bilinear(plane, 2, 2, 2.5, 0)).toBe(0);
  });
});

describe('warpAffine', () => {
  const [h, w] = [7, 9];
  const x = Float64Array.from({ length: h * w }, (_, k) => k / (h * w));

  it('is the identity for the identity matrix', () => {
    expect(warpAffine(x, h, w, [1, 0, 0, 0, 1, 0])).toEqual(x);
  });

  it('samples input (x + dx, y + dy) for a translation, 0 where that is outside', () => {
    const out = warpAffine(x, h, w, translationMatrix(2, -1));
    for (let r = 0; r < h; r++)
      for (let c = 0; c < w; c++) {
        const [sr, sc] = [r - 1, c + 2];
        expect(out[r * w + c]).toBe(sr >= 0 && sc < w ? x[sr * w + sc] : 0);
      }
  });

  it('scaling by 1/0.7 about the centre shrinks a bar to about 70% of its length', () => {
    const size = 29;
    const bar = new Float64Array(size * size);
    for (let c = 4; c <= 24; c++) bar[14 * size + c] = 1; // 21 px long, centred on column 14
    const out = warpAffine(bar, size, size, aboutCentre(scaleMatrix(1 / 0.7, 1 / 0.7), size, size));
    const length = out.slice(14 * size, 15 * size).reduce((a, b) => a + b, 0);
    expect(length).toBeCloseTo(21 * 0.7, 0);
    expect(out[14 * size + 14]).toBe(1);
  });
});
