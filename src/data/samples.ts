// Samples as an app hands them over — bytes or float values in NCHW, labels as any array of
// integers — checked and turned into the byte dataset the Trainer and the augmentation read.
import { checkDataset, MAX_CLASSES, type ImageDataset } from './imageDataset.ts';
import { checkInteger, fail } from '../validate.ts';

/** [N, C, H, W]: N samples of C planes of H × W; 2-D points are [N, 1, 1, 2]. */
export type BatchShape = readonly [number, number, number, number];

/**
 * Samples, NCHW: bytes map linearly onto the value range (0 → lo, 255 → hi), floats are the
 * values themselves.
 */
export type SampleValues = Uint8Array | Float32Array;

export function checkSamples(where: string, images: unknown, shape: unknown): asserts images is SampleValues {
  if (!(images instanceof Uint8Array || images instanceof Float32Array)) fail(where, 'images', 'a Uint8Array (bytes) or Float32Array (values)', images);
  if (!Array.isArray(shape) || shape.length !== 4 || !shape.every((d) => Number.isSafeInteger(d) && d >= 1)) fail(where, 'shape', '[N, C, H, W] of positive integers', shape);
  const values = shape.reduce((a: number, b: number) => a * b, 1);
  if (images.length !== values) fail(where, 'images.length', `${values}, the values of shape [${shape.join(', ')}]`, images.length);
}

export function checkValueRange(where: string, range: readonly [number, number]): readonly [number, number] {
  const [lo, hi] = Array.isArray(range) ? range : [Number.NaN, Number.NaN];
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && lo! < hi!)) fail(where, 'range', '[lo, hi] with finite lo < hi', range);
  return [lo!, hi!];
}

/** Floats inside [lo, hi] to the nearest of 256 levels, as the kernels map bytes back. */
export function quantiseSamples(where: string, values: Float32Array, range: readonly [number, number]): Uint8Array {
  const [lo, hi] = checkValueRange(where, range);
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!(v >= lo && v <= hi)) fail(where, `images[${i}]`, `inside the range [${lo}, ${hi}]`, v);
    out[i] = Math.round(((v - lo) / (hi - lo)) * 255);
  }
  return out;
}

/** One integer label in 0..classes−1 per sample, as bytes. */
export function labelBytes(where: string, labels: ArrayLike<number>, count: number, classes: number): Uint8Array {
  if (labels === null || typeof labels !== 'object' || typeof labels.length !== 'number') fail(where, 'labels', 'an array of integers', labels);
  if (labels.length !== count) fail(where, 'labels.length', `${count}, one per sample`, labels.length);
  const out = new Uint8Array(count);
  for (let i = 0; i < count; i++) out[i] = checkInteger(where, `labels[${i}]`, labels[i], { min: 0, max: classes - 1 });
  return out;
}

/** The samples as a byte dataset: floats are quantised within `range` (default [0, 1]). */
export function samplesDataset(
  where: string, images: SampleValues, shape: BatchShape, labels: ArrayLike<number>, classes: number, range: readonly [number, number] = [0, 1],
): ImageDataset {
  checkSamples(where, images, shape);
  checkInteger(where, 'classes', classes, { min: 2, max: MAX_CLASSES });
  const bytes = images instanceof Uint8Array ? images : quantiseSamples(where, images, range);
  return checkDataset({ shape: [...shape], images: bytes, labels: labelBytes(where, labels, shape[0], classes), classes }, where);
}
