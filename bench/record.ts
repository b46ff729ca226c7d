// What one benchmark run saves: where it ran (adapter, Node or browser, espgpu version,
// whether GPU timestamps were used), the options, and its figures twice: as flat metrics,
// which the report lines up across runs, and as each suite's full details.
import type { AdapterDescription, AcquiredDevice } from '../src/device/device.ts';

export const RUN_FORMAT = 'espgpu-bench/1';

export interface Environment {
  adapter: AdapterDescription;
  /** "node v20.19.0" or the browser's user agent. */
  runtime: string;
  espgpu: string;
  /** GPU time from timestamp queries where the adapter offers them, wall time otherwise. */
  clock: 'gpu-timestamps' | 'wall';
}

/** One figure, named so the same measurement lines up across runs. */
export interface Metric {
  suite: string;
  name: string;
  value: number;
  unit: string;
  better: 'higher' | 'lower';
  /** Which clock the figure comes from. */
  clock: 'gpu' | 'wall';
}

export interface BenchRun {
  format: typeof RUN_FORMAT;
  date: string;
  environment: Environment;
  options: Record<string, unknown>;
  metrics: Metric[];
  /** Each suite's own output, keyed by suite name. */
  details: Record<string, unknown>;
}

export function describeEnvironment(esp: AcquiredDevice, runtime: string, espgpu: string): Environment {
  return { adapter: esp.adapter, runtime, espgpu, clock: esp.features.has('timestamp-query') ? 'gpu-timestamps' : 'wall' };
}

/** Checks a parsed file is a run this code can report, naming the file and what is wrong. */
export function checkRun(value: unknown, file: string): BenchRun {
  const run = value as Partial<BenchRun> | null;
  if (!run || typeof run !== 'object') throw new Error(`${file}: not a benchmark run (expected a JSON object)`);
  if (run.format !== RUN_FORMAT) throw new Error(`${file}: format is ${JSON.stringify(run.format)}, expected "${RUN_FORMAT}" (a file written by bench/run)`);
  if (!Array.isArray(run.metrics)) throw new Error(`${file}: field "metrics" must be an array`);
  if (!run.environment?.adapter) throw new Error(`${file}: field "environment.adapter" is missing`);
  run.metrics.forEach((m, i) => {
    const typed = typeof m?.suite === 'string' && typeof m.name === 'string' && typeof m.unit === 'string' && Number.isFinite(m.value);
    if (!typed || !['higher', 'lower'].includes(m.better) || !['gpu', 'wall'].includes(m.clock)) {
      throw new Error(`${file}: metrics[${i}] needs string suite, name and unit, a finite value, better "higher" or "lower" and clock "gpu" or "wall"`);
    }
  });
  return run as BenchRun;
}
