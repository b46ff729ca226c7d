// Wall-clock timing shared by the benchmarks: one warm-up run (pipeline compilation
// included, reported apart), then the median of the repeats.

export interface Timing {
  warmupMs: number;
  medianMs: number;
  timesMs: number[];
}

export function round(x: number): number {
  return Math.round(x * 100) / 100;
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export async function timed(repeats: number, run: () => Promise<void>): Promise<Timing> {
  const once = async () => {
    const started = performance.now();
    await run();
    return performance.now() - started;
  };
  const warmupMs = await once();
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push(await once());
  return { warmupMs: round(warmupMs), medianMs: round(median(times)), timesMs: times.map(round) };
}
