// The synthetic CIFAR-10 stand-in of the CIFAR sanity run: its files are CIFAR-10 binary that
// espgpu's own loader reads, balanced and reproducible, and its classes are learnable from the
// power spectrum but not from colour or from raw pixels, and survive a left-right flip (the
// `cifar` preset's augmentation).
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { existingSyntheticCifar, RECORD_BYTES, SIDE, SYNTHETIC_CLASS_NAMES, writeSyntheticCifar, type SyntheticCifarSettings } from '../../experiments/cifarSanity/syntheticCifar.ts';
import { parseCifarBatch } from '../../src/data/cifarBinary.ts';
import { loadDataset } from '../../src/data/datasets.ts';
import type { ImageDataset } from '../../src/data/imageDataset.ts';

const BATCH_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];
const PLANE = SIDE * SIDE;

function writeSet(settings: SyntheticCifarSettings): string {
  const dir = mkdtempSync(join(tmpdir(), 'espgpu-synthetic-cifar-'));
  writeSyntheticCifar(dir, settings);
  return dir;
}

const classCounts = (labels: Uint8Array) => Array.from({ length: 10 }, (_, c) => labels.filter((l) => l === c).length);

// ---- features a test can compute: mean colour, raw pixels, grey power spectrum ----

function meanColour(data: ImageDataset, n: number): number[] {
  const image = data.images.subarray(n * 3 * PLANE, (n + 1) * 3 * PLANE);
  return [0, 1, 2].map((k) => image.subarray(k * PLANE, (k + 1) * PLANE).reduce((a, v) => a + v, 0) / PLANE);
}

const pixels = (data: ImageDataset, n: number) => data.images.subarray(n * 3 * PLANE, (n + 1) * 3 * PLANE);

const TWIDDLE_RE = Float64Array.from({ length: SIDE }, (_, j) => Math.cos((-2 * Math.PI * j) / SIDE));
const TWIDDLE_IM = Float64Array.from({ length: SIDE }, (_, j) => Math.sin((-2 * Math.PI * j) / SIDE));

/** 32-point DFTs, in place, of the lines start + line·lineStride + k·stride. */
function dftLines(re: Float64Array, im: Float64Array, lineStride: number, stride: number): void {
  const [r, i] = [new Float64Array(SIDE), new Float64Array(SIDE)];
  for (let line = 0; line < SIDE; line++) {
    for (let k = 0; k < SIDE; k++) [r[k], i[k]] = [re[line * lineStride + k * stride]!, im[line * lineStride + k * stride]!];
    for (let f = 0; f < SIDE; f++) {
      let sr = 0;
      let si = 0;
      for (let k = 0; k < SIDE; k++) {
        const c = TWIDDLE_RE[(f * k) % SIDE]!;
        const s = TWIDDLE_IM[(f * k) % SIDE]!;
        sr += r[k]! * c - i[k]! * s;
        si += r[k]! * s + i[k]! * c;
      }
      re[line * lineStride + f * stride] = sr;
      im[line * lineStride + f * stride] = si;
    }
  }
}

/** |DFT|² of the grey image less its mean, scaled to sum 1. */
function powerSpectrum(data: ImageDataset, n: number): number[] {
  const image = data.images.subarray(n * 3 * PLANE, (n + 1) * 3 * PLANE);
  const re = Float64Array.from({ length: PLANE }, (_, i) => (image[i]! + image[PLANE + i]! + image[2 * PLANE + i]!) / 3);
  const mean = re.reduce((a, v) => a + v, 0) / PLANE;
  re.forEach((v, i) => (re[i] = v - mean));
  const im = new Float64Array(PLANE);
  dftLines(re, im, SIDE, 1); // rows
  dftLines(re, im, 1, SIDE); // columns
  const power = Array.from(re, (r, i) => r * r + im[i]! * im[i]!);
  const total = power.reduce((a, v) => a + v, 0);
  return power.map((v) => v / total);
}

type Feature = (data: ImageDataset, n: number) => ArrayLike<number>;

/** Per class, the mean of `feature` over `train`. */
function classMeans(train: ImageDataset, feature: Feature): Float64Array[] {
  const sums: Float64Array[] = [];
  const counts = new Array<number>(10).fill(0);
  for (let n = 0; n < train.shape[0]; n++) {
    const f = feature(train, n);
    const label = train.labels[n]!;
    const sum = (sums[label] ??= new Float64Array(f.length));
    for (let i = 0; i < f.length; i++) sum[i]! += f[i]!;
    counts[label]!++;
  }
  return sums.map((sum, c) => sum.map((v) => v / counts[c]!));
}

/** Accuracy on `test` of the nearest (Euclidean) class mean. */
function nearestMeanAccuracy(means: Float64Array[], test: ImageDataset, feature: Feature): number {
  let correct = 0;
  for (let n = 0; n < test.shape[0]; n++) {
    const f = feature(test, n);
    const distances = means.map((m) => m.reduce((a, v, i) => a + (v - f[i]!) ** 2, 0));
    if (distances.indexOf(Math.min(...distances)) === test.labels[n]) correct++;
  }
  return correct / test.shape[0];
}

/** The same images mirrored left to right, as the `cifar` preset's flip does. */
function flipped(data: ImageDataset): ImageDataset {
  const images = new Uint8Array(data.images.length);
  for (let row = 0; row < data.images.length / SIDE; row++) {
    for (let x = 0; x < SIDE; x++) images[row * SIDE + x] = data.images[row * SIDE + SIDE - 1 - x]!;
  }
  return { ...data, images };
}

describe('synthetic CIFAR-10', () => {
  const settings = { seed: 7, trainImages: 1003, testImages: 400 };
  const dir = writeSet(settings);

  it('writes CIFAR-10 binary batches that parse, with the train images spread over five files', () => {
    expect(readdirSync(dir).filter((f) => !f.startsWith('.')).sort()).toEqual([...BATCH_FILES, 'batches.meta.txt', 'synthetic.json'].sort());
    const counts = BATCH_FILES.map((file) => {
      const bytes = readFileSync(join(dir, file));
      expect(bytes.length % RECORD_BYTES).toBe(0);
      const batch = parseCifarBatch(new Uint8Array(bytes), 'cifar10', file);
      expect(batch.shape.slice(1)).toEqual([3, 32, 32]);
      return batch.shape[0];
    });
    expect(counts).toEqual([200, 201, 200, 201, 201, 400]);
    expect(readFileSync(join(dir, 'batches.meta.txt'), 'utf8').trim().split('\n')).toEqual(SYNTHETIC_CLASS_NAMES);
    expect(existingSyntheticCifar(dir, settings)?.settings).toEqual(settings);
    expect(existingSyntheticCifar(dir, { ...settings, testImages: 401 })).toBeUndefined();
  });

  it('is read unchanged by the cifar10 loader, balanced in every prefix of ten', () => {
    const train = loadDataset('cifar10', { dir, split: 'train' });
    const test = loadDataset('cifar10', { dir, split: 'test' });
    expect(train.shape).toEqual([1003, 3, 32, 32]);
    expect(test.shape).toEqual([400, 3, 32, 32]);
    expect(classCounts(test.labels)).toEqual(new Array(10).fill(40));
    expect(classCounts(train.labels.subarray(0, 1000))).toEqual(new Array(10).fill(100));
    expect(classCounts(test.labels.subarray(0, 20))).toEqual(new Array(10).fill(2));
    // Not simply 0, 1, 2, …: the order inside each block of ten is drawn.
    expect(Array.from(test.labels.subarray(0, 30))).not.toEqual(Array.from({ length: 30 }, (_, i) => i % 10));
    // Images use the byte range, not a corner of it.
    const values = new Set(test.images);
    expect(values.size).toBeGreaterThan(200);
  });

  it('gives the same bytes for the same seed and other bytes for another seed', () => {
    const again = writeSet(settings);
    const other = writeSet({ ...settings, seed: 8 });
    for (const file of BATCH_FILES) {
      const bytes = readFileSync(join(dir, file));
      expect(readFileSync(join(again, file)).equals(bytes)).toBe(true);
      const different = readFileSync(join(other, file));
      expect(different.equals(bytes)).toBe(false);
      // Not just the labels: the pixels differ too.
      expect(different.subarray(1, RECORD_BYTES).equals(bytes.subarray(1, RECORD_BYTES))).toBe(false);
    }
  });

  it('begins a larger set with the images of a smaller one (images depend only on seed, split and index)', () => {
    const larger = writeSet({ ...settings, testImages: 450 });
    const small = readFileSync(join(dir, 'test_batch.bin'));
    expect(readFileSync(join(larger, 'test_batch.bin')).subarray(0, small.length).equals(small)).toBe(true);
  });

  it('is learnable from the power spectrum, also flipped, but not from colour or raw pixels', () => {
    const train = loadDataset('cifar10', { dir, split: 'train' });
    const test = loadDataset('cifar10', { dir, split: 'test' });
    const spectra = classMeans(train, powerSpectrum);
    const spectrum = nearestMeanAccuracy(spectra, test, powerSpectrum);
    const spectrumFlipped = nearestMeanAccuracy(spectra, flipped(test), powerSpectrum);
    const colour = nearestMeanAccuracy(classMeans(train, meanColour), test, meanColour);
    const raw = nearestMeanAccuracy(classMeans(train, pixels), test, pixels);
    expect(spectrum).toBeGreaterThan(0.6);
    expect(spectrumFlipped).toBeGreaterThan(0.6);
    expect(colour).toBeLessThan(0.2);
    expect(raw).toBeLessThan(0.2);
  });
});
