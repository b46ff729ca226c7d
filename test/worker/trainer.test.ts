// The trainer API in a real worker thread running the bundled dist/node/worker.js (npm test
// builds it), through the client a user gets: training with progress, predictions, weights
// in and out, one augmented batch checked against the float64 ESP reference, and errors.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveEspSettings, trueLabelMass } from '../../src/augment/espSettings.ts';
import { Stream } from '../../src/rng/philox.ts';
import { loadRng } from '../../src/rng/wasm.ts';
import { imageDataToBytes, startTrainerWorker, type TrainerWorker } from '../../src/worker/client.ts';
import type { BatchShape, TrainProgress, TrainRequest } from '../../src/worker/trainerApi.ts';
import { expectClose } from '../helpers/compare.ts';
import { TestRandom } from '../helpers/random.ts';
import { espSample } from '../reference/esp.ts';

const bundle = new URL('../../dist/node/worker.js', import.meta.url);
const range = [-1.5, 1.5] as const;

/** Two Gaussian clouds in 2-D, as [N, 1, 1, 2] points: class 0 around (−½, −½), class 1 around (½, ½). */
function clouds(count: number, seed: number): { points: Float32Array; labels: Uint8Array; shape: BatchShape } {
  const random = new TestRandom(seed);
  const points = new Float32Array(2 * count);
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    labels[i] = i % 2;
    const centre = labels[i] ? 0.5 : -0.5;
    for (let d = 0; d < 2; d++) points[2 * i + d] = Math.min(1.4, Math.max(-1.4, centre + 0.25 * random.normal()));
  }
  return { points, labels, shape: [count, 1, 1, 2] };
}

function accuracy(logits: Float32Array, labels: Uint8Array): number {
  let correct = 0;
  labels.forEach((label, i) => {
    if ((logits[2 * i + 1]! > logits[2 * i]! ? 1 : 0) === label) correct++;
  });
  return correct / labels.length;
}

describe('trainer worker', () => {
  let worker: TrainerWorker;
  const train = clouds(256, 5);
  const test = clouds(200, 6);
  const request = (overrides: Partial<TrainRequest> = {}): TrainRequest => ({
    images: train.points, shape: train.shape, labels: train.labels, classes: 2,
    epochs: 5, batchSize: 32, lr: 0.1, augmentation: { method: 'esp', esp: { epsilon: 0.2 }, range }, seed: 9, reportEvery: 5,
    ...overrides,
  });
  let initial: Float32Array;
  let initialLogits: Float32Array;

  beforeAll(async () => {
    if (!existsSync(bundle)) throw new Error(`${bundle.pathname} is missing: build first (node scripts/build.mjs; npm test does)`);
    worker = startTrainerWorker(bundle);
    await worker.init();
  });
  afterAll(async () => worker?.close());

  it('builds an MLP and describes its weights', async () => {
    const info = await worker.createModel({ kind: 'mlp', inputs: 2, hidden: [16], classes: 2 }, 3);
    expect(info.parameters.map((p) => p.name)).toEqual(['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']);
    expect(info.weightCount).toBe(2 * 16 + 16 + 16 * 2 + 2);
    initial = await worker.getWeights();
    expect(initial).toBeInstanceOf(Float32Array);
    expect(initial.length).toBe(info.weightCount);
    initialLogits = await worker.predict(test.points, test.shape);
  });

  it('trains with ESP on float points, reporting progress and probe probabilities', async () => {
    const reports: TrainProgress[] = [];
    const summary = await worker.train(request({ probe: { images: test.points, shape: test.shape, everySteps: 10 } }), (p) => void reports.push(p));
    expect(summary).toMatchObject({ status: 'completed', steps: 40, totalSteps: 40, quantised: true });
    // Every 5th step and each epoch's last (the 8th): steps 4, 7, 9, 14, 15, …, 39.
    expect(reports.map((r) => r.step)).toEqual([4, 7, 9, 14, 15, 19, 23, 24, 29, 31, 34, 39]);
    expect(reports.every((r) => Number.isFinite(r.loss) && r.loss > 0 && r.totalSteps === 40)).toBe(true);
    expect(reports.at(-1)!.loss).toBeLessThan(reports[0]!.loss);
    const probed = reports.filter((r) => r.probe);
    expect(probed.map((r) => r.step)).toEqual([4, 14, 24, 34, 39]);
    const last = probed.at(-1)!.probe!;
    expect(last.length).toBe(200 * 2);
    for (let i = 0; i < 200; i++) expect(last[2 * i]! + last[2 * i + 1]!).toBeCloseTo(1, 5);
  });

  it('predicts far above chance after training, and the probe saw the same model', async () => {
    const logits = await worker.predict(test.points, test.shape);
    expect(accuracy(logits, test.labels)).toBeGreaterThan(0.9);
    const probabilities = await worker.predict(test.points, test.shape, { output: 'probabilities' });
    expect(accuracy(probabilities, test.labels)).toBe(accuracy(logits, test.labels));
  });

  it('returns its weights, changed by training, and takes them back', async () => {
    const trained = await worker.getWeights();
    expect(trained.length).toBe(initial.length);
    expect(Math.max(...trained.map((w, i) => Math.abs(w - initial[i]!)))).toBeGreaterThan(1e-3);
    const before = await worker.predict(test.points, test.shape);
    await worker.setWeights(initial);
    expect(Array.from(await worker.getWeights())).toEqual(Array.from(initial));
    expect(Array.from(await worker.predict(test.points, test.shape))).toEqual(Array.from(initialLogits));
    await worker.setWeights(trained);
    expect(Array.from(await worker.predict(test.points, test.shape))).toEqual(Array.from(before));
  });

  it('stops a run at a step boundary and refuses other work while it trains', async () => {
    let stopped = false;
    const run = worker.train(request({ epochs: 500, reportEvery: 1 }), async () => {
      if (!stopped) {
        stopped = true;
        await expect(worker.predict(test.points, test.shape)).rejects.toThrow(/train\(\) is running/);
        await worker.stop();
      }
    });
    const summary = await run;
    expect(summary.status).toBe('aborted');
    expect(summary.steps).toBeLessThan(10);
    await expect(worker.predict(test.points, test.shape)).resolves.toBeInstanceOf(Float32Array);
  });

  it('augments a batch exactly as the float64 ESP reference does with the same Philox draws', async () => {
    const random = new TestRandom(17);
    const [count, n, classes, seed, step] = [4, 36, 10, 21, 3];
    const bytes = Uint8Array.from({ length: count * n }, () => random.int(0, 256));
    const labels = [1, 4, 7, 9];
    const esp = { epsilon: 1.2, gamma: 20 };
    const { x, targets } = await worker.augment({ images: bytes, shape: [count, 1, 6, 6], labels, classes, seed, step, augmentation: { method: 'esp', esp } });
    const rng = await loadRng();
    const settings = resolveEspSettings(esp, classes);
    const sizes = rng.truncatedNormalSizes({ seed, step, batch: count, mu: settings.epsilon, sigma: settings.sigma, lo: settings.lo, hi: settings.hi });
    for (let b = 0; b < count; b++) {
      const clean = Float64Array.from(bytes.subarray(b * n, (b + 1) * n), (v) => v / 255);
      const direction = rng.normals(seed, b, Stream.espDirection, n, step);
      const expected = espSample(clean, direction, sizes[b]!, trueLabelMass(settings, sizes[b]!), labels[b]!, classes);
      expectClose(x.subarray(b * n, (b + 1) * n), expected.normalised, { atol: 5e-4, rtol: 1e-4 }, `row ${b}`);
      expectClose(targets.subarray(b * classes, (b + 1) * classes), expected.targets, { atol: 1e-6, rtol: 1e-6 }, `targets ${b}`);
    }
  });

  it('rejects bad arguments with errors that name them', async () => {
    await expect(worker.createModel({ kind: 'resnet' } as never)).rejects.toThrow(/createModel: spec.kind must be one of mlp, mnist-cnn, wrn-40-2, resnet18, got "resnet"/);
    await expect(worker.createModel({ kind: 'mlp', inputs: 2, hidden: [0], classes: 2 })).rejects.toThrow(/spec.hidden\[0\] must be an integer ≥ 1/);
    await expect(worker.train(request({ labels: Uint8Array.from(train.labels, (l, i) => (i === 7 ? 2 : l)) }))).rejects.toThrow(/train: labels\[7\] must be an integer in \[0, 1\], got 2/);
    await expect(worker.train(request({ shape: [255, 1, 1, 2] }))).rejects.toThrow(/train: images.length must be 510, the values of shape \[255, 1, 1, 2\], got 512/);
    await expect(worker.train(request({ images: Float32Array.from(train.points, (v, i) => (i === 3 ? 2 : v)) }))).rejects.toThrow(/train: images\[3\] must be inside the range \[-1.5, 1.5\], got 2/);
    await expect(worker.train(request({ classes: 3 }))).rejects.toThrow(/train: classes must be the model's 2, got 3/);
    await expect(worker.train(request({ batchSize: 1000 }))).rejects.toThrow(/batchSize 1000 is larger than the dataset \(256 images\)/);
    await expect(worker.train(request({ lr: -1 }))).rejects.toThrow(/train: lr must be a number > 0, got -1/);
    await expect(worker.train(request({ augmentation: { method: 'esp', range } }))).rejects.toThrow(/give esp.epsilon/);
    await expect(worker.predict(new Float32Array(9), [3, 1, 1, 3])).rejects.toThrow(/predict: the sample size C·H·W must be the mlp's 2 values, got 3/);
    await expect(worker.predict([1, 2] as never, [1, 1, 1, 2])).rejects.toThrow(/images must be a Uint8Array \(bytes\) or Float32Array \(values\), got \[1,2\]/);
    await expect(worker.setWeights(new Float32Array(3))).rejects.toThrow(/setWeights: weights.length must be 82, the model's weight count, got 3/);
    // Nothing above disturbed the model.
    expect(accuracy(await worker.predict(test.points, test.shape), test.labels)).toBeGreaterThan(0.9);
  });

  it('builds and trains the paper\'s MNIST CNN on bytes', async () => {
    const info = await worker.createModel({ kind: 'mnist-cnn' }, 2);
    expect(info).toMatchObject({ kind: 'mnist-cnn', classes: 10, inputShape: [1, 28, 28], weightCount: 312_202 });
    const random = new TestRandom(4);
    const images = Uint8Array.from({ length: 16 * 784 }, () => random.int(0, 256));
    const labels = Array.from({ length: 16 }, (_, i) => i % 10);
    const summary = await worker.train({ images, shape: [16, 1, 28, 28], labels, classes: 10, epochs: 1, batchSize: 8, lr: 0.05, augmentation: { method: 'esp', esp: { epsilon: 1.5 } } });
    expect(summary).toMatchObject({ status: 'completed', steps: 2, quantised: false });
    expect((await worker.getWeights()).length).toBe(312_202);
    expect((await worker.predict(images.subarray(0, 2 * 784), [2, 1, 28, 28], { output: 'probabilities' })).length).toBe(20);
    await expect(worker.predict(new Uint8Array(784), [1, 1, 14, 56])).rejects.toThrow(/predict: the sample shape must be the mnist-cnn's \[1, 28, 28\], got \[1,14,56\]/);
  });

  it('predicts canvas images (ImageData) as grey bytes', async () => {
    await worker.createModel({ kind: 'mlp', inputs: 4, hidden: [], classes: 2 }, 1);
    const pixel = (r: number, g: number, b: number) => [r, g, b, 255];
    const image = { width: 2, height: 2, data: Uint8ClampedArray.from([...pixel(255, 0, 0), ...pixel(0, 255, 0), ...pixel(0, 0, 255), ...pixel(10, 10, 10)]) };
    const viaImageData = await worker.predict([image, image], 1);
    const bytes = Uint8Array.from([76, 150, 29, 10, 76, 150, 29, 10]);
    expect(Array.from(viaImageData)).toEqual(Array.from(await worker.predict(bytes, [2, 1, 2, 2])));
  });
});

describe('imageDataToBytes', () => {
  const image = (width: number, height: number, at: (p: number, c: number) => number) => ({
    width, height, data: Uint8ClampedArray.from({ length: 4 * width * height }, (_, i) => at(Math.floor(i / 4), i % 4)),
  });

  it('turns RGBA rows into planes, grey as rounded BT.601 luma', () => {
    const a = image(3, 2, (p, c) => 10 * p + c);
    const rgb = imageDataToBytes([a], 3);
    expect(rgb.shape).toEqual([1, 3, 2, 3]);
    expect(Array.from(rgb.images.subarray(0, 6))).toEqual([0, 10, 20, 30, 40, 50]);
    expect(Array.from(rgb.images.subarray(12, 18))).toEqual([2, 12, 22, 32, 42, 52]);
    const grey = imageDataToBytes([a, a], 1);
    expect(grey.shape).toEqual([2, 1, 2, 3]);
    expect(grey.images[4]).toBe(Math.round(0.299 * 40 + 0.587 * 41 + 0.114 * 42));
  });

  it('rejects images of different sizes and bad channel counts', () => {
    expect(() => imageDataToBytes([image(2, 2, () => 0), image(3, 2, () => 0)], 3)).toThrow(/image 1 is 3×2, image 0 is 2×2/);
    expect(() => imageDataToBytes([image(2, 2, () => 0)], 2 as never)).toThrow(/channels must be 1, 3 or 4, got 2/);
  });
});
