// The layers wired together: parameter gradients a Sequential writes into the flat
// gradient buffer equal finite differences of the same network built from the float64
// references, for every parameter, the first layer's (whose input gradient is skipped) included.
import { describe, expect, it } from 'vitest';
import { softmaxCrossEntropy } from '../../src/kernels/softmax_xent.ts';
import { ReLU } from '../../src/nn/activations.ts';
import { BatchNorm } from '../../src/nn/batchnorm.ts';
import { Conv2d } from '../../src/nn/conv2d.ts';
import { Flatten } from '../../src/nn/flatten.ts';
import { Linear } from '../../src/nn/linear.ts';
import { initContexts } from '../../src/nn/init.ts';
import { ParameterStore } from '../../src/nn/parameters.ts';
import { MaxPool2d } from '../../src/nn/pooling.ts';
import { Sequential } from '../../src/nn/sequential.ts';
import { BACKWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { batchNormDims, batchNormTrainForward } from '../reference/batchnorm.ts';
import { conv2dForward64, convDims } from '../reference/conv2d.ts';
import { reluForward } from '../reference/eltwise.ts';
import { numericalGradient } from '../reference/gradcheck.ts';
import { linearForward } from '../reference/matmul.ts';
import { maxPoolForward, poolDims } from '../reference/pool.ts';
import { softmaxXentForward } from '../reference/softmax_xent.ts';

const gpu = useGpu();

const [B, Ci, H, W, Co, classes] = [3, 2, 6, 6, 3, 4];

/** `fusedRelu`: ReLU(BN(·)) as one BatchNorm layer (its relu option) instead of two layers. */
function model(seed: number, fusedRelu = false): Sequential {
  const activation = fusedRelu ? [new BatchNorm('bn', Co, { relu: true })] : [new BatchNorm('bn', Co), new ReLU('relu')];
  return new Sequential([
    new Conv2d('conv', Ci, Co, 3, initContexts(seed, 0), { padding: 1 }),
    ...activation,
    new MaxPool2d('pool', { kernel: 2, stride: 2 }),
    new Flatten('flatten'),
    new Linear('fc', Co * 3 * 3, classes, initContexts(seed, 1)),
  ]);
}

/** The same network in float64: loss as a function of every parameter. */
function referenceLoss(p: Record<string, Float64Array>, x: Float64Array, t: Float64Array): number {
  const conv = conv2dForward64(x, p['conv.weight']!, p['conv.bias']!, convDims([B, Ci, H, W], [Co, Ci, 3, 3], 1, 1));
  const bn = batchNormTrainForward(conv, p['bn.weight']!, p['bn.bias']!, new Float64Array(Co), new Float64Array(Co).fill(1), batchNormDims([B, Co, H, W]));
  const pooled = maxPoolForward(reluForward(bn.y), poolDims([B, Co, H, W], 2)).y;
  const logits = linearForward(pooled, p['fc.weight']!, p['fc.bias']!, B, Co * 9, classes);
  return softmaxXentForward(logits, t, B, classes);
}

describe('Sequential', () => {
  for (const fusedRelu of [false, true])
    it(`writes every parameter gradient into the flat buffer, matching finite differences${fusedRelu ? ' (ReLU fused into BN)' : ''}`, async () => {
      const rng = new TestRandom(11);
      const x = rng.array(B * Ci * H * W);
      const t = new Float64Array(B * classes);
      for (let b = 0; b < B; b++) t[b * classes + (b % classes)] = 1;
      const net = model(3, fusedRelu);
      const store = new ParameterStore(gpu(), net.parameters, net.state);
      const params: Record<string, Float64Array> = {};
      for (const p of net.parameters) params[p.name] = Float64Array.from(await gpu().read(p.value));
      const X = gpu().upload(x, [B, Ci, H, W]);
      const T = gpu().upload(t, [B, classes]);
      const ctx = { gpu: gpu(), training: true, step: 0, seed: 3 };
      const logits = await net.forward(ctx, X);
      const { loss, dlogits, correct } = await softmaxCrossEntropy(gpu(), logits, T);
      await net.backward(ctx, dlogits);
      const [gpuLoss] = await gpu().read(loss);
      expect(gpuLoss).toBeCloseTo(referenceLoss(params, x, t), 4);
      for (const p of net.parameters) {
        const expected = numericalGradient((v) => referenceLoss({ ...params, [p.name]: v }, x, t), params[p.name]!.slice());
        expectClose(await gpu().read(p.grad), expected, BACKWARD, `gradient of ${p.name}`);
      }
      gpu().release(X, T, logits, loss, dlogits, correct);
      store.dispose();
    });

  for (const fusedRelu of [false, true])
    it(`returns every activation to the pool after backward${fusedRelu ? ' (ReLU fused into BN)' : ''}`, async () => {
      const net = model(4, fusedRelu);
      const store = new ParameterStore(gpu(), net.parameters, net.state);
      const X = gpu().upload(new TestRandom(2).array(B * Ci * H * W), [B, Ci, H, W]);
      const T = gpu().upload(new Float64Array(B * classes).fill(1 / classes), [B, classes]);
      const inUse = gpu().pool.stats().inUse;
      const ctx = { gpu: gpu(), training: true, step: 0, seed: 4 };
      const logits = await net.forward(ctx, X);
      const { loss, dlogits, correct } = await softmaxCrossEntropy(gpu(), logits, T);
      await net.backward(ctx, dlogits);
      gpu().release(logits, loss, dlogits, correct);
      await gpu().sync();
      expect(gpu().pool.stats().inUse).toBe(inUse);
      gpu().release(X, T);
      store.dispose();
    });

  it('evaluation leaves the caller\'s input alone when the first layer is a view (Flatten)', async () => {
    const net = new Sequential([new Flatten('flatten'), new Linear('fc', Ci * H * W, classes, initContexts(5, 0))]);
    const store = new ParameterStore(gpu(), net.parameters, net.state);
    const x = new TestRandom(3).array(B * Ci * H * W);
    const X = gpu().upload(x, [B, Ci, H, W]);
    const inUse = gpu().pool.stats().inUse;
    const logits = await net.forward({ gpu: gpu(), training: false, step: 0, seed: 5 }, X);
    gpu().release(logits);
    expect(gpu().pool.stats().inUse).toBe(inUse);
    expectClose(await gpu().read(X), x, BACKWARD, 'input after evaluation');
    gpu().release(X);
    store.dispose();
  });
});
