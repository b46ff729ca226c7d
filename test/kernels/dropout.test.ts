import { describe, expect, it } from 'vitest';
import { Gpu } from '../../src/gpu/gpu.ts';
import { dropoutBackward, dropoutForward, type DropoutOptions } from '../../src/kernels/dropout.ts';
import { Stream, uniforms } from '../../src/rng/philox.ts';
import { BACKWARD, FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { dropoutBackward as dropoutBackward64, dropoutForward as dropoutForward64, dropoutMask } from '../reference/dropout.ts';

const gpu = useGpu();

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Runs dropout on fresh data and returns the x it used with the y and mask read back. */
async function runDropout(g: Gpu, shape: number[], options: DropoutOptions) {
  const x = Float32Array.from(new TestRandom(size(shape)).array(size(shape)));
  const X = g.upload(x, shape);
  const { y: Y, mask: M } = await dropoutForward(g, X, options);
  const [y, mask] = [await g.read(Y), await g.read(M)];
  g.release(X, Y, M);
  return { x, y, mask };
}

/** Exact equality with the index of the first difference in the message. */
function expectSameBits(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  const first = Array.from(actual).findIndex((v, i) => v !== expected[i]);
  expect(first, first >= 0 ? `${what}: element ${first} is ${actual[first]}, expected ${expected[first]}` : what).toBe(-1);
}

describe('dropoutForward', () => {
  const cases: [number[], DropoutOptions][] = [
    [[1], { p: 0.5, seed: 1, step: 0 }],
    [[7, 5], { p: 0.1, seed: 42, step: 3 }],
    [[1, 3, 7, 5], { p: 0.5, seed: 2 ** 40 + 123, step: 9 }],
    [[3, 201], { p: 0.9, seed: 0xffffffff, step: 0xffffffff }],
    [[2, 200], { p: 0.5, seed: 7, step: 1 }],
    [[2, 200], { p: 0.5, seed: 7, step: 1, layer: 3 }],
  ];
  for (const [shape, options] of cases)
    it(`mask equals the Philox reference on ${shape.join('x')} with p=${options.p} seed=${options.seed} step=${options.step} layer=${options.layer ?? 0}`, async () => {
      const { x, y, mask } = await runDropout(gpu(), shape, options);
      const expectedMask = dropoutMask(x.length, options.p, options.seed, options.step, options.layer);
      expectSameBits(mask, expectedMask, 'mask');
      expectClose(y, dropoutForward64(x, expectedMask), FORWARD, 'y');
    });

  it('same seed and step give the same mask; another step or seed a different one', async () => {
    const shape = [4, 250];
    const base = { p: 0.5, seed: 99, step: 5 };
    const a = (await runDropout(gpu(), shape, base)).mask;
    const again = (await runDropout(gpu(), shape, base)).mask;
    const nextStep = (await runDropout(gpu(), shape, { ...base, step: 6 })).mask;
    const otherSeed = (await runDropout(gpu(), shape, { ...base, seed: 100 })).mask;
    expectSameBits(again, a, 'repeat');
    // Independent masks with p = 0.5 disagree on about half of 1000 elements.
    const differing = (m: Float32Array) => m.filter((v, i) => v !== a[i]).length;
    expect(differing(nextStep)).toBeGreaterThan(400);
    expect(differing(otherSeed)).toBeGreaterThan(400);
  });

  it('keeps a fraction 1 − p of a large tensor, within 4 standard errors', async () => {
    for (const p of [0.2, 0.5, 0.8]) {
      const n = 1 << 18;
      const { mask } = await runDropout(gpu(), [n], { p, seed: 2024, step: 11 });
      const kept = mask.filter((v) => v !== 0).length / n;
      const standardError = Math.sqrt((p * (1 - p)) / n);
      expect(Math.abs(kept - (1 - p)), `kept ${kept} at p=${p}`).toBeLessThan(4 * standardError);
      expect(mask.every((v) => v === 0 || v === Math.fround(1 / (1 - p)))).toBe(true);
    }
  });

  it('the CPU random streams (src/rng) reproduce the mask', async () => {
    const options = { p: 0.25, seed: 31337, step: 4 };
    const { mask } = await runDropout(gpu(), [3, 101], options);
    const u = uniforms(options.seed, 0, Stream.dropout, mask.length, options.step);
    expectSameBits(mask, Array.from(u, (v) => (v >= options.p ? Math.fround(1 / (1 - options.p)) : 0)), 'mask');
  });

  it('a new step every call leaves the uniform cache and the pool flat', async () => {
    const X = gpu().upload(new Float32Array(64).fill(1), [64]);
    const run = async (step: number) => {
      const { y, mask } = await dropoutForward(gpu(), X, { p: 0.5, seed: 3, step });
      gpu().release(y, mask);
      gpu().submit();
    };
    await run(0);
    const before = gpu().stats();
    for (let step = 1; step <= 30; step++) await run(step);
    const after = gpu().stats();
    expect([after.uniforms, after.buffers, after.bytes]).toEqual([before.uniforms, before.buffers, before.bytes]);
    gpu().release(X);
  });

  it('is the identity at p = 0', async () => {
    const { x, y, mask } = await runDropout(gpu(), [3, 7, 5], { p: 0, seed: 5, step: 1 });
    expectSameBits(y, x, 'y');
    expect(mask.every((v) => v === 1)).toBe(true);
  });

  it('gives the same mask whatever the dispatch shape', async () => {
    // A runtime limited to 3 workgroups per dimension lays 1250 blocks (5 workgroups) out on a 3x2 grid.
    const base = gpu();
    const narrow = new Gpu({ ...base.acquired, limits: { ...base.acquired.limits, maxComputeWorkgroupsPerDimension: 3 } });
    try {
      const options = { p: 0.3, seed: 77, step: 2 };
      const wide = await runDropout(base, [5000], options);
      const tiled = await runDropout(narrow, [5000], options);
      expectSameBits(tiled.mask, wide.mask, 'mask on a 2-D grid');
      expectSameBits(tiled.mask, dropoutMask(5000, options.p, options.seed, options.step), 'mask vs reference');
    } finally {
      await narrow.sync();
      narrow.dispose();
    }
  });

  it('rejects bad options and aliased outputs', async () => {
    const X = gpu().upload(new Float32Array(8), [2, 4]);
    for (const p of [1, -0.1, Number.NaN, 1.5])
      await expect(dropoutForward(gpu(), X, { p, seed: 1, step: 0 })).rejects.toThrow(/dropoutForward: p must be in \[0, 1\), got/);
    await expect(dropoutForward(gpu(), X, { p: 0.5, seed: -1, step: 0 })).rejects.toThrow(/seed must be a non-negative safe integer, got -1/);
    await expect(dropoutForward(gpu(), X, { p: 0.5, seed: 1.5, step: 0 })).rejects.toThrow(/seed must be/);
    await expect(dropoutForward(gpu(), X, { p: 0.5, seed: 1, step: 2 ** 32 })).rejects.toThrow(/step must be a u32, got 4294967296/);
    await expect(dropoutForward(gpu(), X, { p: 0.5, seed: 1, step: 0, out: { y: X } })).rejects.toThrow(/out.y must not share its buffer with x/);
    gpu().release(X);
  });
});

describe('dropoutBackward', () => {
  for (const shape of [[1], [7, 5], [2, 3, 7, 5]])
    it(`dx = dy · mask on ${shape.join('x')}`, async () => {
      const rng = new TestRandom(size(shape) + 1);
      const X = gpu().upload(rng.array(size(shape)), shape);
      const dy = Float32Array.from(rng.array(size(shape)));
      const { y, mask } = await dropoutForward(gpu(), X, { p: 0.4, seed: 3, step: 8 });
      const DY = gpu().upload(dy, shape);
      const DX = await dropoutBackward(gpu(), DY, mask);
      expectClose(await gpu().read(DX), dropoutBackward64(dy, await gpu().read(mask)), BACKWARD, 'dx');
      gpu().release(X, y, mask, DY, DX);
    });

  it('rejects a gradient whose shape differs from the mask', async () => {
    const mask = gpu().upload(new Float32Array(6), [2, 3]);
    const dy = gpu().upload(new Float32Array(6), [3, 2]);
    await expect(dropoutBackward(gpu(), dy, mask)).rejects.toThrow(/dropoutBackward: dy must be f32 \[2, 3\], got f32 \[3, 2\]/);
    gpu().release(mask, dy);
  });
});
