// What a tuning search measures: the two GEMM shapes training spends its time on, run under a
// candidate tile shape, timed, and their outputs compared with the default shape's.
import type { Gpu } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { conv2dForward } from '../kernels/conv2d.ts';
import { setGemmConfig, type GemmConfig } from '../kernels/gemmConfig.ts';
import { matmul } from '../kernels/matmul.ts';

/** A candidate's output must match the default's within this, relative to the output's scale. */
export const TUNING_RELATIVE_TOLERANCE = 1e-4;
const TIMED_RUNS = 2;

/** One candidate's run: the time to beat and the outputs to check against the default's. */
export interface CandidateMeasurement {
  ms: number;
  outputs: Float32Array[];
}

export type MeasureCandidate = (config: GemmConfig) => Promise<CandidateMeasurement>;

/** Deterministic values in [-0.5, 0.5], the same on every run and adapter; `seed` tells operands apart. */
function fill(gpu: Gpu, shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = Math.sin(i * 12.9898 + seed * 78.233) * 0.5;
  return gpu.upload(data, shape);
}

/**
 * A 512³ matmul and the MNIST CNN's conv2 forward at batch 32 (32→32 channels, 3×3, 26×26
 * input, with bias as the layer has): the two shapes training spends its GEMM time on.
 * `measure` sets the config, runs once to compile and to read the outputs back, then
 * returns the best of two timed runs. `dispose` releases the inputs.
 */
export function representativeProblems(gpu: Gpu, clock: () => number = () => performance.now()): { measure: MeasureCandidate; dispose(): void } {
  const a = fill(gpu, [512, 512], 1);
  const b = fill(gpu, [512, 512], 2);
  const x = fill(gpu, [32, 32, 26, 26], 3);
  const w = fill(gpu, [32, 32, 3, 3], 4);
  const bias = fill(gpu, [32], 5);
  const run = async (): Promise<Tensor[]> => [await matmul(gpu, a, b), await conv2dForward(gpu, x, w, bias)];
  const measure = async (config: GemmConfig): Promise<CandidateMeasurement> => {
    setGemmConfig(gpu, config);
    const first = await run();
    const outputs: Float32Array[] = [];
    for (const t of first) outputs.push(await gpu.read(t));
    gpu.release(...first);
    let ms = Infinity;
    for (let i = 0; i < TIMED_RUNS; i++) {
      const started = clock();
      const results = await run();
      await gpu.sync();
      ms = Math.min(ms, clock() - started);
      gpu.release(...results);
    }
    return { ms, outputs };
  };
  return { measure, dispose: () => gpu.release(a, b, x, w, bias) };
}

/** Why `actual` is not the reference's output, or undefined when every element is within tolerance. */
export function outputMismatch(actual: readonly Float32Array[], reference: readonly Float32Array[]): string | undefined {
  if (actual.length !== reference.length) return `${actual.length} outputs, expected ${reference.length}`;
  for (let o = 0; o < reference.length; o++) {
    const got = actual[o]!;
    const want = reference[o]!;
    if (got.length !== want.length) return `output ${o} has ${got.length} values, expected ${want.length}`;
    // Relative to the element, floored at the output's RMS so values near zero (cancellation) pass.
    let squares = 0;
    for (const v of want) squares += v * v;
    const floor = Math.sqrt(squares / Math.max(1, want.length));
    for (let i = 0; i < want.length; i++) {
      const allowed = TUNING_RELATIVE_TOLERANCE * Math.max(Math.abs(want[i]!), floor);
      if (!(Math.abs(got[i]! - want[i]!) <= allowed)) return `output ${o} element ${i} is ${got[i]}, the default config gives ${want[i]}`;
    }
  }
  return undefined;
}

