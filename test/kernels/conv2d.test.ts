import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Tensor } from '../../src/gpu/tensor.ts';
import {
  conv2dBackwardBias,
  conv2dBackwardData,
  conv2dBackwardWeight,
  conv2dForward,
  conv2dOutputShape,
  convAlgorithm,
  convPathName,
  ConvForwardCache,
  setConvAlgorithm,
  type Conv2dGeometry,
  type ConvPass,
} from '../../src/kernels/conv2d.ts';
import { planSplitK } from '../../src/kernels/gemm.ts';
import { defaultGemmConfig, setGemmConfig } from '../../src/kernels/gemmConfig.ts';
import { directApplies } from '../../src/kernels/conv2dDirect.ts';
import { setWinogradRunBytes, tileFor, winogradApplies } from '../../src/kernels/winograd.ts';
import { BACKWARD, FORWARD, WINOGRAD_FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import * as ref from '../reference/conv2d.ts';

const gpu = useGpu();

interface Case {
  name: string;
  input: [number, number, number, number];
  weight: [number, number, number, number];
  geometry: Conv2dGeometry;
}

const cases: Case[] = [
  { name: '3x3 on 5x7 images, 3 → 5 channels, batch 2', input: [2, 3, 5, 7], weight: [5, 3, 3, 3], geometry: {} },
  { name: '3x3 pad 1 on batch 1', input: [1, 3, 5, 7], weight: [5, 3, 3, 3], geometry: { padding: 1 } },
  { name: '1x1, 6 → 4 channels', input: [2, 6, 3, 5], weight: [4, 6, 1, 1], geometry: {} },
  { name: '1x1 stride 2 (WRN shortcut)', input: [2, 4, 7, 6], weight: [6, 4, 1, 1], geometry: { stride: 2 } },
  { name: '3x3 stride 2 pad 1', input: [2, 3, 9, 8], weight: [5, 3, 3, 3], geometry: { stride: 2, padding: 1 } },
  { name: '5x5 pad 2', input: [1, 2, 7, 6], weight: [3, 2, 5, 5], geometry: { padding: 2 } },
  { name: '3x2 kernel, stride [2, 1], padding [0, 1]', input: [2, 2, 7, 5], weight: [3, 2, 3, 2], geometry: { stride: [2, 1], padding: [0, 1] } },
  { name: 'stride [1, 3], padding [2, 0] wider than half the kernel', input: [1, 3, 4, 10], weight: [2, 3, 3, 3], geometry: { stride: [1, 3], padding: [2, 0] } },
  { name: '2x2 kernel, stride 3, padding [1, 2] (stride phases with no taps)', input: [2, 2, 8, 7], weight: [3, 2, 2, 2], geometry: { stride: 3, padding: [1, 2] } },
  { name: '1x1 input, 3x3 stride 2 pad 1 (only the centre tap is real)', input: [3, 2, 1, 1], weight: [4, 2, 3, 3], geometry: { stride: 2, padding: 1 } },
  { name: 'MNIST CNN conv1: 1 → 32, 3x3 on 28x28, batch 2', input: [2, 1, 28, 28], weight: [32, 1, 3, 3], geometry: {} },
  { name: '64 → 8 channels on 3x3 pad 1 (long K: the unbiased forward gets split-K)', input: [1, 64, 3, 3], weight: [8, 64, 3, 3], geometry: { padding: 1 } },
  { name: '40 → 36 channels, 3x3 pad 1 on 6x6 (several GEMM tiles in M and N)', input: [2, 40, 6, 6], weight: [36, 40, 3, 3], geometry: { padding: 1 } },
  { name: '3x3 pad 2 (backward-data without padding)', input: [2, 4, 6, 5], weight: [5, 4, 3, 3], geometry: { padding: 2 } },
  { name: '3x3 pad 1, 4 → 4 channels on 8x8 (whole Winograd tiles)', input: [2, 4, 8, 8], weight: [4, 4, 3, 3], geometry: { padding: 1 } },
  { name: '3x3 padding [1, 0] on 11x9, batch 3 (partial Winograd tiles on both axes)', input: [3, 8, 11, 9], weight: [6, 8, 3, 3], geometry: { padding: [1, 0] } },
  { name: '3x3 on 14x14, 6 → 5 channels (a 12x12 output: F6 tiles by default)', input: [2, 6, 14, 14], weight: [5, 6, 3, 3], geometry: {} },
];

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

function dimsOf(c: Case): ref.ConvDims {
  return ref.convDims(c.input, c.weight, c.geometry.stride, c.geometry.padding);
}

async function readAndRelease(t: Tensor): Promise<Float32Array> {
  const values = await gpu().read(t);
  gpu().release(t);
  return values;
}

/** Random f32 data: the reference sees exactly the values the GPU does. */
function randomF32(rng: TestRandom, n: number): Float32Array {
  return Float32Array.from(rng.array(n));
}

function testCase(c: Case): void {
  describe(c.name, () => {
    const d = dimsOf(c);
    const [OH, OW] = ref.convOutputSize(d);
    const outShape = [d.B, d.Co, OH, OW];
    const rng = new TestRandom(size(c.input) * 31 + size(c.weight));
    const x = randomF32(rng, size(c.input));
    const w = randomF32(rng, size(c.weight));
    const bias = randomF32(rng, d.Co);
    const dy = randomF32(rng, size(outShape));
    const expected = ref.conv2dBackward64(x, w, dy, d);
    const forwardTolerance = winogradApplies(d) ? WINOGRAD_FORWARD : FORWARD;

    it('forward, with and without bias', async () => {
      expect(conv2dOutputShape(c.input, c.weight, c.geometry)).toEqual(outShape);
      const X = gpu().upload(x, c.input);
      const W = gpu().upload(w, c.weight);
      const Bias = gpu().upload(bias, [d.Co]);
      const Y = await conv2dForward(gpu(), X, W, Bias, c.geometry);
      expect(Y.shape).toEqual(outShape);
      expectClose(await readAndRelease(Y), ref.conv2dForward64(x, w, bias, d), forwardTolerance, 'y');
      const Y0 = await conv2dForward(gpu(), X, W, undefined, c.geometry);
      expectClose(await readAndRelease(Y0), ref.conv2dForward64(x, w, undefined, d), forwardTolerance, 'y without bias');
      gpu().release(X, W, Bias);
    });

    it('backward data', async () => {
      const W = gpu().upload(w, c.weight);
      const DY = gpu().upload(dy, outShape);
      const DX = await conv2dBackwardData(gpu(), DY, W, c.input, c.geometry);
      expect(DX.shape).toEqual(c.input);
      expectClose(await readAndRelease(DX), expected.dx, BACKWARD, 'dx');
      gpu().release(W, DY);
    });

    it('backward weight and bias', async () => {
      const X = gpu().upload(x, c.input);
      const DY = gpu().upload(dy, outShape);
      const DW = await conv2dBackwardWeight(gpu(), X, DY, c.weight, c.geometry);
      expect(DW.shape).toEqual(c.weight);
      expectClose(await readAndRelease(DW), expected.dw, BACKWARD, 'dw');
      const DB = await conv2dBackwardBias(gpu(), DY);
      expectClose(await readAndRelease(DB), expected.db, BACKWARD, 'db');
      gpu().release(X, DY);
    });
  });
}

/** Splits of a case's forward GEMM (M = Co, N = B·OH·OW, K = Ci·KH·KW) and weight-gradient GEMM (M = Co, N = Ci·KH·KW, K = B·OH·OW). */
function splitsOf(name: string): { forward: number; weight: number } {
  const c = cases.find((candidate) => candidate.name.startsWith(name))!;
  const [OH, OW] = ref.convOutputSize(dimsOf(c));
  const [Co, Ci, KH, KW] = c.weight;
  const pixels = c.input[0] * OH * OW;
  return { forward: planSplitK(gpu(), Co, pixels, Ci * KH * KW).splits, weight: planSplitK(gpu(), Co, Ci * KH * KW, pixels).splits };
}

function allCases(): void {
  for (const c of cases) testCase(c);

  it('some cases take the split-K path', () => {
    expect(splitsOf('MNIST').weight).toBeGreaterThan(1);
    expect(splitsOf('64 → 8').forward).toBeGreaterThan(1);
  });
}

describe('conv2d (defaults: Winograd for stride-1 3x3, direct kernels for short input windows, default GEMM config)', () => {
  allCases();

  it('the defaults run stride-1 3x3 cases between 4 or more channels by Winograd', () => {
    expect(convAlgorithm(gpu())).toBe('auto');
    const winograd = cases.filter((c) => winogradApplies(dimsOf(c))).map((c) => c.name);
    expect(winograd).toHaveLength(6);
    expect(winograd.some((name) => name.startsWith('MNIST CNN conv1'))).toBe(false);
  });

  it('the defaults run the forward and backward-weight of short input windows by the direct kernels', () => {
    const direct = cases.filter((c) => !winogradApplies(dimsOf(c)) && directApplies(dimsOf(c))).map((c) => c.name);
    expect(direct).toHaveLength(4);
    expect(direct.some((name) => name.startsWith('MNIST CNN conv1'))).toBe(true);
  });

  it('names the path of each pass: MNIST conv1 direct, conv2 by F6 forward and F4 backward-data', () => {
    const conv1 = (pass: ConvPass) => convPathName(gpu(), [128, 1, 28, 28], [32, 1, 3, 3], {}, pass);
    const conv2 = (pass: ConvPass) => convPathName(gpu(), [128, 32, 26, 26], [32, 32, 3, 3], {}, pass);
    expect([conv1('forward'), conv1('backwardData'), conv1('backwardWeight')]).toEqual(['direct', 'implicitGemm', 'direct']);
    expect([conv2('forward'), conv2('backwardData'), conv2('backwardWeight')]).toEqual(['winogradF6', 'winogradF4', 'winogradF6']);
    setConvAlgorithm(gpu(), 'implicitGemm');
    expect([conv1('forward'), conv2('forward')]).toEqual(['implicitGemm', 'implicitGemm']);
    setConvAlgorithm(gpu(), 'winogradF4');
    expect([conv1('forward'), conv2('forward')]).toEqual(['direct', 'winogradF4']);
    setConvAlgorithm(gpu(), 'auto');
  });

  it('takes F6 tiles only where they need clearly fewer transformed points than F4', () => {
    const out = (h: number, w: number) => tileFor(h, w).out;
    expect(out(24, 24)).toBe(6); // MNIST conv2: 16 × 64 points against 36 × 36 (0.79×)
    expect(out(26, 26)).toBe(4); // its backward-data: 25 × 64 against 49 × 36 (0.91×)
    expect(out(10, 10)).toBe(6); // conv3: 4 × 64 against 9 × 36
    expect(out(8, 8)).toBe(4); // conv4: 4 × 36 against 4 × 64
    expect(out(32, 32)).toBe(4); // WRN: 36 × 64 = 64 × 36, a tie
    expect(out(11, 7)).toBe(4);
    expect(tileFor(24, 24, 4).out).toBe(4);
    expect(tileFor(8, 8, 6).out).toBe(6);
  });
});

const winogradCases = () => cases.filter((c) => winogradApplies(dimsOf(c)));

for (const algorithm of ['winogradF4', 'winogradF6'] as const) {
  describe(`conv2d by ${algorithm} (one tile size for every pass) on every eligible case`, () => {
    beforeAll(() => setConvAlgorithm(gpu(), algorithm));
    afterAll(() => setConvAlgorithm(gpu(), 'auto'));
    for (const c of winogradCases()) testCase(c);
  });
}

describe('conv2d by Winograd, the batch in runs of one image (tiles too large for one binding)', () => {
  // 36 points × 8 channels × 6 output tiles × 4 bytes: the 11x9 case's batch of 3 (F4) runs one
  // image at a time, and so does the 14x14 case's batch of 2 (F6: 64 × 6 × 4 tiles × 4 bytes).
  beforeAll(() => setWinogradRunBytes(gpu(), 36 * 8 * 6 * 4));
  afterAll(() => setWinogradRunBytes(gpu(), undefined));
  testCase(cases.find((c) => c.name.startsWith('3x3 padding [1, 0] on 11x9'))!);
  testCase(cases.find((c) => c.name.startsWith('3x3 on 14x14'))!);
});

describe("backward-weight from the forward's transformed input (ConvForwardCache)", () => {
  const c = cases.find((k) => k.name.startsWith('3x3 padding [1, 0] on 11x9'))!;
  const run = async (cached: boolean) => {
    const random = new TestRandom(7);
    const X = gpu().upload(randomF32(random, size(c.input)), c.input);
    const W = gpu().upload(randomF32(random, size(c.weight)), c.weight);
    const cache = cached ? new ConvForwardCache() : undefined;
    const Y = await conv2dForward(gpu(), X, W, undefined, c.geometry, undefined, cache);
    const DY = gpu().upload(randomF32(random, Y.size), Y.shape);
    const DW = await conv2dBackwardWeight(gpu(), X, DY, c.weight, c.geometry, cache);
    const dw = await gpu().read(DW);
    gpu().release(X, W, Y, DY, DW);
    return { dw, cache };
  };

  it('gives the same dw, bit for bit, and hands the kept tensor over', async () => {
    const direct = await run(false);
    const inUse = gpu().pool.stats().inUse;
    const cached = await run(true);
    expect(Array.from(cached.dw)).toEqual(Array.from(direct.dw));
    expect(cached.cache!.take(4)).toBeUndefined();
    expect(gpu().pool.stats().inUse).toBe(inUse);
  });

  it('keeps nothing when the batch runs in several runs of images, and still gives the same dw', async () => {
    const whole = await run(false);
    setWinogradRunBytes(gpu(), 36 * 8 * 6 * 4);
    try {
      const inRuns = await run(true);
      expectClose(inRuns.dw, whole.dw, BACKWARD, 'dw in runs of images');
      expect(inRuns.cache!.take(4)).toBeUndefined();
    } finally {
      setWinogradRunBytes(gpu(), undefined);
    }
  });

  it('a tensor kept on another tile size is released, not used', async () => {
    const random = new TestRandom(8);
    const X = gpu().upload(randomF32(random, size(c.input)), c.input);
    const W = gpu().upload(randomF32(random, size(c.weight)), c.weight);
    const cache = new ConvForwardCache();
    const Y = await conv2dForward(gpu(), X, W, undefined, c.geometry, undefined, cache);
    const inUse = gpu().pool.stats().inUse;
    expect(cache.take(6)).toBeUndefined();
    expect(gpu().pool.stats().inUse).toBe(inUse - 1);
    gpu().release(X, W, Y);
  });
});

describe('conv2d by implicit GEMM only', () => {
  beforeAll(() => setConvAlgorithm(gpu(), 'implicitGemm'));
  afterAll(() => setConvAlgorithm(gpu(), 'auto'));
  allCases();
});

describe('conv2d on the plain register GEMM variant', () => {
  beforeAll(() => setGemmConfig(gpu(), { variant: 'gemmRegisters', WG_M: 1, WG_N: 8, TM: 16, TN: 8, TK: 8 }));
  afterAll(() => setGemmConfig(gpu(), defaultGemmConfig(gpu())));
  allCases();
});

describe('conv2d on the tiled GEMM variant', () => {
  beforeAll(() => setGemmConfig(gpu(), { variant: 'gemmTiled', WG_M: 8, WG_N: 8, TM: 4, TN: 4, TK: 8 }));
  afterAll(() => setGemmConfig(gpu(), defaultGemmConfig(gpu())));
  allCases();
});

describe('conv2d shape checks', () => {
  const upload = (shape: number[]) => gpu().upload(new Float32Array(size(shape)), shape);

  it('rejects an input that is not 4-D', async () => {
    await expect(conv2dForward(gpu(), upload([3, 5, 7]), upload([5, 3, 3, 3]), undefined)).rejects.toThrow(
      /conv2dForward: input must be \[N, C, H, W\].*got \[3, 5, 7\]/,
    );
  });

  it('rejects mismatched channels with both shapes in the message', async () => {
    await expect(conv2dForward(gpu(), upload([1, 3, 5, 5]), upload([4, 2, 3, 3]), undefined)).rejects.toThrow(
      /weight \[4, 2, 3, 3\] expects 2 input channels, input \[1, 3, 5, 5\] has 3/,
    );
  });

  it('rejects a kernel larger than the padded input', () => {
    expect(() => conv2dOutputShape([1, 1, 4, 4], [1, 1, 7, 3], { padding: 1 })).toThrow(/kernel 7x3 with padding 1x1 does not fit input \[1, 1, 4, 4\]/);
  });

  it('rejects a bias of the wrong length', async () => {
    await expect(conv2dForward(gpu(), upload([1, 3, 5, 5]), upload([4, 3, 3, 3]), upload([3]))).rejects.toThrow(/bias must be f32 \[4\], got f32 \[3\]/);
  });

  it('rejects a bad stride or padding', () => {
    expect(() => conv2dOutputShape([1, 1, 4, 4], [1, 1, 3, 3], { stride: 0 })).toThrow(/stride must be an integer >= 1.*got 0/);
    expect(() => conv2dOutputShape([1, 1, 4, 4], [1, 1, 3, 3], { padding: [1, -1] })).toThrow(/padding must be an integer >= 0.*got \[1,-1\]/);
  });

  it('rejects a dy that does not match the output shape', async () => {
    const w = upload([4, 3, 3, 3]);
    await expect(conv2dBackwardData(gpu(), upload([1, 4, 4, 4]), w, [1, 3, 5, 5])).rejects.toThrow(/conv2dBackwardData: dy must be f32 \[1, 4, 3, 3\], got f32 \[1, 4, 4, 4\]/);
    await expect(conv2dBackwardWeight(gpu(), upload([1, 3, 5, 5]), upload([1, 4, 4, 4]), [4, 3, 3, 3])).rejects.toThrow(/conv2dBackwardWeight: dy must be f32 \[1, 4, 3, 3\]/);
  });

  it('rejects an out tensor of the wrong size', async () => {
    await expect(conv2dForward(gpu(), upload([1, 3, 5, 5]), upload([4, 3, 3, 3]), undefined, {}, upload([1, 4, 5, 5]))).rejects.toThrow(
      /out must hold f32 \[1, 4, 3, 3\], got f32 \[1, 4, 5, 5\]/,
    );
  });
});
