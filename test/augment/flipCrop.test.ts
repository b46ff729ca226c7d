import { describe, expect, it } from 'vitest';
import { flipCropDraws } from '../../src/augment/flipCrop.ts';

describe('flipCropDraws', () => {
  it('flips half the samples and shifts uniformly over [−p, p] on each axis (chi-square), per (seed, step, sample)', () => {
    const draws = flipCropDraws({ seed: 3, step: 9, batch: 9000, flip: true, padding: 4 });
    const flipped = draws.filter((d) => d.flip).length;
    expect(Math.abs(flipped - 4500)).toBeLessThan(4 * Math.sqrt(9000 * 0.25));
    for (const axis of ['shiftX', 'shiftY'] as const) {
      const counts = new Array(9).fill(0);
      for (const d of draws) counts[d[axis] + 4]++;
      const chiSquare = counts.reduce((sum, c) => sum + (c - 1000) ** 2 / 1000, 0);
      // 8 degrees of freedom: the 0.999 quantile is 26.1.
      expect(chiSquare, `${axis} counts ${counts.join(' ')}`).toBeLessThan(26.1);
    }
    const again = flipCropDraws({ seed: 3, step: 9, batch: 10, flip: true, padding: 4 });
    expect(again).toEqual(draws.slice(0, 10));
    expect(flipCropDraws({ seed: 3, step: 10, batch: 10, flip: true, padding: 4 })).not.toEqual(again);
  });

  it('draws nothing that was not asked for, and rejects a bad padding', () => {
    expect(flipCropDraws({ seed: 1, step: 0, batch: 50, flip: false, padding: 0 }).every((d) => !d.flip && d.shiftX === 0 && d.shiftY === 0)).toBe(true);
    expect(() => flipCropDraws({ seed: 1, step: 0, batch: 1, flip: false, padding: 1.5 })).toThrow(/crop padding must be an integer ≥ 0, got 1.5/);
  });
});
