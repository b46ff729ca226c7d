import { describe, expect, it } from 'vitest';
import { Gpu } from '../../src/gpu/gpu.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { batchNormBackward, batchNormEvalForward, batchNormTrainForward } from '../../src/kernels/batchnorm.ts';
import { BACKWARD, FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import * as ref from '../reference/batchnorm.ts';

const gpu = useGpu();

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** f32 inputs for one layer: x and dy, plus γ, β and running statistics (variance > 0). */
function layerData(shape: readonly number[], seed: number) {
  const rng = new TestRandom(seed);
  const C = shape[1]!;
  const f32 = (values: Float64Array) => Float32Array.from(values);
  return {
    x: f32(rng.array(size(shape), -3, 5)),
    dy: f32(rng.array(size(shape))),
    gamma: f32(rng.array(C, -1.5, 1.5)),
    beta: f32(rng.array(C)),
    runningMean: f32(rng.array(C)),
    runningVar: f32(rng.array(C, 0.5, 2)),
  };
}

type LayerData = ReturnType<typeof layerData>;

function uploadParams(data: LayerData) {
  const C = data.gamma.length;
  return {
    gamma: gpu().upload(data.gamma, [C]),
    beta: gpu().upload(data.beta, [C]),
    runningMean: gpu().upload(data.runningMean, [C]),
    runningVar: gpu().upload(data.runningVar, [C]),
  };
}

async function readAndRelease(...tensors: Tensor[]): Promise<Float32Array[]> {
  const values = await Promise.all(tensors.map((t) => gpu().read(t)));
  gpu().release(...tensors);
  return values;
}

/** One training step (forward with running update, then backward) on the GPU and in float64. */
async function expectTrainingStepMatches(shape: readonly number[], data: LayerData): Promise<{ saveMean: Float32Array }> {
  const d = ref.batchNormDims(shape);
  const p = uploadParams(data);
  const X = gpu().upload(data.x, shape);
  const DY = gpu().upload(data.dy, shape);
  const { y: Y, saveMean, saveInvStd } = await batchNormTrainForward(gpu(), X, p.gamma, p.beta, p.runningMean, p.runningVar);
  expect(Y.shape).toEqual(shape);
  const { dx: DX, dgamma: DG, dbeta: DB } = await batchNormBackward(gpu(), DY, X, p.gamma, saveMean, saveInvStd);
  const [y, mean, invStd, runningMean, runningVar, dx, dgamma, dbeta] = await readAndRelease(Y, saveMean, saveInvStd, p.runningMean, p.runningVar, DX, DG, DB);

  const expected = ref.batchNormTrainForward(data.x, data.gamma, data.beta, data.runningMean, data.runningVar, d);
  expectClose(y!, expected.y, FORWARD, 'y');
  expectClose(mean!, expected.mean, FORWARD, 'saveMean');
  expectClose(invStd!, expected.invStd, FORWARD, 'saveInvStd');
  expectClose(runningMean!, expected.runningMean, FORWARD, 'runningMean');
  expectClose(runningVar!, expected.runningVar, FORWARD, 'runningVar');
  const grads = ref.batchNormBackward(data.dy, data.x, data.gamma, expected.mean, expected.invStd, d);
  expectClose(dx!, grads.dx, BACKWARD, 'dx');
  expectClose(dgamma!, grads.dgamma, BACKWARD, 'dgamma');
  expectClose(dbeta!, grads.dbeta, BACKWARD, 'dbeta');
  gpu().release(X, DY, p.gamma, p.beta);
  return { saveMean: mean! };
}

describe('batch norm training step', () => {
  const shapes = [
    [2, 3], // 1d, the smallest training batch
    [7, 5], // 1d, odd sizes
    [2, 3, 4, 4],
    [3, 5, 7, 5], // odd sizes
    [1, 2, 9, 11], // batch 1: 99 values per channel
    [4, 3, 17, 19], // 1292 values per channel: several per invocation; rows of 323 cut into 6 runs
    [128, 1, 32, 32], // a WRN-40-2 first-block channel: 131072 values
    // The Vec4 kernels take H·W % 4 == 0 (above: 4x4, 32x32); these cross their edges.
    [3, 2, 10, 10], // vec4 rows of 100 values: a full run of 64 and a short one of 36
    [70, 3, 2, 2], // vec4, more rows per channel (70) than the 64 invocations of the statistics
    [130, 3], // 1d, the same with scalar rows of one value
  ];
  for (const shape of shapes)
    it(shape.join('x'), async () => {
      await expectTrainingStepMatches(shape, layerData(shape, size(shape) + 3));
    });

  it('a channel at 1000 ± 0.01 keeps its variance, mean and gradients (no E[x²] − E[x]²)', async () => {
    const shape = [16, 3, 16, 16];
    const d = ref.batchNormDims(shape);
    const data = layerData(shape, 17);
    const rng = new TestRandom(18);
    for (let n = 0; n < d.N; n++)
      for (let i = 0; i < d.inner; i++) data.x[(n * d.C + 1) * d.inner + i] = 1000 + 0.01 * rng.uniform(-1, 1);
    const { mean, variance } = ref.channelMoments(data.x, d);
    const naiveError = Math.abs(naiveF32Variance(data.x, d, 1) - variance[1]!);
    expect(naiveError, 'the data defeats E[x²] − E[x]² in f32').toBeGreaterThan(variance[1]!);

    const { saveMean } = await expectTrainingStepMatches(shape, data);
    // FORWARD's rtol allows 0.1 at 1000; the mean is good to the f32 spacing there (2⁻¹⁴).
    expect(Math.abs(saveMean[1]! - mean[1]!), 'saveMean error at 1000').toBeLessThanOrEqual(2 ** -14);
  });

  it('running statistics follow two consecutive steps', async () => {
    const shape = [3, 4, 5, 3];
    const d = ref.batchNormDims(shape);
    const first = layerData(shape, 21);
    const second = layerData(shape, 22);
    const p = uploadParams(first);
    let expected: { runningMean: ArrayLike<number>; runningVar: ArrayLike<number> } = first;
    const options = { momentum: 0.3, eps: 1e-3 };
    for (const step of [first, second]) {
      const X = gpu().upload(step.x, shape);
      const out = await batchNormTrainForward(gpu(), X, p.gamma, p.beta, p.runningMean, p.runningVar, options);
      gpu().release(X, out.y, out.saveMean, out.saveInvStd);
      expected = ref.batchNormTrainForward(step.x, first.gamma, first.beta, expected.runningMean, expected.runningVar, d, options);
    }
    const [runningMean, runningVar] = await readAndRelease(p.runningMean, p.runningVar);
    expectClose(runningMean!, expected.runningMean, FORWARD, 'runningMean after two steps');
    expectClose(runningVar!, expected.runningVar, FORWARD, 'runningVar after two steps');
    gpu().release(p.gamma, p.beta);
  });

  it('gives the same bits every run', async () => {
    const shape = [5, 2, 9, 7];
    const data = layerData(shape, 31);
    const runs: Float32Array[][] = [];
    for (let run = 0; run < 2; run++) {
      const p = uploadParams(data);
      const X = gpu().upload(data.x, shape);
      const DY = gpu().upload(data.dy, shape);
      const { y, saveMean, saveInvStd } = await batchNormTrainForward(gpu(), X, p.gamma, p.beta, p.runningMean, p.runningVar);
      const { dx, dgamma } = await batchNormBackward(gpu(), DY, X, p.gamma, saveMean, saveInvStd);
      runs.push(await readAndRelease(y, saveInvStd, dx, dgamma, p.runningVar));
      gpu().release(X, DY, saveMean, p.gamma, p.beta, p.runningMean);
    }
    runs[1]!.forEach((values, i) => expect(values, `output ${i}`).toEqual(runs[0]![i]));
  });
});

describe('batch norm with a fused ReLU', () => {
  // Scalar and vec4 kernels, one run a row and several.
  const shapes = [
    [7, 5],
    [3, 5, 7, 5],
    [2, 3, 4, 4],
    [3, 2, 10, 10],
  ];
  for (const shape of shapes)
    it(`${shape.join('x')}: max(y, 0) forward; backward is BN's of dy zeroed where y ≤ 0`, async () => {
      const d = ref.batchNormDims(shape);
      const data = layerData(shape, size(shape) + 11);
      const p = uploadParams(data);
      const X = gpu().upload(data.x, shape);
      const DY = gpu().upload(data.dy, shape);
      const forward = await batchNormTrainForward(gpu(), X, p.gamma, p.beta, p.runningMean, p.runningVar, { relu: true });
      const relu = { beta: p.beta, saveMeanOffset: forward.saveMeanOffset! };
      const { dx: DX, dgamma: DG, dbeta: DB } = await batchNormBackward(gpu(), DY, X, p.gamma, forward.saveMean, forward.saveInvStd, relu);
      const Y = await batchNormEvalForward(gpu(), X, p.gamma, p.beta, p.runningMean, p.runningVar, { relu: true });
      const [y, dx, dgamma, dbeta, evalY] = await readAndRelease(forward.y, DX, DG, DB, Y);

      const expected = ref.batchNormTrainForward(data.x, data.gamma, data.beta, data.runningMean, data.runningVar, d);
      const positive = expected.y.map((v) => (v > 0 ? 1 : 0));
      expect(positive.reduce((a, b) => a + b, 0), 'the ReLU cuts some values and passes others').toBeGreaterThan(0);
      expect(positive.reduce((a, b) => a + b, 0)).toBeLessThan(positive.length);
      expectClose(y!, expected.y.map((v) => Math.max(v, 0)), FORWARD, 'y');
      const maskedDy = Float64Array.from(data.dy, (g, i) => g * positive[i]!);
      const grads = ref.batchNormBackward(maskedDy, data.x, data.gamma, expected.mean, expected.invStd, d);
      expectClose(dx!, grads.dx, BACKWARD, 'dx');
      expectClose(dgamma!, grads.dgamma, BACKWARD, 'dgamma');
      expectClose(dbeta!, grads.dbeta, BACKWARD, 'dbeta');
      const running = ref.batchNormTrainForward(data.x, data.gamma, data.beta, data.runningMean, data.runningVar, d);
      const evalExpected = ref.batchNormEvalForward(data.x, data.gamma, data.beta, running.runningMean, running.runningVar, d);
      expectClose(evalY!, evalExpected.map((v) => Math.max(v, 0)), FORWARD, 'eval y');
      gpu().release(X, DY, forward.saveMean, forward.saveInvStd, forward.saveMeanOffset, p.gamma, p.beta, p.runningMean, p.runningVar);
    });

  it('without relu the forward returns no meanOffset, and backward rejects a mis-sized one', async () => {
    const shape = [2, 3, 4, 4];
    const data = layerData(shape, 5);
    const p = uploadParams(data);
    const X = gpu().upload(data.x, shape);
    const forward = await batchNormTrainForward(gpu(), X, p.gamma, p.beta, p.runningMean, p.runningVar);
    expect(forward.saveMeanOffset).toBeUndefined();
    const wrong = gpu().upload([0, 0], [2]);
    await expect(batchNormBackward(gpu(), X, X, p.gamma, forward.saveMean, forward.saveInvStd, { beta: p.beta, saveMeanOffset: wrong })).rejects.toThrow(
      /batchNormBackward: saveMeanOffset must be f32 \[3\]/,
    );
    gpu().release(X, wrong, forward.y, forward.saveMean, forward.saveInvStd, p.gamma, p.beta, p.runningMean, p.runningVar);
  });
});

describe('batch norm evaluation forward', () => {
  const shapes = [
    [1, 3], // batch 1 needs no batch statistics
    [6, 7],
    [1, 2, 5, 5],
    [3, 4, 7, 9],
    [2, 3, 4, 4], // vec4
    [2, 2, 10, 12], // vec4 rows of 120: two runs
  ];
  for (const shape of shapes)
    it(`${shape.join('x')} uses the running statistics and leaves them unchanged`, async () => {
      const data = layerData(shape, size(shape) + 5);
      const p = uploadParams(data);
      const X = gpu().upload(data.x, shape);
      const Y = await batchNormEvalForward(gpu(), X, p.gamma, p.beta, p.runningMean, p.runningVar, { eps: 1e-3 });
      const [y, runningMean, runningVar] = await readAndRelease(Y, p.runningMean, p.runningVar);
      const d = ref.batchNormDims(shape);
      expectClose(y!, ref.batchNormEvalForward(data.x, data.gamma, data.beta, data.runningMean, data.runningVar, d, 1e-3), FORWARD, 'y');
      expect(runningMean).toEqual(data.runningMean);
      expect(runningVar).toEqual(data.runningVar);
      gpu().release(X, p.gamma, p.beta);
    });
});

describe('flattened 2-D grid', () => {
  it('covers every run when workgroups spill into y', async () => {
    // A runtime that believes only 3 workgroups fit per dimension (so at most 3 channels):
    // 1560 runs of 64 values (vec4) and 780 (scalar) need 7 and 4 workgroups of 256, which
    // grid1d spreads over (3, 3) and (2, 2); the kernels must skip the invocations past the
    // last run.
    const base = gpu();
    const narrow = new Gpu({ ...base.acquired, limits: { ...base.acquired.limits, maxComputeWorkgroupsPerDimension: 3 } });
    try {
      for (const shape of [[130, 3, 16, 16], [130, 3, 9, 9]]) {
        const data = layerData(shape, size(shape));
        const d = ref.batchNormDims(shape);
        const C = shape[1]!;
        const [gamma, beta, runningMean, runningVar] = [data.gamma, data.beta, data.runningMean, data.runningVar].map((v) => narrow.upload(v, [C]));
        const X = narrow.upload(data.x, shape);
        const DY = narrow.upload(data.dy, shape);
        const { y, saveMean, saveInvStd } = await batchNormTrainForward(narrow, X, gamma!, beta!, runningMean!, runningVar!);
        const { dx } = await batchNormBackward(narrow, DY, X, gamma!, saveMean, saveInvStd);
        const yEval = await batchNormEvalForward(narrow, X, gamma!, beta!, runningMean!, runningVar!);
        const expected = ref.batchNormTrainForward(data.x, data.gamma, data.beta, data.runningMean, data.runningVar, d);
        const grads = ref.batchNormBackward(data.dy, data.x, data.gamma, expected.mean, expected.invStd, d);
        const label = shape.join('x');
        expectClose(await narrow.read(y), expected.y, FORWARD, `${label} y`);
        expectClose(await narrow.read(dx), grads.dx, BACKWARD, `${label} dx`);
        const evalExpected = ref.batchNormEvalForward(data.x, data.gamma, data.beta, expected.runningMean, expected.runningVar, d, 1e-5);
        expectClose(await narrow.read(yEval), evalExpected, FORWARD, `${label} eval y`);
      }
    } finally {
      await narrow.sync();
      narrow.dispose();
    }
  });
});

describe('batch norm rejects bad shapes and options', () => {
  it('names the argument, what it got and what it expected, before recording anything', async () => {
    const g = gpu();
    const per = (C: number) => g.upload(new Float32Array(C).fill(1), [C]);
    const [p3, p4] = [per(3), per(4)];
    const x = g.upload(new Float32Array(2 * 3 * 4 * 4), [2, 3, 4, 4]);
    const x3d = g.upload(new Float32Array(2 * 3 * 4), [2, 3, 4]);
    const single = g.upload(new Float32Array(3), [1, 3]);
    const singlePlane = g.upload(new Float32Array(3), [1, 3, 1, 1]);
    const dispatches = g.dispatchCount;

    await expect(batchNormTrainForward(g, x3d, p3, p3, p3, p3)).rejects.toThrow(
      /batchNormTrainForward: x must be f32 \[N, C\] or \[N, C, H, W\].*got f32 \[2, 3, 4\]/,
    );
    await expect(batchNormEvalForward(g, x3d, p3, p3, p3, p3)).rejects.toThrow(/batchNormEvalForward: x must be f32 \[N, C\] or \[N, C, H, W\]/);
    await expect(batchNormTrainForward(g, x, p4, p3, p3, p3)).rejects.toThrow(
      /batchNormTrainForward: gamma must be f32 \[3\] \(one value per channel of x \[2, 3, 4, 4\]\), got f32 \[4\]/,
    );
    await expect(batchNormTrainForward(g, x, p3, p3, p3, p4)).rejects.toThrow(/runningVar must be f32 \[3\].*got f32 \[4\]/);
    await expect(batchNormEvalForward(g, x, p3, p4, p3, p3)).rejects.toThrow(/batchNormEvalForward: beta must be f32 \[3\]/);
    await expect(batchNormTrainForward(g, single, p3, p3, p3, p3)).rejects.toThrow(
      /training needs at least 2 values per channel.*x \[1, 3\] has 1/,
    );
    await expect(batchNormTrainForward(g, singlePlane, p3, p3, p3, p3)).rejects.toThrow(/x \[1, 3, 1, 1\] has 1/);
    await expect(batchNormTrainForward(g, x, p3, p3, p3, p3, { momentum: 1.5 })).rejects.toThrow(/momentum must be in \[0, 1\], got 1.5/);
    await expect(batchNormEvalForward(g, x, p3, p3, p3, p3, { eps: 0 })).rejects.toThrow(/eps must be a finite number > 0, got 0/);

    const dyWrong = g.upload(new Float32Array(2 * 3 * 16), [2, 3, 16]);
    await expect(batchNormBackward(g, dyWrong, x, p3, p3, p3)).rejects.toThrow(
      /batchNormBackward: dy must be f32 \[2, 3, 4, 4\] \(the shape of x\), got f32 \[2, 3, 16\]/,
    );
    await expect(batchNormBackward(g, x, x, p3, p3, p4)).rejects.toThrow(/batchNormBackward: saveInvStd must be f32 \[3\].*got f32 \[4\]/);
    expect(g.dispatchCount, 'dispatches recorded by rejected calls').toBe(dispatches);
    g.release(p3, p4, x, x3d, single, singlePlane, dyWrong);
  });

  it('eval accepts one value per channel', async () => {
    const g = gpu();
    const one = g.upload([1], [1]);
    const X = g.upload([5], [1, 1]);
    const Y = await batchNormEvalForward(g, X, one, one, one, one, { eps: 1e-5 });
    expectClose(await g.read(Y), [(5 - 1) / Math.sqrt(1 + 1e-5) + 1], FORWARD, 'y');
    g.release(one, X, Y);
  });
});

/** E[x²] − E[x]² for channel c, accumulated in f32 in order: the formula the kernels avoid. */
function naiveF32Variance(x: Float32Array, d: ref.BatchNormDims, c: number): number {
  let sum = 0;
  let sumSquares = 0;
  for (let n = 0; n < d.N; n++)
    for (let i = 0; i < d.inner; i++) {
      const v = x[(n * d.C + c) * d.inner + i]!;
      sum = Math.fround(sum + v);
      sumSquares = Math.fround(sumSquares + Math.fround(v * v));
    }
  const count = d.N * d.inner;
  return Math.fround(sumSquares / count) - Math.fround(sum / count) ** 2;
}
