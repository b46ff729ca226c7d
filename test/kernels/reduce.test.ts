// Deterministic reductions against float64 loops: channelSum (bias gradients) on shapes that
// take its vec4 rows (inner % 4 == 0) and its scalar rows, and sumSplits (split-K).
import { describe, expect, it } from 'vitest';
import { channelSum, sumSplits } from '../../src/kernels/reduce.ts';
import { BACKWARD, FORWARD, expectClose } from '../helpers/compare.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';

const gpu = useGpu();

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Float64 Σ over every axis but `axis`, written as the textbook triple loop. */
function channelSum64(x: Float32Array, shape: readonly number[], axis: number): Float64Array {
  const outer = size(shape.slice(0, axis));
  const channels = shape[axis]!;
  const inner = size(shape.slice(axis + 1));
  const out = new Float64Array(channels);
  for (let o = 0; o < outer; o++)
    for (let c = 0; c < channels; c++)
      for (let i = 0; i < inner; i++) out[c]! += x[(o * channels + c) * inner + i]!;
  return out;
}

interface Case {
  name: string;
  shape: number[];
  axis: number;
}

const cases: Case[] = [
  { name: 'linear bias [B, C] (inner 1, scalar rows)', shape: [7, 10], axis: 1 },
  { name: 'conv bias 2x3x24x24 (inner 576, vec4 rows)', shape: [2, 3, 24, 24], axis: 1 },
  { name: 'conv bias 3x5x7x5 (inner 35, scalar rows)', shape: [3, 5, 7, 5], axis: 1 },
  { name: '130x3x4x4: more rows than the 64 invocations (vec4)', shape: [130, 3, 4, 4], axis: 1 },
  { name: '130x3x3x3: more rows than the 64 invocations (scalar)', shape: [130, 3, 3, 3], axis: 1 },
  { name: 'batch 1, one channel, 1x1x1x1', shape: [1, 1, 1, 1], axis: 1 },
  { name: 'channel axis 0 of [6, 8] (outer 1)', shape: [6, 8], axis: 0 },
  { name: 'last axis of [4, 3, 5] (inner 1)', shape: [4, 3, 5], axis: 2 },
];

describe('channelSum', () => {
  for (const c of cases)
    it(c.name, async () => {
      const rng = new TestRandom(size(c.shape) + c.axis);
      const x = Float32Array.from(rng.array(size(c.shape)));
      const X = gpu().upload(x, c.shape);
      const sum = await channelSum(gpu(), X, c.axis);
      expect(sum.shape).toEqual([c.shape[c.axis]]);
      expectClose(await gpu().read(sum), channelSum64(x, c.shape, c.axis), BACKWARD, 'sum');
      gpu().release(X, sum);
    });

  it('adds into out with accumulate, and overwrites it without', async () => {
    const shape = [5, 4, 6, 6];
    const rng = new TestRandom(21);
    const x = Float32Array.from(rng.array(size(shape)));
    const start = Float32Array.from(rng.array(4));
    const X = gpu().upload(x, shape);
    const expected = channelSum64(x, shape, 1);
    const out = gpu().upload(start, [4]);
    await channelSum(gpu(), X, 1, { out, accumulate: true });
    expectClose(await gpu().read(out), expected.map((v, c) => v + start[c]!), BACKWARD, 'accumulated');
    await channelSum(gpu(), X, 1, { out });
    expectClose(await gpu().read(out), expected, BACKWARD, 'overwritten');
    gpu().release(X, out);
  });

  it('gives the same bits on every run', async () => {
    const shape = [70, 3, 8, 8];
    const X = gpu().upload(Float32Array.from(new TestRandom(4).array(size(shape))), shape);
    const first = await gpu().read(await channelSum(gpu(), X, 1));
    const second = await gpu().read(await channelSum(gpu(), X, 1));
    expect(Array.from(second)).toEqual(Array.from(first));
    gpu().release(X);
  });

  it('rejects a bad axis or out', async () => {
    const X = gpu().upload(new Float32Array(12), [3, 4]);
    const out = gpu().empty([3]);
    await expect(channelSum(gpu(), X, 2)).rejects.toThrow(/channelSum: axis 2 out of range for \[3, 4\]/);
    await expect(channelSum(gpu(), X, 1, { out })).rejects.toThrow(/channelSum: out \[3\] must hold 4 values/);
    gpu().release(X, out);
  });
});

describe('sumSplits', () => {
  it('adds the splits of [splits, ...rest] element by element', async () => {
    const [splits, rows, cols] = [3, 5, 7];
    const parts = Float32Array.from(new TestRandom(8).array(splits * rows * cols));
    const P = gpu().upload(parts, [splits, rows, cols]);
    const sum = await sumSplits(gpu(), P, splits);
    expect(sum.shape).toEqual([rows, cols]);
    const expected = Float64Array.from({ length: rows * cols }, (_, i) => parts[i]! + parts[rows * cols + i]! + parts[2 * rows * cols + i]!);
    expectClose(await gpu().read(sum), expected, FORWARD, 'sum');
    gpu().release(P, sum);
  });
});
