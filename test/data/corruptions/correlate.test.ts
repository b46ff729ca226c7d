import { describe, expect, it } from 'vitest';
import { borderIndex, correlateAxis } from '../../../src/data/corruptions/correlate.ts';

describe('borderIndex', () => {
  it('follows SciPy ndimage modes', () => {
    const read = (mode: 'nearest' | 'constant' | 'reflect') => [-3, -2, -1, 0, 3, 4, 5, 6].map((i) => borderIndex(i, 4, mode));
    expect(read('nearest')).toEqual([0, 0, 0, 0, 3, 3, 3, 3]);
    expect(read('constant')).toEqual([-1, -1, -1, 0, 3, -1, -1, -1]);
    expect(read('reflect')).toEqual([2, 1, 0, 0, 3, 3, 2, 1]);
  });
});

describe('correlateAxis', () => {
  // A 2×4 plane: rows [1 2 3 4] and [10 20 30 40].
  const plane = Float64Array.of(1, 2, 3, 4, 10, 20, 30, 40);

  it('correlates (not convolves) along a row, reading borders by mode', () => {
    const derivative = Float64Array.of(-1, 0, 1);
    expect(Array.from(correlateAxis(plane, 2, 4, derivative, 1, 'reflect'))).toEqual([1, 2, 2, 1, 10, 20, 20, 10]);
    expect(Array.from(correlateAxis(plane, 2, 4, derivative, 1, 'constant'))).toEqual([2, 2, 2, -3, 20, 20, 20, -30]);
  });

  it('runs down the columns for axis 0', () => {
    const smoothing = Float64Array.of(1, 2, 1);
    // Column 0 is [1, 10]; nearest: 1·1 + 2·1 + 1·10 = 13 and 1·1 + 2·10 + 1·10 = 31.
    expect(Array.from(correlateAxis(plane, 2, 4, smoothing, 0, 'nearest')).filter((_, k) => k % 4 === 0)).toEqual([13, 31]);
  });

  it('handles asymmetric kernels', () => {
    const shiftLeft = Float64Array.of(0, 0, 1); // out[i] = in[i + 1]
    expect(Array.from(correlateAxis(plane, 2, 4, shiftLeft, 1, 'nearest'))).toEqual([2, 3, 4, 4, 20, 30, 40, 40]);
    expect(() => correlateAxis(plane, 2, 4, Float64Array.of(1, 1), 1, 'nearest')).toThrow(/odd length/);
  });
});
