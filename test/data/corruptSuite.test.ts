import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { corruptImage, type Corruption } from '../../src/data/corruptions/corruption.ts';
import { MNIST_C } from '../../src/data/corruptions/mnistC.ts';
import { corruptedSets, planSuite, writeCorruptionSuite, type SuiteProgress } from '../../src/data/corruptSuite.ts';
import { loadCorruptionSuite, readNpyFile, type CorruptedSet } from '../../src/data/datasets.ts';
import type { ImageDataset } from '../../src/data/imageDataset.ts';
import { corruptionErrors, type Predictor } from '../../src/train/evaluate.ts';
import { TestRandom } from '../helpers/random.ts';
import { randomBytes } from './fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'espgpu-corrupt-suite-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function randomSet(count: number, channels: number, size: number, seed: number): ImageDataset {
  const random = new TestRandom(seed);
  const images = randomBytes(count * channels * size * size, random);
  const labels = randomBytes(count, random, 10);
  return { shape: [count, channels, size, size], images, labels, classes: 10 };
}

/** A tiny CIFAR-C-like suite, listed out of order: a fixed darkening and a seeded noise, severities 1..5. */
const darken = (severity: number): Corruption => ({ name: 'darken', severity, apply: (image) => image.map((v) => Math.max(0, v - 20 * severity)) });
const noise = (severity: number): Corruption => ({
  name: 'noise',
  severity,
  apply: (image, _shape, random) => image.map((v) => Math.min(255, v + (random.word() % (10 * severity + 1)))),
});
const FAKE_C: Corruption[] = [5, 4, 3, 2, 1].map(noise).concat([1, 2, 3, 4, 5].map(darken));

const imageOf = (data: ImageDataset, i: number) => {
  const per = data.shape[1] * data.shape[2] * data.shape[3];
  return data.images.subarray(i * per, (i + 1) * per);
};
const shapeOf = (data: ImageDataset) => ({ channels: data.shape[1], height: data.shape[2], width: data.shape[3] });
const summary = (sets: Iterable<CorruptedSet>) =>
  [...sets].map((s) => ({ corruption: s.corruption, severity: s.severity, shape: s.dataset.shape, images: Array.from(s.dataset.images), labels: Array.from(s.dataset.labels) }));

describe('planSuite', () => {
  it('reads MNIST_C as one severity per corruption, indexed by its place in the list', () => {
    const plan = planSuite(MNIST_C);
    expect(plan.layout).toBe('mnist-c');
    expect(plan.corruptions.map((c) => [c.name, c.levels.length, c.levels[0]!.severity, c.levels[0]!.index])).toEqual(MNIST_C.map((c, i) => [c.name, 1, null, i]));
  });

  it('reads a flat five-severity suite as CIFAR-C, severities sorted, indices kept', () => {
    const plan = planSuite(FAKE_C);
    expect(plan.layout).toBe('cifar-c');
    expect(plan.corruptions.map((c) => [c.name, c.levels.map((l) => l.severity), c.levels.map((l) => l.index)])).toEqual([
      ['noise', [1, 2, 3, 4, 5], [4, 3, 2, 1, 0]],
      ['darken', [1, 2, 3, 4, 5], [5, 6, 7, 8, 9]],
    ]);
    expect(planSuite(FAKE_C, ['darken']).corruptions.map((c) => [c.name, c.levels[0]!.index])).toEqual([['darken', 5]]);
  });

  it('names what is wrong with a suite or a subset', () => {
    expect(() => planSuite([darken(1), darken(2), noise(1)])).toThrow(/darken comes at severities \[1, 2\]; expected each corruption once \(MNIST-C\) or at severities 1..5/);
    expect(() => planSuite(MNIST_C, ['fog', 'snow'])).toThrow(/unknown corruption "snow" \(expected some of shot_noise, /);
    expect(() => planSuite([])).toThrow(/no corruptions/);
  });
});

describe('corruptedSets', () => {
  it('holds corruptImage(seed, image i, entry index) for every image, whatever the limit or subset', () => {
    const data = randomSet(5, 3, 4, 1);
    const all = [...corruptedSets(data, FAKE_C, { seed: 9 })];
    expect(all.map((s) => `${s.corruption}${s.severity}`)).toEqual(['noise1', 'noise2', 'noise3', 'noise4', 'noise5', 'darken1', 'darken2', 'darken3', 'darken4', 'darken5']);
    const noise3 = all[2]!.dataset;
    for (let i = 0; i < 5; i++) expect(imageOf(noise3, i)).toEqual(corruptImage(FAKE_C[2]!, imageOf(data, i), shapeOf(data), 9, i, 2));
    expect(Array.from(noise3.labels)).toEqual(Array.from(data.labels));
    const limited = [...corruptedSets(data, FAKE_C, { seed: 9, limit: 2, corruptions: ['noise'] })];
    expect(limited).toHaveLength(5);
    expect(limited[2]!.dataset.shape).toEqual([2, 3, 4, 4]);
    expect(limited[2]!.dataset.images).toEqual(noise3.images.subarray(0, 2 * 48));
    const otherSeed = [...corruptedSets(data, FAKE_C, { seed: 10, corruptions: ['noise'] })];
    expect(otherSeed[2]!.dataset.images).not.toEqual(noise3.images);
  });

  it('refuses bad options, and a corruption the images do not fit, before doing any work', () => {
    const rgb = randomSet(2, 3, 6, 2);
    expect(() => [...corruptedSets(rgb, FAKE_C, { limit: 0 })]).toThrow(/limit must be a positive integer, got 0/);
    expect(() => [...corruptedSets(rgb, FAKE_C, { seed: -1 })]).toThrow(/seed must be a non-negative integer, got -1/);
    expect(() => corruptedSets(rgb, MNIST_C).next()).toThrow(/canny_edges: cannot corrupt 3×6×6 images \(canny_edges needs a greyscale image/);
  });
});

describe('writeCorruptionSuite', () => {
  it('writes MNIST-C\'s layout: <corruption>/test_images.npy (N, 28, 28, 1) and test_labels.npy (N,), uint8, read back by loadCorruptionSuite', () => {
    const data = randomSet(7, 1, 28, 3);
    const dir = join(root, 'mnist-c');
    const progress: SuiteProgress[] = [];
    const written = writeCorruptionSuite(data, MNIST_C, dir, { seed: 5, limit: 4, onProgress: (p) => progress.push(p) });
    expect([written.layout, written.images, written.seed, written.files.length]).toEqual(['mnist-c', 4, 5, 30]);
    expect(progress.map((p) => [p.corruption, p.severity, p.setsDone, p.setsTotal, p.images])).toEqual(MNIST_C.map((c, i) => [c.name, null, i + 1, 15, 4]));
    const images = readNpyFile(join(dir, 'fog', 'test_images.npy'));
    const labels = readNpyFile(join(dir, 'fog', 'test_labels.npy'));
    expect([images.dtype, images.shape, labels.dtype, labels.shape]).toEqual(['u1', [4, 28, 28, 1], 'u1', [4]]);
    const generated = summary(corruptedSets(data, MNIST_C, { seed: 5, limit: 4 }));
    expect(summary(loadCorruptionSuite('mnist-c', dir, { env: {} }))).toEqual(generated);
    expect(readdirSync(dir).sort()).toEqual(MNIST_C.map((c) => c.name).sort()); // no temporary files left
  });

  it('writes CIFAR-C\'s layout: <corruption>.npy (5·N, H, W, C) in severity order and labels.npy (5·N,), uint8', () => {
    const data = randomSet(3, 3, 32, 4);
    const dir = join(root, 'cifar-c');
    const written = writeCorruptionSuite(data, FAKE_C, dir, { seed: 8 });
    expect(written.files).toEqual([join(dir, 'labels.npy'), join(dir, 'noise.npy'), join(dir, 'darken.npy')]);
    expect(written.corruptions.map((c) => [c.name, c.severities])).toEqual([['noise', [1, 2, 3, 4, 5]], ['darken', [1, 2, 3, 4, 5]]]);
    const labels = readNpyFile(join(dir, 'labels.npy'));
    const images = readNpyFile(join(dir, 'darken.npy'));
    expect([labels.dtype, labels.shape, images.dtype, images.shape]).toEqual(['u1', [15], 'u1', [15, 32, 32, 3]]);
    expect(Array.from(labels.data as Uint8Array)).toEqual([0, 1, 2, 3, 4].flatMap(() => Array.from(data.labels)));
    // NHWC on disk: pixel (row 0, col 1) of image 0 at severity 2, channel 2, is byte 1·3 + 2 of set 1.
    const per = 3 * 32 * 32;
    expect(images.data[per * 3 + 5]).toBe(Math.max(0, data.images[2 * 1024 + 1]! - 40));
    const generated = summary(corruptedSets(data, FAKE_C, { seed: 8 }));
    expect(summary(loadCorruptionSuite('cifar10-c', dir, { corruptions: ['noise', 'darken'], env: {} }))).toEqual(generated);
    expect(readdirSync(dir).sort()).toEqual(['darken.npy', 'labels.npy', 'noise.npy']);
  });

  it('is repeatable by seed, and the evaluator reads generated and loaded suites alike', async () => {
    const data = randomSet(4, 3, 32, 5);
    const [first, second, third] = ['s1', 's2', 's3'].map((d) => join(root, d));
    writeCorruptionSuite(data, FAKE_C, first!, { seed: 1, corruptions: ['noise'] });
    writeCorruptionSuite(data, FAKE_C, second!, { seed: 1, corruptions: ['noise'] });
    writeCorruptionSuite(data, FAKE_C, third!, { seed: 2, corruptions: ['noise'] });
    const bytes = (dir: string) => readNpyFile(join(dir, 'noise.npy')).data;
    expect(bytes(second!)).toEqual(bytes(first!));
    expect(bytes(third!)).not.toEqual(bytes(first!));
    // Predicts 0 when the first pixel is even: deterministic, and differs between severities.
    const parity: Predictor = { predict: async (d) => Uint32Array.from({ length: d.shape[0] }, (_, i) => imageOf(d, i)[0]! % 2) };
    const fromFiles = await corruptionErrors(parity, loadCorruptionSuite('cifar10-c', first!, { corruptions: ['noise'], env: {} }));
    const inMemory = await corruptionErrors(parity, corruptedSets(data, FAKE_C, { seed: 1, corruptions: ['noise'] }));
    expect(fromFiles).toEqual(inMemory);
    expect(fromFiles.corruptions[0]!.count).toBe(20);
  });

  it('names an output path that cannot be a folder, and writes nothing when a corruption cannot run', () => {
    const blocked = join(root, 'mnist-c', 'fog', 'test_images.npy');
    expect(() => writeCorruptionSuite(randomSet(2, 1, 28, 6), MNIST_C, blocked)).toThrow(/test_images.npy: could not create the output folder/);
    const dir = join(root, 'rgb');
    expect(() => writeCorruptionSuite(randomSet(2, 3, 8, 6), MNIST_C, dir)).toThrow(/canny_edges: cannot corrupt/);
    expect(() => readdirSync(dir)).toThrow(/ENOENT/);
  });
});
