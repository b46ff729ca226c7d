// End-to-end epoch suite: one epoch of the MNIST CNN with ESP through the real Trainer
// (shuffling, u8 batches uploaded, the CPU's size draws, the fused ESP kernel, the step, the
// loss read every 10 steps) and the end-of-epoch evaluation, on synthetic 28×28 images (the
// content does not change the work). Its images/s beside the train suite's bare step shows
// what the trainer around the step costs.
import type { Gpu } from '../../src/gpu/gpu.ts';
import type { ImageDataset } from '../../src/data/imageDataset.ts';
import { mnistCnn } from '../../src/nn/models/mnistCnn.ts';
import { Classifier } from '../../src/train/classifier.ts';
import { Trainer } from '../../src/train/trainer.ts';
import type { Metric } from '../record.ts';
import { round } from '../timing.ts';
import { randomInts } from './randomInts.ts';
import type { Suite } from './suite.ts';

const ESP = { method: 'esp', esp: { epsilon: 1.5, gamma: 10 } } as const;

/** `count` images of pseudo-random bytes and labels: the same set every run. */
function syntheticSet(count: number, seed: number): ImageDataset {
  const images = Uint8Array.from(randomInts(count * 784, 256, seed));
  const labels = Uint8Array.from(randomInts(count, 10, seed + 1000));
  return { shape: [count, 1, 28, 28], images, labels, classes: 10 };
}

function newClassifier(gpu: Gpu): Classifier {
  return new Classifier(gpu, mnistCnn({ seed: 0 }), 0, { momentum: 0.9, nesterov: false, weightDecay: 1e-6, schedule: () => 0.01 });
}

/** Seconds of one Trainer epoch, evaluation of `testSet` included. */
async function epochSeconds(gpu: Gpu, train: ImageDataset, testSet: ImageDataset, batchSize: number) {
  const classifier = newClassifier(gpu);
  const trainer = new Trainer(gpu, { model: classifier, dataset: train, testSet, epochs: 1, batchSize, evalBatchSize: 512, augmentation: ESP });
  const done = await trainer.run();
  classifier.dispose();
  return done.seconds;
}

export const epochSuite: Suite = {
  name: 'epoch',
  summary: 'one MNIST-CNN epoch with ESP through the Trainer, evaluation included, against its bare steps',
  async run({ gpu, options, log }) {
    const batchSize = options.batch ?? 128;
    const images = options.images;
    const train = syntheticSet(images, 1);
    const testSet = syntheticSet(Math.max(1, Math.floor(images / 4)), 2);
    const steps = Math.ceil(images / batchSize);
    // A first epoch on a small slice compiles every pipeline, so the timed one is steady state.
    const warmupSeconds = await epochSeconds(gpu, syntheticSet(batchSize, 3), syntheticSet(batchSize, 4), batchSize);
    const seconds = await epochSeconds(gpu, train, testSet, batchSize);
    const imagesPerSecond = round(images / seconds);
    // Four significant figures, not hundredths: a short epoch (a toy run takes about 0.15 s)
    // would lose 3% to the rounding, and the record must still give images = rate · seconds.
    const recordedSeconds = Number(seconds.toPrecision(4));
    log(`epoch of ${images} images (${steps} steps of ${batchSize}, ESP) + evaluation of ${testSet.shape[0]}: ${round(seconds)} s, ${imagesPerSecond} img/s (warm-up epoch ${round(warmupSeconds)} s)`);
    const metrics: Metric[] = [
      { suite: 'epoch', name: `mnist-cnn ESP epoch of ${images}, batch ${batchSize}`, value: imagesPerSecond, unit: 'img/s', better: 'higher', clock: 'wall' },
      { suite: 'epoch', name: `mnist-cnn ESP epoch of ${images}, batch ${batchSize}`, value: recordedSeconds, unit: 's', better: 'lower', clock: 'wall' },
    ];
    return { metrics, details: { images, testImages: testSet.shape[0], batchSize, steps, augmentation: ESP, seconds: recordedSeconds, warmupSeconds: round(warmupSeconds), imagesPerSecond } };
  },
};
