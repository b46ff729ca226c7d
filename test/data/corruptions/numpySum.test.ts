import { describe, expect, it } from 'vitest';
import { numpySum } from '../../../src/data/corruptions/numpySum.ts';

describe('numpySum', () => {
  it('adds short arrays left to right', () => {
    const tiny = 2 ** -53;
    expect(numpySum([1, tiny, tiny, tiny])).toBe(1); // each 1 + 2^-53 rounds back to 1
  });

  it('uses eight accumulators from 8 values on, like NumPy pairwise summation', () => {
    const u = 2 ** -53;
    // ((1 + u) + (u + u)) + ((u + u) + (u + u)) = 1 + 2u + 4u = 1 + 3·2^-52, where left to right gives 1.
    const values = [1, u, u, u, u, u, u, u];
    expect(numpySum(values)).toBe(1 + 3 * 2 ** -52);
    let sequential = 0;
    for (const v of values) sequential += v;
    expect(sequential).toBe(1);
  });

  it('splits long arrays and still sums exactly representable values exactly', () => {
    const values = Array.from({ length: 1000 }, (_, i) => i);
    expect(numpySum(values)).toBe(499500);
  });
});
