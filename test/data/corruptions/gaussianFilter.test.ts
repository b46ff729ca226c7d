import { describe, expect, it } from 'vitest';
import { gaussianBlur } from '../../../src/data/corruptions/gaussianBlur.ts';
import { gaussianFilter } from '../../../src/data/corruptions/gaussianFilter.ts';

describe('gaussianFilter', () => {
  it('is gaussianBlur to the bit, for every border mode, narrow and wide kernels, square and not', () => {
    for (const [h, w] of [[9, 11], [32, 32], [7, 64]] as const) {
      const plane = Float64Array.from({ length: h * w }, (_, k) => Math.sin(k * 1.7) + (k % 5) / 7);
      for (const mode of ['nearest', 'reflect', 'constant'] as const)
        for (const [sigma, truncate] of [[0.05, 4], [0.4, 4], [0.9, 4], [1.28, 3], [19.2, 3]] as const)
          expect(gaussianFilter(plane, h, w, sigma, mode, truncate), `${h}×${w} ${mode} σ=${sigma}`).toEqual(gaussianBlur(plane, h, w, sigma, { mode, truncate }));
    }
  });

  it("defaults to skimage's border ('nearest') and truncation (4σ)", () => {
    const plane = Float64Array.from({ length: 100 }, (_, k) => k % 9);
    expect(gaussianFilter(plane, 10, 10, 1.1)).toEqual(gaussianBlur(plane, 10, 10, 1.1));
  });
});
