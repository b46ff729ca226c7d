import { describe, expect, it } from 'vitest';
import { FINITE_DIFFERENCE, expectClose } from '../helpers/compare.ts';
import { TestRandom } from '../helpers/random.ts';
import { conv2dBackward64, conv2dForward64, convDims, convOutputSize, type ConvDims } from './conv2d.ts';
import { dot, numericalGradient } from './gradcheck.ts';

const cases: [string, ConvDims][] = [
  ['3x3 on 2x2x5x4', convDims([2, 2, 5, 4], [3, 2, 3, 3])],
  ['3x3/2 pad 1 on 1x3x7x5', convDims([1, 3, 7, 5], [2, 3, 3, 3], 2, 1)],
  ['1x1 on 2x3x3x2', convDims([2, 3, 3, 2], [4, 3, 1, 1])],
  ['3x2/[2,1] pad [0,1] on 1x2x6x5', convDims([1, 2, 6, 5], [3, 2, 3, 2], [2, 1], [0, 1])],
  ['5x5 pad 2 on 1x1x4x6', convDims([1, 1, 4, 6], [2, 1, 5, 5], 1, 2)],
];

describe('reference conv2d backward', () => {
  for (const [name, d] of cases)
    it(`${name} matches finite differences for x, w and b`, () => {
      const [OH, OW] = convOutputSize(d);
      const rng = new TestRandom(d.B * 1000 + d.Co * 100 + OH * 10 + OW);
      const x = rng.array(d.B * d.Ci * d.H * d.W);
      const w = rng.array(d.Co * d.Ci * d.KH * d.KW);
      const b = rng.array(d.Co);
      const dy = rng.array(d.B * d.Co * OH * OW);
      const { dx, dw, db } = conv2dBackward64(x, w, dy, d);
      expectClose(dx, numericalGradient((v) => dot(conv2dForward64(v, w, b, d), dy), x), FINITE_DIFFERENCE, 'dx');
      expectClose(dw, numericalGradient((v) => dot(conv2dForward64(x, v, b, d), dy), w), FINITE_DIFFERENCE, 'dw');
      expectClose(db, numericalGradient((v) => dot(conv2dForward64(x, w, v, d), dy), b), FINITE_DIFFERENCE, 'db');
    });
});

describe('reference conv2d forward', () => {
  it('matches a hand-computed 3x3 convolution with zero padding and a bias', () => {
    // One 3x3 image 1..9, an all-ones 3x3 kernel, padding 1: each output sums its neighbourhood.
    const x = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    const y = conv2dForward64(x, new Array(9).fill(1), [10], convDims([1, 1, 3, 3], [1, 1, 3, 3], 1, 1));
    expect(Array.from(y)).toEqual([22, 31, 26, 37, 55, 43, 34, 49, 38]);
  });

  it('strides skip positions and floor the output size', () => {
    const d = convDims([1, 1, 5, 4], [1, 1, 2, 2], [3, 2]);
    expect(convOutputSize(d)).toEqual([2, 2]);
    const x = Array.from({ length: 20 }, (_, i) => i);
    // Windows at rows {0,1}, {3,4} and columns {0,1}, {2,3}, weights [1, 0; 0, 0] pick the corner.
    expect(Array.from(conv2dForward64(x, [1, 0, 0, 0], undefined, d))).toEqual([0, 2, 12, 14]);
  });
});
