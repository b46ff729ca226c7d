// A labelled image set kept as bytes: images upload as u8-in-f32 batches, labels as ints.
import type { IdxArray } from './idx.ts';

export interface ImageDataset {
  /** [count, channels, height, width] */
  shape: [number, number, number, number];
  images: Uint8Array;
  labels: Uint8Array;
  classes: number;
}

export function datasetFromIdx(images: IdxArray, labels: IdxArray, classes: number, source: string): ImageDataset {
  if (images.shape.length !== 3) throw new Error(`${source}: images must be [count, height, width], got [${images.shape.join(', ')}]`);
  if (labels.shape.length !== 1) throw new Error(`${source}: labels must be [count], got [${labels.shape.join(', ')}]`);
  const [count, height, width] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) throw new Error(`${source}: ${count} images but ${labels.shape[0]} labels`);
  const bad = labels.data.findIndex((l) => l >= classes);
  if (bad >= 0) throw new Error(`${source}: label ${labels.data[bad]} at index ${bad} is outside 0..${classes - 1}`);
  return { shape: [count, 1, height, width], images: images.data, labels: labels.data, classes };
}
