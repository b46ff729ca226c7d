import { describe, expect, it } from 'vitest';
import { FINITE_DIFFERENCE, expectClose } from '../helpers/compare.ts';
import { TestRandom } from '../helpers/random.ts';
import { addBackward, addForward, reluBackward, reluForward } from './eltwise.ts';
import { dot, numericalGradient } from './gradcheck.ts';

/** Random values kept at least 1e-3 away from ReLU's kink so finite differences are valid. */
function awayFromZero(rng: TestRandom, n: number): Float64Array {
  return rng.array(n).map((v) => Math.sign(v || 1) * (1e-3 + Math.abs(v)));
}

describe('reference element-wise ops', () => {
  it('relu backward matches finite differences', () => {
    const rng = new TestRandom(21);
    const x = awayFromZero(rng, 37);
    const dy = rng.array(37);
    expectClose(reluBackward(dy, x), numericalGradient((v) => dot(reluForward(v), dy), x), FINITE_DIFFERENCE, 'dx');
  });

  it('relu passes positives, zeroes negatives and has zero gradient at 0', () => {
    expect(Array.from(reluForward([-2, 0, 3]))).toEqual([0, 0, 3]);
    expect(Array.from(reluBackward([5, 6, 7], [-2, 0, 3]))).toEqual([0, 0, 7]);
  });

  it('add backward matches finite differences for both inputs', () => {
    const rng = new TestRandom(22);
    const a = rng.array(23);
    const b = rng.array(23);
    const dy = rng.array(23);
    const { da, db } = addBackward(dy);
    expectClose(da, numericalGradient((v) => dot(addForward(v, b), dy), a), FINITE_DIFFERENCE, 'da');
    expectClose(db, numericalGradient((v) => dot(addForward(a, v), dy), b), FINITE_DIFFERENCE, 'db');
  });
});
