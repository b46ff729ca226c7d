// The AssemblyScript random-number module (assembly/rng.ts → build/rng.wasm) behind a typed API.
// Its bytes are bundled into the code (esbuild's binary loader), so it loads the same way in
// Node, browsers and workers: no fs, no fetch. Calls are synchronous; each writes its inputs
// into the module's scratch memory and copies the result out, so results never alias WASM memory.
import rngWasm from '../../build/rng.wasm';
import { seedKey, Stream } from './philox.ts';

/** What build/rng.wasm exports; addresses and u32 values travel as numbers. */
interface RngExports {
  memory: WebAssembly.Memory;
  scratch(bytes: number): number;
  philoxWords(counters: number, keys: number, out: number, n: number): void;
  fillUniforms(out: number, count: number, seedLo: number, seedHi: number, id: number, stream: number, step: number): void;
  fillNormals(out: number, count: number, seedLo: number, seedHi: number, id: number, stream: number, step: number): void;
  phi(x: number): number;
  phiInverse(p: number): number;
  truncatedNormalSizes(
    out: number, batch: number, firstSample: number, seedLo: number, seedHi: number, step: number, stream: number,
    mu: number, sigma: number, lo: number, hi: number, probability: number,
  ): number;
  fixedSizes(out: number, batch: number, firstSample: number, seedLo: number, seedHi: number, step: number, stream: number, size: number, probability: number): void;
}

/** Which samples of a batch a size is drawn for: counter (0, firstSample + i, step, Stream.espSize). */
export interface SizeDrawOptions {
  seed: number;
  step: number;
  batch: number;
  /** Global index of the batch's first sample; sample i of the batch is firstSample + i. */
  firstSample?: number;
  /** Chance that a sample is perturbed at all (default 1); the others get size 0. */
  probability?: number;
}

/** One ESP size per sample of a batch: k ~ N(mu, sigma²) truncated to [lo, hi] (ALGORITHMS.md §3.5). */
export interface TruncatedNormalSizeOptions extends SizeDrawOptions {
  mu: number;
  sigma: number;
  lo: number;
  hi: number;
}

export interface Rng {
  /** Philox4x32-10 words: counters u32 [n, 4] and keys u32 [n, 2], flattened → u32 [n, 4]. */
  philoxWords(counters: ArrayLike<number>, keys: ArrayLike<number>): Uint32Array;
  /** Standard normals, counter = (block, id, step, stream), as `normals` in philox.ts. */
  normals(seed: number, id: number, stream: number, count: number, step?: number): Float64Array;
  /** Uniforms in [0, 1), counter = (block, id, step, stream), as `uniforms` in philox.ts. */
  uniforms(seed: number, id: number, stream: number, count: number, step?: number): Float64Array;
  /** Sizes depend only on (seed, step, sample index): counter = (0, sample, step, Stream.espSize). */
  truncatedNormalSizes(options: TruncatedNormalSizeOptions): Float64Array;
  /** L2 noise: `size` for each perturbed sample, 0 for the others (same counters and draw). */
  fixedSizes(options: SizeDrawOptions & { size: number }): Float64Array;
  /** Standard normal CDF (fdlibm erfc, < 1 ulp). */
  phi(x: number): number;
  /** Its inverse: Acklam's approximation plus one Halley step. */
  phiInverse(p: number): number;
}

let loaded: Promise<Rng> | undefined;

/** Instantiates build/rng.wasm once; later calls share the instance. */
export function loadRng(): Promise<Rng> {
  loaded ??= WebAssembly.instantiate(rngWasm, {}).then(({ instance }) => wrap(instance.exports as unknown as RngExports));
  return loaded;
}

const TWO_POW_32 = 2 ** 32;

function checkU32(where: string, name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0 || value >= TWO_POW_32) {
    throw new RangeError(`${where}: ${name} must be an integer in [0, 2^32), got ${value}`);
  }
  return value;
}

function checkFinite(where: string, name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${where}: ${name} must be a finite number, got ${value}`);
}

function checkWords(where: string, name: string, words: ArrayLike<number>, perRow: number): void {
  if (words.length % perRow !== 0) {
    throw new RangeError(`${where}: ${name} must hold ${perRow} u32 words per pair, got ${words.length} words`);
  }
  if (words instanceof Uint32Array) return;
  for (let i = 0; i < words.length; i++) checkU32(where, `${name}[${i}]`, words[i]!);
}

function seedWords(where: string, seed: number): [number, number] {
  try {
    return seedKey(seed);
  } catch (error) {
    throw new RangeError(`${where}: ${(error as Error).message}`);
  }
}

/** The counter words every size draw shares, checked: (batch, firstSample, seedLo, seedHi, step). */
function checkSizeDraw(where: string, options: SizeDrawOptions) {
  const { seed, step, batch, firstSample = 0, probability = 1 } = options;
  const [seedLo, seedHi] = seedWords(where, seed);
  checkU32(where, 'step', step);
  checkU32(where, 'firstSample', firstSample);
  checkU32(where, 'batch', batch);
  if (firstSample + batch > TWO_POW_32) {
    throw new RangeError(`${where}: sample indices must stay below 2^32, got firstSample ${firstSample} + batch ${batch}`);
  }
  if (!(probability >= 0 && probability <= 1)) throw new RangeError(`${where}: probability must be in [0, 1], got ${probability}`);
  const args: [number, number, number, number, number] = [batch, firstSample, seedLo, seedHi, step];
  return { batch, probability, args };
}

function wrap(wasm: RngExports): Rng {
  const f64View = (address: number, length: number) => new Float64Array(wasm.memory.buffer, address, length);
  const u32View = (address: number, length: number) => new Uint32Array(wasm.memory.buffer, address, length);

  /** normals and uniforms: the same draw layout, a different fill. */
  function draw(where: string, fill: RngExports['fillNormals'], seed: number, id: number, stream: number, count: number, step: number) {
    const [seedLo, seedHi] = seedWords(where, seed);
    checkU32(where, 'id', id);
    checkU32(where, 'stream', stream);
    checkU32(where, 'count', count);
    checkU32(where, 'step', step);
    const out = wasm.scratch(8 * count);
    fill(out, count, seedLo, seedHi, id, stream, step);
    return f64View(out, count).slice();
  }

  return {
    philoxWords(counters, keys) {
      checkWords('philoxWords', 'counters', counters, 4);
      checkWords('philoxWords', 'keys', keys, 2);
      const n = counters.length / 4;
      if (keys.length !== 2 * n) {
        throw new RangeError(`philoxWords: keys must hold 2 words for each of the ${n} counters, got ${keys.length} words`);
      }
      // One scratch block: counters (16 bytes a pair), keys (8), words out (16).
      const base = wasm.scratch(40 * n);
      u32View(base, 4 * n).set(counters);
      u32View(base + 16 * n, 2 * n).set(keys);
      wasm.philoxWords(base, base + 16 * n, base + 24 * n, n);
      return u32View(base + 24 * n, 4 * n).slice();
    },

    normals: (seed, id, stream, count, step = 0) => draw('normals', wasm.fillNormals, seed, id, stream, count, step),
    uniforms: (seed, id, stream, count, step = 0) => draw('uniforms', wasm.fillUniforms, seed, id, stream, count, step),

    truncatedNormalSizes(options) {
      const where = 'truncatedNormalSizes';
      const { mu, sigma, lo, hi } = options;
      const draw = checkSizeDraw(where, options);
      checkFinite(where, 'mu', mu);
      if (!(sigma > 0) || !Number.isFinite(sigma)) throw new RangeError(`${where}: sigma must be a finite number > 0, got ${sigma}`);
      checkFinite(where, 'lo', lo);
      checkFinite(where, 'hi', hi);
      if (!(lo < hi)) throw new RangeError(`${where}: lo must be below hi, got lo = ${lo}, hi = ${hi}`);
      const out = wasm.scratch(8 * draw.batch);
      const mass = wasm.truncatedNormalSizes(out, ...draw.args, Stream.espSize, mu, sigma, lo, hi, draw.probability);
      if (!(mass > 0)) {
        throw new RangeError(
          `${where}: [lo, hi] = [${lo}, ${hi}] holds no probability of N(mu = ${mu}, sigma = ${sigma}) ` +
            'in double precision (too far into a tail, or too narrow for sigma)',
        );
      }
      return f64View(out, draw.batch).slice();
    },

    fixedSizes(options) {
      const where = 'fixedSizes';
      const draw = checkSizeDraw(where, options);
      if (!(options.size >= 0) || !Number.isFinite(options.size)) throw new RangeError(`${where}: size must be a finite number ≥ 0, got ${options.size}`);
      const out = wasm.scratch(8 * draw.batch);
      wasm.fixedSizes(out, ...draw.args, Stream.espSize, options.size, draw.probability);
      return f64View(out, draw.batch).slice();
    },

    phi: (x) => wasm.phi(x),
    phiInverse: (p) => wasm.phiInverse(p),
  };
}
