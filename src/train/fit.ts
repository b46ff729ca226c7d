// A plain epoch loop over an in-memory dataset: the demonstration run and the end-to-end
// tests use it. (The full Trainer — checkpoints, schedules by epoch, events — builds on it.)
// Batches upload as bytes; the augmentation pipeline scales, perturbs and normalises them on
// the GPU, and evaluation runs the same pipeline with no augmentation.
import { AugmentationPipeline, type AugmentationOptions } from '../augment/pipeline.ts';
import { imageBytes, labelsAt, shuffledIndices } from '../data/batches.ts';
import type { ImageDataset } from '../data/imageDataset.ts';
import type { ImageShape } from '../kernels/esp.ts';
import type { Classifier } from './classifier.ts';

export interface FitOptions {
  epochs: number;
  batchSize: number;
  /** ESP, L2 noise, AugMix, … and the normalisation (default: none, [0, 1] pixels). */
  augmentation?: AugmentationOptions;
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

function imageShape(data: ImageDataset): ImageShape {
  return [data.shape[1], data.shape[2], data.shape[3]];
}

export async function fit(classifier: Classifier, data: ImageDataset, options: FitOptions): Promise<void> {
  const { gpu } = classifier;
  const { epochs, batchSize, reportEvery = 10 } = options;
  if (!(Number.isInteger(batchSize) && batchSize >= 1 && batchSize <= data.shape[0])) throw new RangeError(`batchSize must be an integer in 1..${data.shape[0]}, got ${batchSize}`);
  const stepsPerEpoch = Math.floor(data.shape[0] / batchSize); // the last partial batch is dropped
  const geometry = { image: imageShape(data), classes: data.classes, batch: batchSize, seed: classifier.seed };
  const pipeline = await AugmentationPipeline.create(gpu, geometry, options.augmentation);
  let step = 0;
  let started = performance.now();
  let imagesSinceReport = 0;
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffledIndices(data.shape[0], classifier.seed, epoch);
      for (let b = 0; b < stepsPerEpoch; b++, step++) {
        const indices = order.subarray(b * batchSize, (b + 1) * batchSize);
        const batch = await pipeline.augment(step, imageBytes(data, indices), labelsAt(data, indices));
        const { loss, correct } = await classifier.trainStep(step, batch.x, batch.targets, { consistency: batch.consistency });
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
    pipeline.dispose();
  }
}

/**
 * Fraction of `data` classified correctly, in batches of `batchSize`, with the same
 * normalisation as training (pass the training run's `normalization`).
 */
export async function accuracy(
  classifier: Classifier, data: ImageDataset, batchSize = 256, normalization?: AugmentationOptions['normalization'],
): Promise<number> {
  const { gpu } = classifier;
  const count = data.shape[0];
  const pipelines = new Map<number, AugmentationPipeline>();
  const pipelineFor = async (batch: number) => {
    let p = pipelines.get(batch);
    if (!p) pipelines.set(batch, (p = await AugmentationPipeline.create(gpu, { image: imageShape(data), classes: data.classes, batch, seed: 0 }, { normalization })));
    return p;
  };
  let correct = 0;
  try {
    for (let start = 0; start < count; start += batchSize) {
      const indices = Uint32Array.from({ length: Math.min(batchSize, count - start) }, (_, i) => start + i);
      const labels = labelsAt(data, indices);
      const { x } = await (await pipelineFor(indices.length)).augment(0, imageBytes(data, indices), labels);
      const logits = await classifier.predict(x);
      const values = await gpu.read(logits);
      gpu.release(logits);
      for (let b = 0; b < indices.length; b++) {
        const row = values.subarray(b * data.classes, (b + 1) * data.classes);
        let best = 0;
        for (let c = 1; c < data.classes; c++) if (row[c]! > row[best]!) best = c;
        if (best === labels[b]) correct++;
      }
    }
  } finally {
    for (const p of pipelines.values()) p.dispose();
  }
  return correct / count;
}
