// Splits a training set into the images a run trains on and a held-out validation set, so
// hyperparameters (ε, γ) can be chosen without ever looking at the test set. The held-out
// images are the last n, as in Rony et al.'s 55k/5k MNIST split: the same images for every
// seed and every run, so sweep points stay comparable.
import { checkDataset, type ImageDataset } from './imageDataset.ts';

export interface HeldOutSplit {
  train: ImageDataset;
  validation: ImageDataset;
}

/** The first count − n images train, the last n validate. `source` names the set in errors. */
export function holdOut(data: ImageDataset, n: number, source: string): HeldOutSplit {
  const count = data.shape[0];
  if (!Number.isSafeInteger(n) || n < 1 || n >= count) {
    throw new Error(`${source}: cannot hold out ${n} of ${count} training images for validation (expected an integer from 1 to ${count - 1})`);
  }
  return { train: slice(data, 0, count - n, source), validation: slice(data, count - n, count, source) };
}

/** The first n images (all of them when n is undefined or not smaller). */
export function firstImages(data: ImageDataset, n: number | undefined, source: string): ImageDataset {
  return n === undefined || n >= data.shape[0] ? data : slice(data, 0, n, source);
}

function slice(data: ImageDataset, from: number, to: number, source: string): ImageDataset {
  const [, channels, height, width] = data.shape;
  const pixels = channels * height * width;
  return checkDataset(
    {
      ...data,
      shape: [to - from, channels, height, width],
      images: data.images.subarray(from * pixels, to * pixels),
      labels: data.labels.subarray(from, to),
    },
    source,
  );
}
