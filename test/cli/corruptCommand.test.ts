// `espgpu corrupt` through commander, in process, on tiny MNIST-style files made here.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { decode } from 'fast-png';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { addCorruptCommand, CORRUPTION_GENERATORS } from '../../src/cli/corruptCommand.ts';
import { CIFAR_C } from '../../src/data/corruptions/cifarC.ts';
import type { Corruption } from '../../src/data/corruptions/corruption.ts';
import { MNIST_C } from '../../src/data/corruptions/mnistC.ts';
import { corruptAtSeverity } from '../../src/data/corruptions/severity.ts';
import { corruptedSets } from '../../src/data/corruptSuite.ts';
import { loadCorruptionSuite, loadDataset } from '../../src/data/datasets.ts';
import { TestRandom } from '../helpers/random.ts';
import { gzip, idxFile, randomBytes } from '../data/fixtures.ts';

const root = mkdtempSync(join(tmpdir(), 'espgpu-corrupt-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
afterEach(() => vi.restoreAllMocks());

const mnistDir = join(root, 'mnist');
mkdirSync(mnistDir);
const random = new TestRandom(1);
writeFileSync(join(mnistDir, 't10k-images-idx3-ubyte.gz'), gzip(idxFile([6, 28, 28], randomBytes(6 * 784, random))));
writeFileSync(join(mnistDir, 't10k-labels-idx1-ubyte.gz'), gzip(idxFile([6], randomBytes(6, random, 10))));

/** Runs `espgpu corrupt …`; resolves to what it printed, rejects with commander's or the command's error. */
async function corrupt(args: string[], generators?: Record<string, readonly Corruption[]>): Promise<string> {
  const printed: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((line: string) => void printed.push(line));
  const program = new Command('espgpu').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  addCorruptCommand(program, generators);
  await program.parseAsync(['corrupt', ...args], { from: 'user' });
  return printed.join('\n');
}

describe('espgpu corrupt', () => {
  it('writes MNIST-C from the test split, with a gallery, readable by loadCorruptionSuite', async () => {
    const out = join(root, 'out-mnist-c');
    const gallery = join(root, 'gallery.png');
    const printed = await corrupt([
      '--dataset', 'mnist', '--data-dir', mnistDir, '--suite', 'mnist-c', '--out', out, '--seed', '3', '--limit', '4',
      '--corruptions', 'fog,stripe', '--gallery', gallery, '--gallery-image', '1', '--gallery-scale', '2',
    ]);
    expect(printed).toMatch(/corrupting 4 of 6 mnist test images \(1×28×28\) into mnist-c/);
    expect(printed).toMatch(/\[1\/2\] fog: 4 images in [\d.]+ s/);
    expect(printed).toMatch(/\[2\/2\] stripe: 4 images/);
    expect(printed).toMatch(/wrote 4 files in/);
    const data = loadDataset('mnist', { dir: mnistDir, split: 'test', env: {} });
    const expected = [...corruptedSets(data, MNIST_C, { seed: 3, limit: 4, corruptions: ['fog', 'stripe'] })];
    const loaded = [...loadCorruptionSuite('mnist-c', out, { corruptions: ['fog', 'stripe'], env: {} })];
    expect(loaded.map((s) => [s.corruption, Array.from(s.dataset.images), Array.from(s.dataset.labels)])).toEqual(
      expected.map((s) => [s.corruption, Array.from(s.dataset.images), Array.from(s.dataset.labels)]),
    );
    const png = decode(readFileSync(gallery));
    expect([png.width, png.height, png.channels]).toEqual([2 + 2 * 58, 2 + 2 * 58, 1]);
  });

  it('prints a JSON summary with --json, and takes extra suites', async () => {
    const invert: Corruption[] = [1, 2, 3, 4, 5].map((severity) => ({ name: 'invert', severity, apply: (image) => image.map((v) => 255 - v) }));
    const out = join(root, 'out-json');
    const printed = await corrupt(['--dataset', 'mnist', '--data-dir', mnistDir, '--suite', 'toy-c', '--out', out, '--json'], { 'toy-c': invert });
    const summary = JSON.parse(printed);
    expect([summary.dataset, summary.split, summary.suite, summary.layout, summary.images, summary.seed]).toEqual(['mnist', 'test', 'toy-c', 'cifar-c', 6, 0]);
    expect(summary.files).toEqual([join(out, 'labels.npy'), join(out, 'invert.npy')]);
  });

  it('refuses bad arguments with one clear line', async () => {
    const base = ['--dataset', 'mnist', '--data-dir', mnistDir, '--out', join(root, 'never')];
    await expect(corrupt([...base, '--suite', 'imagenet-c'])).rejects.toThrow(/option '--suite <name>' argument 'imagenet-c' is invalid. Allowed choices are mnist-c/);
    await expect(corrupt(['--dataset', 'svhn', '--suite', 'mnist-c', '--out', root])).rejects.toThrow(/argument 'svhn' is invalid. Allowed choices are fashion-mnist, mnist/);
    await expect(corrupt([...base, '--suite', 'mnist-c', '--limit', '0'])).rejects.toThrow(/--limit must be an integer ≥ 1, got "0"/);
    await expect(corrupt(['--dataset', 'mnist', '--suite', 'mnist-c'])).rejects.toThrow(/required option '--out <dir>' not specified/);
    await expect(corrupt(['--dataset', 'mnist', '--data-dir', join(root, 'missing'), '--suite', 'mnist-c', '--out', root])).rejects.toThrow(
      /missing: folder not found \(expected the mnist files/,
    );
    await expect(corrupt([...base, '--suite', 'mnist-c', '--corruptions', 'fog,snow'])).rejects.toThrow(/unknown corruption "snow"/);
  });
});

describe('the CIFAR-C generators of `corrupt`', () => {
  it('flatten the five severities so each level draws the stream corruptAtSeverity uses', () => {
    const images = Uint8Array.from({ length: 2 * 3072 }, (_, i) => (i * 31) % 256);
    const data = { shape: [2, 3, 32, 32] as [number, number, number, number], images, labels: Uint8Array.of(1, 7), classes: 10 };
    const sets = [...corruptedSets(data, CORRUPTION_GENERATORS['cifar10-c']!, { seed: 4, corruptions: ['fog', 'jpeg_compression'] })];
    expect(sets.map((s) => `${s.corruption}/${s.severity}`)).toEqual([1, 2, 3, 4, 5].map((s) => `fog/${s}`).concat([1, 2, 3, 4, 5].map((s) => `jpeg_compression/${s}`)));
    for (const set of sets) {
      const index = CIFAR_C.findIndex((c) => c.name === set.corruption);
      const expected = corruptAtSeverity(CIFAR_C, index, set.severity!, images.subarray(3072, 6144), { channels: 3, height: 32, width: 32 }, 4, 1);
      expect(Array.from(set.dataset.images.subarray(3072, 6144))).toEqual(Array.from(expected));
    }
  });
});
