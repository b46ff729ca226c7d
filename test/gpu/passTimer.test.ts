// GPU timestamps of compute passes: the measured time grows with the work, never exceeds the
// wall time around it, and passes past the query set's capacity are reported as untimed.
import { describe, expect, it } from 'vitest';
import { relu } from '../../src/kernels/eltwise.ts';
import { matmul } from '../../src/kernels/matmul.ts';
import { PassTimer } from '../../src/gpu/passTimer.ts';
import { useGpu } from '../helpers/gpu.ts';

const gpu = useGpu();

/** GPU time and wall time of `count` 384³ matmuls, each in its own pass (a copy ends each one). */
async function timeMatmuls(count: number) {
  const g = gpu();
  const n = 384;
  const a = g.upload(Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)), [n, n]);
  const sink = g.empty([n, n]);
  await g.sync();
  const started = performance.now();
  g.startTiming();
  for (let i = 0; i < count; i++) {
    const c = await matmul(g, a, a);
    g.copy(c, sink);
    g.release(c);
  }
  const time = await g.stopTiming();
  const wallMs = performance.now() - started;
  g.release(a, sink);
  return { ...time, wallMs };
}

describe('GPU pass timing', () => {
  it('the lavapipe adapter offers timestamp-query (the suite must exercise it)', () => {
    expect(gpu().canTime).toBe(true);
  });

  it('sums the passes: more work measures more time, and never more than the wall time around it', async () => {
    await timeMatmuls(1); // compile outside the measurement
    const one = await timeMatmuls(2);
    const four = await timeMatmuls(8);
    expect(one.passes).toBe(2);
    expect(four.passes).toBe(8);
    expect(one.untimed).toBe(0);
    expect(one.ms).toBeGreaterThan(0);
    expect(one.ms).toBeLessThanOrEqual(one.wallMs);
    expect(four.ms).toBeLessThanOrEqual(four.wallMs);
    // Four times the work. On a software adapter a pass's span is wall time on the CPU, which
    // a busy machine stretches either way: only the direction is safe to assert.
    expect(four.ms / one.ms, `8 matmuls ${four.ms} ms vs 2 matmuls ${one.ms} ms`).toBeGreaterThan(1.5);
  });

  it('per kernel: one pass a dispatch, summed by file and entry point', async () => {
    const g = gpu();
    const a = g.upload(Float32Array.from({ length: 64 * 64 }, (_, i) => Math.cos(i)), [64, 64]);
    const dispatchesBefore = g.dispatchCount;
    g.startTiming({ perKernel: true });
    const outputs = [await matmul(g, a, a), await relu(g, a), await relu(g, a)];
    const time = await g.stopTiming();
    const dispatches = g.dispatchCount - dispatchesBefore;
    const labels = Object.keys(time.byLabel);
    expect(time.passes).toBe(dispatches);
    expect(labels.some((l) => l.startsWith('eltwise.wgsl:relu'))).toBe(true);
    expect(labels.some((l) => l.includes('gemm.wgsl:'))).toBe(true);
    const reluEntry = Object.entries(time.byLabel).find(([l]) => l.startsWith('eltwise.wgsl:relu'))![1];
    expect(reluEntry.passes).toBe(2);
    const sumMs = Object.values(time.byLabel).reduce((s, k) => s + k.ms, 0);
    expect(sumMs).toBeCloseTo(time.ms, 6);
    expect(Object.values(time.byLabel).reduce((s, k) => s + k.passes, 0)).toBe(time.passes);
    // Ordinary timing afterwards labels nothing.
    g.startTiming();
    outputs.push(await relu(g, a));
    expect((await g.stopTiming()).byLabel).toEqual({});
    g.release(a, ...outputs);
  });

  it('stopTiming without startTiming is an error', async () => {
    await expect(gpu().stopTiming()).rejects.toThrow(/startTiming was not called/);
  });

  it('passes past the query set capacity go untimed and are counted', async () => {
    const timer = new PassTimer(gpu().device);
    let timed = 0;
    for (let i = 0; i < 2050; i++) if (timer.nextPass()) timed++;
    expect(timed).toBe(2048);
    const time = await timer.collect();
    expect(time.passes).toBe(2048);
    expect(time.untimed).toBe(2);
    expect(await timer.collect()).toEqual({ ms: 0, passes: 0, untimed: 0, byLabel: {} });
    timer.destroy();
  });
});
