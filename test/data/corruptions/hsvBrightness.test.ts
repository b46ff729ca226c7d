import { describe, expect, it } from 'vitest';
import { brightness } from '../../../src/data/corruptions/brightness.ts';
import type { ImageShape } from '../../../src/data/corruptions/corruption.ts';
import { hsvBrightness, hsvToRgb, rgbToHsv } from '../../../src/data/corruptions/hsvBrightness.ts';
import { toUnit } from '../../../src/data/corruptions/quantize.ts';
import { scene } from './cifarCImages.ts';

describe('rgbToHsv / hsvToRgb (skimage)', () => {
  it('known colours', () => {
    expect(rgbToHsv(1, 0, 0)).toEqual([0, 1, 1]);
    expect(rgbToHsv(0.5, 0.25, 0)).toEqual([1 / 12, 1, 0.5]);
    expect(rgbToHsv(0, 0, 0.8)).toEqual([2 / 3, 1, 0.8]);
    expect(rgbToHsv(0.4, 0.4, 0.4)).toEqual([0, 0, 0.4]);
    expect(rgbToHsv(1, 0, 0.5)[0]).toBeCloseTo(11 / 12, 15); // negative hue wraps like Python's % 1
    expect(hsvToRgb(1 / 12, 1, 0.5)).toEqual([0.5, 0.25, 0]);
    expect(hsvToRgb(0, 0, 0.3)).toEqual([0.3, 0.3, 0.3]);
  });

  it('round-trips', () => {
    const x = toUnit(scene(16));
    for (let k = 0; k < 256; k++) {
      const rgb = [x[k]!, x[256 + k]!, x[512 + k]!] as const;
      hsvToRgb(...rgbToHsv(...rgb)).forEach((v, c) => expect(v).toBeCloseTo(rgb[c]!, 14));
    }
  });
});

describe('hsvBrightness', () => {
  const shape: ImageShape = { channels: 3, height: 32, width: 32 };
  const x = toUnit(scene(32));

  it('sets V to min(V + ΔV, 1) and keeps hue and saturation where V stays below 1', () => {
    const out = hsvBrightness(x, shape, 0.2);
    for (let k = 0; k < 1024; k++) {
      const [h, s, v] = rgbToHsv(x[k]!, x[1024 + k]!, x[2048 + k]!);
      const [h2, s2, v2] = rgbToHsv(out[k]!, out[1024 + k]!, out[2048 + k]!);
      expect(v2).toBeCloseTo(Math.min(v + 0.2, 1), 14);
      expect(h2).toBeCloseTo(h, 12);
      expect(s2).toBeCloseTo(s, 12);
    }
  });

  it('equals scaling every channel by V′/V (brightness.ts) up to rounding, and min(x + ΔV, 1) for one channel', () => {
    const out = hsvBrightness(x, shape, 0.3);
    brightness(x, shape, 0.3).forEach((v, k) => expect(out[k]).toBeCloseTo(v, 14));
    const grey: ImageShape = { channels: 1, height: 32, width: 32 };
    expect(hsvBrightness(x.subarray(0, 1024), grey, 0.3)).toEqual(x.subarray(0, 1024).map((v) => Math.min(v + 0.3, 1)));
    expect(() => hsvBrightness(new Float64Array(2 * 4), { channels: 2, height: 2, width: 2 }, 0.1)).toThrow(/1 or 3 channels/);
  });
});
