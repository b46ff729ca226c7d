// The Classifier as an app uses it: the README's training loop (examples/training-loop.ts)
// leaks nothing when it never touches a step's result, StepResult reads lazily, and
// predictImages / evaluate take images as an app holds them.
import { describe, expect, it } from 'vitest';
import { AugmentationPipeline } from '../../src/augment/pipeline.ts';
import { imageBytes, labelsAt, shuffledIndices } from '../../src/data/batches.ts';
import { embeddedDataset } from '../../src/data/embedded.ts';
import { sliceDataset } from '../../src/data/imageDataset.ts';
import { mnistCnn } from '../../src/nn/models/mnistCnn.ts';
import { argmaxRows } from '../../src/train/evaluate.ts';
import { Classifier } from '../../src/train/classifier.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { ValidationError } from '../../src/validate.ts';
import { useGpu } from '../helpers/gpu.ts';

const gpu = useGpu();
const SGD = { momentum: 0.9, nesterov: false, weightDecay: 0, schedule: () => 0.05 };
const train = embeddedDataset('train');
const test = sliceDataset(embeddedDataset('test'), 0, 64);

describe('the README training loop', () => {
  it('keeps the buffer pool flat over 20 steps whose results it never releases', async () => {
    const g = gpu();
    const batch = 32;
    const classifier = new Classifier(g, mnistCnn({ seed: 0 }), 0, SGD);
    const pipeline = await AugmentationPipeline.create(g, { image: [1, 28, 28], classes: 10, batch, seed: 0 }, { method: 'augmix+esp', esp: { epsilon: 1.5, gamma: 10 } });
    const order = shuffledIndices(train.shape[0], 0, 0);
    const counts: number[] = [];
    const inUse: number[] = [];
    let loss = Number.NaN;
    for (let step = 0; step < 20; step++) {
      const indices = order.subarray(step * batch, (step + 1) * batch);
      const augmented = await pipeline.augment(step, imageBytes(train, indices), labelsAt(train, indices));
      const result = await classifier.trainStep(step, augmented.x, augmented.targets, { consistency: augmented.consistency });
      if (step % 5 === 4) loss = await result.loss();
      counts.push(g.stats().buffers);
      inUse.push(g.stats().inUse);
    }
    expect(Number.isFinite(loss)).toBe(true);
    // Nothing grows: the one buffer more is the staging buffer of the first read (step 5), reused
    // by every read after it. (When a step's loss and correct count stayed with the caller, the
    // pool grew by two buffers a step: 40 over these 20.)
    expect(counts.slice(0, 4)).toEqual(Array(4).fill(counts[0]));
    expect(counts.slice(4)).toEqual(Array(16).fill(counts[0]! + 1));
    expect(inUse).toEqual(Array(20).fill(inUse[0]));
    pipeline.dispose();
    const before = g.stats().inUse;
    classifier.dispose();
    // The last step's result went back with the classifier, with the parameters.
    expect(g.stats().inUse).toBeLessThan(before - 2);
  }, 300_000);
});

describe('StepResult', () => {
  it('reads the loss and accuracy when asked, keeps them after release, and refuses a read after the next step released it unread', async () => {
    const g = gpu();
    const classifier = new Classifier(g, mnistCnn({ seed: 1 }), 1, SGD);
    const pipeline = await AugmentationPipeline.create(g, { image: [1, 28, 28], classes: 10, batch: 16, seed: 1 });
    const indices = Uint32Array.from({ length: 16 }, (_, i) => i);
    const { x, targets } = await pipeline.augment(0, imageBytes(train, indices), labelsAt(train, indices));
    const first = await classifier.trainStep(0, x, targets);
    const figures = await first.read();
    expect(first.count).toBe(16);
    expect(figures.accuracy).toBe(figures.correct / 16);
    expect(await first.loss()).toBe(figures.loss);
    expect(figures.loss).toBeGreaterThan(0.5 * Math.log(10));
    const second = await classifier.trainStep(1, x, targets);
    expect(first.released).toBe(true);
    expect(await first.accuracy()).toBe(figures.accuracy); // read before: still there
    await classifier.trainStep(2, x, targets);
    expect(second.released).toBe(true);
    await expect(second.loss()).rejects.toThrow(/StepResult of step 1: released .* before it was read/);
    pipeline.dispose();
    classifier.dispose();
  }, 120_000);
});

describe('predictImages and evaluate', () => {
  it('give the same classes from bytes and from ImageData, rows of probabilities, and evaluate agrees with them', async () => {
    const g = gpu();
    const classifier = new Classifier(g, mnistCnn({ seed: 2 }), 2, SGD);
    const pipeline = await AugmentationPipeline.create(g, { image: [1, 28, 28], classes: 10, batch: 32, seed: 2 });
    for (let step = 0; step < 6; step++) {
      const indices = Uint32Array.from({ length: 32 }, (_, i) => step * 32 + i);
      const { x, targets } = await pipeline.augment(step, imageBytes(train, indices), labelsAt(train, indices));
      await classifier.trainStep(step, x, targets);
    }
    pipeline.dispose();
    const count = test.shape[0];
    const logits = await classifier.predictImages(test.images, [count, 1, 28, 28]);
    expect(logits.length).toBe(count * 10);
    // The same images as canvas ImageData (grey in R, G and B): the same logits.
    const images = Array.from({ length: count }, (_, n) => {
      const data = new Uint8ClampedArray(4 * 784);
      for (let p = 0; p < 784; p++) data.set([test.images[n * 784 + p]!, test.images[n * 784 + p]!, test.images[n * 784 + p]!, 255], 4 * p);
      return { data, width: 28, height: 28 };
    });
    expect(await classifier.predictImages(images, 1)).toEqual(logits);
    const probabilities = await classifier.predictImages(test.images, [count, 1, 28, 28], { output: 'probabilities' });
    for (let r = 0; r < count; r++) expect(probabilities.subarray(10 * r, 10 * r + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    const predicted = argmaxRows(logits, count, 10);
    const errors = predicted.filter((p, i) => p !== test.labels[i]).length;
    expect(await classifier.evaluate(test, { batchSize: 20 })).toEqual({ errors, count, error: (100 * errors) / count });
    // Another normalisation changes the predictions' input, for evaluate and predictImages alike.
    const normalization = { mean: [0.5], std: [0.25] };
    const shifted = argmaxRows(await classifier.predictImages(test.images, [count, 1, 28, 28], { normalization }), count, 10);
    const shiftedErrors = shifted.filter((p, i) => p !== test.labels[i]).length;
    expect((await classifier.evaluate(test, { normalization })).errors).toBe(shiftedErrors);
    await expect(classifier.predictImages(test.images, [count, 3, 28, 28])).rejects.toThrow(ValidationError);
    await expect(classifier.predictImages(test.images.subarray(1), [count, 1, 28, 28])).rejects.toThrow(/images.length must be/);
    classifier.dispose();
  }, 120_000);

  it('read images the way the Trainer trained on them (classifier.inputs)', () => {
    const normalization = { mean: [0.5], std: [0.5] };
    const trainer = new Trainer(gpu(), {
      model: (seed) => mnistCnn({ seed }), dataset: test, epochs: 1, batchSize: 32,
      sgd: { lr: 0.05, momentum: 0.9, nesterov: false, weightDecay: 0 }, schedule: { kind: 'constant' },
      augmentation: { normalization, range: [-1, 1] },
    });
    expect(trainer.classifier.inputs).toEqual({ normalization, range: [-1, 1] });
    trainer.dispose();
  });
});
