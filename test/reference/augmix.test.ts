// The AugMix reference against values computed by hand and checked with Pillow 12.3.
import { describe, expect, it } from 'vitest';
import { TestRandom } from '../helpers/random.ts';
import {
  affine,
  affineContinuous,
  applyOp,
  autocontrast,
  brightness,
  color,
  contrast,
  equalize,
  geometricMatrix,
  smooth,
  type ImageSize,
} from './augmix.ts';

const u8 = (values: number[]) => Uint8Array.from(values);
const row = (n: number): ImageSize => [1, 1, n];

describe('AugMix reference ops', () => {
  it('autocontrast: exact scale, PIL’s f64 landing low at the top, flat images untouched', () => {
    expect(Array.from(autocontrast(u8([1, 2, 3, 4]), row(4)))).toEqual([0, 85, 170, 255]);
    const ramp = Array.from({ length: 26 }, (_, i) => i);
    // Pillow: autocontrast of 0..25 ends 234, 244, 254 (255/25 = 10.2 is inexact).
    expect(Array.from(autocontrast(u8(ramp), row(26))).slice(-3)).toEqual([234, 244, 254]);
    expect(Array.from(autocontrast(u8([9, 9, 9]), row(3)))).toEqual([9, 9, 9]);
  });

  it('equalize: three levels map to 0, 98, 255; per channel', () => {
    const plane = [...new Array<number>(196).fill(10), ...new Array<number>(392).fill(100), ...new Array<number>(196).fill(240)];
    expect([...new Set(equalize(u8(plane), [1, 28, 28]))]).toEqual([0, 98, 255]);
    // A second channel with one level is left alone.
    const out = equalize(u8([...plane, ...new Array<number>(784).fill(42)]), [2, 28, 28]);
    expect([...new Set(out.subarray(784))]).toEqual([42]);
  });

  it('bilinear sampling truncates and fills black outside, in f64 and in fixed point', () => {
    const img = u8([0, 100, 0, 0]);
    for (const sample of [affine, affineContinuous]) {
      expect(Array.from(sample(img, row(4), [1, 0, 0.25, 0, 1, 0]))).toEqual([25, 75, 0, 0]);
      expect(Array.from(sample(img, row(4), [1, 0, 0.256, 0, 1, 0]))).toEqual([25, 74, 0, 0]);
    }
    // Where PIL's value is an integer the coordinate's rounding can fall either side: PIL gives
    // 70 (100 − 100·0.3), the 2^-12 grid samples at 0.30005 and truncates 69.995.
    expect(Array.from(affineContinuous(img, row(4), [1, 0, 0.3, 0, 1, 0]))).toEqual([30, 70, 0, 0]);
    expect(Array.from(affine(img, row(4), [1, 0, 0.3, 0, 1, 0]))).toEqual([30, 69, 0, 0]);
    const flat = new Uint8Array(6).fill(200);
    expect(Array.from(affine(flat, [1, 2, 3], [1, 0, 0.6, 0, 1, 0]))).toEqual([200, 200, 0, 200, 200, 0]);
    expect(Array.from(affine(flat, [1, 2, 3], [1, 0, 0.4, 0, 1, 0]))).toEqual([200, 200, 200, 200, 200, 200]);
  });

  it('rotate 90 is np.rot90 and rotate 0 the identity on a square image', () => {
    const img = Uint8Array.from({ length: 64 }, (_, i) => 10 + i);
    const turned = applyOp(img, [1, 8, 8], 'rotate', 90);
    expect(Array.from(turned)).toEqual(Array.from(img, (_, i) => img[(i % 8) * 8 + 7 - Math.floor(i / 8)]!));
    expect(Array.from(applyOp(img, [1, 8, 8], 'rotate', 0))).toEqual(Array.from(img));
  });

  it('the fixed-point coordinate changes under 1% of rotated or sheared pixels of a noisy image, by one level', () => {
    const rng = new TestRandom(17);
    const size: ImageSize = [3, 32, 32];
    let differing = 0;
    let total = 0;
    for (let trial = 0; trial < 24; trial++) {
      const img = Uint8Array.from({ length: 3 * 32 * 32 }, (_, i) => Math.floor(128 + 100 * Math.sin(i / 9) + 27 * rng.uniform(-1, 1)));
      const [op, param] = [
        ['rotate', rng.int(-8, 9)],
        ['shear_x', rng.uniform(-0.09, 0.09)],
        ['shear_y', rng.uniform(-0.09, 0.09)],
      ][trial % 3] as ['rotate' | 'shear_x' | 'shear_y', number];
      const matrix = geometricMatrix(op, param, size);
      const fixed = affine(img, size, matrix);
      const exact = affineContinuous(img, size, matrix);
      fixed.forEach((v, i) => {
        expect(Math.abs(v - exact[i]!)).toBeLessThanOrEqual(1);
        if (v !== exact[i]) differing++;
      });
      total += img.length;
    }
    // Measured 0.52% here; 0.07–0.11% against Pillow on smoother images.
    expect(differing / total).toBeLessThan(0.01);
  });

  it('enhance ops: ITU-R 601 gray, rounded mean, truncating blend', () => {
    // RGB pixels (10, 200, 30) and (255, 0, 0): gray 124 and 76.
    const rgb = u8([10, 255, 200, 0, 30, 0]);
    expect(Array.from(color(rgb, [3, 1, 2], 0.5))).toEqual([67, 165, 162, 38, 77, 38]);
    expect(Array.from(color(rgb, [3, 1, 2], 0))).toEqual([124, 76, 124, 76, 124, 76]);
    // mean 0.5 rounds up to 1; 2/3 too.
    expect(Array.from(contrast(u8([0, 1]), row(2), 0))).toEqual([1, 1]);
    expect(Array.from(contrast(u8([0, 1, 1]), row(3), 0))).toEqual([1, 1, 1]);
    expect(Array.from(brightness(u8([0, 1, 2, 3, 4, 5, 6, 7]), row(8), 0.5))).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
    // Factors above 1 extrapolate and clip.
    expect(Array.from(brightness(u8([100, 200]), row(2), 1.5))).toEqual([150, 255]);
  });

  it('SMOOTH rounds the 3×3 average and copies the border (Pillow’s output for this image)', () => {
    const img = [
      [217, 163, 130, 69, 78, 10, 19],
      [4, 44, 208, 166, 233, 128, 155],
      [248, 186, 161, 139, 143, 239, 71],
      [208, 171, 0, 100, 219, 141, 8],
      [195, 186, 216, 44, 22, 220, 5],
      [138, 20, 76, 123, 108, 103, 7],
    ];
    const pillow = [
      [217, 163, 130, 69, 78, 10, 19],
      [4, 118, 161, 153, 164, 122, 155],
      [248, 152, 140, 148, 160, 176, 71],
      [208, 173, 93, 111, 165, 126, 8],
      [195, 150, 138, 83, 90, 132, 5],
      [138, 20, 76, 123, 108, 103, 7],
    ];
    expect(Array.from(smooth(u8(img.flat()), [1, 6, 7]))).toEqual(pillow.flat());
  });
});
