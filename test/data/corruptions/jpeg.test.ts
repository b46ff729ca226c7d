import { describe, expect, it } from 'vitest';
import type { ImageShape } from '../../../src/data/corruptions/corruption.ts';
import {
  codePlane, downsample2x2, fancyUpsample2x2, IJG_CHROMINANCE, IJG_LUMINANCE, jpegRoundTrip, qualityScale, quantizationTable,
} from '../../../src/data/corruptions/jpeg.ts';
import { constant, meanAbsoluteDifference, pattern, rowOf, scene, sum } from './cifarCImages.ts';

describe('quantizationTable', () => {
  it('is the IJG base table at quality 50', () => {
    expect(quantizationTable(IJG_LUMINANCE, 50)).toEqual(IJG_LUMINANCE);
    expect(quantizationTable(IJG_CHROMINANCE, 50)).toEqual(IJG_CHROMINANCE);
    expect(Array.from(IJG_LUMINANCE.slice(56))).toEqual([72, 92, 95, 98, 112, 100, 103, 99]);
    expect(IJG_CHROMINANCE.length).toBe(64);
  });

  it('scales by 200 − 2q above 50 and 5000/q below, with floor((b·s + 50)/100) clamped to [1, 255]', () => {
    expect([80, 65, 58, 40, 25, 1, 100].map(qualityScale)).toEqual([40, 70, 84, 125, 200, 5000, 0]);
    const q80 = quantizationTable(IJG_LUMINANCE, 80);
    expect(Array.from(q80.slice(0, 8))).toEqual([6, 4, 4, 6, 10, 16, 20, 24]);
    expect(q80.every((q, i) => q === Math.floor((IJG_LUMINANCE[i]! * 40 + 50) / 100))).toBe(true);
    const q40 = quantizationTable(IJG_LUMINANCE, 40);
    expect(Array.from(q40.slice(0, 8))).toEqual([20, 14, 13, 20, 30, 50, 64, 76]);
    expect(quantizationTable(IJG_CHROMINANCE, 40)[63]).toBe(124);
    expect(quantizationTable(IJG_LUMINANCE, 100).every((q) => q === 1)).toBe(true);
    expect(quantizationTable(IJG_LUMINANCE, 1).every((q) => q === 255)).toBe(true);
  });
});

describe('jpegRoundTrip', () => {
  it('matches Pillow 12.3 (libjpeg-turbo) save(quality=q) and reload to the byte: colour, grey, and a size not a multiple of 16', () => {
    const colour: ImageShape = { channels: 3, height: 32, width: 32 };
    const out = jpegRoundTrip(pattern(colour), colour, 40);
    expect(sum(out)).toBe(391713);
    expect(rowOf(out, colour, 1, 3)).toEqual([147, 154, 217, 149, 203, 190, 77, 104, 124, 67, 36, 95, 113, 179, 134, 201]);
    const grey: ImageShape = { channels: 1, height: 32, width: 32 };
    const greyOut = jpegRoundTrip(pattern(grey), grey, 80);
    expect(sum(greyOut)).toBe(128608);
    expect(rowOf(greyOut, grey, 0, 3)).toEqual([67, 88, 91, 145, 149, 175, 206, 216, 233, 10, 32, 40, 77, 86, 118, 136]);
    const odd: ImageShape = { channels: 3, height: 20, width: 28 };
    const oddOut = jpegRoundTrip(pattern(odd), odd, 50);
    expect(sum(oddOut)).toBe(214764);
    expect(rowOf(oddOut, odd, 2, 3)).toEqual([202, 191, 212, 137, 157, 131, 45, 79, 107, 70, 87, 141, 126, 186, 133, 130]);
  });

  it('is close to the identity at quality 100 on a smooth image, and loses more as the quality falls', () => {
    const shape: ImageShape = { channels: 3, height: 32, width: 32 };
    const smooth = Uint8Array.from({ length: 3 * 1024 }, (_, k) => Math.round(100 + 40 * Math.sin((k % 32) / 6) + 30 * Math.cos(Math.floor(k / 32) / 7) + 20 * Math.floor(k / 1024)));
    const errors = [100, 80, 50, 20].map((q) => meanAbsoluteDifference(jpegRoundTrip(smooth, shape, q), smooth));
    // Pillow gives mean 0.549 and max 4 here: chroma subsampling and YCbCr rounding remain at q = 100.
    expect(errors[0]).toBeCloseTo(0.5494791666666666, 12);
    expect(Math.max(...Array.from(jpegRoundTrip(smooth, shape, 100), (v, k) => Math.abs(v - smooth[k]!)))).toBe(4);
    for (let i = 1; i < errors.length; i++) expect(errors[i]).toBeGreaterThan(errors[i - 1]!);
    const natural = scene(32);
    expect(meanAbsoluteDifference(jpegRoundTrip(natural, shape, 40), natural)).toBeGreaterThan(meanAbsoluteDifference(jpegRoundTrip(natural, shape, 80), natural));
  });

  it('keeps a constant grey image within one level (the DC term is quantised)', () => {
    const shape: ImageShape = { channels: 3, height: 16, width: 24 };
    for (const v of [0, 37, 128, 200, 255])
      for (const q of [25, 80]) for (const o of jpegRoundTrip(constant(shape, v), shape, q)) expect(Math.abs(o - v)).toBeLessThanOrEqual(1);
  });

  it('refuses channel counts other than 1 and 3', () => {
    expect(() => jpegRoundTrip(new Uint8Array(2 * 64), { channels: 2, height: 8, width: 8 }, 50)).toThrow(/1 or 3 channels/);
  });
});

describe('jpeg pieces', () => {
  it('codePlane with all-ones tables changes an 8×8 block by at most one level (DCT rounding only)', () => {
    const block = Uint8Array.from({ length: 64 }, (_, k) => (k * 53) % 256);
    const out = codePlane(block, 8, 8, new Int32Array(64).fill(1));
    out.forEach((v, k) => expect(Math.abs(v - block[k]!)).toBeLessThanOrEqual(1));
  });

  it('downsample2x2 averages 2×2 with the alternating bias 1, 2 (jcsample.c)', () => {
    // Sums 2 and 2: (2 + 1) >> 2 = 0 in an even column, (2 + 2) >> 2 = 1 in an odd one.
    expect(Array.from(downsample2x2(Uint8Array.of(1, 0, 1, 0, 1, 0, 1, 0), 2, 4))).toEqual([0, 1]);
    expect(Array.from(downsample2x2(Uint8Array.of(10, 20, 30, 40), 2, 2))).toEqual([25]);
  });

  it('fancyUpsample2x2 gives (9·near + 3·side + 3·vertical + diagonal)/16 and keeps a constant plane', () => {
    expect(Array.from(fancyUpsample2x2(new Uint8Array(6).fill(90), 2, 3))).toEqual(new Array<number>(24).fill(90));
    // A step between two columns: the inner outputs blend ¾ : ¼.
    const out = fancyUpsample2x2(Uint8Array.of(0, 160), 1, 2);
    expect(Array.from(out)).toEqual([0, (3 * 0 * 4 + 160 * 4 + 7) >> 4, (3 * 160 * 4 + 0 * 4 + 8) >> 4, 160, 0, 40, 120, 160]);
  });
});
