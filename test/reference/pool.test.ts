import { describe, expect, it } from 'vitest';
import { FINITE_DIFFERENCE, expectClose } from '../helpers/compare.ts';
import { TestRandom } from '../helpers/random.ts';
import { dot, numericalGradient } from './gradcheck.ts';
import {
  avgPoolBackward,
  avgPoolForward,
  globalAvgPoolBackward,
  globalAvgPoolForward,
  maxPoolBackward,
  maxPoolForward,
  poolDims,
  pooledSize,
  type PoolDims,
} from './pool.ts';

/** A shuffled even spread over [−1, 1): no ties, and gaps of 1/n dwarf the finite-difference step. */
function distinctValues(rng: TestRandom, n: number): Float64Array {
  const v = Float64Array.from({ length: n }, (_, i) => -1 + (2 * (i + 0.25 + 0.5 * rng.next())) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return v;
}

const cases: [string, PoolDims][] = [
  ['2x2/2 on 1x2x6x6', poolDims([1, 2, 6, 6], 2)],
  ['3x3/2 pad 1 on 2x1x7x5 (overlapping)', poolDims([2, 1, 7, 5], 3, 2, 1)],
  ['3x3/1 on 1x1x5x5 (heavy overlap)', poolDims([1, 1, 5, 5], 3, 1)],
  ['3x2/[1,2] pad [1,0] on 1x2x4x6', poolDims([1, 2, 4, 6], [3, 2], [1, 2], [1, 0])],
];

describe('reference pooling backward', () => {
  for (const [name, d] of cases) {
    const inputSize = d.N * d.C * d.H * d.W;
    const [OH, OW] = pooledSize(d);
    const outputSize = d.N * d.C * OH * OW;

    it(`max pool ${name} matches finite differences`, () => {
      const rng = new TestRandom(inputSize + 31 * outputSize);
      const x = distinctValues(rng, inputSize);
      const dy = rng.array(outputSize);
      const { argmax } = maxPoolForward(x, d);
      const numeric = numericalGradient((v) => dot(maxPoolForward(v, d).y, dy), x);
      expectClose(maxPoolBackward(dy, argmax, d), numeric, FINITE_DIFFERENCE, 'dx');
    });

    it(`avg pool ${name} matches finite differences`, () => {
      const rng = new TestRandom(inputSize + 37 * outputSize);
      const x = rng.array(inputSize);
      const dy = rng.array(outputSize);
      const numeric = numericalGradient((v) => dot(avgPoolForward(v, d), dy), x);
      expectClose(avgPoolBackward(dy, d), numeric, FINITE_DIFFERENCE, 'dx');
    });
  }

  it('global average pool matches finite differences', () => {
    const rng = new TestRandom(41);
    const [N, C, H, W] = [2, 3, 5, 4];
    const x = rng.array(N * C * H * W);
    const dy = rng.array(N * C);
    const numeric = numericalGradient((v) => dot(globalAvgPoolForward(v, N, C, H, W), dy), x);
    expectClose(globalAvgPoolBackward(dy, N, C, H, W), numeric, FINITE_DIFFERENCE, 'dx');
  });
});

describe('reference pooling forward', () => {
  it('max pool picks the first maximum and never a padded position', () => {
    const x = [-5, -5, -7, -5]; // one 2x2 plane, all negative: padding (−∞) must not win
    const { y, argmax } = maxPoolForward(x, poolDims([1, 1, 2, 2], 2, 1, 1));
    expect(Array.from(y)).toEqual([-5, -5, -5, -5, -5, -5, -7, -5, -5]);
    expect(Array.from(argmax)).toEqual([0, 0, 1, 0, 0, 1, 2, 3, 3]);
  });

  it('avg pool counts padding in the divisor', () => {
    const y = avgPoolForward([4, 8, 12, 16], poolDims([1, 1, 2, 2], 2, 2, 1));
    expect(Array.from(y)).toEqual([1, 2, 3, 4]);
  });
});
