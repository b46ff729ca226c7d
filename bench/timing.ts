// Timing shared by the benchmark suites: one warm-up run (pipeline compilation included,
// reported apart), then the median of the repeats. Wall time always; where the adapter
// offers timestamp queries, also the GPU time of the compute passes each run records
// (src/gpu/passTimer.ts), which a busy CPU disturbs less.
import type { Gpu } from '../src/gpu/gpu.ts';

export interface Timing {
  warmupMs: number;
  medianMs: number;
  timesMs: number[];
  /** Median GPU time of the repeats' compute passes; absent without timestamp-query. */
  gpuMedianMs?: number;
  gpuTimesMs?: number[];
}

export function round(x: number): number {
  return Math.round(x * 100) / 100;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Times `run`, which must wait for its GPU work. With `gpu` given (and timestamp-query
 * offered) each repeat's passes are timed on the GPU too.
 */
export async function timed(repeats: number, run: () => Promise<void>, gpu?: Gpu): Promise<Timing> {
  const timeGpu = Boolean(gpu?.canTime);
  const once = async () => {
    if (timeGpu) {
      await gpu!.sync();
      gpu!.startTiming();
    }
    const started = performance.now();
    await run();
    const wallMs = performance.now() - started;
    const gpuMs = timeGpu ? (await gpu!.stopTiming()).ms : undefined;
    return { wallMs, gpuMs };
  };
  const warmup = await once();
  const runs = [];
  for (let i = 0; i < repeats; i++) runs.push(await once());
  const timing: Timing = { warmupMs: round(warmup.wallMs), medianMs: round(median(runs.map((r) => r.wallMs))), timesMs: runs.map((r) => round(r.wallMs)) };
  if (timeGpu) {
    const gpuTimes = runs.map((r) => r.gpuMs!);
    timing.gpuMedianMs = round(median(gpuTimes));
    timing.gpuTimesMs = gpuTimes.map(round);
  }
  return timing;
}

/** The clock a figure should come from: GPU time when measured, wall time otherwise. */
export function bestClock(t: Timing): { ms: number; clock: 'gpu' | 'wall' } {
  return t.gpuMedianMs !== undefined && t.gpuMedianMs > 0 ? { ms: t.gpuMedianMs, clock: 'gpu' } : { ms: t.medianMs, clock: 'wall' };
}
