// A plain epoch loop over an in-memory dataset: the demonstration run and the end-to-end
// tests use it. (The full Trainer — ESP, checkpoints, schedules by epoch — builds on it.)
import { imageBatch, oneHotBatch, shuffledIndices } from '../data/batches.ts';
import type { ImageDataset } from '../data/imageDataset.ts';
import type { Classifier } from './classifier.ts';

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** Called after each step with the running figures; reading the loss waits for the GPU. */
  onStep?: (progress: StepProgress) => void;
  /** Read the loss every this many steps (reads stall the pipeline). */
  reportEvery?: number;
}

export interface StepProgress {
  epoch: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  accuracy: number;
  imagesPerSecond: number;
}

export async function fit(classifier: Classifier, data: ImageDataset, options: FitOptions): Promise<void> {
  const { gpu } = classifier;
  const { epochs, batchSize, reportEvery = 10 } = options;
  if (!(batchSize >= 1 && batchSize <= data.shape[0])) throw new Error(`batchSize must be in 1..${data.shape[0]}, got ${batchSize}`);
  const stepsPerEpoch = Math.floor(data.shape[0] / batchSize); // the last partial batch is dropped
  const inputShape = [batchSize, ...data.shape.slice(1)];
  const x = gpu.empty(inputShape);
  const targets = gpu.empty([batchSize, data.classes]);
  let step = 0;
  let started = performance.now();
  let imagesSinceReport = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffledIndices(data.shape[0], classifier.seed, epoch);
      for (let b = 0; b < stepsPerEpoch; b++, step++) {
        const indices = order.subarray(b * batchSize, (b + 1) * batchSize);
        gpu.write(x, imageBatch(data, indices));
        gpu.write(targets, oneHotBatch(data, indices));
        const { loss, correct } = await classifier.trainStep(step, x, targets);
        imagesSinceReport += batchSize;
        if (options.onStep && ((step + 1) % reportEvery === 0 || b === stepsPerEpoch - 1)) {
          const [lossValue] = await gpu.read(loss);
          const [correctCount] = await gpu.readU32(correct);
          const seconds = (performance.now() - started) / 1000;
          options.onStep({ epoch, step, stepsPerEpoch, loss: lossValue!, accuracy: correctCount! / batchSize, imagesPerSecond: imagesSinceReport / seconds });
          started = performance.now();
          imagesSinceReport = 0;
        }
        gpu.release(loss, correct);
      }
    }
  } finally {
    gpu.release(x, targets);
  }
}

/** Fraction of `data` classified correctly, in batches of `batchSize`. */
export async function accuracy(classifier: Classifier, data: ImageDataset, batchSize = 256): Promise<number> {
  const { gpu } = classifier;
  const count = data.shape[0];
  let correct = 0;
  for (let start = 0; start < count; start += batchSize) {
    const indices = Uint32Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
    const x = gpu.upload(imageBatch(data, indices), [indices.length, ...data.shape.slice(1)]);
    const logits = await classifier.predict(x);
    const values = await gpu.read(logits);
    gpu.release(x, logits);
    for (let b = 0; b < indices.length; b++) {
      const row = values.subarray(b * data.classes, (b + 1) * data.classes);
      let best = 0;
      for (let c = 1; c < data.classes; c++) if (row[c]! > row[best]!) best = c;
      if (best === data.labels[indices[b]!]) correct++;
    }
  }
  return correct / count;
}
