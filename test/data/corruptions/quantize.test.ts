import { describe, expect, it } from 'vitest';
import { roundHalfEven, toU8Rounded, toU8Truncated, toUnit } from '../../../src/data/corruptions/quantize.ts';

describe('quantize', () => {
  it('toUnit then toU8Rounded is the identity on bytes', () => {
    const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toU8Rounded(toUnit(bytes))).toEqual(bytes);
  });

  it('rounds half to even after the float32 step, clipping first', () => {
    expect([0.5, 1.5, 2.5, 127.5, 128.5].map(roundHalfEven)).toEqual([0, 2, 2, 128, 128]);
    // 128.5 + 1e-13 is 128.5 in float32, hence 128; 128.6 rounds up.
    expect(Array.from(toU8Rounded(Float64Array.of((128.5 + 1e-13) / 255, 128.6 / 255, -0.2, 1.7)))).toEqual([128, 129, 0, 255]);
  });

  it('toU8Truncated truncates (the CIFAR-C convention)', () => {
    expect(Array.from(toU8Truncated(Float64Array.of(0.999 / 255, 128.9 / 255, 1, -1, 2)))).toEqual([0, 128, 255, 0, 255]);
  });
});
