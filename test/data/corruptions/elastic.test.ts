import { describe, expect, it } from 'vitest';
import type { ImageShape } from '../../../src/data/corruptions/corruption.ts';
import { affineFromTriangles, bilinearReflect, elasticTransform, invertAffine, warpAffineReflect101 } from '../../../src/data/corruptions/elastic.ts';
import { toUnit } from '../../../src/data/corruptions/quantize.ts';
import { CorruptionRandom } from '../../../src/data/corruptions/random.ts';
import { pattern, scene, sum } from './cifarCImages.ts';

const apply = (m: readonly number[], [x, y]: readonly [number, number]) => [m[0]! * x + m[1]! * y + m[2]!, m[3]! * x + m[4]! * y + m[5]!];

describe('affineFromTriangles / invertAffine', () => {
  const from = [[26, 26], [26, 6], [6, 6]] as const;
  const to = [[27.5, 24.25], [25, 4.5], [7.75, 6.5]] as const;

  it('maps the three points onto their targets, like cv2.getAffineTransform', () => {
    const m = affineFromTriangles(from, to);
    from.forEach((p, i) => apply(m, p).forEach((v, j) => expect(v).toBeCloseTo(to[i]![j]!, 12)));
    // cv2.getAffineTransform on the same points (OpenCV 5.0).
    [0.8625, 0.125, 1.8249999999999995, -0.10000000000000006, 0.9875, 1.1750000000000005].forEach((v, i) => expect(m[i]).toBeCloseTo(v, 13));
    expect(() => affineFromTriangles([[0, 0], [1, 1], [2, 2]], to)).toThrow(/collinear/);
  });

  it('inverts', () => {
    const m = affineFromTriangles(from, to);
    const inverse = invertAffine(m);
    for (const p of [[3, 4], [-2, 30]] as const) apply(inverse, apply(m, p) as [number, number]).forEach((v, j) => expect(v).toBeCloseTo(p[j]!, 12));
  });
});

describe('warpAffineReflect101', () => {
  const shape: ImageShape = { channels: 1, height: 32, width: 32 };
  const plane = toUnit(pattern(shape));

  it("matches cv2.warpAffine(INTER_LINEAR, BORDER_REFLECT_101) on a float64 image: OpenCV's 1/32-pixel fixed-point positions", () => {
    const m = affineFromTriangles([[26, 26], [26, 6], [6, 6]], [[27.5, 24.25], [25, 4.5], [7.75, 6.5]]);
    const out = warpAffineReflect101(plane, 32, 32, m);
    expect(sum(out)).toBeCloseTo(500.0841299019608, 10);
    [0.186351102941, 0.102217371324, 0.064537377451, 0.124693627451, 0.188614430147, 0.253109681373].forEach((v, i) => expect(out[i]).toBeCloseTo(v, 11));
    [0.382410386029, 0.440165441176, 0.864384191176, 0.353619025735].forEach((v, i) => expect(out[1020 + i]).toBeCloseTo(v, 11));
  });

  it('is the identity for the identity map, and a whole-pixel shift reflects at the border', () => {
    expect(warpAffineReflect101(plane, 32, 32, [1, 0, 0, 0, 1, 0])).toEqual(plane);
    // Forward x' = x + 1: output column x reads input column x − 1; column 0 reads column 1 (reflect-101).
    const shifted = warpAffineReflect101(plane, 32, 32, [1, 0, 1, 0, 1, 0]);
    for (let r = 0; r < 32; r++) {
      expect(shifted[r * 32]).toBe(plane[r * 32 + 1]);
      expect(shifted[r * 32 + 5]).toBe(plane[r * 32 + 4]);
    }
  });
});

describe('bilinearReflect', () => {
  it('matches scipy.ndimage.map_coordinates(order=1, mode="reflect") inside and outside the plane', () => {
    const a = Float64Array.of(1, 2, 4, 8, 16, 32, 64, 128, 256);
    // SciPy 1.17 values at (row, col).
    const cases = [[-0.3, 0, 1], [-1.3, 1, 6.2], [2.4, 1, 128], [2.9, 2.7, 256], [3.6, 0, 30.4], [-0.7, -0.2, 1], [0.5, 0.5, 6.75]] as const;
    for (const [row, col, expected] of cases) expect(bilinearReflect(a, 3, 3, row, col)).toBeCloseTo(expected, 12);
  });
});

describe('elasticTransform', () => {
  const shape: ImageShape = { channels: 3, height: 32, width: 32 };
  const x = toUnit(scene(32));

  it('is the identity with α = 0 and no affine jitter, whatever σ', () => {
    for (const sigma of [0, 3])
      expect(elasticTransform(x, shape, { alpha: 0, sigma, affine: 0 }, new CorruptionRandom(1, 0, 0))).toEqual(x);
  });

  it('moves the image under either part alone, all channels alike, and repeats with the same draws', () => {
    const grey: ImageShape = { channels: 1, height: 32, width: 32 };
    for (const p of [{ alpha: 0, sigma: 0, affine: 2.56 }, { alpha: 3.2, sigma: 1.28, affine: 0 }]) {
      const out = elasticTransform(x, shape, p, new CorruptionRandom(1, 0, 0));
      expect(out).not.toEqual(x);
      expect(elasticTransform(x, shape, p, new CorruptionRandom(1, 0, 0))).toEqual(out);
      expect(out.subarray(0, 1024)).toEqual(elasticTransform(x.subarray(0, 1024), grey, p, new CorruptionRandom(1, 0, 0)));
    }
  });

  it('keeps a constant image constant', () => {
    const flat = new Float64Array(3 * 1024).fill(0.4);
    for (const v of elasticTransform(flat, shape, { alpha: 3.2, sigma: 0.96, affine: 0.96 }, new CorruptionRandom(2, 0, 0))) expect(v).toBeCloseTo(0.4, 14);
  });
});
