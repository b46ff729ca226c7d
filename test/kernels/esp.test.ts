import { beforeAll, describe, expect, it } from 'vitest';
import { trueLabelMass, resolveEspSettings } from '../../src/augment/espSettings.ts';
import { Gpu } from '../../src/gpu/gpu.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import { encodePlans, packBytes, perturbBatch, PLAN_WORDS, type ImageShape, type PerturbBatchArgs, type SamplePlan } from '../../src/kernels/esp.ts';
import { Stream } from '../../src/rng/philox.ts';
import { loadRng, type Rng } from '../../src/rng/wasm.ts';
import { expectClose, type Tolerance } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { ksCritical, ksStatistic, normalCdf } from '../helpers/statistics.ts';
import { clipAwareScale, espSample, l2Distance } from '../reference/esp.ts';

const gpu = useGpu();
let rng: Rng;
beforeAll(async () => {
  rng = await loadRng();
});

// Direction normals differ from the f64 ones by the f32 log/cos/sin (§3.6: |Δz| ≤ 2e−4·max(1, |z|)
// allowed, ~1e−6 seen); through u = v/‖v‖ and η that moves a pixel by far less than this.
const ESP_OUTPUT: Tolerance = { atol: 2e-4, rtol: 1e-4 };
// §1.2: the perturbed image lies at distance exactly k; f32 sums over n pixels keep ~1e−6.
const NORM_RTOL = 1e-4;

interface Batch {
  images: Float64Array; // [B, n] in [0, 1]
  bytes?: Uint8Array; // the same images as u8, when format is 'u8'
  labels: Uint32Array;
  plan: Float32Array; // [B, 2]
}

interface RunOptions {
  image: ImageShape;
  classes: number;
  seed?: number;
  step?: number;
  firstSample?: number;
  mean?: number[];
  std?: number[];
  directions?: Float64Array;
  /** Flip and crop per sample (default none). */
  transforms?: Omit<SamplePlan, 'k' | 's'>[];
}

/** (k, s) pairs [B, 2] with optional transforms, encoded as the kernel's plans. */
function pairsAsPlans(pairs: ArrayLike<number>, transforms: Omit<SamplePlan, 'k' | 's'>[] = []): Uint32Array {
  return encodePlans(Array.from({ length: pairs.length / 2 }, (_, b) => ({ k: pairs[2 * b]!, s: pairs[2 * b + 1]!, ...transforms[b] })));
}

/** Runs the kernel on a batch and reads back the normalised images and targets. */
async function run(g: Gpu, batch: Batch, options: RunOptions) {
  const { image, classes, seed = 7, step = 3, firstSample = 0 } = options;
  const count = batch.labels.length;
  const channels = image[0];
  const stats = Array.from({ length: channels }, (_, c) => [options.mean?.[c] ?? 0, 1 / (options.std?.[c] ?? 1)]).flat();
  const owned: Tensor[] = [];
  const keep = (t: Tensor) => (owned.push(t), t);
  const args: PerturbBatchArgs = {
    images: batch.bytes ? keep(g.upload(packBytes(batch.bytes), [Math.ceil(batch.bytes.length / 4)], 'u32')) : keep(g.upload(batch.images, [count, ...image])),
    format: batch.bytes ? 'u8' : 'f32',
    image,
    batch: count,
    classes,
    labels: keep(g.upload(batch.labels, [count], 'u32')),
    plan: keep(g.upload(pairsAsPlans(batch.plan, options.transforms), [count, PLAN_WORDS], 'u32')),
    channelStats: keep(g.upload(stats, [channels, 2])),
    seed,
    step,
    firstSample,
    directions: options.directions && keep(g.upload(options.directions, [count, ...image])),
  };
  const { x, targets } = await perturbBatch(g, args);
  const result = { x: await g.read(x), targets: await g.read(targets) };
  g.release(...owned, x, targets);
  return result;
}

/** The f64 reference of a whole batch, drawing each direction from the CPU's Philox normals. */
function reference(batch: Batch, options: RunOptions) {
  const { image, classes, seed = 7, step = 3, firstSample = 0 } = options;
  const n = image[0] * image[1] * image[2];
  return Array.from(batch.labels, (label, b) => {
    const x = batch.images.subarray(b * n, (b + 1) * n);
    const v = options.directions?.subarray(b * n, (b + 1) * n) ?? rng.normals(seed, firstSample + b, Stream.espDirection, n, step);
    return espSample(x, v, batch.plan[2 * b]!, batch.plan[2 * b + 1]!, label, classes, {
      mean: options.mean, std: options.std, planeSize: image[1] * image[2],
    });
  });
}

/** Random u8 images with the hard cases mixed in: all black, all white, nearly saturated. */
function u8Images(count: number, n: number, seed: number): { bytes: Uint8Array; images: Float64Array } {
  const random = new TestRandom(seed);
  const bytes = new Uint8Array(count * n);
  for (let b = 0; b < count; b++) {
    const kind = b % 4;
    for (let i = 0; i < n; i++) {
      bytes[b * n + i] = kind === 0 ? 0 : kind === 1 ? 255 : kind === 2 ? (random.next() < 0.9 ? 255 : 0) : random.int(0, 256);
    }
  }
  return { bytes, images: Float64Array.from(bytes, (v) => v / 255) };
}

function espPlan(count: number, labels: Uint32Array, options: { epsilon: number; classes: number; seed?: number; step?: number }) {
  const settings = resolveEspSettings({ epsilon: options.epsilon, gamma: 10 }, options.classes);
  const sizes = rng.truncatedNormalSizes({ seed: options.seed ?? 7, step: options.step ?? 3, batch: count, mu: settings.epsilon, sigma: settings.sigma, lo: settings.lo, hi: settings.hi });
  const plan = new Float32Array(2 * count);
  sizes.forEach((k, b) => plan.set([k, trueLabelMass(settings, k)], 2 * b));
  return { plan, labels, settings };
}

function labelsFor(count: number, classes: number): Uint32Array {
  return Uint32Array.from({ length: count }, (_, b) => (b * 7) % classes);
}

describe('perturbBatch on the test vectors of §2.4', () => {
  const x = [0.2, 0.9, 0.5, 0.0];
  const delta = [1, 1, -1, -1];
  for (const [k, eta] of [[0.8, 0.6164414002968978], [0.05, 0.02886751345948129], [1.0, 0.8]] as const) {
    it(`k = ${k}: x' = clip(x + η·δ) with η = ${eta} (δ unnormalised; the kernel's u = δ/2)`, async () => {
      expect(clipAwareScale(x, delta, k)).toBeCloseTo(eta, 12);
      const batch = { images: Float64Array.from(x), labels: Uint32Array.of(1), plan: Float32Array.of(k, 1) };
      const { x: out } = await run(gpu(), batch, { image: [1, 1, 4], classes: 2, directions: Float64Array.from(delta) });
      const expected = x.map((xi, i) => Math.min(1, Math.max(0, xi + eta * delta[i]!)));
      expectClose(out, expected, ESP_OUTPUT, `k = ${k}`);
      const reachable = k * k <= 0.9;
      if (reachable) expect(Math.abs(l2Distance(out, x) - k) / k).toBeLessThanOrEqual(NORM_RTOL);
      else expect(l2Distance(out, x)).toBeCloseTo(Math.sqrt(0.9), 5);
    });
  }
});

describe('perturbBatch against the float64 reference of the whole ESP step', () => {
  const cases: { name: string; image: ImageShape; count: number; classes: number; epsilon: number; mean?: number[]; std?: number[] }[] = [
    { name: 'MNIST-sized, C = 10, ε = 2', image: [1, 28, 28], count: 12, classes: 10, epsilon: 2 },
    { name: 'CIFAR-sized with per-channel normalisation, C = 100, ε = 1', image: [3, 32, 32], count: 8, classes: 100, epsilon: 1, mean: [0.5, 0.4, 0.3], std: [0.25, 0.2, 0.3] },
    { name: 'odd size 3×5×7, one sample, C = 2', image: [3, 5, 7], count: 1, classes: 2, epsilon: 0.5 },
    { name: 'Tiny-ImageNet-sized 3×64×64, C = 200, ε = 3', image: [3, 64, 64], count: 4, classes: 200, epsilon: 3 },
  ];
  for (const c of cases) {
    it(`${c.name}: images, targets and ‖x' − x‖ = k`, async () => {
      const n = c.image[0] * c.image[1] * c.image[2];
      const { bytes, images } = u8Images(c.count, n, n + c.count);
      const { plan, labels } = espPlan(c.count, labelsFor(c.count, c.classes), c);
      const batch = { images, bytes, labels, plan };
      const options = { image: c.image, classes: c.classes, mean: c.mean, std: c.std };
      const { x, targets } = await run(gpu(), batch, options);
      const expected = reference(batch, options);
      expectClose(x, concat(expected.map((e) => e.normalised)), ESP_OUTPUT, 'normalised images');
      expectClose(targets, concat(expected.map((e) => e.targets)), { atol: 1e-6, rtol: 1e-6 }, 'targets');
      expected.forEach((e, b) => {
        const k = plan[2 * b]!;
        const clean = images.subarray(b * n, (b + 1) * n);
        const distance = l2Distance(e.perturbed, clean);
        // All-black and all-white images are reachable too: half the directions' coordinates move.
        expect(Math.abs(distance - k) / k, `reference sample ${b}`).toBeLessThanOrEqual(1e-9);
      });
    });
  }

  it("x' stays in [0, 1] and lies at distance k from x for every reachable sample (f32 images, no normalisation)", async () => {
    const image: ImageShape = [1, 28, 28];
    const count = 32;
    const { images } = u8Images(count, 784, 5);
    const { plan, labels } = espPlan(count, labelsFor(count, 10), { epsilon: 4, classes: 10, step: 11 });
    const { x } = await run(gpu(), { images, labels, plan }, { image, classes: 10, step: 11 });
    expect(x.every((v) => v >= 0 && v <= 1)).toBe(true);
    for (let b = 0; b < count; b++) {
      const k = plan[2 * b]!;
      const distance = l2Distance(x.subarray(b * 784, (b + 1) * 784), images.subarray(b * 784, (b + 1) * 784));
      expect(Math.abs(distance - k) / k, `sample ${b}, k = ${k}`).toBeLessThanOrEqual(NORM_RTOL);
    }
  });

  it('an unreachable k saturates every moving pixel at the range edge its direction points to', async () => {
    const count = 4;
    const { images } = u8Images(count, 64, 9);
    const plan = Float32Array.from({ length: 2 * count }, (_, i) => (i % 2 ? 1 : 100));
    const { x } = await run(gpu(), { images, labels: labelsFor(count, 3), plan }, { image: [1, 8, 8], classes: 3 });
    const expected = reference({ images, labels: labelsFor(count, 3), plan }, { image: [1, 8, 8], classes: 3 });
    expectClose(x, concat(expected.map((e) => e.perturbed)), ESP_OUTPUT, 'saturated images');
    expect(x.every((v) => v === 0 || v === 1)).toBe(true);
  });

  it('k ≤ 0 returns the normalised image unchanged and the given label mass', async () => {
    const { bytes, images } = u8Images(3, 2 * 6 * 6, 3);
    const plan = Float32Array.of(0, 1, -1, 0.8, 0, 0.55);
    const labels = Uint32Array.of(2, 0, 4);
    const { x, targets } = await run(gpu(), { images, bytes, labels, plan }, { image: [2, 6, 6], classes: 5, mean: [0.5, 0.25], std: [0.5, 2] });
    const normalised = images.map((v, i) => (Math.floor(i / 36) % 2 === 0 ? (v - 0.5) / 0.5 : (v - 0.25) / 2));
    expectClose(x, normalised, { atol: 1e-6, rtol: 1e-6 }, 'unperturbed images');
    expectClose(targets, [0, 0, 1, 0, 0, 0.8, 0.05, 0.05, 0.05, 0.05, 0.1125, 0.1125, 0.1125, 0.1125, 0.55], { atol: 1e-7, rtol: 1e-6 }, 'targets');
  });
});

describe('perturbBatch statistics and reproducibility', () => {
  it('directions are uniform on the sphere: unit norm, zero mean, coordinates ·√n ~ N(0, 1) by KS', async () => {
    // Grey images and a small k: no pixel clips, so (x' − x)/k is the direction itself.
    const count = 256;
    const n = 100;
    const images = new Float64Array(count * n).fill(0.5);
    const k = 0.2;
    const plan = Float32Array.from({ length: 2 * count }, (_, i) => (i % 2 ? 1 : k));
    const { x } = await run(gpu(), { images, labels: new Uint32Array(count), plan }, { image: [1, 10, 10], classes: 2, seed: 99, step: 1 });
    const u = x.map((v) => (v - 0.5) / k);
    for (let b = 0; b < count; b++) expect(Math.hypot(...u.subarray(b * n, (b + 1) * n)), `sample ${b}`).toBeCloseTo(1, 4);
    // Per-coordinate means over 256 samples: each has sd 1/√(n·count) = 0.00625.
    for (let i = 0; i < n; i++) {
      let mean = 0;
      for (let b = 0; b < count; b++) mean += u[b * n + i]! / count;
      expect(Math.abs(mean), `coordinate ${i}`).toBeLessThan(5 * 0.00625);
    }
    const scaled = Float64Array.from(u, (v) => v * Math.sqrt(n));
    expect(ksStatistic(scaled, normalCdf)).toBeLessThan(ksCritical(scaled.length));
    // Power check: the same values are not N(0, 1.2²).
    expect(ksStatistic(scaled, (z) => normalCdf(z / 1.2))).toBeGreaterThan(ksCritical(scaled.length));
  });

  it('the same (seed, step, sample) gives the same bits; another step or seed gives another direction', async () => {
    const { images } = u8Images(4, 49, 1);
    const plan = Float32Array.of(1, 1, 1, 1, 1, 1, 1, 1);
    const batch = { images, labels: new Uint32Array(4), plan };
    const options = { image: [1, 7, 7] as ImageShape, classes: 2, seed: 5, step: 2 };
    const first = await run(gpu(), batch, options);
    const again = await run(gpu(), batch, options);
    expect(Array.from(again.x)).toEqual(Array.from(first.x));
    const otherStep = await run(gpu(), batch, { ...options, step: 3 });
    const otherSeed = await run(gpu(), batch, { ...options, seed: 6 });
    expect(otherStep.x.some((v, i) => v !== first.x[i])).toBe(true);
    expect(otherSeed.x.some((v, i) => v !== first.x[i])).toBe(true);
    // Sample b draws at counter id firstSample + b: shifting the batch by one shifts the draws.
    const shifted = await run(gpu(), { images: images.subarray(49), labels: new Uint32Array(3), plan: plan.subarray(2) }, { ...options, firstSample: 1 });
    expectClose(shifted.x, first.x.subarray(49), { atol: 0, rtol: 0 }, 'shifted batch');
  });

  it('soft labels sum to 1 and keep the largest mass on the true label', async () => {
    const count = 64;
    const { images } = u8Images(count, 16, 2);
    const labels = labelsFor(count, 10);
    const { plan } = espPlan(count, labels, { epsilon: 1, classes: 10 });
    const { targets } = await run(gpu(), { images, labels, plan }, { image: [1, 4, 4], classes: 10 });
    for (let b = 0; b < count; b++) {
      const row = Array.from(targets.subarray(b * 10, (b + 1) * 10));
      expect(row.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 6);
      expect(row.indexOf(Math.max(...row))).toBe(labels[b]);
    }
  });
});

describe('perturbBatch into a block of rows', () => {
  it('writes sample b to row intoRow + b of x and targets, reads its plan there, and leaves other rows alone', async () => {
    const g = gpu();
    const image: ImageShape = [1, 4, 4];
    const { images } = u8Images(2, 16, 4);
    const planRows = Float32Array.of(9, 9, 9, 9, 0.5, 0.9, 0.7, 0.6, 9, 9);
    const x = g.upload(new Float32Array(5 * 16).fill(-7), [5, ...image]);
    const targets = g.upload(new Float32Array(5 * 3).fill(-7), [5, 3]);
    const owned = [g.upload(images, [2, ...image]), g.upload([1, 2], [2], 'u32'), g.upload(pairsAsPlans(planRows), [5, PLAN_WORDS], 'u32'), g.upload([0, 1], [1, 2])];
    const [input, labels, plan, stats] = owned as [Tensor, Tensor, Tensor, Tensor];
    await perturbBatch(g, { images: input, format: 'f32', image, batch: 2, classes: 3, labels, plan, channelStats: stats, seed: 3, step: 1, firstSample: 4, out: { x, targets }, intoRow: 2 });
    const [xs, ts] = [await g.read(x), await g.read(targets)];
    g.release(x, targets, ...owned);
    const batch = { images, labels: Uint32Array.of(1, 2), plan: planRows.subarray(4, 8) };
    const expected = reference(batch, { image, classes: 3, seed: 3, step: 1, firstSample: 4 });
    expectClose(xs.subarray(32, 64), concat(expected.map((e) => e.perturbed)), ESP_OUTPUT, 'rows 2–3');
    expectClose(ts.subarray(6, 12), concat(expected.map((e) => e.targets)), { atol: 1e-6, rtol: 1e-6 }, 'target rows 2–3');
    expect([...xs.subarray(0, 32), ...xs.subarray(64)].every((v) => v === -7)).toBe(true);
    expect([...ts.subarray(0, 6), ...ts.subarray(12)].every((v) => v === -7)).toBe(true);
  });
});

describe('perturbBatch flip and crop', () => {
  it('mirrors, then shifts with range-edge padding, before perturbing and normalising', async () => {
    const image: ImageShape = [2, 3, 4];
    const n = 24;
    const images = Float64Array.from({ length: 3 * n }, (_, i) => ((i * 37) % 100) / 100);
    const transforms = [{ flip: true }, { shiftX: 1, shiftY: -1 }, { flip: true, shiftX: -2, shiftY: 2 }];
    const plan = Float32Array.of(0, 1, 0, 1, 0, 1);
    const { x } = await run(gpu(), { images, labels: new Uint32Array(3), plan }, { image, classes: 2, transforms });
    const expected = new Float64Array(3 * n);
    transforms.forEach((t, b) => {
      for (let c = 0; c < 2; c++)
        for (let y = 0; y < 3; y++)
          for (let xx = 0; xx < 4; xx++) {
            const sx = (t.flip ? 3 - xx : xx) + (t.shiftX ?? 0);
            const sy = y + (t.shiftY ?? 0);
            const inside = sx >= 0 && sx < 4 && sy >= 0 && sy < 3;
            expected[b * n + c * 12 + y * 4 + xx] = inside ? images[b * n + c * 12 + sy * 4 + sx]! : 0;
          }
    });
    expectClose(x, expected.map(Math.fround), { atol: 0, rtol: 0 }, 'flipped and cropped');
    // With a perturbation, k is measured from the transformed image.
    const perturbed = await run(gpu(), { images, labels: new Uint32Array(3), plan: Float32Array.of(0.3, 1, 0.3, 1, 0.3, 1) }, { image, classes: 2, transforms });
    for (let b = 0; b < 3; b++) expect(l2Distance(perturbed.x.subarray(b * n, (b + 1) * n), expected.subarray(b * n, (b + 1) * n))).toBeCloseTo(0.3, 4);
  });
});

describe('perturbBatch argument checks', () => {
  it('names the bad argument', async () => {
    const g = gpu();
    const labels = g.upload([0, 1], [2], 'u32');
    const plan = g.upload(pairsAsPlans([1, 1, 1, 1]), [2, PLAN_WORDS], 'u32');
    const stats = g.upload([0, 1], [1, 2]);
    const images = g.upload(new Float32Array(8), [2, 1, 2, 2]);
    const base: PerturbBatchArgs = { images, format: 'f32', image: [1, 2, 2], batch: 2, classes: 2, labels, plan, channelStats: stats, seed: 1, step: 0 };
    await expect(perturbBatch(g, { ...base, classes: 1 })).rejects.toThrow(/perturbBatch: classes must be an integer ≥ 2, got 1/);
    await expect(perturbBatch(g, { ...base, format: 'u8' })).rejects.toThrow(/perturbBatch: images \(u8 packed\) must be u32 \[2\]/);
    await expect(perturbBatch(g, { ...base, labels: stats })).rejects.toThrow(/perturbBatch: labels must be u32 \[2\], got f32 \[1, 2\]/);
    await expect(perturbBatch(g, { ...base, plan: stats })).rejects.toThrow(/perturbBatch: plan must be u32 \[2, 5\]/);
    await expect(perturbBatch(g, { ...base, range: [1, 0] })).rejects.toThrow(/range must be finite \[lo, hi\] with lo < hi/);
    await expect(perturbBatch(g, { ...base, step: -1 })).rejects.toThrow(/step must be a u32, got -1/);
    g.release(labels, plan, stats, images);
  });
});

function concat(arrays: Float64Array[]): Float64Array {
  const out = new Float64Array(arrays.reduce((s, a) => s + a.length, 0));
  let offset = 0;
  for (const a of arrays) {
    out.set(a, offset);
    offset += a.length;
  }
  return out;
}
