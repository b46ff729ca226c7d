import { beforeAll, describe, expect, it } from 'vitest';
import { resolveEspSettings, trueLabelMass } from '../../src/augment/espSettings.ts';
import { planAugMix } from '../../src/augment/augmixPlan.ts';
import { augmixView } from '../../src/kernels/augmix.ts';
import { flipCropDraws } from '../../src/augment/flipCrop.ts';
import { AugmentationPipeline, parseMethod, type AugmentationOptions } from '../../src/augment/pipeline.ts';
import { packBytes } from '../../src/kernels/esp.ts';
import type { ImageShape } from '../../src/kernels/esp.ts';
import { mlp } from '../../src/nn/models/mlp.ts';
import { Stream } from '../../src/rng/philox.ts';
import { Classifier } from '../../src/train/classifier.ts';
import { loadRng, type Rng } from '../../src/rng/wasm.ts';
import { expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { espSample, l2Distance } from '../reference/esp.ts';

const gpu = useGpu();
let rng: Rng;
beforeAll(async () => {
  rng = await loadRng();
});

const image: ImageShape = [1, 12, 12];
const n = 144;
const batch = 6;
const classes = 10;
const seed = 21;

function testBatch(seedValue: number) {
  const random = new TestRandom(seedValue);
  const bytes = Uint8Array.from({ length: batch * n }, () => random.int(0, 256));
  const labels = Uint32Array.from({ length: batch }, (_, b) => (3 * b + 1) % classes);
  return { bytes, labels };
}

async function augmentOnce(options: AugmentationOptions, step = 4) {
  const g = gpu();
  const pipeline = await AugmentationPipeline.create(g, { image, classes, batch, seed }, options);
  const { bytes, labels } = testBatch(step);
  const out = await pipeline.augment(step, bytes, labels);
  const result = { x: await g.read(out.x), targets: await g.read(out.targets), views: out.views, consistency: out.consistency };
  pipeline.dispose();
  return { ...result, bytes, labels, step };
}

describe('parseMethod', () => {
  it('names the parts of a method and rejects unknown or doubled ones', () => {
    expect(parseMethod('augmix+esp')).toEqual({ augmix: true, perturbation: 'esp' });
    expect(parseMethod('l2')).toEqual({ augmix: false, perturbation: 'l2' });
    expect(parseMethod('augmix')).toEqual({ augmix: true, perturbation: 'none' });
    expect(parseMethod('esp-hard')).toEqual({ augmix: false, perturbation: 'esp-hard' });
    for (const bad of ['esp+l2', 'espp', 'augmix+augmix', '']) expect(() => parseMethod(bad)).toThrow(/is not one of: none, l2, esp, esp-hard/);
  });
});

describe('AugmentationPipeline without AugMix', () => {
  it('esp: the kernel sees the WASM sizes of rows 0..B−1 and s(k), with normalisation', async () => {
    const options: AugmentationOptions = { method: 'esp', esp: { epsilon: 1.5, gamma: 20 }, normalization: { mean: [0.3], std: [0.4] } };
    const { x, targets, bytes, labels, step, views } = await augmentOnce(options);
    expect(views).toBe(1);
    const settings = resolveEspSettings({ epsilon: 1.5, gamma: 20 }, classes);
    const sizes = rng.truncatedNormalSizes({ seed, step, batch, mu: 1.5, sigma: 0.75, lo: 0, hi: 3 });
    for (let b = 0; b < batch; b++) {
      const clean = Float64Array.from(bytes.subarray(b * n, (b + 1) * n), (v) => v / 255);
      const v = rng.normals(seed, b, Stream.espDirection, n, step);
      const e = espSample(clean, v, sizes[b]!, trueLabelMass(settings, sizes[b]!), labels[b]!, classes, { mean: [0.3], std: [0.4] });
      expectClose(x.subarray(b * n, (b + 1) * n), e.normalised, { atol: 5e-4, rtol: 1e-4 }, `row ${b}`);
      expectClose(targets.subarray(b * classes, (b + 1) * classes), e.targets, { atol: 1e-6, rtol: 1e-6 }, `targets ${b}`);
    }
  });

  it('l2: every image moves exactly ε and keeps a hard label', async () => {
    const { x, targets, bytes, labels } = await augmentOnce({ method: 'l2', l2: { epsilon: 0.8 } });
    for (let b = 0; b < batch; b++) {
      const clean = Float64Array.from(bytes.subarray(b * n, (b + 1) * n), (v) => v / 255);
      expect(Math.abs(l2Distance(x.subarray(b * n, (b + 1) * n), clean) - 0.8)).toBeLessThan(1e-4);
      expect(targets[b * classes + labels[b]!]).toBe(1);
    }
  });

  it('none with label smoothing 0.1: images scaled to [0, 1], true label 0.91, others 0.01', async () => {
    const { x, targets, bytes, labels } = await augmentOnce({ labelSmoothing: 0.1 });
    expectClose(x, Float64Array.from(bytes, (v) => v / 255), { atol: 1e-7, rtol: 1e-6 }, 'images');
    for (let b = 0; b < batch; b++) {
      for (let c = 0; c < classes; c++) expect(targets[b * classes + c]).toBeCloseTo(c === labels[b] ? 0.91 : 0.01, 6);
    }
  });

  it('flip and crop: each row is its image mirrored and shifted as flipCropDraws says', async () => {
    const { x, bytes, step } = await augmentOnce({ flip: true, crop: { padding: 3 } });
    const draws = flipCropDraws({ seed, step, batch, flip: true, padding: 3 });
    expect(draws.some((d) => d.flip) && draws.some((d) => d.shiftX !== 0)).toBe(true);
    draws.forEach((d, b) => {
      const expected = Float64Array.from({ length: n }, (_, i) => {
        const [y, xx] = [Math.floor(i / 12), i % 12];
        const [sx, sy] = [(d.flip ? 11 - xx : xx) + d.shiftX, y + d.shiftY];
        return sx >= 0 && sx < 12 && sy >= 0 && sy < 12 ? bytes[b * n + sy * 12 + sx]! / 255 : 0;
      });
      expectClose(x.subarray(b * n, (b + 1) * n), expected, { atol: 1e-7, rtol: 1e-6 }, `row ${b}`);
    });
  });

  it('keeps the GPU buffer count and pooled bytes flat over many steps', async () => {
    const g = gpu();
    const pipeline = await AugmentationPipeline.create(g, { image, classes, batch, seed }, { method: 'esp', esp: { epsilon: 1 } });
    const { bytes, labels } = testBatch(1);
    await pipeline.augment(0, bytes, labels);
    await g.sync();
    const before = g.pool.stats();
    for (let step = 1; step <= 40; step++) await pipeline.augment(step, bytes, labels);
    await g.sync();
    expect(g.pool.stats()).toEqual(before);
    pipeline.dispose();
  });

  it('rejects a missing ε, bad labels and a wrong byte count, naming them', async () => {
    const g = gpu();
    await expect(AugmentationPipeline.create(g, { image, classes, batch, seed }, { method: 'esp' })).rejects.toThrow(/uses "esp": give esp.epsilon/);
    await expect(AugmentationPipeline.create(g, { image, classes, batch, seed }, { method: 'l2' })).rejects.toThrow(/uses "l2": give l2.epsilon/);
    await expect(AugmentationPipeline.create(g, { image, classes, batch, seed }, { normalization: { mean: [0, 0], std: [1, 1] } })).rejects.toThrow(
      /normalization must give mean and std for each of the 1 channels/,
    );
    const pipeline = await AugmentationPipeline.create(g, { image, classes, batch, seed });
    const { bytes, labels } = testBatch(2);
    await expect(pipeline.augment(0, bytes.subarray(1), labels)).rejects.toThrow(/images must hold 6·144 bytes/);
    await expect(pipeline.augment(0, bytes, Uint32Array.of(1, 2, 3, 4, 5, 10))).rejects.toThrow(/label 10 at row 5 is outside 0..9/);
    pipeline.dispose();
  });
});

describe('AugmentationPipeline with AugMix', () => {
  /** The AugMix view `view` of the test batch, straight from augmixView. */
  async function directView(bytes: Uint8Array, step: number, view: number): Promise<Float32Array> {
    const g = gpu();
    const images = g.upload(packBytes(bytes), [Math.ceil(bytes.length / 4)], 'u32');
    const plan = planAugMix({ seed, step, view, firstSample: 0, batch, imageSize: [...image] });
    const out = await augmixView(g, images, [batch, ...image], plan);
    const values = await g.read(out);
    g.release(images, out);
    return values;
  }

  it('augmix+esp: [ESP(clean); aug1; aug2] with the same labels, hard targets on the AugMix views, JSD weight 12', async () => {
    const { x, targets, bytes, labels, step, views, consistency } = await augmentOnce({ method: 'augmix+esp', esp: { epsilon: 1 } });
    expect(views).toBe(3);
    expect(consistency).toEqual({ weight: 12 });
    // The clean block is ESP on the raw image, exactly as the 'esp' method gives it.
    const espOnly = await augmentOnce({ method: 'esp', esp: { epsilon: 1 } });
    expectClose(x.subarray(0, batch * n), espOnly.x, { atol: 0, rtol: 0 }, 'clean block');
    expectClose(targets.subarray(0, batch * classes), espOnly.targets, { atol: 0, rtol: 0 }, 'clean targets');
    for (const view of [1, 2]) {
      expectClose(x.subarray(view * batch * n, (view + 1) * batch * n), await directView(bytes, step, view), { atol: 1e-7, rtol: 0 }, `view ${view}`);
      for (let b = 0; b < batch; b++) {
        const row = targets.subarray((view * batch + b) * classes, (view * batch + b + 1) * classes);
        expect(Array.from(row)).toEqual(Array.from({ length: classes }, (_, c) => (c === labels[b] ? 1 : 0)));
      }
    }
    const [aug1, aug2] = [x.subarray(batch * n, 2 * batch * n), x.subarray(2 * batch * n)];
    expect(aug1.some((v, i) => v !== aug2[i])).toBe(true);
  });

  it('perturbViews "all" perturbs the AugMix views too, each at its own distance', async () => {
    const { x } = await augmentOnce({ method: 'augmix+l2', l2: { epsilon: 0.5 }, augmix: { perturbViews: 'all' } });
    const clean = await augmentOnce({ method: 'augmix', augmix: { jsd: true } });
    for (let row = batch; row < 3 * batch; row++) {
      const distance = l2Distance(x.subarray(row * n, (row + 1) * n), clean.x.subarray(row * n, (row + 1) * n));
      expect(Math.abs(distance - 0.5), `row ${row}`).toBeLessThan(1e-4);
    }
  });

  it('augmix without JSD trains on one AugMix view with plain cross-entropy', async () => {
    const { x, views, consistency, bytes, step } = await augmentOnce({ method: 'augmix', augmix: { jsd: false } });
    expect(views).toBe(1);
    expect(consistency).toBeUndefined();
    expectClose(x, await directView(bytes, step, 1), { atol: 1e-7, rtol: 0 }, 'single view');
  });
});

describe('a training step with AugMix', () => {
  it('is one command buffer: the AugMix plans go up with the step\'s other uploads, and no bind group is made after the first two', async () => {
    const g = gpu();
    const pipeline = await AugmentationPipeline.create(g, { image, classes, batch, seed }, { method: 'augmix+esp', esp: { epsilon: 1 } });
    const classifier = new Classifier(g, mlp({ seed: 0, inputs: n, hidden: [16], classes }), 0, { momentum: 0.9, nesterov: false, weightDecay: 0, schedule: () => 0.01 });
    const step = async (at: number) => {
      const { bytes, labels } = testBatch(at);
      const augmented = await pipeline.augment(at, bytes, labels);
      const result = await classifier.trainStep(at, augmented.x, augmented.targets, { consistency: augmented.consistency });
      result.release();
    };
    // Compiles, uploads the tables once and makes the bind groups: over two steps, since the
    // buffer pool hands back a step's buffers in the other order the step after.
    await step(0);
    await step(1);
    await g.sync();
    const before = { submits: g.submitCount, bindGroups: g.bindGroupsCreated };
    for (let at = 2; at <= 4; at++) {
      const submits = g.submitCount;
      await step(at);
      expect(g.submitCount - submits, `step ${at}`).toBe(1);
    }
    expect(g.submitCount - before.submits).toBe(3);
    expect(g.bindGroupsCreated - before.bindGroups).toBe(0);
    classifier.dispose();
    pipeline.dispose();
  });
});
