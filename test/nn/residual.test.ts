// Residual blocks of both models, small: the GPU forward matches the same block composed
// from the float64 references (conv2d, batchnorm, eltwise), and every gradient the block
// produces — the input's, which sums both paths, and each parameter's — matches central
// finite differences of that reference.
import { describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { ReLU } from '../../src/nn/activations.ts';
import { Flatten } from '../../src/nn/flatten.ts';
import type { Layer } from '../../src/nn/layer.ts';
import { basicBlock } from '../../src/nn/models/resnet18.ts';
import { wideBasicBlock } from '../../src/nn/models/wrn.ts';
import { initContexts } from '../../src/nn/init.ts';
import { ParameterStore } from '../../src/nn/parameters.ts';
import { Residual } from '../../src/nn/residual.ts';
import { Sequential } from '../../src/nn/sequential.ts';
import { BACKWARD, FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { batchNormDims, batchNormTrainForward } from '../reference/batchnorm.ts';
import { conv2dForward64, convDims, convOutputSize } from '../reference/conv2d.ts';
import { addForward, reluForward } from '../reference/eltwise.ts';
import { dot, numericalGradient } from '../reference/gradcheck.ts';

const gpu = useGpu();

type Params = Record<string, Float64Array>;

/** An activation of the float64 reference with its NCHW shape. */
interface Act {
  v: Float64Array;
  shape: number[];
}

function conv(p: Params, name: string, x: Act, stride: number, kernel = 3): Act {
  const w = p[`${name}.weight`]!;
  const [B, Ci] = x.shape as [number, number];
  const Co = w.length / (Ci * kernel * kernel);
  const d = convDims(x.shape, [Co, Ci, kernel, kernel], stride, (kernel - 1) / 2);
  const [OH, OW] = convOutputSize(d);
  return { v: conv2dForward64(x.v, w, undefined, d), shape: [B, Co, OH, OW] };
}

function bn(p: Params, name: string, x: Act): Act {
  const C = x.shape[1]!;
  const stats = [new Float64Array(C), new Float64Array(C).fill(1)] as const;
  return { v: batchNormTrainForward(x.v, p[`${name}.weight`]!, p[`${name}.bias`]!, ...stats, batchNormDims(x.shape)).y, shape: x.shape };
}

const relu = (x: Act): Act => ({ v: reluForward(x.v), shape: x.shape });
const sum = (a: Act, b: Act): Act => ({ v: addForward(a.v, b.v), shape: a.shape });

/** ResNet's post-activation block (§5.3). */
function referenceBasicBlock(p: Params, x: Act, stride: number, projects: boolean): Act {
  const h = bn(p, 'b.bn2', conv(p, 'b.conv2', relu(bn(p, 'b.bn1', conv(p, 'b.conv1', x, stride))), 1));
  const shortcut = projects ? bn(p, 'b.shortcut.1', conv(p, 'b.shortcut.0', x, stride, 1)) : x;
  return relu(sum(h, shortcut));
}

/** WRN's pre-activation block (§5.2): the projection takes the pre-activated input, the identity x itself. */
function referenceWideBlock(p: Params, x: Act, stride: number, projects: boolean): Act {
  const a = relu(bn(p, 'b.bn1', x));
  const h = conv(p, 'b.conv2', relu(bn(p, 'b.bn2', conv(p, 'b.conv1', a, stride))), 1);
  return sum(projects ? conv(p, 'b.conv_shortcut', a, stride, 1) : x, h);
}

interface Case {
  what: string;
  block: (seed: number) => Layer;
  reference: (p: Params, x: Act) => Act;
  input: number[];
}

const nextInit = (seed: number) => {
  let layer = 0;
  return () => initContexts(seed, layer++);
};

const cases: Case[] = [
  { what: 'ResNet block, identity shortcut', block: (s) => basicBlock('b', 3, 3, 1, nextInit(s)), reference: (p, x) => referenceBasicBlock(p, x, 1, false), input: [2, 3, 4, 4] },
  { what: 'ResNet block, 1×1 stride-2 projection with BN', block: (s) => basicBlock('b', 2, 3, 2, nextInit(s)), reference: (p, x) => referenceBasicBlock(p, x, 2, true), input: [2, 2, 5, 5] },
  { what: 'WRN block, identity shortcut', block: (s) => wideBasicBlock('b', 3, 3, 1, nextInit(s)), reference: (p, x) => referenceWideBlock(p, x, 1, false), input: [2, 3, 4, 4] },
  { what: 'WRN block, pre-activated 1×1 stride-2 projection', block: (s) => wideBasicBlock('b', 2, 3, 2, nextInit(s)), reference: (p, x) => referenceWideBlock(p, x, 2, true), input: [2, 2, 4, 4] },
];

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const asF32 = (v: Float64Array) => Float64Array.from(Float32Array.from(v));

describe('residual blocks', () => {
  for (const c of cases) {
    it(`${c.what}: forward, input and parameter gradients match the float64 reference`, async () => {
      const rng = new TestRandom(c.input.reduce((a, b) => a * 7 + b, 1));
      const block = c.block(5);
      const store = new ParameterStore(gpu(), block.parameters, block.state);
      const params: Params = {};
      for (const p of block.parameters) params[p.name] = Float64Array.from(await gpu().read(p.value));
      const x = asF32(rng.array(size(c.input)));
      const outShape = block.outputShape(c.input);
      const expectedY = c.reference(params, { v: x, shape: c.input });
      expect(expectedY.shape).toEqual(outShape);
      const weights = asF32(rng.array(size(outShape)));
      const X = gpu().upload(x, c.input);
      const dY = gpu().upload(weights, outShape);
      const ctx = { gpu: gpu(), training: true, step: 0, seed: 5 };

      const Y = await block.forward(ctx, X);
      expectClose(await gpu().read(Y), expectedY.v, FORWARD, 'forward');
      const dX = (await block.backward(ctx, dY, true))!;
      const loss = (p: Params, input: Float64Array) => dot(c.reference(p, { v: input, shape: c.input }).v, weights);
      expectClose(await gpu().read(dX), numericalGradient((v) => loss(params, v), x.slice()), BACKWARD, 'input gradient');
      for (const p of block.parameters) {
        const expected = numericalGradient((v) => loss({ ...params, [p.name]: v }, x), params[p.name]!.slice());
        expectClose(await gpu().read(p.grad), expected, BACKWARD, `gradient of ${p.name}`);
      }
      gpu().release(Y, dX, X, dY);
      store.dispose();
    });
  }

  it('without an input gradient it returns none and writes the same parameter gradients', async () => {
    const block = basicBlock('b', 2, 3, 2, nextInit(6));
    const store = new ParameterStore(gpu(), block.parameters, block.state);
    const rng = new TestRandom(8);
    const X = gpu().upload(rng.array(2 * 2 * 5 * 5), [2, 2, 5, 5]);
    const dY = gpu().upload(rng.array(2 * 3 * 3 * 3), [2, 3, 3, 3]);
    const ctx = { gpu: gpu(), training: true, step: 0, seed: 6 };
    const gradsAfter = async (inputGrad: boolean) => {
      const Y = await block.forward(ctx, X);
      const dX = await block.backward(ctx, dY, inputGrad);
      gpu().release(Y, dX);
      return { dX, grads: await gpu().read(store.grads) };
    };
    const withInput = await gradsAfter(true);
    const inUse = gpu().pool.stats().inUse;
    const without = await gradsAfter(false);
    expect(withInput.dX).toBeDefined();
    expect(without.dX).toBeUndefined();
    expect(without.grads).toEqual(withInput.grads);
    expect(gpu().pool.stats().inUse).toBe(inUse);
    gpu().release(X, dY);
    store.dispose();
  });

  // Edge cases of buffer ownership: paths that return their input (or a view of it) and
  // input gradients that are the caller's dy.
  const viewPaths: { what: string; main: Layer[]; shortcut?: Layer[]; y: (x: number) => number; dx: (x: number, dy: number) => number }[] = [
    { what: 'an empty main path and the identity: y = 2x', main: [], y: (x) => 2 * x, dx: (_x, dy) => 2 * dy },
    { what: 'ReLU and the identity: y = relu(x) + x', main: [new ReLU('r')], y: (x) => Math.max(x, 0) + x, dx: (x, dy) => (x > 0 ? 2 * dy : dy) },
    {
      what: 'a reshape against ReLU: y = x + relu(x)',
      main: [new Flatten('f')],
      shortcut: [new ReLU('r'), new Flatten('g')],
      y: (x) => x + Math.max(x, 0),
      dx: (x, dy) => (x > 0 ? 2 * dy : dy),
    },
  ];
  for (const path of viewPaths) {
    it(`sums gradients and releases every buffer once for ${path.what}`, async () => {
      const shape = [2, 1, 3, 3];
      const block = new Residual('res', new Sequential(path.main), path.shortcut && new Sequential(path.shortcut));
      const rng = new TestRandom(9);
      const x = asF32(rng.array(18));
      const dy = asF32(rng.array(18));
      const X = gpu().upload(x, shape);
      const outShape = block.outputShape(shape);
      const dY = gpu().upload(dy, outShape);
      const inUse = gpu().pool.stats().inUse;
      const ctx = { gpu: gpu(), training: true, step: 0, seed: 1 };
      const Y: Tensor = await block.forward(ctx, X);
      const dX = (await block.backward(ctx, dY, true))!;
      expect(dX.buffer).not.toBe(dY.buffer);
      expectClose(await gpu().read(Y), Array.from(x, path.y), FORWARD, 'forward');
      expectClose(await gpu().read(dX), Array.from(x, (v, i) => path.dx(v, dy[i]!)), FORWARD, 'input gradient');
      gpu().release(Y, dX);
      expect(gpu().pool.stats().inUse).toBe(inUse);
      const evalY = await block.forward({ ...ctx, training: false }, X);
      gpu().release(evalY);
      expect(gpu().pool.stats().inUse).toBe(inUse);
      gpu().release(X, dY);
    });
  }

  it('rejects paths whose outputs differ in shape', () => {
    const block = new Residual('res', new Sequential([new Flatten('f')]));
    expect(() => block.outputShape([2, 1, 3, 3])).toThrow(/res: for input \[2, 1, 3, 3\] the main path gives \[2, 9\] but the shortcut \[2, 1, 3, 3\]/);
  });
});
