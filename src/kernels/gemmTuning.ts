// Per-adapter tuning of the GEMM core's tile shape. The best GemmConfig depends on the
// adapter (lavapipe wants one row of 8 lanes with 16×8 registers each, real GPUs want
// workgroup-memory tiles), so on first use a short measured search runs a representative
// matmul and convolution under each candidate, keeps the fastest whose output matches the
// default config's, and caches it in a TuningStore under a key that names the adapter, the
// espgpu version and the GEMM shaders' text (a changed kernel re-tunes). Stores: memory
// (here), a JSON file in Node (io/tuningCacheFile.ts), IndexedDB in browsers
// (io/tuningCacheIndexedDb.ts). Without tuning the GEMM runs defaultGemmConfig.
import conv2dWgsl from '../../shaders/conv2d.wgsl';
import gemmWgsl from '../../shaders/gemm.wgsl';
import gemmShuffleWgsl from '../../shaders/gemmShuffle.wgsl';
import matmulWgsl from '../../shaders/matmul.wgsl';
import type { AdapterDescription } from '../device/device.ts';
import type { Gpu } from '../gpu/gpu.ts';
import type { Tensor } from '../gpu/tensor.ts';
import { conv2dForward } from './conv2d.ts';
import { defaultGemmConfig, GEMM_VARIANTS, setGemmConfig, validateGemmConfig, type GemmConfig } from './gemmConfig.ts';
import { matmul } from './matmul.ts';

/** Where tuned configs persist between runs, one entry per tuning key. */
export interface TuningStore {
  /** The config stored under `key`, or undefined (also for anything unreadable). */
  get(key: string): Promise<GemmConfig | undefined>;
  set(key: string, config: GemmConfig): Promise<void>;
}

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

/** One candidate's run: the time to beat and the outputs to check against the default's. */
export interface CandidateMeasurement {
  ms: number;
  outputs: Float32Array[];
}

export type MeasureCandidate = (config: GemmConfig) => Promise<CandidateMeasurement>;

export const DEFAULT_TUNING_BUDGET_MS = 15_000;
/** A candidate's output must match the default's within this, relative to the output's scale. */
export const TUNING_RELATIVE_TOLERANCE = 1e-4;
const TIMED_RUNS = 2;
/** A candidate must be this much faster than the default to replace it. */
export const TUNING_MIN_GAIN = 0.03;

// ---------------------------------------------------------------------------------------
// Stores and keys

/** Entries live as long as the process; a fresh copy goes in and out so callers cannot alias them. */
export function memoryTuningStore(): TuningStore {
  const entries = new Map<string, GemmConfig>();
  return {
    async get(key) {
      const config = entries.get(key);
      return config && { ...config };
    },
    async set(key, config) {
      entries.set(key, { ...config });
    },
  };
}

const processStore = memoryTuningStore();

const SIZE_FIELDS = ['WG_M', 'WG_N', 'TM', 'TN', 'TK'] as const;
/** No device allows a workgroup side past this; larger numbers in a cache are damage. */
const MAX_SIZE = 1024;

/** A GemmConfig from untrusted data (a cache file), or undefined when any field is off. */
export function parseGemmConfig(value: unknown): GemmConfig | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const fields = value as Record<string, unknown>;
  const variant = GEMM_VARIANTS.find((v) => v === fields.variant);
  if (!variant) return undefined;
  const config: GemmConfig = { variant, WG_M: 0, WG_N: 0, TM: 0, TN: 0, TK: 0 };
  for (const name of SIZE_FIELDS) {
    const size = fields[name];
    if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_SIZE) return undefined;
    config[name] = size;
  }
  return config;
}

/** FNV-1a, 32 bits: enough to tell one version of the shaders from the next. */
function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/** The GEMM core (both of its files) and the two operand loaders the search measures: any edit re-tunes. */
export const GEMM_SOURCE_HASH = fnv1a([gemmWgsl, gemmShuffleWgsl, matmulWgsl, conv2dWgsl].join('\n'));

/** The cache key: the adapter as the device reports it, the runtime, the espgpu version and the shaders. */
export function gemmTuningKey(adapter: AdapterDescription, version: string): string {
  const name = [adapter.vendor, adapter.architecture, adapter.device, adapter.description].join(' / ');
  const kind = adapter.isSoftware ? 'software' : 'hardware';
  return `espgpu ${version} | gemm ${GEMM_SOURCE_HASH} | ${adapter.runtime} ${kind} | ${name}`;
}

// ---------------------------------------------------------------------------------------
// Candidates

/** Why `config` cannot run on this device, or undefined when it can. */
export function unfitReason(gpu: Gpu, config: GemmConfig): string | undefined {
  const { maxComputeWorkgroupSizeX, maxComputeWorkgroupSizeY } = gpu.limits;
  // gemm.wgsl declares @workgroup_size(WG_N, WG_M).
  if (config.WG_N > maxComputeWorkgroupSizeX) return `WG_N ${config.WG_N} exceeds maxComputeWorkgroupSizeX ${maxComputeWorkgroupSizeX}`;
  if (config.WG_M > maxComputeWorkgroupSizeY) return `WG_M ${config.WG_M} exceeds maxComputeWorkgroupSizeY ${maxComputeWorkgroupSizeY}`;
  try {
    validateGemmConfig(gpu, config);
  } catch (error) {
    return (error as Error).message;
  }
  return undefined;
}

/**
 * The search space for this adapter, nearest the default first, so a search the budget cuts
 * short has tried the likeliest shapes. Software adapters: one row of 8 or 16 lanes with
 * 8–16 × 4–8 registers, past which accumulators spill, and where the adapter has one fixed
 * subgroup size, a row of one subgroup sharing A's rows by shuffles with 1–3 rows a lane
 * (gemmShuffle.wgsl). Real GPUs: workgroup-memory tiles of 8×8 and 16×16 lanes, plus the
 * software optimum in case the adapter is CPU-like without saying so.
 */
export function gemmCandidates(gpu: Gpu): GemmConfig[] {
  const reference = defaultGemmConfig(gpu);
  const grid: GemmConfig[] = [];
  if (gpu.esp.adapter.isSoftware) {
    for (const WG_N of [8, 16])
      for (const TM of [8, 12, 16])
        for (const TN of [4, 6, 8]) grid.push({ variant: 'gemmRegisters', WG_M: 1, WG_N, TM, TN, TK: 8 });
    const lanes = gpu.esp.adapter.subgroupSize;
    if (lanes !== undefined)
      for (const rowsPerLane of [1, 2, 3])
        for (const TN of [4, 6, 8]) grid.push({ variant: 'gemmRegistersShuffle', WG_M: 1, WG_N: lanes, TM: rowsPerLane * lanes, TN, TK: 8 });
  } else {
    for (const side of [8, 16])
      for (const T of [4, 8])
        for (const TK of [8, 16]) grid.push({ variant: 'gemmTiled', WG_M: side, WG_N: side, TM: T, TN: T, TK });
    grid.push({ variant: 'gemmRegisters', WG_M: 1, WG_N: 8, TM: 16, TN: 8, TK: 8 });
  }
  const byDistance = grid.map((config) => ({ config, distance: configDistance(config, reference) })).sort((a, b) => a.distance - b.distance);
  return uniqueConfigs([reference, ...byDistance.map((c) => c.config)]);
}

/** How far apart two tile shapes are: octaves of each size, and a whole step for the other variant. */
function configDistance(a: GemmConfig, b: GemmConfig): number {
  let distance = a.variant === b.variant ? 0 : 4;
  for (const name of SIZE_FIELDS) distance += Math.abs(Math.log2(a[name] / b[name]));
  return distance;
}

const configKey = (c: GemmConfig) => `${c.variant} ${c.WG_M}x${c.WG_N} ${c.TM}x${c.TN} TK${c.TK}`;

/** e.g. "gemmRegisters 1x8 lanes, 16x8 registers, TK 8", for logs and reports. */
export function describeGemmConfig(c: GemmConfig): string {
  return `${c.variant} ${c.WG_M}x${c.WG_N} lanes, ${c.TM}x${c.TN} registers, TK ${c.TK}`;
}

/** The first of each distinct config, in order. */
function uniqueConfigs(configs: readonly GemmConfig[]): GemmConfig[] {
  const byKey = new Map<string, GemmConfig>();
  for (const c of configs) if (!byKey.has(configKey(c))) byKey.set(configKey(c), c);
  return [...byKey.values()];
}

// ---------------------------------------------------------------------------------------
// The representative problems

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

// ---------------------------------------------------------------------------------------
// The search

/**
 * Picks this adapter's GEMM tile shape and applies it with setGemmConfig: the stored config
 * when the store has this adapter's key, otherwise a measured search (stored afterwards).
 */
export async function tuneGemm(gpu: Gpu, options: TuneGemmOptions = {}): Promise<GemmTuningResult> {
  const clock = options.clock ?? (() => performance.now());
  const started = clock();
  const budgetMs = options.budgetMs ?? DEFAULT_TUNING_BUDGET_MS;
  if (!(budgetMs > 0) || !Number.isFinite(budgetMs)) throw new Error(`tuneGemm: budgetMs must be a positive number of milliseconds, got ${budgetMs}`);
  const key = gemmTuningKey(gpu.esp.adapter, options.version ?? 'unversioned');
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
