import { describe, expect, it } from 'vitest';
import { cifarGlassBlur, copyFromNearbyPixels } from '../../../src/data/corruptions/cifarGlassBlur.ts';
import type { ImageShape } from '../../../src/data/corruptions/corruption.ts';
import { toU8Truncated, toUnit } from '../../../src/data/corruptions/quantize.ts';
import { CorruptionRandom } from '../../../src/data/corruptions/random.ts';
import { pattern, rowOf, sum } from './cifarCImages.ts';

describe('copyFromNearbyPixels', () => {
  const shape: ImageShape = { channels: 1, height: 16, width: 16 };
  const distinct = Uint8Array.from({ length: 256 }, (_, k) => k); // every value tells where it came from

  it('with d = 1, each swept pixel takes the old value of itself or its up, left or up-left neighbour; rows and columns 0–1 stay', () => {
    for (let image = 0; image < 4; image++) {
      const bytes = distinct.slice();
      copyFromNearbyPixels(bytes, shape, { maxDelta: 1, iterations: 1 }, new CorruptionRandom(1, image, 0));
      let copies = 0;
      bytes.forEach((v, k) => {
        const [r, c] = [Math.floor(k / 16), k % 16];
        if (r < 2 || c < 2) return expect(v).toBe(k);
        const [dr, dc] = [Math.floor(v / 16) - r, (v % 16) - c];
        expect([0, -1]).toContain(dr);
        expect([0, -1]).toContain(dc);
        if (v !== k) copies++;
      });
      // Three of the four offsets move a value; values get duplicated, so it is not a permutation.
      expect(copies).toBeGreaterThan(0.6 * 14 * 14);
      expect(new Set(bytes).size).toBeLessThan(256);
    }
  });

  it('moves all channels of a pixel together', () => {
    const colour: ImageShape = { channels: 3, height: 16, width: 16 };
    const bytes = Uint8Array.from({ length: 768 }, (_, k) => k % 256);
    copyFromNearbyPixels(bytes, colour, { maxDelta: 2, iterations: 2 }, new CorruptionRandom(2, 0, 0));
    for (let c = 1; c < 3; c++) expect(bytes.slice(c * 256, (c + 1) * 256)).toEqual(bytes.slice(0, 256));
  });
});

describe('cifarGlassBlur', () => {
  it('matches the reference glass_blur (SciPy gaussian, NumPy view "swap") fed the same offsets', () => {
    // make_cifar_c.py glass_blur at severity 4 (σ 0.25, d 1, 2 iterations) on the pattern, its randint
    // draws replaced by those of seed 3, image 2, stream 23 (CIFAR_C glass_blur at severity 4).
    const shape: ImageShape = { channels: 3, height: 32, width: 32 };
    const out = toU8Truncated(cifarGlassBlur(toUnit(pattern(shape)), shape, { sigma: 0.25, maxDelta: 1, iterations: 2 }, new CorruptionRandom(3, 2, 23)));
    expect(sum(out)).toBe(389041);
    expect(rowOf(out, shape, 0, 3)).toEqual([63, 84, 47, 128, 85, 172, 87, 118, 119, 179, 179, 27, 27, 197, 19, 19]);
  });
});
