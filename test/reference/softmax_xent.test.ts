import { describe, expect, it } from 'vitest';
import { FINITE_DIFFERENCE, expectClose } from '../helpers/compare.ts';
import { TestRandom } from '../helpers/random.ts';
import { numericalGradient } from './gradcheck.ts';
import { softmaxXentBackward, softmaxXentCorrect, softmaxXentForward } from './softmax_xent.ts';

/** Random probability rows: positive weights normalised to sum 1. */
function softTargets(rng: TestRandom, rows: number, classes: number): Float64Array {
  const t = rng.array(rows * classes, 0.01, 1);
  for (let r = 0; r < rows; r++) {
    const row = t.subarray(r * classes, (r + 1) * classes);
    const sum = row.reduce((s, v) => s + v, 0);
    row.forEach((v, c) => (row[c] = v / sum));
  }
  return t;
}

function oneHot(labels: readonly number[], classes: number): Float64Array {
  const t = new Float64Array(labels.length * classes);
  labels.forEach((label, r) => (t[r * classes + label] = 1));
  return t;
}

describe('reference softmax cross-entropy', () => {
  it('backward matches finite differences for soft targets', () => {
    const rng = new TestRandom(11);
    const [B, C] = [3, 5];
    const z = rng.array(B * C, -3, 3);
    const t = softTargets(rng, B, C);
    const fd = numericalGradient((v) => softmaxXentForward(v, t, B, C), z);
    expectClose(softmaxXentBackward(z, t, B, C), fd, FINITE_DIFFERENCE, 'dlogits');
  });

  it('backward matches finite differences for one-hot targets', () => {
    const rng = new TestRandom(12);
    const [B, C] = [4, 3];
    const z = rng.array(B * C, -2, 2);
    const t = oneHot([0, 2, 1, 2], C);
    const fd = numericalGradient((v) => softmaxXentForward(v, t, B, C), z);
    expectClose(softmaxXentBackward(z, t, B, C), fd, FINITE_DIFFERENCE, 'dlogits');
  });

  it('gives log C for equal logits and matches the naive formula for moderate logits', () => {
    expect(softmaxXentForward([2, 2, 2, 2], oneHot([1], 4), 1, 4)).toBeCloseTo(Math.log(4), 14);
    const z = [0.5, -1, 2];
    const t = [0.2, 0.3, 0.5];
    const sumExp = z.reduce((s, v) => s + Math.exp(v), 0);
    const naive = -t.reduce((s, tc, c) => s + tc * Math.log(Math.exp(z[c]!) / sumExp), 0);
    expect(softmaxXentForward(z, t, 1, 3)).toBeCloseTo(naive, 14);
  });

  it('stays finite for logits of ±80 (naive exp would lose the row)', () => {
    const z = [80, -80, 0, -80, 80, 80];
    const t = oneHot([1, 0], 3);
    expect(softmaxXentForward(z, t, 2, 3)).toBeCloseTo((160 + 160 + Math.log(2)) / 2, 10);
    expect(Array.from(softmaxXentBackward(z, t, 2, 3)).every(Number.isFinite)).toBe(true);
  });

  it('counts correct rows with the first index winning ties', () => {
    const z = [1, 3, 3, 0, 0, 0, 5, 1, 2];
    const t = oneHot([1, 0, 2], 3);
    expect(softmaxXentCorrect(z, t, 3, 3)).toBe(2);
  });
});
