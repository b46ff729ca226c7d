import { describe, expect, it } from 'vitest';
import { contrast, planeMean } from '../../../src/data/corruptions/contrast.ts';
import type { ImageShape } from '../../../src/data/corruptions/corruption.ts';
import { toUnit } from '../../../src/data/corruptions/quantize.ts';
import { scene } from './cifarCImages.ts';

describe('contrast', () => {
  const shape: ImageShape = { channels: 3, height: 32, width: 32 };
  const x = toUnit(scene(32));
  const planes = (v: Float64Array) => [0, 1, 2].map((c) => v.subarray(c * 1024, (c + 1) * 1024));

  it('planeMean is the mean, and exactly the value of a constant plane', () => {
    const plane = Float64Array.from({ length: 100 }, (_, k) => k / 99);
    expect(planeMean(plane)).toBeCloseTo(0.5, 15);
    for (let b = 0; b < 256; b++) expect(planeMean(new Float64Array(1024).fill(b / 255))).toBe(b / 255);
  });

  it('scales each channel about its own mean, which it keeps', () => {
    const out = contrast(x, shape, 0.3);
    const [inPlanes, outPlanes] = [planes(x), planes(out)];
    for (let c = 0; c < 3; c++) {
      const m = planeMean(inPlanes[c]!);
      expect(planeMean(outPlanes[c]!)).toBeCloseTo(m, 14);
      outPlanes[c]!.forEach((v, k) => expect(v - m).toBeCloseTo(0.3 * (inPlanes[c]![k]! - m), 14));
    }
    contrast(x, shape, 1).forEach((v, k) => expect(v).toBeCloseTo(x[k]!, 15));
  });
});
