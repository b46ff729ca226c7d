import { describe, expect, it } from 'vitest';
import type { ImageShape } from '../../../src/data/corruptions/corruption.ts';
import { frost, frostLayer } from '../../../src/data/corruptions/frost.ts';
import { toUnit } from '../../../src/data/corruptions/quantize.ts';
import { CorruptionRandom } from '../../../src/data/corruptions/random.ts';
import { scene } from './cifarCImages.ts';

const mean = (xs: ArrayLike<number>, from = 0, to = xs.length) => {
  let s = 0;
  for (let k = from; k < to; k++) s += xs[k]!;
  return s / (to - from);
};

describe('frostLayer (procedural substitute for the frost photographs)', () => {
  for (const size of [32, 64])
    it(`${size} px: values in [0, 1], mean brightness near 0.45–0.55 like crops of the photographs, tinted blue`, () => {
      const shape: ImageShape = { channels: 3, height: size, width: size };
      const plane = size * size;
      for (let image = 0; image < 6; image++) {
        const layer = frostLayer(shape, new CorruptionRandom(1, image, 40));
        expect(layer.every((v) => v >= 0 && v <= 1)).toBe(true);
        // The scale aims at U(0.45, 0.55); clamping the brightest crystals at 1 can only lower it.
        expect(mean(layer)).toBeGreaterThan(0.4);
        expect(mean(layer)).toBeLessThanOrEqual(0.55 + 1e-12);
        // Tint (0.85, 0.92, 1): red ≤ green ≤ blue everywhere, and the means keep roughly that ratio.
        for (let k = 0; k < plane; k++) {
          expect(layer[k]).toBeLessThanOrEqual(layer[plane + k]!);
          expect(layer[plane + k]).toBeLessThanOrEqual(layer[2 * plane + k]!);
        }
        const ratio = mean(layer, 0, plane) / mean(layer, 2 * plane);
        expect(ratio).toBeGreaterThan(0.8);
        expect(ratio).toBeLessThan(0.9);
        // Texture, not a flat veil.
        const sd = Math.sqrt(mean(layer.subarray(2 * plane).map((v) => (v - mean(layer, 2 * plane)) ** 2)));
        expect(sd).toBeGreaterThan(0.05);
      }
    });

  it('differs between images and repeats for the same draws; grey for one channel; refuses two', () => {
    const shape: ImageShape = { channels: 3, height: 32, width: 32 };
    const a = frostLayer(shape, new CorruptionRandom(1, 0, 40));
    expect(frostLayer(shape, new CorruptionRandom(1, 0, 40))).toEqual(a);
    expect(frostLayer(shape, new CorruptionRandom(1, 1, 40))).not.toEqual(a);
    const grey = frostLayer({ channels: 1, height: 32, width: 32 }, new CorruptionRandom(1, 0, 40));
    expect(grey.length).toBe(1024);
    expect(mean(grey)).toBeGreaterThan(0.4);
    expect(() => frostLayer({ channels: 2, height: 4, width: 4 }, new CorruptionRandom(1, 0, 0))).toThrow(/1 or 3 channels/);
  });
});

describe('frost', () => {
  it('blends w_img·x + w_frost·F', () => {
    const shape: ImageShape = { channels: 3, height: 32, width: 32 };
    const x = toUnit(scene(32));
    const layer = frostLayer(shape, new CorruptionRandom(2, 3, 4));
    const out = frost(x, shape, { imageWeight: 0.85, frostWeight: 0.4 }, new CorruptionRandom(2, 3, 4));
    out.forEach((v, k) => expect(v).toBeCloseTo(0.85 * x[k]! + 0.4 * layer[k]!, 15));
    expect(frost(x, shape, { imageWeight: 1, frostWeight: 0 }, new CorruptionRandom(2, 3, 4))).toEqual(x);
  });
});
