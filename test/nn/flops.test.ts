// The FLOP counter of one training step (src/nn/flops.ts) against counts written here by
// hand from ALGORITHMS.md §5.1–5.3, and its first-layer rule against what Sequential.backward
// actually asks of each layer (leaf layers stubbed, so no GPU is needed).
import { describe, expect, it } from 'vitest';
import type { Gpu } from '../../src/gpu/gpu.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { ReLU } from '../../src/nn/activations.ts';
import { Conv2d } from '../../src/nn/conv2d.ts';
import { Flatten } from '../../src/nn/flatten.ts';
import { nonGemmFlopsEstimate, trainingStepFlops } from '../../src/nn/flops.ts';
import { initContexts } from '../../src/nn/init.ts';
import type { Layer, StepContext } from '../../src/nn/layer.ts';
import { Linear } from '../../src/nn/linear.ts';
import { createModel, modelDefinition } from '../../src/nn/models/index.ts';
import { Parameter } from '../../src/nn/parameters.ts';
import { MaxPool2d } from '../../src/nn/pooling.ts';
import { Sequential } from '../../src/nn/sequential.ts';

/** Multiply-adds per image of a k×k convolution i → o with an out×out output. */
const convMacs = (out: number, i: number, o: number, k: number) => out * out * o * i * k * k;

/** §5.1 by hand, per image, 2 FLOPs per multiply-add. */
const MNIST_FORWARD_PER_IMAGE = 2 * (26 * 26 * 32 * 9 + 24 * 24 * 32 * 32 * 9 + 10 * 10 * 64 * 32 * 9 + 8 * 8 * 64 * 64 * 9 + 1024 * 200 + 200 * 200 + 200 * 10);
const MNIST_CONV1_PER_IMAGE = 2 * 26 * 26 * 32 * 9;

/** §5.2: stem, three groups of six pre-activation blocks (the first i ≠ o, with a 1×1 shortcut), the classifier. */
function wrn40x2Macs(classes: number): { forward: number; stem: number } {
  const widths = [16, 32, 64, 128];
  const sizes = [32, 32, 16, 8]; // output side of each group (the first block of groups 2 and 3 has stride 2)
  const stem = convMacs(32, 3, 16, 3);
  let forward = stem;
  for (let g = 1; g <= 3; g++) {
    const [i, o, s] = [widths[g - 1]!, widths[g]!, sizes[g]!];
    forward += convMacs(s, i, o, 3) + convMacs(s, o, o, 3) + convMacs(s, i, o, 1);
    forward += 5 * 2 * convMacs(s, o, o, 3);
  }
  return { forward: forward + 128 * classes, stem };
}

/** §5.3: stride-2 stem to 32×32, four stages of two basic blocks (a 1×1 shortcut where the width changes), the classifier. */
function resnet18Macs(classes: number): { forward: number; stem: number } {
  const stem = convMacs(32, 3, 64, 3);
  let forward = stem;
  let i = 64;
  for (const [stage, o] of [64, 128, 256, 512].entries()) {
    const s = 32 >> stage;
    forward += convMacs(s, i, o, 3) + convMacs(s, o, o, 3) + (i !== o ? convMacs(s, i, o, 1) : 0);
    forward += 2 * convMacs(s, o, o, 3);
    i = o;
  }
  return { forward: forward + 512 * classes, stem };
}

describe('trainingStepFlops', () => {
  it('counts the MNIST CNN as §5.1 by hand, and no input gradient for conv1', () => {
    const model = createModel('mnist-cnn', { seed: 0 });
    expect(trainingStepFlops(model, [1, 1, 28, 28]).forward).toBe(MNIST_FORWARD_PER_IMAGE);
    const flops = trainingStepFlops(model, [128, 1, 28, 28]);
    expect(flops.forward).toBe(128 * MNIST_FORWARD_PER_IMAGE);
    expect(flops.backwardWeight).toBe(128 * MNIST_FORWARD_PER_IMAGE);
    expect(flops.backwardData).toBe(128 * (MNIST_FORWARD_PER_IMAGE - MNIST_CONV1_PER_IMAGE));
    expect(flops.total).toBe(flops.forward + flops.backwardData + flops.backwardWeight);
  });

  it('counts WRN-40-2 as the formula from §5.2, for 10 and 100 classes', () => {
    for (const classes of [10, 100]) {
      const expected = wrn40x2Macs(classes);
      const flops = trainingStepFlops(createModel('wrn-40-2', { seed: 0, classes }), [4, 3, 32, 32]);
      expect(flops.forward).toBe(4 * 2 * expected.forward);
      expect(flops.backwardWeight).toBe(flops.forward);
      expect(flops.backwardData).toBe(4 * 2 * (expected.forward - expected.stem));
    }
    // The published size of WRN-40-2: about 0.33 G multiply-adds per 32×32 image.
    expect(wrn40x2Macs(10).forward / 1e9).toBeCloseTo(0.33, 2);
  });

  it('counts ResNet-18 at 64 px as the formula from §5.3', () => {
    const expected = resnet18Macs(200);
    const flops = trainingStepFlops(createModel('resnet18', { seed: 0 }), [2, 3, 64, 64]);
    expect(flops.forward).toBe(2 * 2 * expected.forward);
    expect(flops.backwardWeight).toBe(flops.forward);
    expect(flops.backwardData).toBe(2 * 2 * (expected.forward - expected.stem));
    // The stride-2 stem leaves CIFAR ResNet-18's 32×32 maps: about 0.56 G multiply-adds.
    expect(expected.forward / 1e9).toBeCloseTo(0.56, 2);
  });

  it('rejects an input that is not [B, C, H, W] and a layer with parameters it cannot count', () => {
    const model = createModel('mnist-cnn', { seed: 0 });
    expect(() => trainingStepFlops(model, [1, 28, 28])).toThrow(/\[B, C, H, W\]/);
    expect(() => trainingStepFlops(model, [0, 1, 28, 28])).toThrow(/positive integers/);
    const mystery: Layer = {
      name: 'mystery',
      parameters: [new Parameter('mystery.weight', [3], () => new Float32Array(3))],
      state: [],
      outputShape: (input) => [...input],
      forward: async (_ctx, x) => x,
      backward: async () => undefined,
    };
    expect(() => trainingStepFlops(new Sequential([mystery]), [1, 1, 4, 4])).toThrow(/mystery/);
  });
});

describe('the first-layer rule matches Sequential.backward', () => {
  /** Leaf layers that record whether their backward was asked for an input gradient. */
  function stubbed(model: Sequential, asked: Map<Layer, boolean>): void {
    for (const layer of model.layers) {
      if (layer instanceof Sequential) {
        stubbed(layer, asked);
        continue;
      }
      const stub = layer as { forward: Layer['forward']; backward: Layer['backward'] };
      stub.forward = async (_ctx, x) => fakeTensor(layer.outputShape(x.shape));
      stub.backward = async (_ctx, dy, inputGrad) => {
        asked.set(layer, inputGrad);
        return inputGrad || layer.parameters.length === 0 ? fakeTensor(dy.shape) : undefined;
      };
    }
  }

  const fakeTensor = (shape: readonly number[]) => ({ buffer: {}, shape }) as unknown as Tensor;
  const fakeGpu = { release: () => {}, pool: { release: () => {} } } as unknown as Gpu;

  it('counts input gradients exactly for the layers asked for one, through nested Sequentials', async () => {
    const init = (id: number) => initContexts(0, id);
    // Parameterless layers first, the first "layer with parameters" a nested Sequential.
    const convA = new Conv2d('a', 2, 4, 3, init(0));
    const convB = new Conv2d('b', 4, 4, 3, init(1), { padding: 1, stride: 2 });
    const fc = new Linear('fc', 4 * 2 * 2, 5, init(2));
    const model = new Sequential([
      new ReLU('r0'),
      new Sequential([convA, new ReLU('r1'), convB]),
      new MaxPool2d('pool', { kernel: 2, stride: 2 }),
      new Flatten('flatten'),
      fc,
    ]);
    const input = [3, 2, 10, 10];
    const flops = trainingStepFlops(model, input);

    const asked = new Map<Layer, boolean>();
    stubbed(model, asked);
    const ctx: StepContext = { gpu: fakeGpu, training: true, step: 0, seed: 0 };
    const y = await model.forward(ctx, fakeTensor(input));
    await model.backward(ctx, fakeTensor(y.shape));

    // By hand: conv a 8×8 output, conv b 4×4, fc 16 → 5; batch 3.
    const forward = { a: 2 * 3 * convMacs(8, 2, 4, 3), b: 2 * 3 * convMacs(4, 4, 4, 3), fc: 2 * 3 * 16 * 5 };
    expect(flops.forward).toBe(forward.a + forward.b + forward.fc);
    expect(asked.has(model.layers[0]!)).toBe(false); // before the first layer with parameters: no backward
    expect([asked.get(convA), asked.get(convB), asked.get(fc)]).toEqual([false, true, true]);
    expect(flops.backwardData).toBe(forward.b + forward.fc);
  });
});

describe('nonGemmFlopsEstimate', () => {
  // The claim in flops.ts: what the count leaves out is under 1% of a step's FLOPs.
  for (const name of ['mnist-cnn', 'wrn-40-2', 'resnet18']) {
    it(`puts ${name}'s element-wise ops under 1% of the step`, () => {
      const model = createModel(name, { seed: 0 });
      const input = [128, ...modelDefinition(name).inputShape];
      const other = nonGemmFlopsEstimate(model, input);
      const share = other / (other + trainingStepFlops(model, input).total);
      expect(share).toBeGreaterThan(0.001);
      expect(share).toBeLessThan(0.01);
    });
  }
});
