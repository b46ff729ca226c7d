import { describe, expect, it } from 'vitest';
import { Gpu } from '../../src/gpu/gpu.ts';
import { add, relu, reluBackward } from '../../src/kernels/eltwise.ts';
import { BACKWARD, FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { addForward, reluBackward as reluBackward64, reluForward } from '../reference/eltwise.ts';

const gpu = useGpu();

// Sizes that are multiples of 4 take the vec4 kernels: [2, 16, 24, 24], [3, 1000], [4, 200].
const shapes: number[][] = [[1], [7, 5], [1, 3, 7, 5], [2, 16, 24, 24], [3, 1000], [4, 200]];
const label = (shape: number[]) => shape.join('x');

describe('relu', () => {
  for (const shape of shapes)
    it(`forward and backward on ${label(shape)}`, async () => {
      const rng = new TestRandom(shape.reduce((a, b) => a * 31 + b, 1));
      const n = shape.reduce((a, b) => a * b, 1);
      const x = rng.array(n);
      const dy = rng.array(n);
      const X = gpu().upload(x, shape);
      const DY = gpu().upload(dy, shape);
      const Y = await relu(gpu(), X);
      const DX = await reluBackward(gpu(), DY, X);
      expectClose(await gpu().read(Y), reluForward(Float32Array.from(x)), FORWARD, 'y');
      expectClose(await gpu().read(DX), reluBackward64(Float32Array.from(dy), Float32Array.from(x)), BACKWARD, 'dx');
      gpu().release(X, DY, Y, DX);
    });

  it('gives zero gradient at exactly 0', async () => {
    const X = gpu().upload([-1, 0, 2], [3]);
    const DY = gpu().upload([4, 5, 6], [3]);
    const DX = await reluBackward(gpu(), DY, X);
    expect(Array.from(await gpu().read(DX))).toEqual([0, 0, 6]);
    gpu().release(X, DY, DX);
  });

  it('rejects mismatched shapes and aliased outputs', async () => {
    const X = gpu().upload(new Float32Array(6), [2, 3]);
    const DY = gpu().upload(new Float32Array(6), [3, 2]);
    await expect(reluBackward(gpu(), DY, X)).rejects.toThrow(/reluBackward: dy has shape \[3, 2\], expected \[2, 3\]/);
    await expect(relu(gpu(), X, X)).rejects.toThrow(/relu: out must not share its buffer with x/);
    gpu().release(X, DY);
  });
});

describe('add', () => {
  for (const shape of shapes)
    it(`a + b on ${label(shape)}`, async () => {
      const rng = new TestRandom(shape.reduce((a, b) => a * 17 + b, 3));
      const n = shape.reduce((a, b) => a * b, 1);
      const a = rng.array(n);
      const b = rng.array(n);
      const A = gpu().upload(a, shape);
      const B = gpu().upload(b, shape);
      const C = await add(gpu(), A, B);
      expectClose(await gpu().read(C), addForward(Float32Array.from(a), Float32Array.from(b)), FORWARD, 'a + b');
      gpu().release(A, B, C);
    });

  // [3, 100] takes the vec4 kernels, [3, 101] the f32 ones.
  for (const shape of [[3, 100], [3, 101]])
    it(`accumulates in place when out is a or b (${label(shape)})`, async () => {
      const rng = new TestRandom(5);
      const n = shape[0]! * shape[1]!;
      const a = rng.array(n);
      const b = rng.array(n);
      const expected = addForward(Float32Array.from(a), Float32Array.from(b));
      for (const into of ['a', 'b'] as const) {
        const A = gpu().upload(a, shape);
        const B = gpu().upload(b, shape);
        const target = into === 'a' ? A : B;
        const result = await add(gpu(), A, B, target);
        expect(result).toBe(target);
        expectClose(await gpu().read(target), expected, FORWARD, `a + b into ${into}`);
        gpu().release(A, B);
      }
    });

  it('rejects mismatched shapes and a fully aliased call', async () => {
    const A = gpu().upload(new Float32Array(6), [2, 3]);
    const B = gpu().upload(new Float32Array(6), [6]);
    const U = gpu().upload([1, 2, 3, 4, 5, 6], [2, 3], 'u32');
    await expect(add(gpu(), A, B)).rejects.toThrow(/add: b has shape \[6\], expected \[2, 3\]/);
    await expect(add(gpu(), A, U)).rejects.toThrow(/add: b must be f32, got u32 \[2, 3\]/);
    await expect(add(gpu(), A, A, A)).rejects.toThrow(/at most one input may alias out/);
    gpu().release(A, B, U);
  });
});

describe('flattened 2-D grid', () => {
  it('covers every element when workgroups spill into y', async () => {
    // A runtime that believes only 3 workgroups fit per dimension. 20000 values are 5000
    // vec4s, 1250 invocations of four: 5 workgroups of 256, spread over (3, 2); 4001 values
    // take the f32 kernels, 1001 invocations: 4 workgroups over (2, 2). The kernels must
    // skip the invocations past the end.
    const base = gpu();
    const narrow = new Gpu({ ...base.acquired, limits: { ...base.acquired.limits, maxComputeWorkgroupsPerDimension: 3 } });
    try {
      for (const n of [20000, 4001]) {
        const rng = new TestRandom(n);
        const a = rng.array(n);
        const b = rng.array(n);
        const A = narrow.upload(a, [n]);
        const B = narrow.upload(b, [n]);
        const sum = await add(narrow, A, B);
        const positive = await relu(narrow, A);
        const gradient = await reluBackward(narrow, B, A);
        expectClose(await narrow.read(sum), addForward(Float32Array.from(a), Float32Array.from(b)), FORWARD, `a + b (${n})`);
        expectClose(await narrow.read(positive), reluForward(Float32Array.from(a)), FORWARD, `relu (${n})`);
        expectClose(await narrow.read(gradient), reluBackward64(Float32Array.from(b), Float32Array.from(a)), BACKWARD, `relu backward (${n})`);
        await add(narrow, A, B, A);
        expectClose(await narrow.read(A), addForward(Float32Array.from(a), Float32Array.from(b)), FORWARD, `a += b (${n})`);
      }
    } finally {
      await narrow.sync();
      narrow.dispose();
    }
  });
});
