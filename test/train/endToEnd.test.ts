import { describe, expect, it } from 'vitest';
import type { AugmentationOptions } from '../../src/augment/pipeline.ts';
import type { ImageDataset } from '../../src/data/imageDataset.ts';
import type { Gpu } from '../../src/gpu/gpu.ts';
import { ReLU } from '../../src/nn/activations.ts';
import { Conv2d } from '../../src/nn/conv2d.ts';
import { Flatten } from '../../src/nn/flatten.ts';
import { Linear } from '../../src/nn/linear.ts';
import { initContexts } from '../../src/nn/init.ts';
import { MaxPool2d } from '../../src/nn/pooling.ts';
import { Sequential } from '../../src/nn/sequential.ts';
import { Classifier } from '../../src/train/classifier.ts';
import { accuracy, fit } from '../../src/train/fit.ts';
import { useGpu } from '../helpers/gpu.ts';
import { barsDataset } from '../fixtures/tinyRun.ts';

const gpu = useGpu();

function twoLayerConvNet(seed: number): Sequential {
  return new Sequential([
    new Conv2d('conv1', 1, 6, 3, initContexts(seed, 0), { padding: 1 }),
    new ReLU('relu1'),
    new Conv2d('conv2', 6, 8, 3, initContexts(seed, 1)),
    new ReLU('relu2'),
    new MaxPool2d('pool', { kernel: 2, stride: 2 }),
    new Flatten('flatten'),
    new Linear('fc', 8 * 3 * 3, 2, initContexts(seed, 2)),
  ]);
}

async function train(g: Gpu, seed: number, data: ImageDataset, augmentation?: AugmentationOptions) {
  const classifier = new Classifier(g, twoLayerConvNet(seed), seed, { momentum: 0.9, nesterov: false, weightDecay: 0, schedule: () => 0.05 });
  const losses: number[] = [];
  await fit(classifier, data, { epochs: 4, batchSize: 16, reportEvery: 1, onStep: (p) => losses.push(p.loss), augmentation });
  const weights = await g.read(classifier.store.values);
  const acc = await accuracy(classifier, data);
  classifier.dispose();
  return { losses, weights, acc };
}

describe('end to end', () => {
  it('a two-layer conv net learns bars, and the same seed gives the same weights', async () => {
    const data = barsDataset(128, 1);
    const first = await train(gpu(), 5, data);
    const start = first.losses.slice(0, 3).reduce((a, b) => a + b) / 3;
    const end = first.losses.slice(-3).reduce((a, b) => a + b) / 3;
    expect(start).toBeGreaterThan(0.5);
    expect(end).toBeLessThan(start / 4);
    expect(first.acc).toBeGreaterThan(0.95);
    const second = await train(gpu(), 5, data);
    expect(second.weights).toEqual(first.weights);
    const other = await train(gpu(), 6, data);
    expect(other.weights).not.toEqual(first.weights);
  });

  // ESP's soft labels and AugMix's consistency term keep the loss above zero: judge by accuracy.
  for (const augmentation of [
    { method: 'esp', esp: { epsilon: 1 } },
    { method: 'l2', l2: { epsilon: 1 } },
    { method: 'augmix+esp', esp: { epsilon: 1 } },
  ] satisfies AugmentationOptions[]) {
    it(`learns bars with ${augmentation.method}, reproducibly by seed`, async () => {
      const data = barsDataset(128, 3);
      const first = await train(gpu(), 7, data, augmentation);
      expect(first.losses.every(Number.isFinite)).toBe(true);
      expect(first.acc).toBeGreaterThan(0.9);
      const second = await train(gpu(), 7, data, augmentation);
      expect(second.weights).toEqual(first.weights);
    });
  }

  it('keeps a flat buffer count over many steps', async () => {
    const data = barsDataset(64, 2);
    const classifier = new Classifier(gpu(), twoLayerConvNet(1), 1, { momentum: 0.9, nesterov: true, weightDecay: 1e-4, schedule: () => 0.01 });
    const augmentation: AugmentationOptions = { method: 'augmix+esp', esp: { epsilon: 1 } };
    await fit(classifier, data, { epochs: 1, batchSize: 16, augmentation });
    await gpu().sync();
    const after1 = gpu().stats();
    await fit(classifier, data, { epochs: 10, batchSize: 16, augmentation });
    await gpu().sync();
    const after10 = gpu().stats();
    expect(after10.buffers).toBe(after1.buffers);
    expect(after10.bytes).toBe(after1.bytes);
    expect(after10.uniforms).toBe(after1.uniforms);
    expect(after10.inUse).toBe(after1.inUse);
    classifier.dispose();
  });
});
