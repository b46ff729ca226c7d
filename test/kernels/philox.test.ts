import { describe, expect, it } from 'vitest';
import { philoxDump, type PhiloxDumpMode } from '../../src/kernels/philoxDump.ts';
import { useGpu } from '../helpers/gpu.ts';
import { TestRandom } from '../helpers/random.ts';
import { KAT1_CLOSED_OPEN, PHILOX_KATS, philox4x32, uniformClosedOpen, uniformOpenClosed } from '../reference/philox.ts';

const gpu = useGpu();

/** Runs the GPU Philox on these pairs and reads back 4 words per pair. */
async function gpuPhilox(counters: number[][], keys: number[][], mode: PhiloxDumpMode = 'bits'): Promise<Uint32Array> {
  const c = gpu().upload(counters.flat(), [counters.length, 4], 'u32');
  const k = gpu().upload(keys.flat(), [keys.length, 2], 'u32');
  const out = await philoxDump(gpu(), c, k, mode);
  const words = await gpu().readU32(out);
  gpu().release(c, k, out);
  return words;
}

const hex = (words: ArrayLike<number>) => Array.from(words, (w) => w.toString(16).padStart(8, '0')).join(' ');

describe('philox.wgsl', () => {
  it('reproduces the three known-answer vectors', async () => {
    const words = await gpuPhilox(
      PHILOX_KATS.map((k) => [...k.counter]),
      PHILOX_KATS.map((k) => [...k.key]),
    );
    PHILOX_KATS.forEach((kat, row) => expect(hex(words.subarray(4 * row, 4 * row + 4)), `row ${row + 1}`).toBe(hex(kat.output)));
  });

  it('converts words to the §3.3 floats bit for bit', async () => {
    const kat = PHILOX_KATS[0]!;
    const closedOpen = new Float32Array((await gpuPhilox([[...kat.counter]], [[...kat.key]], 'closedOpen')).buffer);
    const openClosed = new Float32Array((await gpuPhilox([[...kat.counter]], [[...kat.key]], 'openClosed')).buffer);
    expect(Array.from(closedOpen)).toEqual(KAT1_CLOSED_OPEN);
    expect(Array.from(openClosed)).toEqual(Array.from(kat.output, uniformOpenClosed));
  });

  it('4096 draws equal the TypeScript reference bit for bit', async () => {
    const rng = new TestRandom(2024);
    const u32 = () => Math.floor(rng.next() * 2 ** 32);
    const pairs = 1024;
    // Half random, half a sequential counter under one key, as kernels use it.
    const counters = Array.from({ length: pairs }, (_, i) => (i % 2 ? [u32(), u32(), u32(), u32()] : [i, 0, 7, 5]));
    const keys = Array.from({ length: pairs }, (_, i) => (i % 2 ? [u32(), u32()] : [0x1234, 0]));
    const words = await gpuPhilox(counters, keys);
    const expected = new Uint32Array(4 * pairs);
    counters.forEach((c, i) => expected.set(philox4x32(c as [number, number, number, number], keys[i] as [number, number]), 4 * i));
    const mismatch = words.findIndex((w, i) => w !== expected[i]);
    expect(mismatch, mismatch >= 0 ? `word ${mismatch}: ${words[mismatch]} vs ${expected[mismatch]}` : '').toBe(-1);
    const uniforms = new Float32Array((await gpuPhilox(counters.slice(0, 64), keys.slice(0, 64), 'closedOpen')).buffer);
    expect(Array.from(uniforms)).toEqual(Array.from(expected.subarray(0, 256), uniformClosedOpen));
  });

  it('rejects counters and keys of the wrong shape', async () => {
    const c = gpu().upload([1, 2, 3, 4, 5, 6], [2, 3], 'u32');
    const k = gpu().upload([1, 2], [1, 2], 'u32');
    const good = gpu().upload([1, 2, 3, 4], [1, 4], 'u32');
    await expect(philoxDump(gpu(), c, k)).rejects.toThrow(/counters must be u32 \[n, 4\], got u32 \[2, 3\]/);
    await expect(philoxDump(gpu(), good, c)).rejects.toThrow(/keys must be u32 \[1, 2\], got u32 \[2, 3\]/);
    gpu().release(c, k, good);
  });
});
