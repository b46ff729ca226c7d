// Seeded shuffles and batch assembly. A shuffle draws from Philox (seed, epoch), so the
// order does not depend on batch size or on how many batches were taken before.
import { Stream, uniforms } from '../rng/philox.ts';
import type { ImageDataset } from './imageDataset.ts';

export function shuffledIndices(count: number, seed: number, epoch: number): Uint32Array {
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  const u = uniforms(seed, epoch, Stream.shuffle, count);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(u[i]! * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The bytes of the images at `indices`, NCHW, as they upload (the GPU scales and normalises). */
export function imageBytes(data: ImageDataset, indices: ArrayLike<number>): Uint8Array {
  const per = data.shape[1] * data.shape[2] * data.shape[3];
  const out = new Uint8Array(indices.length * per);
  for (let b = 0; b < indices.length; b++) out.set(data.images.subarray(indices[b]! * per, (indices[b]! + 1) * per), b * per);
  return out;
}

export function labelsAt(data: ImageDataset, indices: ArrayLike<number>): Uint32Array {
  return Uint32Array.from(indices, (i) => data.labels[i]!);
}
