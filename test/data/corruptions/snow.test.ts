import { describe, expect, it } from 'vitest';
import type { ImageShape } from '../../../src/data/corruptions/corruption.ts';
import { toUnit } from '../../../src/data/corruptions/quantize.ts';
import { CorruptionRandom } from '../../../src/data/corruptions/random.ts';
import { snow, snowLayer, type SnowParameters } from '../../../src/data/corruptions/snow.ts';
import { scene } from './cifarCImages.ts';

const CIFAR_SEVERITY_4: SnowParameters = { mean: 0.25, sd: 0.3, zoom: 2.25, threshold: 0.6, blurRadius: 12, blurSigma: 6, blend: 0.85 };
const NO_FLAKES: SnowParameters = { ...CIFAR_SEVERITY_4, mean: -10 };

describe('snowLayer', () => {
  it('holds bytes /255 in [0, 1], some of them lit', () => {
    const layer = snowLayer(32, 32, CIFAR_SEVERITY_4, new CorruptionRandom(1, 0, 0));
    for (const v of layer) {
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThanOrEqual(1);
      expect(Math.abs(v * 255 - Math.round(v * 255))).toBeLessThan(1e-9);
    }
    expect(layer.some((v) => v > 0)).toBe(true);
  });

  it('is empty when every flake falls below the threshold', () => {
    expect(snowLayer(32, 32, NO_FLAKES, new CorruptionRandom(1, 0, 0)).every((v) => v === 0)).toBe(true);
  });
});

describe('snow', () => {
  const shape: ImageShape = { channels: 3, height: 32, width: 32 };
  const x = toUnit(scene(32));

  it('without flakes only lifts the image: blend 1 leaves it, blend 0 gives max(x, 1.5·grey + 0.5)', () => {
    expect(snow(x, shape, { ...NO_FLAKES, blend: 1 }, new CorruptionRandom(1, 0, 0))).toEqual(x);
    const lifted = snow(x, shape, { ...NO_FLAKES, blend: 0 }, new CorruptionRandom(1, 0, 0));
    lifted.forEach((v, k) => {
      const p = k % 1024;
      const grey = 0.299 * x[p]! + 0.587 * x[1024 + p]! + 0.114 * x[2048 + p]!;
      expect(v).toBeCloseTo(Math.max(x[k]!, 1.5 * grey + 0.5), 14);
    });
  });

  it('adds the same layer, as drawn and turned by 180°, to every channel', () => {
    const random = () => new CorruptionRandom(4, 1, 2);
    const out = snow(x, shape, CIFAR_SEVERITY_4, random());
    const lifted = snow(x, shape, { ...NO_FLAKES, blend: CIFAR_SEVERITY_4.blend }, random());
    const added = out.map((v, k) => v - lifted[k]!);
    const layer = snowLayer(32, 32, CIFAR_SEVERITY_4, random());
    added.forEach((v, k) => {
      const p = k % 1024;
      expect(v).toBeCloseTo(layer[p]! + layer[1023 - p]!, 14);
    });
    expect(added.some((v) => v > 0)).toBe(true);
  });

  it('takes one channel (its own grey) and refuses two', () => {
    const grey: ImageShape = { channels: 1, height: 32, width: 32 };
    expect(snow(x.subarray(0, 1024), grey, CIFAR_SEVERITY_4, new CorruptionRandom(1, 0, 0)).length).toBe(1024);
    expect(() => snow(new Float64Array(8), { channels: 2, height: 2, width: 2 }, CIFAR_SEVERITY_4, new CorruptionRandom(1, 0, 0))).toThrow(/1 or 3 channels/);
  });
});
