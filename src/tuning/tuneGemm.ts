// Per-adapter tuning of the GEMM core's tile shape. The best GemmConfig depends on the
// adapter (lavapipe wants one row of 8 lanes with 16×8 registers each, real GPUs want
// workgroup-memory tiles), so on first use a short measured search runs the representative
// problems under each candidate, keeps the fastest whose output matches the default config's,
// and caches it in a TuningStore. The kernels only read the result (kernels/gemmConfig.ts);
// without tuning the GEMM runs defaultGemmConfig.
import type { Gpu } from '../gpu/gpu.ts';
import { defaultGemmConfig, setGemmConfig, type GemmConfig } from '../kernels/gemmConfig.ts';
import { describeGemmConfig, gemmCandidates, uniqueConfigs, unfitReason } from './gemmCandidates.ts';
import { outputMismatch, representativeProblems, type CandidateMeasurement, type MeasureCandidate } from './representativeProblems.ts';
import { gemmTuningKey, memoryTuningStore, type TuningStore } from './tuningStore.ts';

export interface TuneGemmOptions {
  /** false: no search, the GEMM runs defaultGemmConfig (source 'default'). True by default. */
  enabled?: boolean;
  /** Where the result is looked up and stored; a process-wide memory store by default. */
  store?: TuningStore;
  /** Search even when the store has this adapter's entry, and replace it (a noisy first search). */
  refresh?: boolean;
  /** The espgpu version (package.json), part of the cache key so an upgrade re-tunes. */
  version?: string;
  /** Wall-clock bound on the search in ms; the best config measured so far wins when it runs out. */
  budgetMs?: number;
  /** Configs to try instead of gemmCandidates(gpu); the default config is always measured too. */
  candidates?: readonly GemmConfig[];
  /** Runs the representative problems under one config (tests inject fakes); see representativeProblems. */
  measure?: MeasureCandidate;
  /** Milliseconds, for the budget; performance.now by default. */
  clock?: () => number;
  /** Called when a search starts (not on a cache hit), so a command can say why it pauses. */
  onSearchStart?: (candidates: number, budgetMs: number) => void;
}

export interface GemmTuningResult {
  config: GemmConfig;
  /** 'cache': found in the store; 'measured': searched now; 'default': tuning was off. */
  source: 'cache' | 'measured' | 'default';
  key: string;
  /** Every candidate of a search, in the order tried; empty for 'cache' and 'default'. */
  timings: CandidateTiming[];
  /** Wall-clock time of the whole call, search included. */
  elapsedMs: number;
  /** Why the result could not be stored, when the store refused it (the config is still applied). */
  storeError?: string;
}

export interface CandidateTiming {
  config: GemmConfig;
  /**
   * 'ok': measured, output matches the default's; 'mismatch': output differs (never chosen);
   * 'failed': threw or raised a GPU error; 'unfit': over the device's limits (not run);
   * 'over-budget': not run, the budget was spent.
   */
  status: 'ok' | 'mismatch' | 'failed' | 'unfit' | 'over-budget';
  /** Best of the timed runs, all representative problems together (status 'ok' and 'mismatch'). */
  ms?: number;
  reason?: string;
}

export const DEFAULT_TUNING_BUDGET_MS = 15_000;
/** A candidate must be this much faster than the default to replace it. */
export const TUNING_MIN_GAIN = 0.03;

const processStore = memoryTuningStore();

/**
 * Picks this adapter's GEMM tile shape and applies it with setGemmConfig: the stored config
 * when the store has this adapter's key, otherwise a measured search (stored afterwards).
 */
export async function tuneGemm(gpu: Gpu, options: TuneGemmOptions = {}): Promise<GemmTuningResult> {
  const clock = options.clock ?? (() => performance.now());
  const started = clock();
  const budgetMs = options.budgetMs ?? DEFAULT_TUNING_BUDGET_MS;
  if (!(budgetMs > 0) || !Number.isFinite(budgetMs)) throw new Error(`tuneGemm: budgetMs must be a positive number of milliseconds, got ${budgetMs}`);
  const key = gemmTuningKey(gpu.acquired.adapter, options.version ?? 'unversioned');
  const finish = (config: GemmConfig, source: GemmTuningResult['source'], timings: CandidateTiming[] = []): GemmTuningResult => {
    setGemmConfig(gpu, config);
    return { config, source, key, timings, elapsedMs: clock() - started };
  };
  if (options.enabled === false) return finish(defaultGemmConfig(gpu), 'default');

  const store = options.store ?? processStore;
  // A store that cannot be read is a miss: tuning must never stop a run.
  const cached = options.refresh ? undefined : await store.get(key).catch(() => undefined);
  if (cached && !unfitReason(gpu, cached)) return finish(cached, 'cache');

  const timings = await searchGemmConfigs(gpu, options, budgetMs, clock, started);
  const best = fastest(timings);
  const result = finish(best, 'measured', timings);
  try {
    await store.set(key, best);
  } catch (error) {
    result.storeError = (error as Error).message;
  }
  result.elapsedMs = clock() - started;
  return result;
}

/** Measures the default (the reference) then each candidate until the budget runs out. */
async function searchGemmConfigs(gpu: Gpu, options: TuneGemmOptions, budgetMs: number, clock: () => number, started: number): Promise<CandidateTiming[]> {
  const reference = defaultGemmConfig(gpu);
  const candidates = uniqueConfigs([reference, ...(options.candidates ?? gemmCandidates(gpu))]);
  options.onSearchStart?.(candidates.length, budgetMs);
  const problems = options.measure ? undefined : representativeProblems(gpu, clock);
  const measure = options.measure ?? problems!.measure;
  const timings: CandidateTiming[] = [];
  try {
    const expected = await measureGuarded(gpu, measure, reference);
    if ('error' in expected) throw new Error(`tuneGemm: the default config (${describeGemmConfig(reference)}) failed on the reference problems: ${expected.error}`);
    timings.push({ config: reference, status: 'ok', ms: expected.ms });
    let measuredMs = clock() - started;
    let measuredCount = 1;
    for (const config of candidates.slice(1)) {
      const unfit = unfitReason(gpu, config);
      if (unfit) {
        timings.push({ config, status: 'unfit', reason: unfit });
        continue;
      }
      // Stop before a candidate that would likely end past the budget (the mean cost so far).
      const elapsed = clock() - started;
      if (elapsed + measuredMs / measuredCount > budgetMs) {
        timings.push({ config, status: 'over-budget', reason: `${Math.round(elapsed)} ms of ${budgetMs} ms spent` });
        continue;
      }
      const before = clock();
      timings.push(judge(config, await measureGuarded(gpu, measure, config), expected.outputs));
      measuredMs += clock() - before;
      measuredCount++;
    }
  } finally {
    problems?.dispose();
  }
  return timings;
}

function judge(config: GemmConfig, run: CandidateMeasurement | { error: string }, expected: Float32Array[]): CandidateTiming {
  if ('error' in run) return { config, status: 'failed', reason: run.error };
  const mismatch = outputMismatch(run.outputs, expected);
  return mismatch ? { config, status: 'mismatch', ms: run.ms, reason: mismatch } : { config, status: 'ok', ms: run.ms };
}

/**
 * Runs one candidate inside GPU error scopes, so a config the driver rejects becomes a
 * failed candidate instead of an uncaptured error that would poison the device.
 */
async function measureGuarded(gpu: Gpu, measure: MeasureCandidate, config: GemmConfig): Promise<CandidateMeasurement | { error: string }> {
  const device = gpu.device;
  device.pushErrorScope('out-of-memory');
  device.pushErrorScope('validation');
  let result: CandidateMeasurement | { error: string };
  try {
    result = await measure(config);
  } catch (error) {
    result = { error: (error as Error).message };
  } finally {
    gpu.submit(); // anything still recorded belongs inside the scopes
  }
  const gpuErrors = [await device.popErrorScope(), await device.popErrorScope()].filter((e) => e !== null);
  if (gpuErrors.length > 0) return { error: gpuErrors.map((e) => e.message).join('; ') };
  return result;
}

/**
 * The fastest matching candidate, if it beats the default (timings[0]) by more than
 * TUNING_MIN_GAIN: within that, timing noise decides, and the default is the tested choice.
 */
function fastest(timings: readonly CandidateTiming[]): GemmConfig {
  const reference = timings[0]!;
  let best = reference;
  for (const t of timings) if (t.status === 'ok' && t.ms! < best.ms!) best = t;
  return best.ms! < reference.ms! * (1 - TUNING_MIN_GAIN) ? best.config : reference.config;
}
