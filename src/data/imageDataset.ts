// A labelled image set kept as bytes: images upload as u8-in-f32 batches, labels as ints.
// Every format reader ends here, and checkDataset is the one place that says what a
// consistent set is.
import type { IdxArray } from './idx.ts';
import type { NpyArray } from './npy.ts';
import { checkInteger } from '../validate.ts';

export interface ImageDataset {
  /** [count, channels, height, width] */
  shape: [number, number, number, number];
  /** count × channels × height × width bytes, NCHW */
  images: Uint8Array;
  /** one label per image, each below `classes` */
  labels: Uint8Array;
  classes: number;
  /** names of the classes, in label order, where the source has them */
  classNames?: readonly string[];
}

/** Labels are stored as bytes: enough for every set here (Tiny-ImageNet has 200 classes). */
export const MAX_CLASSES = 256;

export function datasetFromIdx(images: IdxArray, labels: IdxArray, classes: number, source: string): ImageDataset {
  if (images.shape.length !== 3) throw new Error(`${source}: images must be [count, height, width], got [${images.shape.join(', ')}]`);
  if (labels.shape.length !== 1) throw new Error(`${source}: labels must be [count], got [${labels.shape.join(', ')}]`);
  const [count, height, width] = images.shape as [number, number, number];
  if (labels.shape[0] !== count) throw new Error(`${source}: ${count} images but ${labels.shape[0]} labels`);
  return checkDataset({ shape: [count, 1, height, width], images: images.data, labels: labels.data, classes }, source);
}

/**
 * Images as NumPy stores them in MNIST-C and CIFAR-10-C: uint8, (N, H, W) or (N, H, W, C)
 * channels-last, transposed here to NCHW. Labels: any integer dtype, shape (N,).
 */
export function datasetFromNpy(images: NpyArray, labels: NpyArray, classes: number, source: string): ImageDataset {
  checkClasses(classes, source);
  if (images.dtype !== 'u1') throw new Error(`${source}: images must be uint8 ('|u1'), got '${images.dtype}'`);
  const dims = images.shape;
  if (dims.length !== 3 && dims.length !== 4) throw new Error(`${source}: images must be (N, H, W) or (N, H, W, C), got (${dims.join(', ')})`);
  const [count, height, width] = dims as [number, number, number];
  const channels = dims[3] ?? 1;
  if (channels < 1 || channels > 4) throw new Error(`${source}: images have ${channels} channels in their last axis, expected 1 to 4 (channels-last, NHWC)`);
  if (labels.shape.length !== 1) throw new Error(`${source}: labels must have shape (N,), got (${labels.shape.join(', ')})`);
  if (labels.shape[0] !== count) throw new Error(`${source}: ${count} images but ${labels.shape[0]} labels`);
  const pixels = nhwcToNchw(images.data as Uint8Array, count, height, width, channels);
  return checkDataset({ shape: [count, channels, height, width], images: pixels, labels: labelBytes(labels, classes, source), classes }, source);
}

/** Throws, naming `source`, unless shape, images, labels and classes agree. Returns `data`. */
export function checkDataset(data: ImageDataset, source: string): ImageDataset {
  const { shape, images, labels, classes } = data;
  if (shape.length !== 4 || shape.some((d) => !Number.isSafeInteger(d) || d < 0)) throw new Error(`${source}: shape [${shape.join(', ')}] is not four non-negative integers`);
  checkClasses(classes, source);
  const [count, channels, height, width] = shape;
  if (images.length !== count * channels * height * width) {
    throw new Error(`${source}: shape [${shape.join(', ')}] needs ${count * channels * height * width} image bytes, got ${images.length}`);
  }
  if (labels.length !== count) throw new Error(`${source}: ${count} images but ${labels.length} labels`);
  const bad = labels.findIndex((l) => l >= classes);
  if (bad >= 0) throw new Error(`${source}: label ${labels[bad]} at index ${bad} is outside 0..${classes - 1}`);
  if (data.classNames && data.classNames.length !== classes) throw new Error(`${source}: ${data.classNames.length} class names for ${classes} classes`);
  return data;
}

/** One set from several with the same image shape and classes (CIFAR-10's five train batches). */
export function concatDatasets(parts: readonly ImageDataset[], source: string): ImageDataset {
  const first = parts[0];
  if (!first) throw new Error(`${source}: no parts to join`);
  const [, channels, height, width] = first.shape;
  for (const part of parts) {
    if (part.shape[1] !== channels || part.shape[2] !== height || part.shape[3] !== width || part.classes !== first.classes) {
      throw new Error(`${source}: parts differ (images [${part.shape.slice(1).join(', ')}] with ${part.classes} classes vs [${first.shape.slice(1).join(', ')}] with ${first.classes})`);
    }
  }
  const count = parts.reduce((n, p) => n + p.shape[0], 0);
  const images = new Uint8Array(count * channels * height * width);
  const labels = new Uint8Array(count);
  let at = 0;
  for (const part of parts) {
    images.set(part.images, at * channels * height * width);
    labels.set(part.labels, at);
    at += part.shape[0];
  }
  return checkDataset({ shape: [count, channels, height, width], images, labels, classes: first.classes, classNames: first.classNames }, source);
}

/** Images [start, end) as views into `data` (no copy). */
export function sliceDataset(data: ImageDataset, start: number, end: number): ImageDataset {
  const [count, channels, height, width] = data.shape;
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > count) {
    throw new Error(`sliceDataset: range [${start}, ${end}) is not inside 0..${count}`);
  }
  const per = channels * height * width;
  return {
    ...data,
    shape: [end - start, channels, height, width],
    images: data.images.subarray(start * per, end * per),
    labels: data.labels.subarray(start, end),
  };
}

function checkClasses(classes: number, source: string): void {
  // A dataset may hold one class (a corruption set of one label); a classifier needs two.
  checkInteger(source, 'classes', classes, { min: 1, max: MAX_CLASSES });
}

function nhwcToNchw(hwc: Uint8Array, count: number, height: number, width: number, channels: number): Uint8Array {
  if (channels === 1) return hwc;
  const plane = height * width;
  const chw = new Uint8Array(hwc.length);
  for (let n = 0; n < count; n++) {
    const base = n * plane * channels;
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < channels; c++) chw[base + c * plane + p] = hwc[base + p * channels + c]!;
    }
  }
  return chw;
}

function labelBytes(labels: NpyArray, classes: number, source: string): Uint8Array {
  if (!/^[ui][1248]$/.test(labels.dtype)) throw new Error(`${source}: labels must be integers, got dtype '${labels.dtype}'`);
  const out = new Uint8Array(labels.data.length);
  for (let i = 0; i < out.length; i++) {
    const label = Number(labels.data[i]!);
    if (label < 0 || label >= classes) throw new Error(`${source}: label ${label} at index ${i} is outside 0..${classes - 1}`);
    out[i] = label;
  }
  return out;
}
