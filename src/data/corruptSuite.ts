// Any in-memory image set turned into its "-C" suite, in memory (corruptedSets) or on disk in the
// layouts of the released arrays (writeCorruptionSuite), so that loadCorruptionSuite and the
// evaluator read generated and released suites alike (ALGORITHMS.md §8, §9):
//   one severity per corruption (MNIST-C): <out>/<corruption>/test_images.npy, uint8 (N, H, W, C),
//     and <out>/<corruption>/test_labels.npy, uint8 (N,);
//   severities 1..5 (CIFAR-10-C): <out>/<corruption>.npy, uint8 (5·N, H, W, C), severities stacked
//     in order, and <out>/labels.npy, uint8 (5·N,).
// Image i of (corruption, severity) draws from Philox (seed, i, index of that entry in the suite),
// so it is the same whichever subset, limit or order it is made in.
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { corruptImage, type Corruption, type ImageShape } from './corruptions/corruption.ts';
import { writeNpyFile, type CorruptedSet } from './datasets.ts';
import { checkDataset, sliceDataset, type ImageDataset } from './imageDataset.ts';

export type SuiteLayout = 'mnist-c' | 'cifar-c';

/** A corruption at one severity, with its position in the suite (the Philox corruption index). */
export interface SuiteLevel {
  severity: number | null;
  corruption: Corruption;
  index: number;
}

export interface SuiteCorruption {
  name: string;
  /** one level with severity null (MNIST-C), or severities 1..5 in order */
  levels: SuiteLevel[];
}

export interface SuitePlan {
  layout: SuiteLayout;
  corruptions: SuiteCorruption[];
}

const FIVE_SEVERITIES = [1, 2, 3, 4, 5];

/**
 * Groups a flat suite by name. Every name once: MNIST-C style, each at the one severity it is
 * made with. Every name with severities 1..5: CIFAR-C style. `only` picks corruptions by name.
 */
export function planSuite(suite: readonly Corruption[], only?: readonly string[]): SuitePlan {
  if (suite.length === 0) throw new Error('suite: no corruptions given');
  const groups = new Map<string, SuiteLevel[]>();
  suite.forEach((corruption, index) => {
    const levels = groups.get(corruption.name) ?? [];
    levels.push({ severity: corruption.severity ?? null, corruption, index });
    groups.set(corruption.name, levels);
  });
  const single = [...groups.values()].every((levels) => levels.length === 1);
  const corruptions = [...groups].map(([name, levels]): SuiteCorruption => {
    if (single) return { name, levels: [{ ...levels[0]!, severity: null }] };
    const sorted = [...levels].sort((a, b) => (a.severity ?? 0) - (b.severity ?? 0));
    if (sorted.map((l) => l.severity).join() !== FIVE_SEVERITIES.join()) {
      throw new Error(`suite: ${name} comes at severities [${levels.map((l) => l.severity).join(', ')}]; expected each corruption once (MNIST-C) or at severities 1..5 (CIFAR-C)`);
    }
    return { name, levels: sorted };
  });
  return { layout: single ? 'mnist-c' : 'cifar-c', corruptions: only === undefined ? corruptions : pick(corruptions, only) };
}

function pick(corruptions: SuiteCorruption[], only: readonly string[]): SuiteCorruption[] {
  if (only.length === 0) throw new Error('corruptions: the list is empty');
  return only.map((name) => {
    const found = corruptions.find((c) => c.name === name);
    if (!found) throw new Error(`corruptions: unknown corruption "${name}" (expected some of ${corruptions.map((c) => c.name).join(', ')})`);
    return found;
  });
}

export interface CorruptOptions {
  /** default 0 */
  seed?: number;
  /** corrupt only the first `limit` images */
  limit?: number;
  /** a subset of the suite's corruptions, by name, in this order */
  corruptions?: readonly string[];
}

export function imageShapeOf(data: ImageDataset): ImageShape {
  return { channels: data.shape[1], height: data.shape[2], width: data.shape[3] };
}

/** Image `imageIndex` of `data` under `level`: the pixels the suite holds for it. */
export function corruptOne(data: ImageDataset, imageIndex: number, level: SuiteLevel, seed: number): Uint8Array {
  const shape = imageShapeOf(data);
  const per = shape.channels * shape.height * shape.width;
  return corruptImage(level.corruption, data.images.subarray(imageIndex * per, (imageIndex + 1) * per), shape, seed, imageIndex, level.index);
}

/** Every image of `data` under `level`, with the same labels. */
export function corruptDataset(data: ImageDataset, level: SuiteLevel, seed: number): ImageDataset {
  const [count, channels, height, width] = data.shape;
  const per = channels * height * width;
  const images = new Uint8Array(count * per);
  for (let i = 0; i < count; i++) images.set(corruptOne(data, i, level, seed), i * per);
  return { ...data, images };
}

/** The corrupted sets one at a time, in the order loadCorruptionSuite yields them. */
export function* corruptedSets(data: ImageDataset, suite: readonly Corruption[], options: CorruptOptions = {}): Generator<CorruptedSet> {
  const { plan, source, seed } = prepare(data, suite, options);
  for (const { name, levels } of plan.corruptions) {
    for (const level of levels) yield { corruption: name, severity: level.severity, dataset: corruptDataset(source, level, seed) };
  }
}

export interface SuiteProgress {
  corruption: string;
  severity: number | null;
  /** sets (corruption × severity) done so far, and in all */
  setsDone: number;
  setsTotal: number;
  /** images in this set, and the seconds it took */
  images: number;
  seconds: number;
}

export interface WriteSuiteOptions extends CorruptOptions {
  onProgress?: (progress: SuiteProgress) => void;
}

export interface WrittenSuite {
  layout: SuiteLayout;
  dir: string;
  seed: number;
  /** images per set */
  images: number;
  corruptions: { name: string; severities: (number | null)[]; files: string[]; seconds: number }[];
  /** every file written, labels first */
  files: string[];
  seconds: number;
}

/** Writes the suite of `data` under `dir` (created if needed); each file appears whole or not at all. */
export function writeCorruptionSuite(data: ImageDataset, suite: readonly Corruption[], dir: string, options: WriteSuiteOptions = {}): WrittenSuite {
  const { plan, source, seed } = prepare(data, suite, options);
  makeDir(dir);
  const started = performance.now();
  const count = source.shape[0];
  const setsTotal = plan.corruptions.reduce((n, c) => n + c.levels.length, 0);
  const written: WrittenSuite = { layout: plan.layout, dir, seed, images: count, corruptions: [], files: [], seconds: 0 };
  if (plan.layout === 'cifar-c') written.files.push(writeLabels(join(dir, 'labels.npy'), source.labels, FIVE_SEVERITIES.length));
  let setsDone = 0;
  for (const { name, levels } of plan.corruptions) {
    const corruptionStarted = performance.now();
    const nhwc = new Uint8Array(levels.length * source.images.length);
    levels.forEach((level, s) => {
      const setStarted = performance.now();
      nhwc.set(toNhwc(corruptDataset(source, level, seed)), s * source.images.length);
      setsDone++;
      options.onProgress?.({ corruption: name, severity: level.severity, setsDone, setsTotal, images: count, seconds: (performance.now() - setStarted) / 1000 });
    });
    const files = plan.layout === 'mnist-c' ? writeMnistStyle(join(dir, name), source, nhwc) : [writeImages(join(dir, `${name}.npy`), source, nhwc)];
    written.files.push(...files);
    written.corruptions.push({ name, severities: levels.map((l) => l.severity), files, seconds: (performance.now() - corruptionStarted) / 1000 });
  }
  written.seconds = (performance.now() - started) / 1000;
  return written;
}

/**
 * Checks the arguments and runs every level on the first image, so a corruption that cannot
 * take these images (canny_edges on colour) fails before hours of work, not after.
 */
function prepare(data: ImageDataset, suite: readonly Corruption[], options: CorruptOptions): { plan: SuitePlan; source: ImageDataset; seed: number } {
  checkDataset(data, 'dataset');
  const seed = options.seed ?? 0;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`seed must be a non-negative integer, got ${seed}`);
  const count = data.shape[0];
  const limit = options.limit ?? count;
  if (!Number.isInteger(limit) || limit < 1) throw new Error(`limit must be a positive integer, got ${limit}`);
  if (count === 0) throw new Error('dataset: no images to corrupt');
  const source = sliceDataset(data, 0, Math.min(limit, count));
  const plan = planSuite(suite, options.corruptions);
  for (const { levels } of plan.corruptions) {
    for (const level of levels) {
      try {
        corruptOne(source, 0, level, seed);
      } catch (error) {
        const [, c, h, w] = source.shape;
        throw new Error(`${level.corruption.name}: cannot corrupt ${c}×${h}×${w} images (${(error as Error).message})`);
      }
    }
  }
  return { plan, source, seed };
}

function makeDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    throw new Error(`${dir}: could not create the output folder (${(error as Error).message})`);
  }
  if (!statSync(dir).isDirectory()) throw new Error(`${dir}: not a folder`);
}

function writeMnistStyle(dir: string, source: ImageDataset, nhwc: Uint8Array): string[] {
  makeDir(dir);
  // Labels first: a corruption whose images exist is complete.
  return [writeLabels(join(dir, 'test_labels.npy'), source.labels, 1), writeImages(join(dir, 'test_images.npy'), source, nhwc)];
}

function writeLabels(path: string, labels: Uint8Array, copies: number): string {
  const data = new Uint8Array(copies * labels.length);
  for (let s = 0; s < copies; s++) data.set(labels, s * labels.length);
  writeNpyFile(path, { dtype: 'u1', shape: [data.length], data });
  return path;
}

function writeImages(path: string, source: ImageDataset, nhwc: Uint8Array): string {
  const [count, channels, height, width] = source.shape;
  const sets = nhwc.length / source.images.length;
  writeNpyFile(path, { dtype: 'u1', shape: [sets * count, height, width, channels], data: nhwc });
  return path;
}

/** NCHW → NHWC, the layout NumPy arrays of images use. */
function toNhwc(data: ImageDataset): Uint8Array {
  const [count, channels, height, width] = data.shape;
  if (channels === 1) return data.images;
  const plane = height * width;
  const out = new Uint8Array(data.images.length);
  for (let n = 0; n < count; n++) {
    const base = n * plane * channels;
    for (let c = 0; c < channels; c++) {
      for (let p = 0; p < plane; p++) out[base + p * channels + c] = data.images[base + c * plane + p]!;
    }
  }
  return out;
}
