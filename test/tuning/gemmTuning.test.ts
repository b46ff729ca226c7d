// GEMM tuning: the stores (memory, JSON file), the cache key, the search's rules (fastest
// matching candidate wins, mismatches and failures never win, unfit configs never run, the
// budget stops it, the second call is a cache hit) with an injected measurement and clock,
// and one short real search on the device.
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AdapterDescription } from '../../src/device/device.ts';
import { defaultTuningCachePath, fileTuningStore } from '../../src/tuning/fileTuningStore.ts';
import { defaultGemmConfig, gemmConfig, type GemmConfig } from '../../src/kernels/gemmConfig.ts';
import { gemmCandidates, unfitReason } from '../../src/tuning/gemmCandidates.ts';
import { outputMismatch, type CandidateMeasurement } from '../../src/tuning/representativeProblems.ts';
import { TUNING_MIN_GAIN, tuneGemm } from '../../src/tuning/tuneGemm.ts';
import { GEMM_SOURCE_HASH, gemmTuningKey, memoryTuningStore, parseGemmConfig, type TuningStore } from '../../src/tuning/tuningStore.ts';
import { useGpu } from '../helpers/gpu.ts';

const gpu = useGpu();

const adapter: AdapterDescription = { vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 19)', isSoftware: true, runtime: 'node' };
const regs = (WG_N: number, TM: number, TN: number): GemmConfig => ({ variant: 'gemmRegisters', WG_M: 1, WG_N, TM, TN, TK: 8 });
const same = (a: GemmConfig, b: GemmConfig) => JSON.stringify(a) === JSON.stringify(b);

describe('tuning stores and keys', () => {
  let folder = '';
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'espgpu-tuning-'));
  });
  afterEach(async () => {
    await rm(folder, { recursive: true, force: true });
  });

  it('memory store: round-trips a config and hands out copies', async () => {
    const store = memoryTuningStore();
    expect(await store.get('k')).toBeUndefined();
    const config = regs(8, 16, 8);
    await store.set('k', config);
    config.TM = 99;
    const read = (await store.get('k'))!;
    expect(read).toEqual(regs(8, 16, 8));
    read.TN = 77;
    expect(await store.get('k')).toEqual(regs(8, 16, 8));
  });

  it('parses only well-formed configs', () => {
    expect(parseGemmConfig({ ...regs(8, 16, 8), extra: 1 })).toEqual(regs(8, 16, 8));
    const shuffle: GemmConfig = { ...regs(8, 16, 8), variant: 'gemmRegistersShuffle' };
    expect(parseGemmConfig(shuffle)).toEqual(shuffle);
    for (const bad of [
      null,
      'gemmTiled',
      { ...regs(8, 16, 8), variant: 'gemmMagic' },
      { ...regs(8, 16, 8), TM: 0 },
      { ...regs(8, 16, 8), TN: 2.5 },
      { ...regs(8, 16, 8), WG_N: '8' },
      { ...regs(8, 16, 8), TK: 4096 },
      { variant: 'gemmTiled', WG_M: 8, WG_N: 8, TM: 4, TN: 4 },
    ]) {
      expect(parseGemmConfig(bad), JSON.stringify(bad)).toBeUndefined();
    }
  });

  it('keys name the adapter, software or not, the version and the shader hash', () => {
    const key = gemmTuningKey(adapter, '0.1.0');
    expect(key).toContain('0.1.0');
    expect(key).toContain('llvmpipe (LLVM 19)');
    expect(key).toContain(GEMM_SOURCE_HASH);
    expect(GEMM_SOURCE_HASH).toMatch(/^[0-9a-f]{8}$/);
    expect(gemmTuningKey(adapter, '0.2.0')).not.toBe(key);
    expect(gemmTuningKey({ ...adapter, isSoftware: false }, '0.1.0')).not.toBe(key);
    expect(gemmTuningKey({ ...adapter, description: 'llvmpipe (LLVM 20)' }, '0.1.0')).not.toBe(key);
    expect(gemmTuningKey({ ...adapter }, '0.1.0')).toBe(key);
  });

  it('default cache path: $XDG_CACHE_HOME when absolute, else ~/.cache', () => {
    expect(defaultTuningCachePath({ XDG_CACHE_HOME: '/var/cache/me' }, '/home/u')).toBe('/var/cache/me/espgpu/gemm-tuning.json');
    expect(defaultTuningCachePath({}, '/home/u')).toBe('/home/u/.cache/espgpu/gemm-tuning.json');
    expect(defaultTuningCachePath({ XDG_CACHE_HOME: 'relative/cache' }, '/home/u')).toBe('/home/u/.cache/espgpu/gemm-tuning.json');
  });

  it('file store: a missing file is empty; set creates folders and writes one whole file, no temporary left', async () => {
    const path = join(folder, 'cache', 'espgpu', 'gemm-tuning.json');
    const store = fileTuningStore(path);
    expect(await store.get('k')).toBeUndefined();
    await store.set('k', regs(8, 16, 8));
    await store.set('other', regs(16, 8, 4));
    expect(await store.get('k')).toEqual(regs(8, 16, 8));
    expect(await fileTuningStore(path).get('other')).toEqual(regs(16, 8, 4));
    expect(await readdir(join(folder, 'cache', 'espgpu'))).toEqual(['gemm-tuning.json']);
    const json = JSON.parse(await readFile(path, 'utf8'));
    expect(json.format).toBe('espgpu-gemm-tuning');
    expect(Object.keys(json.entries).sort()).toEqual(['k', 'other']);
  });

  it('file store: a damaged file reads as empty and is overwritten whole by the next set', async () => {
    const path = join(folder, 'gemm-tuning.json');
    for (const damage of ['{"format": "espgpu-gemm-tu', '\u0000\u0001garbage', '[]', '{"format":"other","version":1,"entries":{}}', '']) {
      await writeFile(path, damage);
      const store = fileTuningStore(path);
      expect(await store.get('k')).toBeUndefined();
      await store.set('k', regs(8, 12, 6));
      expect(await store.get('k')).toEqual(regs(8, 12, 6));
      expect(JSON.parse(await readFile(path, 'utf8')).entries).toEqual({ k: regs(8, 12, 6) });
    }
  });

  it('file store: entries with an unknown variant or bad numbers are ignored, valid ones kept', async () => {
    const path = join(folder, 'gemm-tuning.json');
    const entries = { good: regs(8, 16, 8), variant: { ...regs(8, 16, 8), variant: 'gemmMagic' }, zero: { ...regs(8, 16, 8), TM: 0 }, text: 'gemmTiled' };
    await writeFile(path, JSON.stringify({ format: 'espgpu-gemm-tuning', version: 1, entries }));
    const store = fileTuningStore(path);
    expect(await store.get('good')).toEqual(regs(8, 16, 8));
    for (const key of ['variant', 'zero', 'text']) expect(await store.get(key)).toBeUndefined();
    await store.set('new', regs(16, 16, 8));
    expect(Object.keys(JSON.parse(await readFile(path, 'utf8')).entries).sort()).toEqual(['good', 'new']);
  });

  it('file store: a key from another espgpu version misses', async () => {
    const store = fileTuningStore(join(folder, 'gemm-tuning.json'));
    await store.set(gemmTuningKey(adapter, '0.1.0'), regs(8, 16, 8));
    expect(await store.get(gemmTuningKey(adapter, '0.1.0'))).toEqual(regs(8, 16, 8));
    expect(await store.get(gemmTuningKey(adapter, '0.2.0'))).toBeUndefined();
  });

  it('file store: refuses an empty path, and a set that cannot write rejects without leaving files', async () => {
    expect(() => fileTuningStore('')).toThrow(/path/);
    const blocker = join(folder, 'not-a-folder');
    await writeFile(blocker, 'x');
    await expect(fileTuningStore(join(blocker, 'gemm-tuning.json')).set('k', regs(8, 16, 8))).rejects.toThrow();
    await mkdir(join(folder, 'target.json', 'inside'), { recursive: true });
    await expect(fileTuningStore(join(folder, 'target.json')).set('k', regs(8, 16, 8))).rejects.toThrow();
    expect((await readdir(folder)).sort()).toEqual(['not-a-folder', 'target.json']);
  });
});

describe('output check', () => {
  const want = [Float32Array.from([1, -2, 3, 0])];
  it('accepts round-off, rejects a wrong value, a NaN or a different shape', () => {
    expect(outputMismatch([Float32Array.from([1 + 5e-5, -2, 3, 1e-6])], want)).toBeUndefined();
    expect(outputMismatch([Float32Array.from([1, -2, 3.001, 0])], want)).toMatch(/element 2/);
    expect(outputMismatch([Float32Array.from([1, -2, 3, NaN])], want)).toMatch(/element 3/);
    expect(outputMismatch([Float32Array.from([1, -2, 3])], want)).toMatch(/3 values/);
    expect(outputMismatch([], want)).toMatch(/0 outputs/);
  });
});

/**
 * A measurement stand-in: each config takes the milliseconds `costs` gives (default 100) on
 * a fake clock, and returns the right output unless listed in `wrong`; `throws` fail.
 */
function fakeMeasure(costs: Map<string, number>, options: { wrong?: GemmConfig[]; throws?: GemmConfig[] } = {}) {
  let now = 0;
  const calls: GemmConfig[] = [];
  const key = (c: GemmConfig) => JSON.stringify(c);
  const measure = async (config: GemmConfig): Promise<CandidateMeasurement> => {
    calls.push(config);
    const ms = costs.get(key(config)) ?? 100;
    now += ms * 3; // warm-up and two timed runs
    if (options.throws?.some((c) => same(c, config))) throw new Error('driver said no');
    const wrong = options.wrong?.some((c) => same(c, config));
    return { ms, outputs: [Float32Array.from([1, 2, wrong ? 3.5 : 3])] };
  };
  return { measure, calls, clock: () => now, costs: (entries: [GemmConfig, number][]) => entries.forEach(([c, ms]) => costs.set(key(c), ms)) };
}

describe('tuneGemm (injected measurement)', () => {
  const version = 'test';

  it('picks the fastest candidate, applies and stores it; the second call is a cache hit that measures nothing', async () => {
    const fake = fakeMeasure(new Map());
    const slow = regs(16, 8, 4);
    const fast = regs(8, 12, 6);
    fake.costs([[defaultGemmConfig(gpu()), 50], [slow, 80], [fast, 20]]);
    const store = memoryTuningStore();
    const searches: number[] = [];
    const onSearchStart = (candidates: number) => searches.push(candidates);
    const first = await tuneGemm(gpu(), { store, version, candidates: [slow, fast], measure: fake.measure, clock: fake.clock, onSearchStart });
    expect(searches).toEqual([3]);
    expect(first.source).toBe('measured');
    expect(first.config).toEqual(fast);
    expect(gemmConfig(gpu())).toEqual(fast);
    expect(first.timings.map((t) => [t.status, t.ms])).toEqual([['ok', 50], ['ok', 80], ['ok', 20]]);
    expect(await store.get(gemmTuningKey(gpu().acquired.adapter, version))).toEqual(fast);

    const calls = fake.calls.length;
    const second = await tuneGemm(gpu(), { store, version, candidates: [slow, fast], measure: fake.measure, clock: fake.clock, onSearchStart });
    expect(second.source).toBe('cache');
    expect(searches).toEqual([3]);
    expect(second.config).toEqual(fast);
    expect(second.timings).toEqual([]);
    expect(fake.calls.length).toBe(calls);
    expect(gemmConfig(gpu())).toEqual(fast);
  });

  it('keeps the default unless a candidate beats it by more than TUNING_MIN_GAIN', async () => {
    const close = regs(8, 8, 4);
    const fake = fakeMeasure(new Map());
    fake.costs([[defaultGemmConfig(gpu()), 100], [close, 100 * (1 - TUNING_MIN_GAIN / 2)]]);
    const result = await tuneGemm(gpu(), { store: memoryTuningStore(), version, candidates: [close], measure: fake.measure, clock: fake.clock });
    expect(result.config).toEqual(defaultGemmConfig(gpu()));
    fake.costs([[close, 100 * (1 - 2 * TUNING_MIN_GAIN)]]);
    expect((await tuneGemm(gpu(), { store: memoryTuningStore(), version, candidates: [close], measure: fake.measure, clock: fake.clock })).config).toEqual(close);
  });

  it('a fast config with a wrong output never wins, nor one that fails', async () => {
    const wrong = regs(8, 8, 8);
    const failing = regs(16, 16, 8);
    const fine = regs(8, 8, 4);
    const fake = fakeMeasure(new Map(), { wrong: [wrong], throws: [failing] });
    fake.costs([[defaultGemmConfig(gpu()), 50], [wrong, 1], [failing, 1], [fine, 40]]);
    const result = await tuneGemm(gpu(), { store: memoryTuningStore(), version, candidates: [wrong, failing, fine], measure: fake.measure, clock: fake.clock });
    expect(result.config).toEqual(fine);
    const status = (c: GemmConfig) => result.timings.find((t) => same(t.config, c));
    expect(status(wrong)).toMatchObject({ status: 'mismatch', ms: 1 });
    expect(status(wrong)!.reason).toMatch(/element 2 is 3.5/);
    expect(status(failing)).toMatchObject({ status: 'failed', reason: 'driver said no' });
  });

  it('never runs a config over the device limits', async () => {
    const tooManyLanes: GemmConfig = { variant: 'gemmRegisters', WG_M: 64, WG_N: 64, TM: 1, TN: 1, TK: 8 };
    const tooWide: GemmConfig = { variant: 'gemmRegisters', WG_M: 1, WG_N: gpu().limits.maxComputeWorkgroupSizeX * 2, TM: 1, TN: 1, TK: 8 };
    const tooMuchShared: GemmConfig = { variant: 'gemmTiled', WG_M: 16, WG_N: 16, TM: 16, TN: 16, TK: 64 };
    const fits = regs(8, 8, 4);
    for (const c of [tooManyLanes, tooWide, tooMuchShared]) expect(unfitReason(gpu(), c)).toBeDefined();
    expect(unfitReason(gpu(), fits)).toBeUndefined();
    const fake = fakeMeasure(new Map());
    const result = await tuneGemm(gpu(), { store: memoryTuningStore(), version, candidates: [tooManyLanes, tooWide, tooMuchShared, fits], measure: fake.measure, clock: fake.clock });
    expect(fake.calls).toEqual([defaultGemmConfig(gpu()), fits]);
    expect(result.timings.filter((t) => t.status === 'unfit').map((t) => t.config)).toEqual([tooManyLanes, tooWide, tooMuchShared]);
    expect(result.timings.find((t) => same(t.config, tooManyLanes))!.reason).toMatch(/maxComputeInvocationsPerWorkgroup/);
    expect(result.timings.find((t) => same(t.config, tooMuchShared))!.reason).toMatch(/maxComputeWorkgroupStorageSize/);
  });

  it('stops when the budget is spent and keeps the best measured so far', async () => {
    const candidates = [regs(8, 8, 4), regs(8, 8, 6), regs(8, 8, 8), regs(16, 8, 4), regs(16, 8, 6)];
    const fake = fakeMeasure(new Map());
    fake.costs([[defaultGemmConfig(gpu()), 100], [candidates[0]!, 90], [candidates[1]!, 80], [candidates[2]!, 1]]);
    // Each candidate costs 3 × its ms on the fake clock: 300, then 270 → 570; the next would end past 700.
    const store = memoryTuningStore();
    const result = await tuneGemm(gpu(), { store, version, budgetMs: 700, candidates, measure: fake.measure, clock: fake.clock });
    expect(fake.calls).toEqual([defaultGemmConfig(gpu()), candidates[0]]);
    expect(result.timings.filter((t) => t.status === 'over-budget').map((t) => t.config)).toEqual(candidates.slice(1));
    expect(result.config).toEqual(candidates[0]);
    expect(await store.get(result.key)).toEqual(candidates[0]);
  });

  it('tuning off applies the default without measuring', async () => {
    const fake = fakeMeasure(new Map());
    const store = memoryTuningStore();
    const result = await tuneGemm(gpu(), { enabled: false, store, version, measure: fake.measure });
    expect(result.source).toBe('default');
    expect(result.config).toEqual(defaultGemmConfig(gpu()));
    expect(gemmConfig(gpu())).toEqual(defaultGemmConfig(gpu()));
    expect(fake.calls).toEqual([]);
    expect(await store.get(result.key)).toBeUndefined();
  });

  it('re-tunes on another version or a cached config this device cannot run; survives a broken store', async () => {
    const fake = fakeMeasure(new Map());
    const store = memoryTuningStore();
    const candidates = [regs(8, 8, 4)];
    await tuneGemm(gpu(), { store, version: '1', candidates, measure: fake.measure, clock: fake.clock });
    const calls = fake.calls.length;
    expect((await tuneGemm(gpu(), { store, version: '2', candidates, measure: fake.measure, clock: fake.clock })).source).toBe('measured');
    expect(fake.calls.length).toBeGreaterThan(calls);

    const key = gemmTuningKey(gpu().acquired.adapter, '3');
    await store.set(key, { variant: 'gemmRegisters', WG_M: 64, WG_N: 64, TM: 1, TN: 1, TK: 8 });
    const retuned = await tuneGemm(gpu(), { store, version: '3', candidates, measure: fake.measure, clock: fake.clock });
    expect(retuned.source).toBe('measured');
    expect(unfitReason(gpu(), (await store.get(key))!)).toBeUndefined();

    const broken: TuningStore = {
      get: () => Promise.reject(new Error('cannot read')),
      set: () => Promise.reject(new Error('disk full')),
    };
    const result = await tuneGemm(gpu(), { store: broken, version, candidates, measure: fake.measure, clock: fake.clock });
    expect(result.source).toBe('measured');
    expect(result.storeError).toBe('disk full');
    expect(gemmConfig(gpu())).toEqual(result.config);
  });

  it('refresh searches again despite a stored entry, and replaces it', async () => {
    const fake = fakeMeasure(new Map());
    const store = memoryTuningStore();
    const candidate = regs(8, 8, 4);
    const key = gemmTuningKey(gpu().acquired.adapter, version);
    await store.set(key, regs(16, 16, 8));
    fake.costs([[defaultGemmConfig(gpu()), 100], [candidate, 10]]);
    const result = await tuneGemm(gpu(), { store, version, refresh: true, candidates: [candidate], measure: fake.measure, clock: fake.clock });
    expect(result.source).toBe('measured');
    expect(await store.get(key)).toEqual(candidate);
  });

  it('refuses a budget that is not a positive number', async () => {
    await expect(tuneGemm(gpu(), { budgetMs: 0 })).rejects.toThrow(/budgetMs must be a positive number/);
    await expect(tuneGemm(gpu(), { budgetMs: Number.NaN })).rejects.toThrow(/budgetMs/);
  });
});

describe('tuneGemm on the device', () => {
  it('offers this adapter candidates it can run, the default first, then its nearest neighbours', () => {
    const candidates = gemmCandidates(gpu());
    const reference = defaultGemmConfig(gpu());
    expect(candidates[0]).toEqual(reference);
    expect(candidates.length).toBeGreaterThanOrEqual(9);
    expect(new Set(candidates.map((c) => JSON.stringify(c))).size).toBe(candidates.length);
    for (const c of candidates) expect(unfitReason(gpu(), c), JSON.stringify(c)).toBeUndefined();
    const { isSoftware, subgroupSize } = gpu().acquired.adapter;
    const shuffles = candidates.filter((c) => c.variant === 'gemmRegistersShuffle');
    expect(shuffles.length).toBe(isSoftware && subgroupSize !== undefined ? 9 : 0);
    // Sizes are powers of two or 1.5 times one: a neighbour one step away differs in one field.
    const fieldsChanged = (c: GemmConfig) => (Object.keys(c) as (keyof GemmConfig)[]).filter((k) => c[k] !== reference[k]).length;
    expect(fieldsChanged(candidates[1]!)).toBe(1);
    expect(fieldsChanged(candidates.at(-1)!)).toBeGreaterThan(1);
  });

  it('measures real candidates, applies one of them, and the next call is a cache hit', async () => {
    // Register tiles only: the workgroup-memory variant takes seconds a run on a software adapter.
    const candidates = [regs(8, 8, 4), regs(16, 12, 6)];
    const store = memoryTuningStore();
    const result = await tuneGemm(gpu(), { store, version: 'device-test', candidates, budgetMs: 60_000 });
    expect(result.source).toBe('measured');
    expect(result.timings.map((t) => t.status)).toEqual(['ok', 'ok', 'ok']);
    for (const t of result.timings) expect(t.ms).toBeGreaterThan(0);
    expect([defaultGemmConfig(gpu()), ...candidates].some((c) => same(c, result.config))).toBe(true);
    expect(gemmConfig(gpu())).toEqual(result.config);
    expect(await store.get(result.key)).toEqual(result.config);

    const measure = async (): Promise<CandidateMeasurement> => {
      throw new Error('a cache hit must not measure');
    };
    const again = await tuneGemm(gpu(), { store, version: 'device-test', candidates, measure });
    expect(again.source).toBe('cache');
    expect(again.config).toEqual(result.config);
  });
});
