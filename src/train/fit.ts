// The plain epoch loop of the demonstration run and the end-to-end tests, over a Classifier
// that brings its own optimizer and schedule: a thin wrapper over the Trainer (no test set,
// no checkpoints, no files), kept for its small signature.
import type { AugmentationOptions } from '../augment/pipeline.ts';
import type { ImageDataset } from '../data/imageDataset.ts';
import type { Classifier } from './classifier.ts';
import { Trainer } from './trainer.ts';

export { accuracy } from './trainer.ts';

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

/** Trains `classifier` on `data` for `epochs`, starting from step 0. */
export async function fit(classifier: Classifier, data: ImageDataset, options: FitOptions): Promise<void> {
  const { epochs, batchSize, augmentation, onStep, reportEvery } = options;
  const trainer = new Trainer(classifier.gpu, { model: classifier, dataset: data, epochs, batchSize, augmentation, reportEvery });
  if (onStep) {
    trainer.on('step', (e) =>
      onStep({ epoch: e.epoch, step: e.step, stepsPerEpoch: e.stepsPerEpoch, loss: e.loss, accuracy: e.batchAccuracy, imagesPerSecond: e.imagesPerSecond }),
    );
  }
  await trainer.run();
}
