import { describe, expect, it } from 'vitest';
import { Gpu } from '../../src/gpu/gpu.ts';
import type { Tensor } from '../../src/gpu/tensor.ts';
import {
  avgPool2dBackward,
  avgPool2dForward,
  globalAvgPoolBackward,
  globalAvgPoolForward,
  maxPool2dBackward,
  maxPool2dForward,
  poolGeometry,
  windowsTileInput,
  type Pool2dOptions,
} from '../../src/kernels/pool.ts';
import { BACKWARD, FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import * as ref from '../reference/pool.ts';

const gpu = useGpu();

/** Distinct f32 values in [−1, 1), shuffled: ties would make the argmax depend on rounding. */
function distinctF32(rng: TestRandom, n: number): Float32Array {
  const v = Float32Array.from({ length: n }, (_, i) => -1 + (2 * (i + 0.25 + 0.5 * rng.next())) / n);
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [v[i], v[j]] = [v[j]!, v[i]!];
  }
  return v;
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

interface Case {
  name: string;
  shape: [number, number, number, number];
  options: Pool2dOptions;
}

const cases: Case[] = [
  { name: 'MNIST pool 1: 2x2/2 on 2x3x24x24', shape: [2, 3, 24, 24], options: { kernel: 2 } },
  { name: 'MNIST pool 2: 2x2/2 on 1x4x8x8 (batch 1)', shape: [1, 4, 8, 8], options: { kernel: 2, stride: 2 } },
  { name: '3x3/2 pad 1 on 2x3x7x5', shape: [2, 3, 7, 5], options: { kernel: 3, stride: 2, padding: 1 } },
  { name: '3x3/1 on 1x2x7x5 (overlapping)', shape: [1, 2, 7, 5], options: { kernel: 3, stride: 1 } },
  { name: '3x3/3 on 3x1x7x5 (floor drops the remainder)', shape: [3, 1, 7, 5], options: { kernel: 3 } },
  { name: '[3,2]/[1,2] pad [1,0] on 1x2x9x6', shape: [1, 2, 9, 6], options: { kernel: [3, 2], stride: [1, 2], padding: [1, 0] } },
  { name: '1x1 on 1x1x1x1', shape: [1, 1, 1, 1], options: { kernel: 1 } },
  { name: '[3,2] tiling on 3x7x9x6 (189 outputs, not a multiple of 4)', shape: [3, 7, 9, 6], options: { kernel: [3, 2] } },
  { name: '2x2/2 on 4x8x20x20 (several workgroups)', shape: [4, 8, 20, 20], options: { kernel: 2 } },
  { name: '3x3/1 on 2x4x20x20 (overlapping, several workgroups)', shape: [2, 4, 20, 20], options: { kernel: 3, stride: 1 } },
];

/** The cases whose windows tile the input exactly, and so take maxPoolBackwardTiled. */
const tiledCases = new Set(['MNIST pool 1', 'MNIST pool 2', '1x1 on', '[3,2] tiling', '2x2/2 on 4x8']);
const isTiledCase = (c: Case) => [...tiledCases].some((prefix) => c.name.startsWith(prefix));

function dimsOf(c: Case): ref.PoolDims {
  return ref.poolDims(c.shape, c.options.kernel, c.options.stride, c.options.padding);
}

async function readAndRelease(...tensors: Tensor[]): Promise<Float32Array[]> {
  const values = await Promise.all(tensors.map((t) => gpu().read(t)));
  gpu().release(...tensors);
  return values;
}

describe('maxPool2d', () => {
  it('takes the tiled backward exactly when stride = kernel, no padding and no remainder', () => {
    for (const c of cases) expect(windowsTileInput(poolGeometry('test', c.shape, c.options)), c.name).toBe(isTiledCase(c));
    expect(windowsTileInput(poolGeometry('test', [1, 1, 8, 8], { kernel: 2, stride: 2, padding: 1 }))).toBe(false);
  });

  for (const c of cases)
    it(c.name, async () => {
      const d = dimsOf(c);
      const rng = new TestRandom(size(c.shape) + 7);
      const x = distinctF32(rng, size(c.shape));
      const expected = ref.maxPoolForward(x, d);
      const dy = Float32Array.from(rng.array(expected.y.length));
      const X = gpu().upload(x, c.shape);
      const { y: Y, argmax } = await maxPool2dForward(gpu(), X, c.options);
      expect(Y.shape).toEqual([c.shape[0], c.shape[1], ...ref.pooledSize(d)]);
      expect(Array.from(await gpu().readU32(argmax)), 'argmax').toEqual(Array.from(expected.argmax));
      const DY = gpu().upload(dy, Y.shape);
      const DX = await maxPool2dBackward(gpu(), DY, argmax, c.shape, c.options);
      const [y, dx] = await readAndRelease(Y, DX);
      expectClose(y!, expected.y, FORWARD, 'y');
      expectClose(dx!, ref.maxPoolBackward(dy, expected.argmax, d), BACKWARD, 'dx');
      gpu().release(X, argmax, DY);
    });

  it('breaks ties by the first maximum in scan order and never picks padding', async () => {
    // Constant negative planes: every window ties, and padding (−∞) must lose to −3.
    const shape: [number, number, number, number] = [1, 2, 5, 4];
    const options = { kernel: 3, stride: 1, padding: 1 };
    const x = new Float32Array(size(shape)).fill(-3);
    const X = gpu().upload(x, shape);
    const { y: Y, argmax } = await maxPool2dForward(gpu(), X, options);
    const expected = ref.maxPoolForward(x, ref.poolDims(shape, 3, 1, 1));
    expect(Array.from(await gpu().readU32(argmax))).toEqual(Array.from(expected.argmax));
    expect(Array.from(await gpu().read(Y)).every((v) => v === -3)).toBe(true);
    gpu().release(X, Y, argmax);
  });

  it('writes into given output tensors', async () => {
    const x = distinctF32(new TestRandom(3), 2 * 6 * 6);
    const X = gpu().upload(x, [1, 2, 6, 6]);
    const out = { y: gpu().empty([1, 2, 3, 3]), argmax: gpu().empty([1, 2, 3, 3], 'u32') };
    const result = await maxPool2dForward(gpu(), X, { kernel: 2, out });
    expect(result.y).toBe(out.y);
    expectClose(await gpu().read(out.y), ref.maxPoolForward(x, ref.poolDims([1, 2, 6, 6], 2)).y, FORWARD, 'y');
    gpu().release(X, out.y, out.argmax);
  });
});

describe('avgPool2d', () => {
  for (const c of cases)
    it(c.name, async () => {
      const d = dimsOf(c);
      const rng = new TestRandom(size(c.shape) + 11);
      const x = Float32Array.from(rng.array(size(c.shape)));
      const expectedY = ref.avgPoolForward(x, d);
      const dy = Float32Array.from(rng.array(expectedY.length));
      const X = gpu().upload(x, c.shape);
      const Y = await avgPool2dForward(gpu(), X, c.options);
      const DY = gpu().upload(dy, Y.shape);
      const DX = await avgPool2dBackward(gpu(), DY, c.shape, c.options);
      const [y, dx] = await readAndRelease(Y, DX);
      expectClose(y!, expectedY, FORWARD, 'y');
      expectClose(dx!, ref.avgPoolBackward(dy, d), BACKWARD, 'dx');
      gpu().release(X, DY);
    });
});

describe('globalAvgPool', () => {
  const shapes: [number, number, number, number][] = [
    [1, 1, 1, 1],
    [2, 3, 8, 8],
    [3, 5, 7, 5],
    [1, 4, 13, 11],
  ];
  for (const [N, C, H, W] of shapes)
    it(`${N}x${C}x${H}x${W} → ${N}x${C}`, async () => {
      const rng = new TestRandom(N * C * H * W);
      const x = Float32Array.from(rng.array(N * C * H * W));
      const dy = Float32Array.from(rng.array(N * C));
      const X = gpu().upload(x, [N, C, H, W]);
      const Y = await globalAvgPoolForward(gpu(), X);
      expect(Y.shape).toEqual([N, C]);
      const DY = gpu().upload(dy, [N, C]);
      const DX = await globalAvgPoolBackward(gpu(), DY, [N, C, H, W]);
      const [y, dx] = await readAndRelease(Y, DX);
      expectClose(y!, ref.globalAvgPoolForward(x, N, C, H, W), FORWARD, 'y');
      expectClose(dx!, ref.globalAvgPoolBackward(dy, N, C, H, W), BACKWARD, 'dx');
      gpu().release(X, DY);
    });
});

describe('flattened 2-D grid', () => {
  it('covers every item when workgroups spill into y', async () => {
    // A runtime that believes only 3 workgroups fit per dimension. Each dispatch below needs
    // 4 workgroups of 256 invocations, which grid1d spreads over (2, 2), and the kernels
    // must skip the invocations past the end: 4096 outputs (tiled) and 4096 inputs (the
    // gathers) at 4 per invocation, 900 outputs of 3x3 windows at 1 per invocation.
    const base = gpu();
    const narrow = new Gpu({ ...base.acquired, limits: { ...base.acquired.limits, maxComputeWorkgroupsPerDimension: 3 } });
    try {
      for (const c of [
        { name: 'tiled', shape: [2, 8, 32, 32], options: { kernel: 2 } },
        { name: 'overlapping', shape: [1, 4, 32, 32], options: { kernel: 3, stride: 2 } },
      ] as Case[]) {
        const d = dimsOf(c);
        const rng = new TestRandom(size(c.shape));
        const x = distinctF32(rng, size(c.shape));
        const expected = ref.maxPoolForward(x, d);
        const dy = Float32Array.from(rng.array(expected.y.length));
        const X = narrow.upload(x, c.shape);
        const { y: Y, argmax } = await maxPool2dForward(narrow, X, c.options);
        const DY = narrow.upload(dy, Y.shape);
        const DX = await maxPool2dBackward(narrow, DY, argmax, c.shape, c.options);
        expect(Array.from(await narrow.readU32(argmax)), `${c.name} argmax`).toEqual(Array.from(expected.argmax));
        expectClose(await narrow.read(Y), expected.y, FORWARD, `${c.name} y`);
        expectClose(await narrow.read(DX), ref.maxPoolBackward(dy, expected.argmax, d), BACKWARD, `${c.name} dx`);
        if (c.name === 'overlapping') {
          // (The tiled case has too many inputs for 9 workgroups.)
          const AVG = await avgPool2dForward(narrow, X, c.options);
          const DXAVG = await avgPool2dBackward(narrow, DY, c.shape, c.options);
          expectClose(await narrow.read(AVG), ref.avgPoolForward(x, d), FORWARD, `${c.name} avg y`);
          expectClose(await narrow.read(DXAVG), ref.avgPoolBackward(dy, d), BACKWARD, `${c.name} avg dx`);
        }
      }
    } finally {
      await narrow.sync();
      narrow.dispose();
    }
  });
});

describe('pooling rejects bad shapes and options', () => {
  it('names the argument, what it got and what it expected', async () => {
    const g = gpu();
    const X = g.upload(new Float32Array(2 * 5 * 5), [2, 5, 5]);
    const X4 = g.upload(new Float32Array(2 * 5 * 5), [1, 2, 5, 5]);
    await expect(maxPool2dForward(g, X, { kernel: 2 })).rejects.toThrow(/maxPool2dForward: input must be \[N, C, H, W\].*got \[2, 5, 5\]/);
    await expect(maxPool2dForward(g, X4, { kernel: 6 })).rejects.toThrow(/kernel 6x6 with padding 0x0 does not fit input \[1, 2, 5, 5\]/);
    await expect(avgPool2dForward(g, X4, { kernel: 3, padding: 2 })).rejects.toThrow(/padding 2x2 must be at most half of kernel 3x3/);
    await expect(avgPool2dForward(g, X4, { kernel: 2, stride: 0 })).rejects.toThrow(/stride must be an integer >= 1/);
    await expect(maxPool2dForward(g, X4, { kernel: [2, 1.5] })).rejects.toThrow(/kernel must be an integer >= 1.*\[2,1.5\]/);
    await expect(globalAvgPoolForward(g, X)).rejects.toThrow(/globalAvgPoolForward: input must be \[N, C, H, W\]/);

    const { y, argmax } = await maxPool2dForward(g, X4, { kernel: 2 }); // [1, 2, 2, 2]
    const wrongDy = g.upload(new Float32Array(8), [1, 2, 4, 1]);
    await expect(maxPool2dBackward(g, wrongDy, argmax, [1, 2, 5, 5], { kernel: 2 })).rejects.toThrow(
      /maxPool2dBackward: dy must be f32 \[1, 2, 2, 2\], got f32 \[1, 2, 4, 1\]/,
    );
    await expect(maxPool2dBackward(g, y, y, [1, 2, 5, 5], { kernel: 2 })).rejects.toThrow(/argmax must be u32 \[1, 2, 2, 2\], got f32/);
    await expect(avgPool2dBackward(g, y, [1, 2, 6, 7], { kernel: 2 })).rejects.toThrow(/dy must be f32 \[1, 2, 3, 3\], got f32 \[1, 2, 2, 2\]/);
    await expect(globalAvgPoolBackward(g, y, [1, 2, 5, 5])).rejects.toThrow(/globalAvgPoolBackward: dy must be f32 \[1, 2\], got f32 \[1, 2, 2, 2\]/);
    g.release(X, X4, y, argmax, wrongDy);
  });
});
