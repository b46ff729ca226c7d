import { describe, expect, it } from 'vitest';
import { planAugMix, planFromChoices, type AugMixOptions, type ChosenOp } from '../../src/augment/augmixPlan.ts';
import { augmixView } from '../../src/kernels/augmix.ts';
import { AUGMIX_OPS, autocontrastCorrections, type AugMixOp, type AugMixPlan } from '../../src/kernels/augmixEncoding.ts';
import { Gpu } from '../../src/gpu/gpu.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { REFERENCE_OPS, applyOp, augmixReference, referenceChoices, type ImageSize } from '../reference/augmix.ts';

const gpu = useGpu();

type Shape = [number, number, number, number];
const sizeOf = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

/** Images whose channels span random sub-ranges of [0, 255], so histogram ops have work to do. */
function testImages(shape: Shape, seed: number): Uint8Array {
  const rng = new TestRandom(seed);
  const [b, c, h, w] = shape;
  const out = new Uint8Array(sizeOf(shape));
  for (let plane = 0; plane < b * c; plane++) {
    const lo = rng.int(0, 120);
    const hi = rng.int(lo + 1, 256);
    // A smooth gradient plus noise: bilinear sampling then sees both edges and flat parts.
    const [gx, gy] = [rng.uniform(-1, 1), rng.uniform(-1, 1)];
    for (let p = 0; p < h * w; p++) {
      const t = 0.5 + 0.25 * (gx * ((p % w) / w - 0.5) + gy * (Math.floor(p / w) / h - 0.5)) + 0.5 * (rng.next() - 0.5);
      out[plane * h * w + p] = lo + Math.min(hi - lo, Math.max(0, Math.floor(t * (hi - lo + 1))));
    }
  }
  return out;
}

function packBytes(bytes: Uint8Array): Uint32Array {
  const words = new Uint32Array(Math.ceil(bytes.length / 4));
  bytes.forEach((v, i) => (words[i >> 2]! |= v << (8 * (i & 3))));
  return words;
}

async function runView(g: Gpu, images: Uint8Array, shape: Shape, plan: AugMixPlan): Promise<Float32Array> {
  const packed = packBytes(images);
  const X = g.upload(packed, [packed.length], 'u32');
  const Y = await augmixView(g, X, shape, plan);
  const y = await g.read(Y);
  g.release(X, Y);
  return y;
}

/** Differences between two u8 images, described by the first few. */
function u8Mismatches(actual: ArrayLike<number>, expected: ArrayLike<number>): string[] {
  const bad: string[] = [];
  for (let i = 0; i < expected.length; i++) if (actual[i] !== expected[i]) bad.push(`[${i}] ${actual[i]} vs ${expected[i]}`);
  return bad;
}

/** One sample per (op, param): m = 1 and one chain of weight 1, so out·255 is the op's u8 result. */
function singleOpPlan(size: ImageSize, ops: readonly ChosenOp[]): AugMixPlan {
  return planFromChoices(size as [number, number, number], ops.map((op) => ({ mix: 1, weights: [1], chains: [[op]] })));
}

function chainBytes(out: Float32Array, sample: number, n: number): Uint8Array {
  return Uint8Array.from(out.subarray(sample * n, (sample + 1) * n), (v) => Math.round(v * 255));
}

const PARAMS: Record<AugMixOp, number[]> = {
  autocontrast: [0],
  equalize: [0],
  posterize: [3, 4, 1, 0],
  rotate: [-8, 3, 8, 29, -45],
  solarize: [180, 254, 128],
  shear_x: [-0.09, 0.0452, 0.3, -0.7],
  shear_y: [0.09, -0.0313, -0.3],
  translate_x: [-3, 2, 1.5, -10],
  translate_y: [3, -2, -0.25, 9],
  color: [0.118, 0.5, 0.639, 1.7],
  contrast: [0.118, 0.42, 1.9],
  brightness: [0.2, 0.64, 1.5],
  sharpness: [0.118, 0.37, 1.9],
};

describe('augmixView: each op alone equals the u8 reference', () => {
  const sizes: ImageSize[] = [
    [3, 8, 8],
    [1, 28, 28],
    [3, 32, 32],
    [1, 5, 7],
  ];
  const cases = AUGMIX_OPS.flatMap((op) => PARAMS[op].map((param) => ({ op, param })));
  const results = new Map<string, Promise<Float32Array>>();
  // One dispatch per size holds every (op, param) case as a sample of its own image.
  const gpuResult = (size: ImageSize) => {
    const key = size.join('x');
    if (!results.has(key)) results.set(key, runView(gpu(), testImages([cases.length, ...size], 7), [cases.length, ...size], singleOpPlan(size, cases)));
    return results.get(key)!;
  };
  for (const size of sizes)
    for (const op of AUGMIX_OPS)
      it(`${op} on ${size.join('x')}`, async () => {
        const out = await gpuResult(size);
        const n = sizeOf(size);
        const images = testImages([cases.length, ...size], 7);
        cases.forEach((c, b) => {
          if (c.op !== op) return;
          const expected = applyOp(images.subarray(b * n, (b + 1) * n), size, op, c.param);
          const bad = u8Mismatches(chainBytes(out, b, n), expected);
          expect(bad, `${op}(${c.param}): ${bad.length} of ${n} pixels differ: ${bad.slice(0, 5).join(', ')}`).toEqual([]);
        });
      });
});

describe('augmixView: identities and known values', () => {
  async function apply(size: ImageSize, pixels: number[], ops: ChosenOp[]): Promise<number[][]> {
    const n = sizeOf(size);
    const images = new Uint8Array(ops.length * n);
    ops.forEach((_, b) => images.set(pixels, b * n));
    const out = await runView(gpu(), images, [ops.length, ...size], singleOpPlan(size, ops));
    return ops.map((_, b) => Array.from(chainBytes(out, b, n)));
  }

  it('posterize 8, solarize 256, rotate/shear/translate 0, enhance factor 1 and autocontrast of a full-range image leave it unchanged', async () => {
    const size: ImageSize = [3, 8, 8];
    const pixels = Array.from(testImages([1, ...size], 3));
    // Full range in every channel, so autocontrast has nothing to stretch.
    for (let c = 0; c < 3; c++) {
      pixels[c * 64] = 0;
      pixels[c * 64 + 1] = 255;
    }
    const identities: ChosenOp[] = [
      { op: 'posterize', param: 8 },
      { op: 'solarize', param: 256 },
      { op: 'rotate', param: 0 },
      { op: 'shear_x', param: 0 },
      { op: 'shear_y', param: 0 },
      { op: 'translate_x', param: 0 },
      { op: 'translate_y', param: 0 },
      { op: 'color', param: 1 },
      { op: 'contrast', param: 1 },
      { op: 'brightness', param: 1 },
      { op: 'sharpness', param: 1 },
      { op: 'autocontrast' },
    ];
    const outs = await apply(size, pixels, identities);
    outs.forEach((out, i) => expect(u8Mismatches(out, pixels), identities[i]!.op).toEqual([]));
  });

  it('equalize is the identity on an image holding each value once', async () => {
    const pixels = Array.from({ length: 256 }, (_, i) => (i * 97) % 256);
    const [out] = await apply([1, 16, 16], pixels, [{ op: 'equalize' }]);
    expect(out).toEqual(pixels);
  });

  it('autocontrast stretches a ramp, with PIL’s f64 rounding where it lands low', async () => {
    const ramp = (lo: number, hi: number) => Array.from({ length: 64 }, (_, i) => lo + Math.round((i * (hi - lo)) / 63));
    const [exact, lowTop, flat] = await Promise.all([
      apply([1, 8, 8], ramp(1, 4), [{ op: 'autocontrast' }]),
      apply([1, 8, 8], ramp(3, 28), [{ op: 'autocontrast' }]),
      apply([1, 8, 8], new Array(64).fill(77), [{ op: 'autocontrast' }]),
    ]);
    // scale = 85 exactly.
    expect([...new Set(exact[0])].sort((a, b) => a - b)).toEqual([0, 85, 170, 255]);
    // PIL maps 28 to 254 here: 255/25 = 10.2 is not exact in f64 (checked against Pillow 12).
    expect(Math.max(...lowTop[0]!)).toBe(254);
    expect(Math.min(...lowTop[0]!)).toBe(0);
    expect(flat[0]).toEqual(new Array(64).fill(77));
  });

  it('solarize inverts from the threshold up; posterize keeps the top bits', async () => {
    const eight = (values: number[]) => Array.from({ length: 64 }, (_, i) => values[i % 8]!);
    const [solar, poster] = await apply([1, 8, 8], eight([0, 127, 128, 129, 200, 255, 15, 16]), [
      { op: 'solarize', param: 128 },
      { op: 'posterize', param: 4 },
    ]);
    expect(solar).toEqual(eight([0, 127, 127, 126, 55, 0, 15, 16]));
    expect(poster).toEqual(eight([0, 112, 128, 128, 192, 240, 0, 16]));
  });

  it('equalize maps a three-level image to 0, 98, 255 (the top LUT entry 294 is clipped)', async () => {
    // step = (784 − 196) // 255 = 2: lut = (1 + Σ below) // 2 (checked against Pillow 12).
    const pixels: number[] = [...new Array<number>(196).fill(10), ...new Array<number>(392).fill(100), ...new Array<number>(196).fill(240)];
    const [out] = await apply([1, 28, 28], pixels, [{ op: 'equalize' }]);
    const expected = new Map([[10, 0], [100, 98], [240, 255]]);
    expect(out).toEqual(pixels.map((v) => expected.get(v)));
  });

  it('translate shifts whole pixels in with black; rotate 90 turns a square image exactly', async () => {
    const pixels = Array.from({ length: 64 }, (_, i) => 10 + i);
    const [right, down, turned] = await apply([1, 8, 8], pixels, [
      { op: 'translate_x', param: -1 },
      { op: 'translate_y', param: 2 },
      { op: 'rotate', param: 90 },
    ]);
    // Output (x, y) samples input (x − 1, y): the image moves right by one.
    expect(right).toEqual(pixels.map((v, i) => (i % 8 === 0 ? 0 : v - 1)));
    expect(down).toEqual(pixels.map((_, i) => (i < 48 ? pixels[i + 16]! : 0)));
    // Counter-clockwise (PIL's rotate(90) is np.rot90): output (x, y) is input (7 − y, x).
    expect(turned).toEqual(pixels.map((_, i) => pixels[(i % 8) * 8 + 7 - Math.floor(i / 8)]!));
  });
});

describe('augmixView: full views', () => {
  const cases: { shape: Shape; options?: AugMixOptions; seed: number }[] = [
    { shape: [1, 3, 8, 8], seed: 1 },
    { shape: [5, 1, 28, 28], seed: 2 },
    { shape: [3, 3, 32, 32], seed: 3 },
    { shape: [7, 3, 8, 8], seed: 4, options: { allOps: true } },
    { shape: [3, 3, 16, 16], seed: 5, options: { width: 5, depth: 3, severity: 10, alpha: 0.5, allOps: true } },
    { shape: [2, 1, 5, 7], seed: 6, options: { width: 1, depth: 2 } },
  ];
  for (const { shape, options, seed } of cases)
    it(`${shape.join('x')} ${JSON.stringify(options ?? {})} equals the reference`, async () => {
      const [batch, ...size] = shape;
      const plan = planAugMix({ seed, step: 11, view: 1, firstSample: 40, batch, imageSize: size as [number, number, number], options });
      const images = testImages(shape, seed);
      const out = await runView(gpu(), images, shape, plan);
      const expected = augmixReference(images, shape, plan);
      // f32 mixing: measured ≤ 1.4e-7; a one-level error in a chain moves the output by m·w/255.
      let worst = 0;
      expected.forEach((e, i) => (worst = Math.max(worst, Math.abs(out[i]! - e))));
      expect(worst).toBeLessThan(1e-6);
      expect(out.every((v) => v >= 0 && v <= 1)).toBe(true);
    });

  it('every chain of a random plan equals the reference bit for bit', async () => {
    const shape: Shape = [9, 3, 16, 16];
    const [batch, ...size] = shape;
    const plan = planAugMix({ seed: 77, step: 2, view: 0, firstSample: 0, batch, imageSize: size as [number, number, number], options: { allOps: true, severity: 10 } });
    // Each chain becomes a sample of its own with m = 1 and weight 1.
    const chains: AugMixPlan = {
      batch: batch * plan.width,
      width: 1,
      imageSize: plan.imageSize,
      mix: new Float32Array(batch * plan.width).fill(1),
      weights: new Float32Array(batch * plan.width).fill(1),
      ops: plan.ops,
      params: plan.params,
    };
    const images = testImages(shape, 8);
    const n = sizeOf(size);
    const repeated = new Uint8Array(chains.batch * n);
    for (let s = 0; s < chains.batch; s++) repeated.set(images.subarray(Math.floor(s / plan.width) * n, (Math.floor(s / plan.width) + 1) * n), s * n);
    const out = await runView(gpu(), repeated, [chains.batch, ...size] as Shape, chains);
    const expected = augmixReference(repeated, [chains.batch, ...size] as Shape, chains);
    for (let s = 0; s < chains.batch; s++) {
      const bad = u8Mismatches(chainBytes(out, s, n), Uint8Array.from(expected.subarray(s * n, (s + 1) * n), (v) => Math.round(v * 255)));
      const ops = Array.from(plan.ops.subarray(s * 3, s * 3 + 3), (id) => REFERENCE_OPS[id] ?? '-').join(',');
      expect(bad, `chain ${s} (${ops}): ${bad.slice(0, 5).join(', ')}`).toEqual([]);
    }
  });

  it('handles the largest image, 3x64x64', async () => {
    const shape: Shape = [1, 3, 64, 64];
    const plan = planAugMix({ seed: 9, step: 0, view: 0, firstSample: 0, batch: 1, imageSize: [3, 64, 64], options: { allOps: true, depth: 3 } });
    const images = testImages(shape, 9);
    const out = await runView(gpu(), images, shape, plan);
    let worst = 0;
    augmixReference(images, shape, plan).forEach((e, i) => (worst = Math.max(worst, Math.abs(out[i]! - e))));
    expect(worst).toBeLessThan(1e-6);
  });

  it('gives the same result when the batch is laid out on a 2-D grid', async () => {
    const base = gpu();
    const narrow = new Gpu({ ...base.acquired, limits: { ...base.acquired.limits, maxComputeWorkgroupsPerDimension: 3 } });
    try {
      const shape: Shape = [7, 1, 8, 8];
      const plan = planAugMix({ seed: 4, step: 1, view: 0, firstSample: 3, batch: 7, imageSize: [1, 8, 8] });
      const images = testImages(shape, 4);
      expect(Array.from(await runView(narrow, images, shape, plan))).toEqual(Array.from(await runView(base, images, shape, plan)));
    } finally {
      await narrow.sync();
      narrow.dispose();
    }
  });

  it('writes into a given output and keeps the buffer pool flat over calls', async () => {
    const shape: Shape = [3, 1, 8, 8];
    const images = packBytes(testImages(shape, 5));
    const X = gpu().upload(images, [images.length], 'u32');
    const Y = gpu().empty(shape);
    const run = async (step: number) => {
      const plan = planAugMix({ seed: 1, step, view: 0, firstSample: 0, batch: 3, imageSize: [1, 8, 8] });
      expect(await augmixView(gpu(), X, shape, plan, Y)).toBe(Y);
      await gpu().sync();
    };
    await run(0);
    const before = gpu().stats();
    for (let step = 1; step < 10; step++) await run(step);
    const after = gpu().stats();
    expect([after.buffers, after.bytes]).toEqual([before.buffers, before.bytes]);
    gpu().release(X, Y);
  });

  it('rejects shapes and tensors that do not fit the plan', async () => {
    const plan = planAugMix({ seed: 1, step: 0, view: 0, firstSample: 0, batch: 2, imageSize: [3, 8, 8] });
    const X = gpu().upload(new Uint32Array(96), [96], 'u32');
    const F = gpu().upload(new Float32Array(96), [96]);
    await expect(augmixView(gpu(), X, [3, 3, 8, 8], plan)).rejects.toThrow(/augmixView: shape must be the plan's \[2, 3, 8, 8\], got \[3, 3, 8, 8\]/);
    await expect(augmixView(gpu(), X, [2, 3, 8, 65], plan)).rejects.toThrow(/shape\[1..3\] must be \[channels 1 or 3, height 1..64, width 1..64\]/);
    await expect(augmixView(gpu(), F, [2, 3, 8, 8], plan)).rejects.toThrow(/images must be u32 \[96\], got f32 \[96\]/);
    await expect(augmixView(gpu(), X, [2, 3, 8, 8], plan, gpu().empty([2, 3, 8]))).rejects.toThrow(/out must be f32 \[2, 3, 8, 8\]/);
    gpu().release(X, F);
  });
});

describe('planAugMix', () => {
  const imageSize: [number, number, number] = [3, 32, 32];
  const big = (options?: AugMixOptions, batch = 4000) => planAugMix({ seed: 2024, step: 5, view: 0, firstSample: 0, batch, imageSize, options });

  /** Largest gap between the empirical CDF of xs and cdf. */
  function ksDistance(xs: ArrayLike<number>, cdf: (x: number) => number): number {
    const sorted = Float64Array.from(xs).sort();
    let d = 0;
    sorted.forEach((x, i) => (d = Math.max(d, Math.abs(cdf(x) - i / sorted.length), Math.abs(cdf(x) - (i + 1) / sorted.length))));
    return d;
  }

  function chiSquare(counts: number[]): number {
    const total = counts.reduce((a, b) => a + b, 0);
    const expected = total / counts.length;
    return counts.reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
  }

  it('Dirichlet(1,1,1) weights sum to 1, have mean 1/3 and Beta(1, 2) marginals; m is uniform', () => {
    const plan = big();
    const n = plan.batch;
    for (let b = 0; b < n; b++) expect(Math.abs(plan.weights[b * 3]! + plan.weights[b * 3 + 1]! + plan.weights[b * 3 + 2]! - 1)).toBeLessThan(1e-6);
    // Dirichlet(1,1,1): each weight has sd √(2/36); m ~ U(0, 1) has sd √(1/12).
    for (let i = 0; i < 3; i++) {
      const w = Array.from({ length: n }, (_, b) => plan.weights[b * 3 + i]!);
      expect(Math.abs(w.reduce((a, b) => a + b, 0) / n - 1 / 3)).toBeLessThan(4 * Math.sqrt(2 / 36 / n));
      // KS at the 0.1% level: 1.95/√n.
      expect(ksDistance(w, (x) => 1 - (1 - x) ** 2)).toBeLessThan(1.95 / Math.sqrt(n));
    }
    expect(Math.abs(plan.mix.reduce((a, b) => a + b, 0) / n - 0.5)).toBeLessThan(4 * Math.sqrt(1 / 12 / n));
    expect(ksDistance(plan.mix, (x) => x)).toBeLessThan(1.95 / Math.sqrt(n));
  });

  it('draws ops uniformly, depths uniformly in 1..3 and signs with probability 1/2', () => {
    for (const allOps of [false, true]) {
      const plan = big({ allOps });
      const counts = new Array(allOps ? 13 : 9).fill(0);
      const depths = [0, 0, 0];
      for (let chain = 0; chain < plan.batch * plan.width; chain++) {
        const ops = plan.ops.subarray(chain * 3, chain * 3 + 3);
        const depth = ops.findIndex((op) => op === 255);
        depths[(depth < 0 ? 3 : depth) - 1]++;
        for (const op of ops) if (op !== 255) counts[op]++;
      }
      // Chi-square critical values at 0.1%: 26.12 (8 df), 32.91 (12 df), 13.82 (2 df).
      expect(chiSquare(counts)).toBeLessThan(allOps ? 32.91 : 26.12);
      expect(chiSquare(depths)).toBeLessThan(13.82);
    }
    const plan = big();
    const signed = Array.from(plan.params).filter((p, i) => [3, 5, 6].includes(plan.ops[i]!) && p !== 0);
    const negative = signed.filter((p) => p < 0).length / signed.length;
    expect(Math.abs(negative - 0.5)).toBeLessThan(4 * Math.sqrt(0.25 / signed.length));
  });

  it('draws the parameters of §6.1 at severity 3', () => {
    const plan = big();
    const of = (op: AugMixOp) => Array.from(plan.params).filter((_, i) => plan.ops[i] === AUGMIX_OPS.indexOf(op));
    const posterize = of('posterize');
    expect(new Set(posterize)).toEqual(new Set([3, 4]));
    // bits = 3 iff level >= 2.5: probability 0.5/2.9.
    const p3 = 0.5 / 2.9;
    expect(Math.abs(posterize.filter((b) => b === 3).length / posterize.length - p3)).toBeLessThan(4 * Math.sqrt((p3 * (1 - p3)) / posterize.length));
    expect(of('rotate').every((d) => Number.isInteger(d) && Math.abs(d) <= 8)).toBe(true);
    expect(Math.min(...of('solarize'))).toBeGreaterThanOrEqual(180);
    expect(Math.max(...of('solarize'))).toBeLessThanOrEqual(254);
    expect(of('shear_x').every((l) => Math.abs(l) >= 0.003 && Math.abs(l) < 0.09)).toBe(true);
    expect(new Set(of('translate_x').map(Math.abs))).toEqual(new Set([0, 1, 2, 3]));
  });

  it('Dirichlet and Beta moments match for alpha 0.5 and 4 (Marsaglia–Tsang)', () => {
    for (const alpha of [0.5, 4]) {
      const width = 4;
      const plan = big({ alpha, width });
      const n = plan.batch;
      const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
      const variance = (xs: number[]) => mean(xs.map((x) => (x - mean(xs)) ** 2));
      const total = width * alpha;
      const wVar = (alpha * (total - alpha)) / (total * total * (total + 1));
      const w0 = Array.from({ length: n }, (_, b) => plan.weights[b * width]!);
      expect(Math.abs(mean(w0) - 1 / width)).toBeLessThan(4 * Math.sqrt(wVar / n));
      expect(Math.abs(variance(w0) / wVar - 1)).toBeLessThan(0.15);
      const mVar = 1 / (4 * (2 * alpha + 1));
      const m = Array.from(plan.mix);
      expect(Math.abs(mean(m) - 0.5)).toBeLessThan(4 * Math.sqrt(mVar / n));
      expect(Math.abs(variance(m) / mVar - 1)).toBeLessThan(0.15);
    }
  });

  it('a sample’s choices depend on its index, not on the batch; views and steps are independent', () => {
    const base = { seed: 3, step: 7, view: 1, imageSize, options: { allOps: true } };
    const whole = planAugMix({ ...base, firstSample: 0, batch: 12 });
    const part = planAugMix({ ...base, firstSample: 5, batch: 3 });
    expect(Array.from(part.ops)).toEqual(Array.from(whole.ops.subarray(15 * 3, 24 * 3)));
    expect(Array.from(part.params)).toEqual(Array.from(whole.params.subarray(15 * 3, 24 * 3)));
    expect(Array.from(part.weights)).toEqual(Array.from(whole.weights.subarray(15, 24)));
    expect(Array.from(part.mix)).toEqual(Array.from(whole.mix.subarray(5, 8)));
    const differing = (other: AugMixPlan) => Array.from(other.mix).filter((m, i) => m !== whole.mix[i]).length;
    expect(differing(planAugMix({ ...base, view: 0, firstSample: 0, batch: 12 }))).toBe(12);
    expect(differing(planAugMix({ ...base, step: 8, firstSample: 0, batch: 12 }))).toBe(12);
  });

  it('follows the documented Philox layout (independent reference draw)', () => {
    const settings = [
      { alpha: 1, depth: -1, severity: 3, allOps: false, width: 3 },
      { alpha: 0.3, depth: 2, severity: 7.5, allOps: true, width: 5 },
      { alpha: 2.5, depth: -1, severity: 10, allOps: false, width: 1 },
    ];
    for (const s of settings) {
      const plan = planAugMix({ seed: 2 ** 40 + 17, step: 3, view: 2, firstSample: 100, batch: 20, imageSize: [1, 28, 28], options: s });
      for (let b = 0; b < 20; b++) {
        const expected = referenceChoices({ seed: 2 ** 40 + 17, step: 3, view: 2, sample: 100 + b, ...s, opCount: s.allOps ? 13 : 9, imageWidth: 28 });
        expected.chains.forEach((chain, i) => {
          const at = (b * s.width + i) * 3;
          const ops = Array.from(plan.ops.subarray(at, at + 3)).filter((op) => op !== 255);
          expect(ops.map((op) => AUGMIX_OPS[op])).toEqual(chain.map((c) => c.op));
          expect(Array.from(plan.params.subarray(at, at + chain.length))).toEqual(chain.map((c) => c.param));
          expect(Math.abs(plan.weights[b * s.width + i]! - expected.weights[i]!)).toBeLessThan(1e-6);
        });
        expect(Math.abs(plan.mix[b]! - expected.mix)).toBeLessThan(1e-6);
      }
    }
  });

  it('rejects bad options and arguments, naming them and the allowed range', () => {
    const ok = { seed: 1, step: 0, view: 0, firstSample: 0, batch: 2, imageSize };
    const bad: [object, RegExp][] = [
      [{ options: { width: 0 } }, /options.width must be an integer in \[1, 16\], got 0/],
      [{ options: { width: 2.5 } }, /options.width/],
      [{ options: { depth: 0 } }, /options.depth must be -1 \(random 1..3 per chain\) or an integer in \[1, 3\], got 0/],
      [{ options: { depth: 4 } }, /options.depth/],
      [{ options: { severity: 0.1 } }, /options.severity must be a number in \(0.1, 10\], got 0.1/],
      [{ options: { severity: 11 } }, /options.severity/],
      [{ options: { alpha: 0 } }, /options.alpha must be a number in \[0.01, 100\], got 0/],
      [{ options: { alpha: Number.NaN } }, /options.alpha/],
      [{ options: { allOps: 1 } }, /options.allOps must be true or false/],
      [{ view: 65536 }, /view must be an integer in \[0, 65535\], got 65536/],
      [{ step: -1 }, /step must be a u32, got -1/],
      [{ seed: -3 }, /seed must be a non-negative safe integer/],
      [{ batch: 0 }, /batch must be an integer >= 1/],
      [{ firstSample: 2 ** 32 - 1, batch: 2 }, /firstSample \+ batch - 1 a u32/],
      [{ imageSize: [2, 8, 8] }, /imageSize must be \[channels 1 or 3, height 1..64, width 1..64\], got \[2, 8, 8\]/],
      [{ imageSize: [3, 8, 65] }, /imageSize must be/],
    ];
    for (const [change, message] of bad) expect(() => planAugMix({ ...ok, ...change } as Parameters<typeof planAugMix>[0])).toThrow(message);
  });
});

describe('planFromChoices', () => {
  it('rejects unknown ops, parameters out of range and ragged samples', () => {
    const size: [number, number, number] = [1, 8, 8];
    const one = (op: string, param?: number) => planFromChoices(size, [{ mix: 1, weights: [1], chains: [[{ op: op as AugMixOp, param }]] }]);
    expect(() => one('invert')).toThrow(/op must be one of autocontrast, equalize, .*, got invert/);
    expect(() => one('posterize', 9)).toThrow(/posterize param must be integer bits in \[0, 8\], got 9/);
    expect(() => one('solarize', 12.5)).toThrow(/solarize param must be an integer threshold in \[0, 256\]/);
    expect(() => one('rotate', 200)).toThrow(/rotate param must be degrees in \[-180, 180\]/);
    expect(() => one('shear_y', -1.5)).toThrow(/shear_y param must be in \[-1, 1\]/);
    expect(() => one('brightness', 2.5)).toThrow(/brightness param must be an enhance factor in \[0, 2\]/);
    expect(() => one('equalize', 1)).toThrow(/equalize param must be 0 or omitted/);
    expect(() => planFromChoices(size, [{ mix: 1.5, weights: [1], chains: [[{ op: 'equalize' }]] }])).toThrow(/sample 0 mix must be in \[0, 1\]/);
    expect(() => planFromChoices(size, [{ mix: 1, weights: [1], chains: [[]] }])).toThrow(/chain 0 must hold 1..3 ops, got 0/);
    expect(() =>
      planFromChoices(size, [
        { mix: 1, weights: [1], chains: [[{ op: 'equalize' }]] },
        { mix: 1, weights: [0.5, 0.5], chains: [[{ op: 'equalize' }], [{ op: 'equalize' }]] },
      ]),
    ).toThrow(/sample 1 must have 1 chains and weights like sample 0/);
  });

  it('the correction table marks exactly the points where PIL’s f64 autocontrast lands low', () => {
    const table = autocontrastCorrections();
    expect(table.length * 4).toBeLessThan(21_000);
    let marked = 0;
    for (let i = 256; i < table.length; i++) for (let b = 0; b < 32; b++) marked += (table[i]! >>> b) & 1;
    // Counted independently: points v in [lo, hi] where trunc(v·s − lo·s) ≠ floor(255(v − lo)/(hi − lo)).
    let expected = 0;
    for (let lo = 0; lo < 256; lo++)
      for (let hi = lo + 1; hi < 256; hi++) {
        const s = 255 / (hi - lo);
        for (let v = lo; v <= hi; v++) if (Math.trunc(v * s - lo * s) !== Math.floor((255 * (v - lo)) / (hi - lo))) expected++;
      }
    expect(marked).toBe(expected);
    expect(REFERENCE_OPS).toEqual(AUGMIX_OPS);
  });
});
