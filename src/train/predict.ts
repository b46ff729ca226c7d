// Predictions on samples as an app holds them (bytes or values in a range, NCHW) rather than
// as a normalised GPU tensor: normalised on the CPU the way the augmentation kernel does it,
// then through the classifier in chunks small enough for the largest activation to fit one
// buffer, read back as rows of logits or probabilities.
import type { AugmentationOptions } from '../augment/pipeline.ts';
import { checkValueRange, type BatchShape, type SampleValues } from '../data/samples.ts';
import type { Gpu } from '../gpu/gpu.ts';
import { fail } from '../validate.ts';
import type { Classifier } from './classifier.ts';

/** How samples map onto the network's input: their value range and the per-channel normalisation. */
export interface InputMapping {
  /** Bytes span [lo, hi] (default [0, 1]); floats are values in it already. */
  range?: readonly [number, number];
  normalization?: AugmentationOptions['normalization'];
}

/** Samples as the network's input: values in the range, then (x − mean)/std per channel. */
export function networkInput(where: string, images: SampleValues, shape: BatchShape, mapping: InputMapping): Float32Array {
  const [lo, hi] = checkValueRange(where, mapping.range ?? [0, 1]);
  const [, channels, height, width] = shape;
  const { mean, std } = mapping.normalization ?? { mean: Array(channels).fill(0), std: Array(channels).fill(1) };
  if (mean.length !== channels || std.length !== channels || !std.every((s) => s > 0)) {
    fail(where, 'normalization', `a mean and a std > 0 for each of the ${channels} channels`, mapping.normalization);
  }
  const plane = height * width;
  const out = new Float32Array(images.length);
  const bytes = images instanceof Uint8Array;
  for (let i = 0; i < images.length; i++) {
    const c = Math.floor(i / plane) % channels;
    const value = bytes ? lo + (hi - lo) * (images[i]! / 255) : images[i]!;
    out[i] = (value - mean[c]!) / std[c]!;
  }
  return out;
}

const PREDICT_BUFFER_BYTES = 32 * 2 ** 20;

/** Logits [N, classes] of the network input `input` of `shape`, in evaluation mode. */
export async function predictLogits(gpu: Gpu, classifier: Classifier, input: Float32Array, shape: BatchShape, classes: number): Promise<Float32Array> {
  const [count, ...sample] = shape;
  const per = sample[0] * sample[1] * sample[2];
  const chunk = chunkRows(gpu, classifier, sample);
  const out = new Float32Array(count * classes);
  for (let start = 0; start < count; start += chunk) {
    const rows = Math.min(chunk, count - start);
    const x = gpu.upload(input.subarray(start * per, (start + rows) * per), [rows, ...sample]);
    try {
      const logits = await classifier.predict(x);
      out.set(await gpu.read(logits), start * classes);
      gpu.release(logits);
    } finally {
      gpu.release(x);
    }
  }
  return out;
}

/** Rows per chunk: the largest activation of one chunk fits PREDICT_BUFFER_BYTES and the adapter's binding limit. */
function chunkRows(gpu: Gpu, classifier: Classifier, sample: readonly number[]): number {
  let shape = [1, ...sample];
  let largest = shape.reduce((a, b) => a * b, 1);
  for (const layer of classifier.model.layers) {
    shape = layer.outputShape(shape);
    largest = Math.max(largest, shape.reduce((a, b) => a * b, 1));
  }
  const bytes = Math.min(PREDICT_BUFFER_BYTES, gpu.limits.maxStorageBufferBindingSize);
  return Math.max(1, Math.min(4096, Math.floor(bytes / (4 * largest))));
}

/** Softmax of each row of `classes` values, in place. */
export function softmaxRows(values: Float32Array, classes: number): Float32Array {
  for (let r = 0; r < values.length; r += classes) {
    const row = values.subarray(r, r + classes);
    const max = row.reduce((a, b) => Math.max(a, b), -Infinity);
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += row[c] = Math.exp(row[c]! - max);
    for (let c = 0; c < classes; c++) row[c]! /= sum;
  }
  return values;
}
