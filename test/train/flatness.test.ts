// Flatness (ALGORITHMS.md §1.7): the GPU loss at θ + Δ against a float64 CPU computation of the
// same loss for the same Δ, exactly zero at radius 0, roughly quadratic growth near a minimum,
// θ restored bit for bit, and the `espgpu flatness` command's arguments and end-to-end result.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { addFlatnessCommand } from '../../src/cli/flatnessCommand.ts';
import { loadTrainingData } from '../../src/cli/shared.ts';
import { shuffledIndices } from '../../src/data/batches.ts';
import type { ImageDataset } from '../../src/data/imageDataset.ts';
import type { Gpu } from '../../src/gpu/gpu.ts';
import { encodeSafetensors, encodeTrainingCheckpoint } from '../../src/io/checkpoint.ts';
import { BatchNorm } from '../../src/nn/batchnorm.ts';
import { Flatten } from '../../src/nn/flatten.ts';
import { initContexts } from '../../src/nn/init.ts';
import { Linear } from '../../src/nn/linear.ts';
import { createModel } from '../../src/nn/models/index.ts';
import { Sequential } from '../../src/nn/sequential.ts';
import { Classifier } from '../../src/train/classifier.ts';
import { fit } from '../../src/train/fit.ts';
import { FixedSampleLoss, measureFlatness, randomDirection, spread } from '../../src/train/flatness.ts';
import { modelLayout, readWeights, writeWeights } from '../../src/train/weights.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';

const gpu = useGpu();
const EPS = 1e-5; // BatchNorm's default

/** n random 1×2×2 images in 3 classes. */
function tinyImages(n: number, seed: number): ImageDataset {
  const random = new TestRandom(seed);
  return {
    shape: [n, 1, 2, 2],
    images: Uint8Array.from({ length: n * 4 }, () => random.int(0, 256)),
    labels: Uint8Array.from({ length: n }, () => random.int(0, 3)),
    classes: 3,
  };
}

/** Batch norm (evaluation mode: running statistics) → flatten → linear 4 → 3. */
function bnLinear(g: Gpu, seed: number): Classifier {
  const model = new Sequential([new BatchNorm('bn', 1), new Flatten('flatten'), new Linear('fc', 4, 3, initContexts(seed, 0))]);
  return new Classifier(g, model, seed, { momentum: 0, nesterov: false, weightDecay: 0, schedule: () => 0 });
}

/** Non-trivial batch-norm scale, shift and running statistics, so the reference has to use them all. */
async function setBatchNorm(g: Gpu, classifier: Classifier): Promise<void> {
  const weights = await readWeights(g, classifier.store);
  weights.parameters.set('bn.weight', Float32Array.of(1.7));
  weights.parameters.set('bn.bias', Float32Array.of(-0.3));
  weights.state.set('bn.running_mean', Float32Array.of(0.2));
  weights.state.set('bn.running_var', Float32Array.of(2.5));
  writeWeights(g, classifier.store, weights);
}

/** Float64 mean cross-entropy of bnLinear at θ + Δ, on the images the measurement picks. */
async function referenceLoss(
  g: Gpu, classifier: Classifier, data: ImageDataset, samples: number, seed: number, normalization: { mean: number[]; std: number[] }, delta: Float64Array,
): Promise<number> {
  const { parameters, state } = await readWeights(g, classifier.store);
  // Δ runs over the parameters in the store's order, each flattened as stored.
  const shifted = new Map<string, Float64Array>();
  let k = 0;
  for (const p of classifier.store.parameters) shifted.set(p.name, Float64Array.from(parameters.get(p.name)!, (v) => v + delta[k++]!));
  expect(k).toBe(delta.length);
  const gamma = shifted.get('bn.weight')![0]!;
  const beta = shifted.get('bn.bias')![0]!;
  const mean = state.get('bn.running_mean')![0]!;
  const invStd = 1 / Math.sqrt(state.get('bn.running_var')![0]! + EPS);
  const w = shifted.get('fc.weight')!;
  const b = shifted.get('fc.bias')!;
  let total = 0;
  for (const i of shuffledIndices(data.shape[0], seed, 0).subarray(0, samples)) {
    const h = [0, 1, 2, 3].map((p) => {
      const x = (data.images[i * 4 + p]! / 255 - normalization.mean[0]!) / normalization.std[0]!;
      return gamma * (x - mean) * invStd + beta;
    });
    const logits = [0, 1, 2].map((c) => b[c]! + h.reduce((s, v, p) => s + w[c * 4 + p]! * v, 0));
    const top = Math.max(...logits);
    const logSumExp = top + Math.log(logits.reduce((s, z) => s + Math.exp(z - top), 0));
    total += logSumExp - logits[data.labels[i]!]!;
  }
  return total / samples;
}

async function bits(g: Gpu, classifier: Classifier): Promise<Uint32Array[]> {
  const { store } = classifier;
  const read = async (t: Parameters<Gpu['read']>[0]) => new Uint32Array((await g.read(t)).buffer);
  return [await read(store.values), await read(store.momentum), ...(await Promise.all(store.state.map((s) => read(s.value))))];
}

describe('randomDirection', () => {
  it('is a unit vector drawn from the seed and index alone', () => {
    const u = randomDirection(5, 3, 1000);
    expect(Math.hypot(...u)).toBeCloseTo(1, 12);
    expect(randomDirection(5, 3, 1000)).toEqual(u);
    expect(randomDirection(5, 4, 1000)).not.toEqual(u);
    expect(randomDirection(6, 3, 1000)).not.toEqual(u);
    // Gaussian, not uniform per coordinate: √n·u has mean ≈ 0 and variance ≈ 1.
    const scaled = Array.from(u, (x) => x * Math.sqrt(1000));
    const s = spread(scaled);
    expect(Math.abs(s.mean)).toBeLessThan(0.15);
    expect(s.std).toBeGreaterThan(0.9);
    expect(s.std).toBeLessThan(1.1);
  });
});

describe('spread', () => {
  it('gives the mean, sample standard deviation and standard error', () => {
    expect(spread([1, 2, 3, 6])).toEqual({ mean: 3, std: Math.sqrt(14 / 3), standardError: Math.sqrt(14 / 3) / 2 });
    expect(() => spread([1])).toThrow(/at least 2 values, got 1/);
  });
});

describe('FixedSampleLoss', () => {
  const normalization = { mean: [0.4], std: [0.3] };

  it('matches a float64 CPU loss at θ and at θ + Δ, batch norm from its running statistics, a partial last batch included', async () => {
    const g = gpu();
    const classifier = bnLinear(g, 1);
    await setBatchNorm(g, classifier);
    const data = tinyImages(13, 7);
    const surface = await FixedSampleLoss.create(classifier, data, { samples: 11, seed: 4, normalization, batchSize: 4 });
    expect(surface.dimension).toBe(1 + 1 + 12 + 3);
    const reference = (delta: Float64Array) => referenceLoss(g, classifier, data, 11, 4, normalization, delta);
    const base = await surface.lossAt();
    const referenceBase = await reference(new Float64Array(surface.dimension));
    expect(base).toBeCloseTo(referenceBase, 5);
    for (const [index, radius] of [[0, 0.3], [1, 1], [2, 2.5]] as const) {
      const delta = randomDirection(9, index, surface.dimension).map((x) => radius * x);
      const expected = (await reference(delta)) - referenceBase;
      const increase = (await surface.lossAt(delta)) - base;
      expect(Math.abs(expected)).toBeGreaterThan(1e-3); // the comparison below means something
      expect(increase).toBeCloseTo(expected, 5);
    }
    // A Δ on the batch-norm shift alone: the reference would miss a wrong offset into the flat buffer.
    const shift = new Float64Array(surface.dimension);
    shift[1] = 0.8;
    expect((await surface.lossAt(shift)) - base).toBeCloseTo((await reference(shift)) - referenceBase, 5);
    await expect(surface.lossAt(new Float64Array(3))).rejects.toThrow(/delta has 3 values, the model has 17 parameters/);
    surface.dispose();
    classifier.dispose();
  });

  it('refuses more samples than images, and a bad batch size', async () => {
    const g = gpu();
    const classifier = bnLinear(g, 1);
    await expect(FixedSampleLoss.create(classifier, tinyImages(5, 1), { samples: 6, seed: 0 })).rejects.toThrow(/samples 6 is more than the 5 training images/);
    await expect(FixedSampleLoss.create(classifier, tinyImages(5, 1), { samples: 5, seed: 0, batchSize: 0 })).rejects.toThrow(/batchSize must be an integer ≥ 1, got 0/);
    classifier.dispose();
  });
});

describe('measureFlatness', () => {
  it('gives an increase of exactly 0 at radius 0, and restores θ, the momentum and the running statistics bit for bit', async () => {
    const g = gpu();
    const classifier = bnLinear(g, 2);
    await setBatchNorm(g, classifier);
    const before = await bits(g, classifier);
    const report = await measureFlatness(classifier, tinyImages(20, 3), { radii: [0, 0.5, 2], directions: 4, samples: 20, seed: 1, batchSize: 8 });
    expect(report.radii[0]!.increases).toEqual([0, 0, 0, 0]);
    expect(report.radii[0]).toMatchObject({ radius: 0, mean: 0, std: 0, standardError: 0 });
    expect(report.radii[1]!.increases.every((x) => x !== 0)).toBe(true);
    expect(report).toMatchObject({ parameters: 17, samples: 20, directions: 4, seed: 1 });
    expect(await bits(g, classifier)).toEqual(before);
    classifier.dispose();
  });

  it('grows about 4× when the radius doubles, near a minimum', async () => {
    const g = gpu();
    // Three overlapping classes: a finite minimum of the cross-entropy, which full-batch
    // gradient descent approaches in a couple of hundred steps (after a handful the gradient's
    // linear term still dominates and this test fails).
    const random = new TestRandom(11);
    const n = 60;
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
    const images = Uint8Array.from({ length: n * 4 }, (_, j) => {
      const centre = 60 + 70 * ((labels[Math.floor(j / 4)]! + (j % 4)) % 3);
      return Math.max(0, Math.min(255, Math.round(centre + 60 * random.normal())));
    });
    const data: ImageDataset = { shape: [n, 1, 2, 2], images, labels, classes: 3 };
    const model = new Sequential([new Flatten('flatten'), new Linear('fc', 4, 3, initContexts(0, 0))]);
    const classifier = new Classifier(g, model, 0, { momentum: 0.9, nesterov: false, weightDecay: 0, schedule: () => 0.5 });
    const normalization = { mean: [0.5], std: [0.25] };
    await fit(classifier, data, { epochs: 200, batchSize: n, augmentation: { normalization } });
    const report = await measureFlatness(classifier, data, { radii: [0.1, 0.2], directions: 50, samples: n, seed: 0, normalization });
    const [small, large] = report.radii.map((r) => r.mean) as [number, number];
    expect(small).toBeGreaterThan(0);
    const ratio = large / small;
    expect(ratio).toBeGreaterThan(3.5);
    expect(ratio).toBeLessThan(4.5);
    classifier.dispose();
  });

  it('refuses bad radii and too few directions', async () => {
    const g = gpu();
    const classifier = bnLinear(g, 1);
    const data = tinyImages(4, 1);
    const base = { directions: 2, samples: 4, seed: 0 };
    await expect(measureFlatness(classifier, data, { ...base, radii: [] })).rejects.toThrow(/at least one radius/);
    await expect(measureFlatness(classifier, data, { ...base, radii: [0.1, -1] })).rejects.toThrow(/radii must be finite numbers ≥ 0, got -1/);
    await expect(measureFlatness(classifier, data, { ...base, radii: [0.1], directions: 1 })).rejects.toThrow(/directions must be an integer ≥ 2, got 1/);
    classifier.dispose();
  });
});

describe('espgpu flatness', () => {
  const folder = mkdtempSync(join(tmpdir(), 'espgpu-flatness-'));

  async function run(...args: string[]): Promise<void> {
    const program = new Command('espgpu').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    addFlatnessCommand(program);
    await program.parseAsync(['flatness', ...args], { from: 'user' });
  }

  it('names the flag and what it expected when an argument is bad', async () => {
    const checkpoint = ['--checkpoint', 'x.safetensors'];
    await expect(run('--radii', '1')).rejects.toThrow(/required option '--checkpoint <file>' not specified/);
    await expect(run(...checkpoint, '--radii', '0.1,abc')).rejects.toThrow(/--radii must be a comma-separated list of positive numbers, got "0.1,abc" \("abc" is not one\)/);
    await expect(run(...checkpoint, '--radii', '0,1')).rejects.toThrow(/--radii must be .* \("0" is not one\)/);
    await expect(run(...checkpoint, '--radii', '0.5,,1')).rejects.toThrow(/--radii must be .* \("" is not one\)/);
    await expect(run(...checkpoint, '--directions', '1')).rejects.toThrow(/--directions must be an integer ≥ 2, got "1"/);
    await expect(run(...checkpoint, '--samples', '2.5')).rejects.toThrow(/--samples must be an integer ≥ 1, got "2.5"/);
    await expect(run(...checkpoint, '--seed=-1')).rejects.toThrow(/--seed must be an integer ≥ 0, got "-1"/);
    await expect(run(...checkpoint, '--dataset', 'imagenet')).rejects.toThrow(/option '--dataset <name>' argument 'imagenet' is invalid/);
  });

  it('refuses more samples than the training split holds before it starts the GPU', async () => {
    const path = join(folder, 'bare.safetensors');
    writeFileSync(path, encodeSafetensors([], { model: 'mnist-cnn', seed: '0', settings: '{}' }));
    await expect(run('--checkpoint', path, '--dataset', 'embedded', '--samples', '5000')).rejects.toThrow(/--samples 5000 is more than the 3000 embedded training images/);
  });

  it('measures a checkpoint as measureFlatness does, with the normalisation the checkpoint records', async () => {
    const cli = new URL('../../dist/cli.js', import.meta.url).pathname;
    if (!existsSync(cli)) throw new Error(`${cli} is missing: build first (node scripts/build.mjs; npm test does)`);
    const g = gpu();
    const seed = 3;
    const classifier = new Classifier(g, createModel('mnist-cnn', { seed }), seed, { momentum: 0, nesterov: false, weightDecay: 0, schedule: () => 0 });
    // The last layer starts at zero (uniform predictions): give it weights so the loss depends on the input.
    const weights = await readWeights(g, classifier.store);
    const random = new TestRandom(1);
    weights.parameters.set('fc3.weight', Float32Array.from(weights.parameters.get('fc3.weight')!, () => random.uniform(-0.1, 0.1)));
    writeWeights(g, classifier.store, weights);
    const normalization = { mean: [0.3], std: [0.4] };
    const path = join(folder, 'cnn.safetensors');
    const saved = { model: 'mnist-cnn', step: 0, epoch: 0, seed, settings: { augmentation: { normalization } }, ...weights };
    writeFileSync(path, encodeTrainingCheckpoint(saved, modelLayout('mnist-cnn', classifier.store)));

    const { train } = loadTrainingData('embedded');
    const options = { radii: [0.5, 2], directions: 2, samples: 20, seed: 1, batchSize: 8 };
    const here = await measureFlatness(classifier, train, { ...options, normalization });
    const unnormalised = await measureFlatness(classifier, train, { ...options, directions: 2 });
    classifier.dispose();
    expect(Math.abs(unnormalised.baseLoss - here.baseLoss)).toBeGreaterThan(1e-3); // the comparison below can fail

    // --no-tune: the default GEMM tile shape, as in this process, so the results agree to rounding.
    const flags = ['--radii', '0.5,2', '--directions', '2', '--samples', '20', '--seed', '1', '--batch', '8', '--dataset', 'embedded', '--no-tune', '--json'];
    const result = spawnSync(process.execPath, [cli, 'flatness', '--checkpoint', path, ...flags], { encoding: 'utf8', timeout: 120_000 });
    expect(result.status, result.stderr).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toMatchObject({ model: 'mnist-cnn', dataset: 'embedded', samples: 20, directions: 2, seed: 1, parameters: 312_202 });
    expect(json.baseLoss).toBeCloseTo(here.baseLoss, 6);
    json.radii.forEach((r: { radius: number; increases: number[] }, i: number) => {
      expect(r.radius).toBe(options.radii[i]);
      r.increases.forEach((x, d) => expect(x).toBeCloseTo(here.radii[i]!.increases[d]!, 6));
    });
  });
});
