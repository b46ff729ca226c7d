import { describe, expect, it } from 'vitest';
import { FINITE_DIFFERENCE, expectClose } from '../helpers/compare.ts';
import { TestRandom } from '../helpers/random.ts';
import { dot, numericalGradient } from './gradcheck.ts';
import { linearBackward, linearForward } from './matmul.ts';

describe('reference linear backward', () => {
  it('matches finite differences for x, w and b', () => {
    const rng = new TestRandom(7);
    const [B, I, O] = [3, 5, 4];
    const x = rng.array(B * I);
    const w = rng.array(O * I);
    const b = rng.array(O);
    const dy = rng.array(B * O);
    const { dx, dw, db } = linearBackward(x, w, dy, B, I, O);
    expectClose(dx, numericalGradient((v) => dot(linearForward(v, w, b, B, I, O), dy), x), FINITE_DIFFERENCE, 'dx');
    expectClose(dw, numericalGradient((v) => dot(linearForward(x, v, b, B, I, O), dy), w), FINITE_DIFFERENCE, 'dw');
    expectClose(db, numericalGradient((v) => dot(linearForward(x, w, v, B, I, O), dy), b), FINITE_DIFFERENCE, 'db');
  });

  it('finite differences catch a wrong gradient', () => {
    const rng = new TestRandom(8);
    const x = rng.array(6);
    const wrong = x.map((v) => 3 * v * v); // derivative of v³ would be 3v², of Σv³/2 is not
    const fd = numericalGradient((v) => v.reduce((s, t) => s + (t * t * t) / 2, 0), x);
    expect(() => expectClose(wrong, fd, FINITE_DIFFERENCE, 'deliberately wrong')).toThrow();
  });
});
