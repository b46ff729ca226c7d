import { describe, expect, it } from 'vitest';
import { FINITE_DIFFERENCE, expectClose } from '../helpers/compare.ts';
import { TestRandom } from '../helpers/random.ts';
import {
  batchNormBackward,
  batchNormDims,
  batchNormEvalForward,
  batchNormTrainForward,
  channelMoments,
} from './batchnorm.ts';
import { dot, numericalGradient } from './gradcheck.ts';

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

describe('reference batch norm backward', () => {
  const shapes = [
    [2, 3, 3, 2],
    [3, 2, 1, 5],
    [4, 3],
    [2, 2], // the smallest training batch: x̂ = ±1 per channel
  ];
  for (const shape of shapes)
    it(`${shape.join('x')} matches finite differences for x, gamma and beta`, () => {
      const rng = new TestRandom(size(shape) + 13);
      const d = batchNormDims(shape);
      const x = rng.array(size(shape), -2, 2);
      const gamma = rng.array(d.C, 0.5, 1.5);
      const beta = rng.array(d.C);
      const running = new Float64Array(d.C);
      const dy = rng.array(size(shape));
      const loss = (xv: Float64Array, g: Float64Array, b: Float64Array) => dot(batchNormTrainForward(xv, g, b, running, running, d).y, dy);
      const { mean, invStd } = batchNormTrainForward(x, gamma, beta, running, running, d);
      const { dx, dgamma, dbeta } = batchNormBackward(dy, x, gamma, mean, invStd, d);
      expectClose(dx, numericalGradient((v) => loss(v, gamma, beta), x), FINITE_DIFFERENCE, 'dx');
      expectClose(dgamma, numericalGradient((v) => loss(x, v, beta), gamma), FINITE_DIFFERENCE, 'dgamma');
      expectClose(dbeta, numericalGradient((v) => loss(x, gamma, v), beta), FINITE_DIFFERENCE, 'dbeta');
    });
});

describe('reference batch norm forward', () => {
  it('normalises each channel to mean β and standard deviation |γ| (up to eps)', () => {
    const shape = [3, 2, 4, 5];
    const rng = new TestRandom(5);
    const d = batchNormDims(shape);
    const x = rng.array(size(shape), 3, 9);
    const gamma = [2, -0.5];
    const beta = [0.25, -1];
    const { y, mean, invStd } = batchNormTrainForward(x, gamma, beta, [0, 0], [1, 1], d, { momentum: 0.1, eps: 0 });
    const moments = channelMoments(y, d);
    expectClose(moments.mean, beta, FINITE_DIFFERENCE, 'mean of y');
    expectClose(moments.variance, [4, 0.25], FINITE_DIFFERENCE, 'variance of y');
    expectClose(mean, channelMoments(x, d).mean, FINITE_DIFFERENCE, 'saved mean');
    expect(invStd.every((v) => v > 0)).toBe(true);
  });

  it('updates running statistics with the unbiased variance', () => {
    // One channel holding 1, 2, 3, 4: mean 2.5, biased variance 1.25, unbiased 5/3.
    const d = batchNormDims([2, 1, 1, 2]);
    const out = batchNormTrainForward([1, 2, 3, 4], [1], [0], [1], [2], d, { momentum: 0.25, eps: 1e-5 });
    expectClose(out.runningMean, [0.75 * 1 + 0.25 * 2.5], FINITE_DIFFERENCE, 'running mean');
    expectClose(out.runningVar, [0.75 * 2 + 0.25 * (5 / 3)], FINITE_DIFFERENCE, 'running var');
    expectClose(out.invStd, [1 / Math.sqrt(1.25 + 1e-5)], FINITE_DIFFERENCE, 'invStd (biased variance)');
  });

  it('evaluation uses the running statistics', () => {
    // [N, C] = [2, 2]: channel 0 holds 3, 5; channel 1 holds -1, 7.
    const y = batchNormEvalForward([3, -1, 5, 7], [2, 1], [1, 0], [1, 3], [4, 16], batchNormDims([2, 2]), 0);
    expectClose(y, [2 * (2 / 2) + 1, -4 / 4, 2 * (4 / 2) + 1, 4 / 4], FINITE_DIFFERENCE, 'y');
  });
});
